import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from "@azure/identity";

type CredentialKind = "managedIdentity" | "default";

export interface CredentialOptions {
  /** Functions use managed identity only; the CLI uses the default chain so `az login` works on a laptop. */
  kind: CredentialKind;
  /** Client id of a user-assigned managed identity (AZURE_CLIENT_ID). */
  clientId?: string;
}

export function createCredential(options: CredentialOptions): TokenCredential {
  if (options.kind === "managedIdentity") {
    return options.clientId ? new ManagedIdentityCredential({ clientId: options.clientId }) : new ManagedIdentityCredential();
  }
  return options.clientId ? new DefaultAzureCredential({ managedIdentityClientId: options.clientId }) : new DefaultAzureCredential();
}
