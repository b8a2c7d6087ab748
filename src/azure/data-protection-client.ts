import type { TokenCredential } from "@azure/core-auth";
import { createRestError, getClient, type ClientOptions, type OperationOptions, type PathUncheckedResponse } from "@azure-rest/core-client";
import type { OperationState, PollerLike } from "@azure/core-lro";
import type { Pipeline } from "@azure/core-rest-pipeline";
import { z } from "zod";
import { RetryBackupsError } from "../core/index.ts";
import { armOperation, type ArmAnswer, type OperationJob } from "./operation.ts";

/*
 * A small stand-in for @azure/arm-dataprotection (not on the reachable registry): the same client
 * shape (resource group first, `adhocBackup` returning a core-lro v3 poller of `{ jobId }`), built
 * on @azure-rest/core-client, so it can be swapped for the package by changing one import.
 */

const DATA_PROTECTION_API_VERSION = "2025-07-01";

const BackupInstanceResourceSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  properties: z.looseObject({
    dataSourceInfo: z.looseObject({ datasourceType: z.string().optional() }).optional(),
    policyInfo: z.looseObject({ policyId: z.string().min(1) }),
  }),
});
export type BackupInstanceResource = z.infer<typeof BackupInstanceResourceSchema>;

const TaggingCriteriaSchema = z.looseObject({
  isDefault: z.boolean().optional(),
  tagInfo: z.looseObject({ tagName: z.string() }).optional(),
});
const PolicyRuleSchema = z.looseObject({
  objectType: z.string(),
  name: z.string(),
  trigger: z.looseObject({ objectType: z.string(), taggingCriteria: z.array(TaggingCriteriaSchema).optional() }).optional(),
});
export type PolicyRule = z.infer<typeof PolicyRuleSchema>;

const BackupPolicyResourceSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  properties: z.looseObject({ datasourceTypes: z.array(z.string()).optional(), policyRules: z.array(PolicyRuleSchema) }),
});
export type BackupPolicyResource = z.infer<typeof BackupPolicyResourceSchema>;

/** The body we send (AdHocBackupRuleOptions); never parsed, so a plain type rather than a schema. */
export interface TriggerBackupRequest {
  backupRuleOptions: { ruleName: string; triggerOption: { retentionTagOverride?: string } };
}

export type DataProtectionClientOptions = ClientOptions & { endpoint?: string; apiVersion?: string };
export class DataProtectionClient {
  readonly pipeline: Pipeline;
  readonly backupInstances: {
    get: (resourceGroupName: string, vaultName: string, backupInstanceName: string, options?: OperationOptions) => Promise<BackupInstanceResource>;
    adhocBackup: (
      resourceGroupName: string,
      vaultName: string,
      backupInstanceName: string,
      parameters: TriggerBackupRequest,
      options?: OperationOptions,
    ) => PollerLike<OperationState<OperationJob>, OperationJob>;
  };
  readonly backupPolicies: {
    get: (resourceGroupName: string, vaultName: string, backupPolicyName: string, options?: OperationOptions) => Promise<BackupPolicyResource>;
  };

  constructor(credential: TokenCredential, subscriptionId: string, options: DataProtectionClientOptions = {}) {
    const endpoint = (options.endpoint ?? "https://management.azure.com").replace(/\/+$/, "");
    const apiVersion = options.apiVersion ?? DATA_PROTECTION_API_VERSION;
    const client = getClient(endpoint, credential, {
      ...options,
      endpoint,
      apiVersion,
      credentials: { scopes: options.credentials?.scopes ?? [`${endpoint}/.default`] },
    });
    this.pipeline = client.pipeline;
    const vaultPath = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.DataProtection/backupVaults/{vaultName}";
    const query = { "api-version": apiVersion };

    this.backupInstances = {
      get: async (resourceGroupName, vaultName, backupInstanceName, operationOptions = {}) => {
        const response = await client
          .path(`${vaultPath}/backupInstances/{backupInstanceName}`, subscriptionId, resourceGroupName, vaultName, backupInstanceName)
          .get({ ...requestOptions(operationOptions), queryParameters: query });
        return parseBody(expectStatus(response, ["200"]), BackupInstanceResourceSchema, `backup instance ${backupInstanceName}`);
      },
      adhocBackup: (resourceGroupName, vaultName, backupInstanceName, parameters, adhocOptions = {}) =>
        armOperation({
          endpoint,
          sendInitial: async () => {
            const response = await client
              .path(`${vaultPath}/backupInstances/{backupInstanceName}/backup`, subscriptionId, resourceGroupName, vaultName, backupInstanceName)
              .post({ ...requestOptions(adhocOptions), queryParameters: query, body: parameters });
            return toAnswer(expectStatus(response, ["200", "202"]));
          },
          get: async (url) => toAnswer(await client.pathUnchecked(url).get(requestOptions(adhocOptions))),
        }),
    };

    this.backupPolicies = {
      get: async (resourceGroupName, vaultName, backupPolicyName, operationOptions = {}) => {
        const response = await client
          .path(`${vaultPath}/backupPolicies/{backupPolicyName}`, subscriptionId, resourceGroupName, vaultName, backupPolicyName)
          .get({ ...requestOptions(operationOptions), queryParameters: query });
        return parseBody(expectStatus(response, ["200"]), BackupPolicyResourceSchema, `backup policy ${backupPolicyName}`);
      },
    };
  }
}

function requestOptions(options: OperationOptions): { abortSignal?: OperationOptions["abortSignal"]; onResponse?: OperationOptions["onResponse"] } {
  return { abortSignal: options.abortSignal, onResponse: options.onResponse };
}

/** A REST-level client returns every status; anything unexpected becomes a RestError with ARM's code and message. */
function expectStatus(response: PathUncheckedResponse, expected: readonly string[]): PathUncheckedResponse {
  if (!expected.includes(response.status)) throw createRestError(response);
  return response;
}

function parseBody<T>(response: PathUncheckedResponse, schema: z.ZodType<T>, what: string): T {
  const parsed = schema.safeParse(response.body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RetryBackupsError("UnexpectedResponse", `ARM's answer for ${what} lacks ${issue?.path.join(".") || "a body"}; the API may have changed`);
  }
  return parsed.data;
}

function toAnswer(response: PathUncheckedResponse): ArmAnswer {
  return { status: Number(response.status), headers: response.headers, body: response.body, request: { method: response.request.method, url: response.request.url } };
}
