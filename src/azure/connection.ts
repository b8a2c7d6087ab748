import type { TokenCredential } from "@azure/core-auth";
import { OperationBoundsSchema, type OperationBounds, type OperationBoundsInput } from "./operation.ts";
import { RetryOptionsSchema, type RetryOptions, type RetryOptionsInput } from "./retry.ts";

/**
 * Everything a run needs to talk to ARM, built once by the adapter (timer, HTTP, CLI) and handed to sweep():
 * one credential, one endpoint, one token scope, the CA of a local ARM, and how patiently to retry and follow.
 */
export interface ArmConnection {
  credential: TokenCredential;
  /** ARM endpoint without a trailing slash, e.g. https://management.azure.com. */
  endpoint: string;
  /** The token scope every client asks for: `${endpoint}/.default` (sovereign clouds, the emulator). */
  tokenScope: string;
  /** Extra CA to trust (PEM), for a local ARM; per client, never process-wide. */
  tlsCa?: string;
  retry: RetryOptions;
  operation: OperationBounds;
}

export interface ArmConnectionOptions {
  credential: TokenCredential;
  endpoint: string;
  tlsCa?: string;
  retry?: RetryOptionsInput;
  operation?: OperationBoundsInput;
}

export function connectArm(options: ArmConnectionOptions): ArmConnection {
  const endpoint = options.endpoint.replace(/\/+$/, "");
  return {
    credential: options.credential,
    endpoint,
    tokenScope: tokenScopeOf(endpoint),
    tlsCa: options.tlsCa,
    retry: RetryOptionsSchema.parse(options.retry ?? {}),
    operation: OperationBoundsSchema.parse(options.operation ?? {}),
  };
}

function tokenScopeOf(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, "")}/.default`;
}
