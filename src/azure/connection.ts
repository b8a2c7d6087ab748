import type { TokenCredential } from "@azure/core-auth";
import { createDefaultHttpClient, type HttpClient } from "@azure/core-rest-pipeline";
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
  /**
   * Extra CA to trust (PEM), for a local ARM; per connection, never process-wide. One object for every client: the
   * HTTP client keeps one socket pool per TLS options object.
   */
  tlsOptions?: { ca: string };
  /**
   * One HTTP client for every client of the run (Resource Graph, and both vault kinds of every subscription): one
   * keep-alive socket pool, bounded by the requests in flight. A client of its own per subscription and vault kind
   * kept a pool each, and the idle TLS sockets of 200 pools grew the process with the concurrency (bench/README.md).
   */
  httpClient: HttpClient;
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
    tlsOptions: options.tlsCa === undefined ? undefined : { ca: options.tlsCa },
    httpClient: createDefaultHttpClient(),
    retry: RetryOptionsSchema.parse(options.retry ?? {}),
    operation: OperationBoundsSchema.parse(options.operation ?? {}),
  };
}

function tokenScopeOf(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, "")}/.default`;
}
