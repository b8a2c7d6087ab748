// The local ARM, driven by the real SDK clients and the real managed-identity flow.
// MSAL picks the identity source once per process, so one emulator serves the whole file: reset() between tests.
import http from "node:http";
import https from "node:https";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManagedIdentityCredential } from "@azure/identity";
import { ResourceGraphClient } from "@azure/arm-resourcegraph";
import { RecoveryServicesBackupClient } from "@azure/arm-recoveryservicesbackup";
import { getClient } from "@azure-rest/core-client";
import type { Client, PathUncheckedResponse } from "@azure-rest/core-client";
import { createHttpPoller } from "@azure/core-lro";
import type { OperationResponse } from "@azure/core-lro";
import { isRestError } from "@azure/core-rest-pipeline";
import type { RestError } from "@azure/core-rest-pipeline";
import { dpJob, rsJob, startEmulator } from "../../emulator/index.ts";
import type { Emulator } from "../../emulator/index.ts";
import { demoEstate, seedEstate } from "../../emulator/estate.ts";

const SUB_A = "11111111-1111-4111-8111-111111111111";
const SUB_B = "22222222-2222-4222-8222-222222222222";
const RG = "rg-backup";
const VAULT = "rsv-test";
const VM_CONTAINER = "IaasVMContainer;iaasvmcontainerv2;rg-app;vm-web-01";
const VM_ITEM = "VM;iaasvmcontainerv2;rg-app;vm-web-01";
const SQL_CONTAINER = "VMAppContainer;Compute;rg-data;sqlvm-01";
const SQL_ITEM = "SQLDataBase;mssqlserver;sales";
const rsId = (sub: string, container: string, item: string) =>
  `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.RecoveryServices/vaults/${VAULT}/backupFabrics/Azure/protectionContainers/${container}/protectedItems/${item}`;
const VM_ID = rsId(SUB_A, VM_CONTAINER, VM_ITEM);
const SQL_ID = rsId(SUB_A, SQL_CONTAINER, SQL_ITEM);
const BV = "bv-test";
const BI = "diskrg-disk-data-01-6b1f3e2a-8c4d-4f5e-9a7b-1c2d3e4f5a6b";
const DP_ID = `/subscriptions/${SUB_A}/resourceGroups/${RG}/providers/Microsoft.DataProtection/backupVaults/${BV}/backupInstances/${BI}`;
const DP_VERSION = "2025-07-01";
const QUERY_ALL = "RecoveryServicesResources | project id";
const FAST_RETRY = { maxRetries: 3, retryDelayInMs: 5, maxRetryDelayInMs: 20 };
const days = (n: number) => new Date(Date.now() + n * 86_400_000);

let emulator: Emulator;
let credential: ManagedIdentityCredential;

beforeAll(async () => {
  emulator = await startEmulator();
  // Before any credential exists: MSAL reads these once per process.
  Object.assign(process.env, { IDENTITY_ENDPOINT: emulator.identityEndpoint, IDENTITY_HEADER: emulator.identityHeader });
  credential = new ManagedIdentityCredential();
});

afterAll(async () => {
  await emulator?.close();
});

beforeEach(() => {
  emulator.reset();
  emulator.configure({ latencyMs: 0, pollsBeforeDone: 1, retryAfterSeconds: 0, argPageSize: 1000, argQuota: { perWindow: 15, windowMs: 5000 }, writeBucket: false, tokenLifetimeSeconds: 3600, knownClientIds: undefined });
});

const graph = () => new ResourceGraphClient(credential, { endpoint: emulator.url, credentials: { scopes: [`${emulator.url}/.default`] }, tlsOptions: { ca: emulator.ca }, retryOptions: FAST_RETRY });
const backup = (sub = SUB_A, retryOptions = FAST_RETRY) =>
  new RecoveryServicesBackupClient(credential, sub, { $host: emulator.url, endpoint: emulator.url, credentialScopes: [`${emulator.url}/.default`], tlsOptions: { ca: emulator.ca }, retryOptions });
