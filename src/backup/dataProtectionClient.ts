import type { TokenCredential } from "@azure/core-auth";
import { createRestError, getClient, type ClientOptions, type OperationOptions, type PathUncheckedResponse } from "@azure-rest/core-client";
import { createHttpPoller, type OperationResponse, type OperationState, type PollerLike } from "@azure/core-lro";
import type { Pipeline } from "@azure/core-rest-pipeline";
import { z } from "zod";
import { RetryBackupsError } from "../errors.ts";
import { OperationFailedError } from "./classify.ts";
import { onArmHost } from "./operation.ts";

/*
 * A small stand-in for @azure/arm-dataprotection (not on the reachable registry): the same client
 * shape (resource group first, `adhocBackup` returning a core-lro v3 poller of `{ jobId }`), built
 * on @azure-rest/core-client, so it can be swapped for the package by changing one import.
 */

export const DATA_PROTECTION_API_VERSION = "2025-07-01";

export const BackupInstanceResourceSchema = z.looseObject({
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

export const BackupPolicyResourceSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  properties: z.looseObject({ datasourceTypes: z.array(z.string()).optional(), policyRules: z.array(PolicyRuleSchema) }),
});
export type BackupPolicyResource = z.infer<typeof BackupPolicyResourceSchema>;

export const TriggerBackupRequestSchema = z.object({
  backupRuleOptions: z.object({
    ruleName: z.string(),
    triggerOption: z.object({ retentionTagOverride: z.string().optional() }),
  }),
});
export type TriggerBackupRequest = z.infer<typeof TriggerBackupRequestSchema>;

export const OperationJobExtendedInfoSchema = z.looseObject({ objectType: z.string().optional(), jobId: z.string().optional() });
export type OperationJobExtendedInfo = z.infer<typeof OperationJobExtendedInfoSchema>;

export type DataProtectionClientOptions = ClientOptions & { endpoint?: string; apiVersion?: string };
export type AdhocBackupOptions = OperationOptions & { updateIntervalInMs?: number };

const StatusJobSchema = z.looseObject({ properties: z.looseObject({ jobId: z.string().optional() }).nullish() });

const ErrorBodySchema = z.looseObject({
  error: z.looseObject({ code: z.string().optional(), message: z.string().optional() }).nullish(),
});

export class DataProtectionClient {
  readonly pipeline: Pipeline;
  readonly backupInstances: {
    get: (resourceGroupName: string, vaultName: string, backupInstanceName: string, options?: OperationOptions) => Promise<BackupInstanceResource>;
    adhocBackup: (
      resourceGroupName: string,
      vaultName: string,
      backupInstanceName: string,
      parameters: TriggerBackupRequest,
      options?: AdhocBackupOptions,
    ) => PollerLike<OperationState<OperationJobExtendedInfo>, OperationJobExtendedInfo>;
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
      adhocBackup: (resourceGroupName, vaultName, backupInstanceName, parameters, adhocOptions = {}) => {
        // The spec says the job id comes from the Location result; az dataprotection reads it from the
        // async-operation status. Whichever names it is used (reference/service-behaviour.md).
        let statusJobId: string | undefined;
        let locationUrl: string | undefined;
        return createHttpPoller<OperationJobExtendedInfo, OperationState<OperationJobExtendedInfo>>(
          {
            sendInitialRequest: async () => {
              const response = await client
                .path(`${vaultPath}/backupInstances/{backupInstanceName}/backup`, subscriptionId, resourceGroupName, vaultName, backupInstanceName)
                .post({ ...requestOptions(adhocOptions), queryParameters: query, body: parameters });
              locationUrl = response.headers.location;
              return toOperationResponse(expectStatus(response, ["200", "202"]));
            },
            sendPollRequest: async (url, pollOptions) => {
              // Operation URLs come from response headers: the bearer token only ever goes to the ARM host.
              if (!onArmHost(url, endpoint)) {
                throw new RetryBackupsError("UntrustedOperationUrl", `the operation URL is not on ${endpoint}; not followed, so the token stays with ARM`);
              }
              const response = await client.pathUnchecked(url).get({ ...requestOptions(adhocOptions), ...(pollOptions?.abortSignal ? { abortSignal: pollOptions.abortSignal } : {}) });
              // Read here: core-lro fetches the Location result right after the status that ended, before updateState.
              statusJobId = StatusJobSchema.safeParse(response.body).data?.properties?.jobId ?? statusJobId;
              const known = statusJobId;
              // A Location that answers no result is no loss when the status already named the job.
              if (url === locationUrl && known !== undefined && !["200", "201", "202", "204"].includes(response.status)) {
                return toOperationResponse({ ...response, status: "200", body: { objectType: "OperationJobExtendedInfo", jobId: known } });
              }
              return toOperationResponse(expectStatus(response, ["200", "201", "202", "204"]));
            },
          },
          {
            resourceLocationConfig: "location",
            ...(adhocOptions.updateIntervalInMs === undefined ? {} : { intervalInMs: adhocOptions.updateIntervalInMs }),
            processResult: async (body) => {
              const result = OperationJobExtendedInfoSchema.safeParse(body).data ?? {};
              return result.jobId === undefined && statusJobId !== undefined ? { ...result, jobId: statusJobId } : result;
            },
            // core-lro throws a plain Error for a Failed operation; keep the service's code instead.
            updateState: (state, response) => {
              if (state.status !== "failed" && state.status !== "canceled") return;
              const error = ErrorBodySchema.safeParse(response.rawResponse.body).data?.error;
              const status = state.status === "failed" ? "Failed" : "Canceled";
              state.error = new OperationFailedError(error?.code ?? `Operation${status}`, error?.message ?? `the backup operation ended ${status}`);
            },
          },
        );
      },
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
  return {
    ...(options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal }),
    ...(options.onResponse === undefined ? {} : { onResponse: options.onResponse }),
  };
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

function toOperationResponse(response: PathUncheckedResponse): OperationResponse {
  return {
    flatResponse: response.body,
    rawResponse: {
      statusCode: Number(response.status),
      request: { method: response.request.method, url: response.request.url },
      headers: response.headers,
      body: response.body,
    },
  };
}
