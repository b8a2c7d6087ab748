import type { TokenCredential } from "@azure/core-auth";
import type { Pipeline } from "@azure/core-rest-pipeline";
import { ResourceGraphClient } from "@azure/arm-resourcegraph";
import { RecoveryServicesBackupClient } from "@azure/arm-recoveryservicesbackup";
import { useArmRetryPolicy, type RetryOptions } from "./retry.ts";
import { writePacerPolicy, type WritePacer } from "./writePacer.ts";
import { DataProtectionClient } from "../backup/dataProtectionClient.ts";

/** Everything a run needs to talk to ARM: one credential, one endpoint, one token scope. */
export interface ArmConnection {
  credential: TokenCredential;
  /** ARM endpoint without a trailing slash, e.g. https://management.azure.com. */
  endpoint: string;
  /** Token scope used by every client, e.g. https://management.azure.com/.default. */
  scope: string;
  /** Extra CA to trust (PEM), for a local ARM; per client, never process-wide. */
  tlsCa?: string;
  retry: RetryOptions;
}

export function armScope(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, "")}/.default`;
}

export function createResourceGraphClient(arm: ArmConnection): ResourceGraphClient {
  const client = new ResourceGraphClient(arm.credential, {
    endpoint: arm.endpoint,
    // ResourceGraphClient 5 ignores credentialScopes; the scope goes here.
    credentials: { scopes: [arm.scope] },
    ...(arm.tlsCa === undefined ? {} : { tlsOptions: { ca: arm.tlsCa } }),
  });
  useArmRetryPolicy(client.pipeline, arm.retry);
  return client;
}

/** The classic Recovery Services client binds a subscription at construction; callers cache one per subscription. */
export function createRecoveryServicesClient(arm: ArmConnection, subscriptionId: string, pacer?: WritePacer): RecoveryServicesBackupClient {
  const client = new RecoveryServicesBackupClient(arm.credential, subscriptionId, {
    $host: arm.endpoint,
    endpoint: arm.endpoint,
    credentialScopes: [arm.scope],
    ...(arm.tlsCa === undefined ? {} : { tlsOptions: { ca: arm.tlsCa } }),
  });
  useArmRetryPolicy(client.pipeline, arm.retry);
  usePacer(client.pipeline, pacer);
  return client;
}

/** Backup-vault client (our stand-in for @azure/arm-dataprotection); like the Recovery Services one, bound to a subscription. */
export function createDataProtectionClient(arm: ArmConnection, subscriptionId: string, pacer?: WritePacer): DataProtectionClient {
  const client = new DataProtectionClient(arm.credential, subscriptionId, {
    endpoint: arm.endpoint,
    credentials: { scopes: [arm.scope] },
    ...(arm.tlsCa === undefined ? {} : { tlsOptions: { ca: arm.tlsCa } }),
  });
  useArmRetryPolicy(client.pipeline, arm.retry);
  usePacer(client.pipeline, pacer);
  return client;
}

/** Inside the retry loop, so every attempt's answer teaches the subscription's pacer. */
function usePacer(pipeline: Pipeline, pacer: WritePacer | undefined): void {
  if (pacer !== undefined) pipeline.addPolicy(writePacerPolicy(pacer), { afterPhase: "Retry" });
}