const rest = (): Client => getClient(emulator.url, credential, { credentials: { scopes: [`${emulator.url}/.default`] }, tlsOptions: { ca: emulator.ca }, retryOptions: FAST_RETRY });

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: { error?: { code?: string; message?: string }; [key: string]: unknown };
}

/** A bare request, for what the SDK would never send (no token, a bad header). */
function raw(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Raw> {
  const target = new URL(url);
  const lib = target.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(target, { method: init.method ?? "GET", headers: { "content-type": "application/json", ...init.headers }, ca: emulator.ca }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text === "" ? {} : (JSON.parse(text) as Raw["body"]) }));
    });
    req.on("error", reject);
    req.end(init.body === undefined ? undefined : JSON.stringify(init.body));
  });
}

async function msiToken(resource = emulator.url): Promise<string> {
  const res = await raw(`${emulator.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent(resource)}`, { headers: { "x-identity-header": emulator.identityHeader } });
  return String(res.body.access_token);
}

async function rejection(promise: Promise<unknown>): Promise<RestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  // The classic RS client brings its own copy of RestError, so check by shape.
  expect(isRestError(error), String(error)).toBe(true);
  return error as RestError;
}

const errorCode = (error: RestError) => (error.details as { error?: { code?: string } } | undefined)?.error?.code ?? error.code;

describe("managed identity and ARM authentication", () => {
  it("issues tokens to ManagedIdentityCredential over the App Service protocol", async () => {
    const token = await credential.getToken(`${emulator.url}/.default`);
    expect(emulator.tokens).toContain(token.token);
    const msi = emulator.requests.find((r) => r.kind === "msi");
    expect(msi?.query).toMatchObject({ "api-version": "2019-08-01", resource: emulator.url });
    expect(msi?.headers["x-identity-header"]).toBe(emulator.identityHeader);
    expect(msi?.status).toBe(200);
  });

  it("refuses a missing or wrong identity header and an unknown user-assigned identity", async () => {
    const base = `${emulator.identityEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent(emulator.url)}`;
    expect((await raw(base)).status).toBe(400);
    expect((await raw(base, { headers: { "x-identity-header": "wrong" } })).status).toBe(401);
    emulator.configure({ knownClientIds: ["aaaaaaaa-0000-4000-8000-000000000001"] });
    expect((await raw(`${base}&client_id=bbbbbbbb-0000-4000-8000-000000000002`, { headers: { "x-identity-header": emulator.identityHeader } })).status).toBe(400);
    const known = await raw(`${base}&client_id=aaaaaaaa-0000-4000-8000-000000000001`, { headers: { "x-identity-header": emulator.identityHeader } });
    expect(known.body).toMatchObject({ token_type: "Bearer", resource: emulator.url, client_id: "aaaaaaaa-0000-4000-8000-000000000001" });
    expect(typeof known.body.expires_on).toBe("string");
  });

  it("sends a user-assigned identity's client_id from ManagedIdentityCredential", async () => {
    const clientId = "cccccccc-0000-4000-8000-000000000003";
    const token = await new ManagedIdentityCredential({ clientId }).getToken(`${emulator.url}/.default`);
    expect(emulator.tokens).toContain(token.token);
    expect(emulator.requests.find((r) => r.kind === "msi")?.query.client_id).toBe(clientId);
  });

  it("answers 401 with ARM's codes and WWW-Authenticate for a missing, unknown, foreign or expired token", async () => {
    const url = `${emulator.url}/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01`;
    const body = { query: "Resources" };
    const missing = await raw(url, { method: "POST", body });
    expect(missing.status).toBe(401);
    expect(missing.body.error?.code).toBe("AuthenticationFailed");
    expect(missing.headers["www-authenticate"]).toMatch(/^Bearer /);
    const unknown = await raw(url, { method: "POST", body, headers: { authorization: "Bearer not-a-token" } });
    expect(unknown.body.error?.code).toBe("InvalidAuthenticationToken");
    const foreign = await raw(url, { method: "POST", body, headers: { authorization: `Bearer ${await msiToken("https://management.azure.com/")}` } });
    expect(foreign.body.error?.code).toBe("InvalidAuthenticationTokenAudience");
    emulator.configure({ tokenLifetimeSeconds: 0 });
    const expired = await raw(url, { method: "POST", body, headers: { authorization: `Bearer ${await msiToken()}` } });
    expect(expired.status).toBe(401);
    expect(expired.body.error?.code).toBe("ExpiredAuthenticationToken");
    emulator.configure({ tokenLifetimeSeconds: 3600 });
    const good = await raw(url, { method: "POST", body, headers: { authorization: `Bearer ${await msiToken(`${emulator.url}/`)}` } });
    expect(good.status).toBe(200);
    expect(emulator.requests.filter((r) => r.kind === "arg").map((r) => r.status)).toEqual([401, 401, 401, 401, 200]);
  });

  it("requires a known api-version", async () => {
    const token = await msiToken();
    const headers = { authorization: `Bearer ${token}` };
    const missing = await raw(`${emulator.url}/providers/Microsoft.ResourceGraph/resources`, { method: "POST", body: { query: "x" }, headers });
    expect([missing.status, missing.body.error?.code]).toEqual([400, "MissingApiVersionParameter"]);
    const unknown = await raw(`${emulator.url}${DP_ID}?api-version=2099-01-01`, { headers });
    expect([unknown.status, unknown.body.error?.code]).toEqual([400, "InvalidApiVersionParameter"]);
  });
});

