export { createDataProtectionClient, createRecoveryServicesClient, createResourceGraphClient } from "./clients.ts";
export { connectArm, type ArmConnection, type ArmConnectionOptions } from "./connection.ts";
export { createCredential } from "./credential.ts";
export type { BackupPolicyResource, DataProtectionClient, PolicyRule, TriggerBackupRequest } from "./data-protection-client.ts";
export { armOperation, followOperation, onArmHost, type ArmAnswer, type OperationJob } from "./operation.ts";
export { quotaOfResponse, retryAfterMs, type RetryOptions } from "./retry.ts";
export { listSubscriptionPermissions, type Permission } from "./authorization-client.ts";
export { createWritePacer, type WritePacer } from "./write-pacer.ts";
