import type { Pipeline } from "@azure/core-rest-pipeline";
import { ResourceGraphClient } from "@azure/arm-resourcegraph";
import { RecoveryServicesBackupClient } from "@azure/arm-recoveryservicesbackup";
import { useArmRetryPolicy } from "./retry.ts";
import type { ArmConnection } from "./connection.ts";
import { DataProtectionClient } from "./data-protection-client.ts";
import { writePacerPolicy, type WritePacer } from "./write-pacer.ts";

export function createResourceGraphClient(arm: ArmConnection): ResourceGraphClient {
  const client = new ResourceGraphClient(arm.credential, {
    endpoint: arm.endpoint,
    // ResourceGraphClient 5 ignores credentialScopes; the scope goes here.
    credentials: { scopes: [arm.tokenScope] },
    tlsOptions: arm.tlsOptions,
    httpClient: arm.httpClient,
  });
  useArmRetryPolicy(client.pipeline, arm.retry);
  return client;
}

/** The classic Recovery Services client binds a subscription at construction; callers cache one per subscription. */
export function createRecoveryServicesClient(arm: ArmConnection, subscriptionId: string, pacer?: WritePacer): RecoveryServicesBackupClient {
  const client = new RecoveryServicesBackupClient(arm.credential, subscriptionId, {
    $host: arm.endpoint,
    endpoint: arm.endpoint,
    credentialScopes: [arm.tokenScope],
    tlsOptions: arm.tlsOptions,
    httpClient: arm.httpClient,
  });
  useArmRetryPolicy(client.pipeline, arm.retry);
  usePacer(client.pipeline, pacer);
  return client;
}

/** Backup-vault client (our stand-in for @azure/arm-dataprotection); like the Recovery Services one, bound to a subscription. */
export function createDataProtectionClient(arm: ArmConnection, subscriptionId: string, pacer?: WritePacer): DataProtectionClient {
  const client = new DataProtectionClient(arm.credential, subscriptionId, {
    endpoint: arm.endpoint,
    credentials: { scopes: [arm.tokenScope] },
    tlsOptions: arm.tlsOptions,
    httpClient: arm.httpClient,
  });
  useArmRetryPolicy(client.pipeline, arm.retry);
  usePacer(client.pipeline, pacer);
  return client;
}

/** Inside the retry loop, so every attempt's answer teaches the subscription's pacer. */
function usePacer(pipeline: Pipeline, pacer: WritePacer | undefined): void {
  if (pacer !== undefined) pipeline.addPolicy(writePacerPolicy(pacer), { afterPhase: "Retry" });
}