describe("Resource Graph", () => {
  const QUERY = "RecoveryServicesResources | where type =~ 'microsoft.recoveryservices/vaults/backupjobs' | project id, subscriptionId, itemId = tostring(properties.backupInstanceId) | order by id asc";
  /** Failed jobs of a VM in the subscription, with ids that sort in the order made. */
  const jobs = (count: number, sub: string, from = 0) =>
    Array.from({ length: count }, (_, i) => rsJob({ itemId: rsId(sub, VM_CONTAINER, VM_ITEM), jobId: `00000000-0000-4000-8000-${String(from + i).padStart(12, "0")}` }));

  it("pages 2,500 rows with top / skipToken and sends quota headers", async () => {
    emulator.addJobs([...jobs(1500, SUB_A), ...jobs(1000, SUB_B, 1500)]);
    const client = graph();
    const remaining: (string | undefined)[] = [];
    const counts: number[] = [];
    let skipToken: string | undefined;
    for (let page = 0; page < 10; page++) {
      const response = await client.resources(
        { query: QUERY, options: { top: 1000, skipToken, resultFormat: "objectArray" } },
        { onResponse: (r) => remaining.push(r.headers.get("x-ms-user-quota-remaining") ?? undefined) },
      );
      expect(response.totalRecords).toBe(2500);
      expect(response.resultTruncated).toBe("false");
      counts.push(response.count);
      skipToken = response.skipToken;
      if (skipToken === undefined) break;
    }
    expect(counts).toEqual([1000, 1000, 500]);
    expect(remaining).toEqual(["14", "13", "12"]);
    const sent = emulator.requests.filter((r) => r.kind === "arg").map((r) => r.body as { options: Record<string, unknown> });
    expect(sent.map((b) => b.options.$top)).toEqual([1000, 1000, 1000]);
    expect(sent[0]!.options.$skipToken).toBeUndefined();
    expect(typeof sent[1]!.options.$skipToken).toBe("string");
    expect(emulator.requests.find((r) => r.kind === "arg")?.headers["x-ms-user-quota-remaining"]).toBeUndefined();
  });

  it("scopes rows to the subscriptions asked for, trims denied ones, and answers a table with no records with no rows", async () => {
    emulator.addJobs([...jobs(3, SUB_A), ...jobs(2, SUB_B, 3)]);
    const client = graph();
    expect((await client.resources({ query: QUERY, subscriptions: [SUB_B] })).totalRecords).toBe(2);
    expect((await client.resources({ query: QUERY, managementGroups: ["contoso"] })).totalRecords).toBe(5);
    emulator.denySubscription(SUB_B, "all");
    expect((await client.resources({ query: QUERY })).totalRecords).toBe(3);
    expect((await client.resources({ query: "Resources | project id" })).data).toEqual([]);
  });

  it("throttles over the per-principal quota with 429 and the quota headers", async () => {
    emulator.configure({ argQuota: { perWindow: 2, windowMs: 60_000 } });
    const client = graph();
    await client.resources({ query: QUERY });
    await client.resources({ query: QUERY });
    const error = await rejection(client.resources({ query: QUERY }));
    expect(error.statusCode).toBe(429);
    expect(error.response?.headers.get("x-ms-user-quota-remaining")).toBe("0");
    expect(error.response?.headers.get("x-ms-user-quota-resets-after")).toMatch(/^00:0[01]:\d\d$/);
  });

  it("rejects a bad $top and answers a query that does not parse like ARG", async () => {
    const client = graph();
    expect((await rejection(client.resources({ query: QUERY, options: { top: 1001 } }))).statusCode).toBe(400);
    const error = await rejection(client.resources({ query: "RecoveryServicesResources | where" }));
    expect(error.statusCode).toBe(400);
    const details = error.details as { error: { code: string; details: { code: string; additionalProperties: { line?: number } }[] } };
    expect(details.error.code).toBe("BadRequest");
    expect(details.error.details.map((d) => d.code)).toEqual(["InvalidQuery"]);
    expect(details.error.details[0]?.additionalProperties.line).toBe(1);
  });

  it("injects a truncated result and a repeated skip token", async () => {
    emulator.addJobs(jobs(30, SUB_A));
    const client = graph();
    emulator.fault({ kind: "arg", times: 1, respond: { argTruncated: true } });
    const truncated = await client.resources({ query: QUERY, options: { top: 10 } });
    expect([truncated.resultTruncated, truncated.skipToken, truncated.count]).toEqual(["true", undefined, 10]);
    const first = await client.resources({ query: QUERY, options: { top: 10 } });
    emulator.fault({ kind: "arg", respond: { argRepeatToken: true } });
    const second = await client.resources({ query: QUERY, options: { top: 10, skipToken: first.skipToken } });
    expect(second.skipToken).toBe(first.skipToken);
  });
});

describe("Recovery Services on-demand backup", () => {
  it("refuses an Azure Files recovery point kept more than 10 years, and takes one of 10 years", async () => {
    const container = "StorageContainer;Storage;rg-files;starchive01";
    const item = "AzureFileShare;archive";
    emulator.addItems([{ itemId: rsId(SUB_A, container, item) }]);
    const client = backup();
    const refused = await rejection(client.backups.trigger(VAULT, RG, "Azure", container, item, { properties: { objectType: "AzureFileShareBackupRequest", recoveryPointExpiryTimeInUTC: days(5000) } }));
    expect([refused.statusCode, errorCode(refused)]).toEqual([400, "BMSUserErrorInvalidRetentionDuration"]);
    expect(refused.message).toMatch(/at most 10 years/);
    await client.backups.trigger(VAULT, RG, "Azure", container, item, { properties: { objectType: "AzureFileShareBackupRequest", recoveryPointExpiryTimeInUTC: days(3650) } });
    expect(emulator.requests.filter((r) => r.kind === "rs.trigger").map((r) => r.status)).toEqual([400, 202]);
  });

  it("triggers through backups.trigger and follows Azure-AsyncOperation to a job id", async () => {
    emulator.addItems([{ itemId: VM_ID }]);
    const client = backup();
    let asyncOperation: string | undefined;
    let location: string | undefined;
    await client.backups.trigger(VAULT, RG, "Azure", VM_CONTAINER, VM_ITEM, { properties: { objectType: "IaasVMBackupRequest", recoveryPointExpiryTimeInUTC: days(10) } }, {
      onResponse: (r) => {
        asyncOperation = r.headers.get("azure-asyncoperation");
        location = r.headers.get("location");
      },
    });
    expect(asyncOperation).toMatch(new RegExp(`^${emulator.url}/.*/protectedItems/${VM_ITEM}/operationsStatus/[0-9a-f-]{36}\\?api-version=2023-06-01$`));
    expect(location).toContain("/operationResults/");
    const trigger = emulator.requests.find((r) => r.kind === "rs.trigger")!;
    expect(trigger.path).toContain("VM%3Biaasvmcontainerv2%3Brg-app%3Bvm-web-01");
    expect(trigger.itemId).toBe(VM_ID);
    expect(trigger.headers.authorization).toMatch(/^Bearer /);
    const operationId = new URL(asyncOperation!).pathname.split("/").pop()!;
    const first = await client.protectedItemOperationStatuses.get(VAULT, RG, "Azure", VM_CONTAINER, VM_ITEM, operationId);
    expect(first.status).toBe("InProgress");
    const done = await client.protectedItemOperationStatuses.get(VAULT, RG, "Azure", VM_CONTAINER, VM_ITEM, operationId);
    expect(done.status).toBe("Succeeded");
    expect((done.properties as { jobId?: string }).jobId).toMatch(/^[0-9a-f-]{36}$/);
    expect(emulator.requests.map((r) => r.kind)).toContain("rs.operationStatus");
  });

  it("serves the protected item and validates the request body per workload", async () => {
    emulator.addItems([{ itemId: VM_ID }, { itemId: SQL_ID }]);
    const client = backup();
    const item = await client.protectedItems.get(VAULT, RG, "Azure", SQL_CONTAINER, SQL_ITEM);
    expect(item.properties).toMatchObject({ protectedItemType: "AzureVmWorkloadSQLDatabase", workloadType: "SQLDataBase" });
    const tooShort = await rejection(
      client.backups.trigger(VAULT, RG, "Azure", SQL_CONTAINER, SQL_ITEM, { properties: { objectType: "AzureWorkloadBackupRequest", backupType: "Full", recoveryPointExpiryTimeInUTC: days(10) } }),
    );
    expect([tooShort.statusCode, tooShort.code]).toEqual([400, "BMSUserErrorInvalidRetentionDuration"]);
    const wrongType = await rejection(client.backups.trigger(VAULT, RG, "Azure", SQL_CONTAINER, SQL_ITEM, { properties: { objectType: "IaasVMBackupRequest" } }));
    expect([wrongType.statusCode, wrongType.code]).toEqual([400, "BMSUserErrorInvalidInput"]);
    await client.backups.trigger(VAULT, RG, "Azure", SQL_CONTAINER, SQL_ITEM, { properties: { objectType: "AzureWorkloadBackupRequest", backupType: "Full", recoveryPointExpiryTimeInUTC: days(46) } });
    const unknown = await rejection(client.backups.trigger(VAULT, RG, "Azure", VM_CONTAINER, "VM;iaasvmcontainerv2;rg-app;vm-gone", { properties: { objectType: "IaasVMBackupRequest" } }));
    expect([unknown.statusCode, unknown.code]).toEqual([404, "BMSUserErrorItemNotFound"]);
  });

  it("answers 403 AuthorizationFailed where the identity may only read", async () => {
    emulator.addItems([{ itemId: VM_ID }]);
    emulator.denySubscription(SUB_A);
    const client = backup();
    await client.protectedItems.get(VAULT, RG, "Azure", VM_CONTAINER, VM_ITEM);
    const error = await rejection(client.backups.trigger(VAULT, RG, "Azure", VM_CONTAINER, VM_ITEM, { properties: { objectType: "IaasVMBackupRequest" } }));
    expect(error.statusCode).toBe(403);
    expect(error.code).toBe("AuthorizationFailed");
    expect(error.message).toMatch(/^The client '[0-9a-f-]+' with object id '[0-9a-f-]+' does not have authorization to perform action 'Microsoft\.RecoveryServices\/Vaults\/backupFabrics\/protectionContainers\/protectedItems\/backup\/action' over scope '.*vm-web-01' or the scope is invalid\./);
  });

  it("says a backup is already in progress, at the trigger or in the operation", async () => {
    emulator.addItems([{ itemId: VM_ID }, { itemId: SQL_ID }]);
    emulator.setConflict(VM_ID, { on: "trigger" });
    emulator.setConflict(SQL_ID.toLowerCase(), { on: "operation" });
    emulator.configure({ pollsBeforeDone: 0 });
    const client = backup();
    const conflict = await rejection(client.backups.trigger(VAULT, RG, "Azure", VM_CONTAINER, VM_ITEM, { properties: { objectType: "IaasVMBackupRequest" } }));
    expect([conflict.statusCode, conflict.code]).toEqual([409, "UserErrorBackupOperationInProgress"]);
    let asyncOperation = "";
    await client.backups.trigger(VAULT, RG, "Azure", SQL_CONTAINER, SQL_ITEM, { properties: { objectType: "AzureWorkloadBackupRequest", backupType: "Log" } }, {
      onResponse: (r) => (asyncOperation = r.headers.get("azure-asyncoperation") ?? ""),
    });
    const status = await client.protectedItemOperationStatuses.get(VAULT, RG, "Azure", SQL_CONTAINER, SQL_ITEM, new URL(asyncOperation).pathname.split("/").pop()!);
    expect(status.status).toBe("Failed");
    expect(status.error?.code).toBe("UserErrorBackupOperationInProgress");
  });

  it("throttles writes per subscription with a token bucket", async () => {
    emulator.addItems([{ itemId: VM_ID }]);
    emulator.configure({ writeBucket: { burst: 1, refillPerSecond: 0.01 } });
    const client = backup(SUB_A, { maxRetries: 0, retryDelayInMs: 5, maxRetryDelayInMs: 20 });
    const body = { properties: { objectType: "IaasVMBackupRequest" as const } };
    await client.backups.trigger(VAULT, RG, "Azure", VM_CONTAINER, VM_ITEM, body);
    const error = await rejection(client.backups.trigger(VAULT, RG, "Azure", VM_CONTAINER, VM_ITEM, body));
    expect([error.statusCode, error.code]).toEqual([429, "SubscriptionRequestsThrottled"]);
    expect(Number(error.response?.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(error.response?.headers.get("x-ms-ratelimit-remaining-subscription-writes")).toBe("0");
  });
});

describe("Data Protection ad-hoc backup", () => {
  const instancePath = `/subscriptions/${SUB_A}/resourceGroups/${RG}/providers/Microsoft.DataProtection/backupVaults/${BV}/backupInstances/${BI}`;
  const toLro = (res: PathUncheckedResponse): OperationResponse => ({
    flatResponse: res.body,
    rawResponse: { statusCode: Number(res.status), headers: res.headers as Record<string, string>, request: { method: res.request.method, url: res.request.url }, body: res.body },
  });

  async function adhocBackup(client: Client, ruleName: string, retentionTagOverride?: string) {
    const initial = await client.pathUnchecked(`${instancePath}/backup`).post({ queryParameters: { "api-version": DP_VERSION }, body: { backupRuleOptions: { ruleName, triggerOption: { retentionTagOverride } } } });
    if (initial.status !== "202") return { initial };
    const poller = createHttpPoller<{ jobId?: string }, never>(
      { sendInitialRequest: async () => toLro(initial), sendPollRequest: async (url) => toLro(await client.pathUnchecked(url).get()) },
      { resourceLocationConfig: "location", intervalInMs: 0 },
    );
    return { initial, result: poller.pollUntilDone() };
  }

  it("reads the instance and its policy, triggers, and the core-lro poller ends with the job id", async () => {
    emulator.addItems([{ itemId: DP_ID }]);
    const client = rest();
    const instance = await client.pathUnchecked(instancePath).get({ queryParameters: { "api-version": DP_VERSION } });
    const properties = (instance.body as { properties: { policyInfo: { policyId: string }; dataSourceInfo: { datasourceType: string } } }).properties;
    expect(properties.dataSourceInfo.datasourceType).toBe("Microsoft.Compute/disks");
    expect(properties.policyInfo.policyId).toMatch(/\/backupPolicies\/bv-test-policy$/);
    const policy = await client.pathUnchecked(properties.policyInfo.policyId).get({ queryParameters: { "api-version": DP_VERSION } });
    const rule = (policy.body as { properties: { policyRules: { objectType: string; name: string; trigger?: { taggingCriteria: { isDefault: boolean; tagInfo: { tagName: string } }[] } }[] } }).properties.policyRules.find((r) => r.objectType === "AzureBackupRule")!;
    expect(rule.name).toBe("BackupHourly");
    expect(rule.trigger?.taggingCriteria.find((t) => t.isDefault)?.tagInfo.tagName).toBe("Default");
    const { initial, result } = await adhocBackup(client, rule.name, "Default");
    expect(initial.headers["azure-asyncoperation"]).toContain(`/backupVaults/${BV}/operationStatus/`);
    expect(initial.headers.location).toContain(`/backupInstances/${BI}/operationResults/`);
    expect(initial.headers["retry-after"]).toBe("0");
    expect((await result)?.jobId).toMatch(/^[0-9a-f-]{36}$/);
    const kinds = emulator.requests.filter((r) => r.kind !== "msi").map((r) => r.kind);
    expect(kinds).toEqual(["dp.instance", "dp.policy", "dp.trigger", "dp.operationStatus", "dp.operationStatus", "dp.operationResult"]);
    expect(emulator.requests.filter((r) => r.kind.startsWith("dp.operation")).every((r) => r.itemId === DP_ID)).toBe(true);
  });

  it("rejects an unknown rule or tag and fails the operation when the limit of concurrent backups is reached", async () => {
    // The job's rule and tag join the instance's policy, next to the default rule.
    emulator.addJobs([dpJob({ itemId: DP_ID, ruleName: "BackupDaily", retentionTag: "Weekly" })]);
    const client = rest();
    expect((await adhocBackup(client, "BackupMonthly")).initial.body).toMatchObject({ error: { code: "UserErrorInvalidRuleName" } });
    expect((await adhocBackup(client, "BackupHourly", "Yearly")).initial.body).toMatchObject({ error: { code: "UserErrorInvalidRetentionTag" } });
    const learnt = await adhocBackup(client, "BackupDaily", "Weekly");
    expect(learnt.initial.status).toBe("202");
    expect((await learnt.result)?.jobId).toBeDefined();
    emulator.setConflict(DP_ID, { on: "operation" });
    const failed = await adhocBackup(client, "BackupHourly");
    await expect(failed.result).rejects.toThrow(/UserErrorMaxConcurrentOperationLimitReached/);
  });
});

describe("fault injection", () => {
  it("retries a 503 and a reset connection, in the order added, honouring skip and times", async () => {
    emulator.addItems([{ itemId: VM_ID }]);
    emulator.fault({ kind: "rs.item", times: 1, respond: { status: 503 } });
    emulator.fault({ kind: "rs.item", skip: 1, times: 1, respond: { reset: true } });
    const client = backup();
    await client.protectedItems.get(VAULT, RG, "Azure", VM_CONTAINER, VM_ITEM);
    expect(emulator.requests.filter((r) => r.kind === "rs.item").map((r) => r.status)).toEqual([503, 0, 200]);
  });

  it("retries a 429 with Retry-After and gives up on one without", async () => {
    emulator.fault({ kind: "arg", times: 1, respond: { status: 429, headers: { "retry-after": "0" } } });
    const client = graph();
    await client.resources({ query: QUERY_ALL });
    emulator.fault({ kind: "arg", times: 1, respond: { status: 429 } });
    const error = await rejection(client.resources({ query: QUERY_ALL }));
    expect([error.statusCode, errorCode(error)]).toEqual([429, "TooManyRequests"]);
    expect(emulator.requests.filter((r) => r.kind === "arg").map((r) => r.status)).toEqual([429, 200, 429]);
  });

  it("delays, drops the async headers, and keeps an operation running forever", async () => {
    emulator.addItems([{ itemId: VM_ID }]);
    emulator.fault({ subscriptionId: SUB_A, times: 1, respond: { delayMs: 20 } });
    emulator.fault({ kind: "rs.trigger", times: 1, respond: { noAsyncHeaders: true } });
    emulator.fault({ itemId: VM_ID.toUpperCase(), pathIncludes: "/backup", times: 1, skip: 1, respond: { neverFinishes: true } });
    const client = backup();
    const body = { properties: { objectType: "IaasVMBackupRequest" as const } };
    let headers: (string | undefined)[] = [];
    await client.backups.trigger(VAULT, RG, "Azure", VM_CONTAINER, VM_ITEM, body, { onResponse: (r) => (headers = [r.headers.get("azure-asyncoperation"), r.headers.get("location")]) });
    expect(headers).toEqual([undefined, undefined]);
    let asyncOperation = "";
    await client.backups.trigger(VAULT, RG, "Azure", VM_CONTAINER, VM_ITEM, body, { onResponse: (r) => (asyncOperation = r.headers.get("azure-asyncoperation") ?? "") });
    const operationId = new URL(asyncOperation).pathname.split("/").pop()!;
    for (let i = 0; i < 3; i++) {
      expect((await client.protectedItemOperationStatuses.get(VAULT, RG, "Azure", VM_CONTAINER, VM_ITEM, operationId)).status).toBe("InProgress");
    }
  });
});

describe("demo estate", () => {
  it("seeds job histories of both vault kinds, with every workload, a busy item and a read-only subscription", async () => {
    const estate = demoEstate();
    seedEstate(emulator, estate);
    const client = graph();
    const jobsOf = async (type: string) =>
      (await client.resources({ query: `RecoveryServicesResources | where type =~ '${type}' | project id, itemId = tostring(properties.backupInstanceId) | order by id asc` })).data as { itemId: string }[];
    const rsRows = await jobsOf("microsoft.recoveryservices/vaults/backupjobs");
    const dpRows = await jobsOf("microsoft.dataprotection/backupvaults/backupjobs");
    expect(rsRows.length + dpRows.length).toBe(estate.jobs.length);
    expect(new Set(dpRows.map((r) => r.itemId.toLowerCase())).size).toBe(4);
    expect(estate.subscriptions.length).toBeGreaterThanOrEqual(3);
    expect(estate.cases.every((c) => estate.jobs.some((j) => String(j.properties.backupInstanceId).toLowerCase() === c.itemId.toLowerCase()))).toBe(true);
    const names = rsRows.map((r) => r.itemId.split("/").pop()!.split(";")[0]!.toLowerCase());
    expect(new Set(names)).toEqual(new Set(["vm", "sqldatabase", "saphanadatabase", "azurefileshare"]));
    const busy = estate.busy[0]!;
    const parts = busy.split("/");
    const busyError = await rejection(backup(parts[2]).backups.trigger(parts[8]!, parts[4]!, "Azure", parts[12]!, parts[14]!, { properties: { objectType: "IaasVMBackupRequest" } }));
    expect(busyError.statusCode).toBe(409);
  });
});
