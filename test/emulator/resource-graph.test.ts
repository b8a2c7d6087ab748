// The emulator's Resource Graph over the wire, with the real ResourceGraphClient: evaluated queries over job
// records, Resource Graph's refusals and error shape, paging, scope and RBAC trimming.
import { ResourceGraphClient } from "@azure/arm-resourcegraph";
import type { QueryRequest } from "@azure/arm-resourcegraph";
import { isRestError } from "@azure/core-rest-pipeline";
import type { RestError } from "@azure/core-rest-pipeline";
import { describe, expect, it } from "vitest";
import { rsJob } from "../../emulator/index.ts";
import { items, SUBS, useHarness } from "../support/harness.ts";

const h = useHarness({}, (harness) => harness.emulator.configure({ argQuota: false, argPageSize: 1000 }));

const graph = () =>
  new ResourceGraphClient(h.credential, { endpoint: h.emulator.url, credentials: { scopes: [`${h.emulator.url}/.default`] }, tlsOptions: { ca: h.emulator.ca }, retryOptions: { maxRetries: 0 } });

const hoursAgo = (n: number) => new Date(Date.now() - n * 3_600_000);

async function refusal(query: string): Promise<{ status: number | undefined; body: { error: { code: string; message: string; details: { code: string; message: string; additionalProperties?: Record<string, unknown> }[] } } }> {
  const error = await graph()
    .resources({ query })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(isRestError(error), `expected a refusal of: ${query}`).toBe(true);
  const rest = error as RestError;
  return { status: rest.statusCode, body: rest.details as never };
}

/** `n` failed VM backup jobs, one per item, in the subscription. */
function vmJobs(n: number, sub: string = SUBS.a) {
  return Array.from({ length: n }, (_, i) => rsJob({ itemId: items.vm(sub, `vm-${String(i).padStart(5, "0")}`), startTime: hoursAgo(1 + (i % 20)), jobId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}` }));
}

const JOBS = "RecoveryServicesResources | where type =~ 'microsoft.recoveryservices/vaults/backupjobs'";

describe("what Resource Graph refuses: 400 BadRequest, details[].code InvalidQuery, the construct named", () => {
  it.each([
    ["a let statement", "let lookback = 24h;\nRecoveryServicesResources | where todatetime(properties.startTime) > ago(lookback)", /`let` statement/],
    ["a set statement", "set querytrace;\nRecoveryServicesResources", /`set` statement/],
    ["mv-apply", "RecoveryServicesResources | mv-apply e = properties.errorDetails on (take 1)", /`mv-apply` operator/],
    ["lookup", "RecoveryServicesResources | lookup (Resources) on id", /`lookup` operator/],
    ["project-rename", "RecoveryServicesResources | project-rename jobId = id", /`project-rename` operator/],
    ["print", "print 1", /`print` operator/],
    ["datatable", "datatable(a:long)[1] | union RecoveryServicesResources", /`datatable`/],
    ["a fourth join", `${JOBS} | join (RecoveryServicesResources) on id | join (RecoveryServicesResources) on id | join (RecoveryServicesResources) on id | join (RecoveryServicesResources) on id`, /at most 3 `join`.*join number 4/],
    ["a third mv-expand", `${JOBS} | mv-expand a = properties.errorDetails | mv-expand b = properties.errorDetails | mv-expand c = properties.errorDetails`, /at most 2 `mv-expand`.*number 3/],
    ["an mv-expand limit over 400", `${JOBS} | mv-expand e = properties.errorDetails limit 401`, /row limit is at most 400/],
    ["four union legs", "RecoveryServicesResources | union Resources, ResourceContainers, (RecoveryServicesResources | where name == 'x')", /at most 3 `union` legs; this union has 4/],
    ["a join flavor Resource Graph lacks", `${JOBS} | join kind=leftanti (RecoveryServicesResources) on id`, /join kind=leftanti/],
    ["a second cross-table join", "RecoveryServicesResources | join (Resources) on id | join (ResourceContainers) on id", /one cross-table join/],
    ["an unknown column (Kusto's binder)", `${JOBS} | project itemId`, /'itemId' does not refer to any known column.*KS142/],
    ["a syntax error", `${JOBS} | where`, /KS\d+/],
  ])("%s", async (_name, query, construct) => {
    const { status, body } = await refusal(query);
    expect(status).toBe(400);
    expect(body.error.code).toBe("BadRequest");
    expect(body.error.message).toMatch(/correlationId/);
    expect(body.error.details.map((d) => d.code)).toEqual(["InvalidQuery"]);
    expect(body.error.details[0]?.message).toMatch(construct);
    expect(body.error.details[0]?.additionalProperties?.line).toEqual(expect.any(Number));
  });

  it("what the emulator does not implement is refused the same way, never guessed", async () => {
    const percentile = await refusal(`${JOBS} | summarize percentile(todouble(properties.duration), 50)`);
    expect(percentile.body.error.details[0]?.message).toMatch(/the function `percentile\(\)` is not implemented by the emulator's Resource Graph/);
    const flags = await refusal(`${JOBS} | where name matches regex "a(?i)b"`);
    expect(flags.body.error.details[0]?.message).toMatch(/regular expression uses flags set in the middle/);
  });
});

describe("evaluated queries, paged like Resource Graph", () => {
  it("pages 2,500 evaluated rows with $top and $skipToken, in order, every row once", async () => {
    h.emulator.addJobs(vmJobs(2500));
    const client = graph();
    const ids: string[] = [];
    const counts: number[] = [];
    let skipToken: string | undefined;
    do {
      const response = await client.resources({ query: `${JOBS} | project id, itemId = tostring(properties.backupInstanceId) | order by id asc`, options: { top: 1000, skipToken } });
      expect([response.totalRecords, response.resultTruncated]).toEqual([2500, "false"]);
      counts.push(response.count);
      for (const row of response.data as { id: string }[]) ids.push(row.id);
      skipToken = response.skipToken;
    } while (skipToken !== undefined);
    expect(counts).toEqual([1000, 1000, 500]);
    expect(new Set(ids).size).toBe(2500);
    expect(ids).toEqual([...ids].sort());
    expect(h.emulator.requests.filter((r) => r.kind === "arg").every((r) => r.status === 200)).toBe(true);
  });

  it("later pages read the evaluation of the first, even when a job is added in between", async () => {
    h.emulator.addJobs(vmJobs(1500));
    const client = graph();
    const query = `${JOBS} | project id | order by id asc`;
    const first = await client.resources({ query, options: { top: 1000 } });
    h.emulator.addJobs([rsJob({ itemId: items.vm(SUBS.a, "vm-00000-added-later") })]);
    const second = await client.resources({ query, options: { top: 1000, skipToken: first.skipToken } });
    expect([second.totalRecords, second.count, second.skipToken]).toEqual([1500, 500, undefined]);
    expect((await client.resources({ query })).totalRecords).toBe(1501);
  });

  it("a token belongs to its query and scope", async () => {
    h.emulator.addJobs(vmJobs(1200));
    const client = graph();
    const first = await client.resources({ query: `${JOBS} | project id`, options: { top: 1000 } });
    const other = await client.resources({ query: `${JOBS} | project id, name`, options: { top: 1000, skipToken: first.skipToken } }).then(
      () => undefined,
      (e: unknown) => e as RestError,
    );
    expect(other?.statusCode).toBe(400);
    expect((other?.details as { error: { details: { code: string }[] } }).error.details[0]?.code).toBe("InvalidSkipToken");
  });

  it("without id, or with take, a longer result is cut: resultTruncated and no $skipToken", async () => {
    h.emulator.addJobs(vmJobs(1100));
    const client = graph();
    const noId = await client.resources({ query: `${JOBS} | project name`, options: { top: 1000 } });
    expect([noId.count, noId.resultTruncated, noId.skipToken]).toEqual([1000, "true", undefined]);
    const taken = await client.resources({ query: `${JOBS} | project id | take 1050`, options: { top: 1000 } });
    expect([taken.count, taken.resultTruncated, taken.skipToken]).toEqual([1000, "true", undefined]);
  });

  it("answers the table format with the evaluated columns' types", async () => {
    h.emulator.addJobs(vmJobs(3));
    const response = await graph().resources({ query: `${JOBS} | project id, startedAt = todatetime(properties.startTime), attempts = 1, failed = true | order by id asc`, options: { resultFormat: "table" } });
    const data = response.data as { columns: { name: string; type: string }[]; rows: unknown[][] };
    expect(data.columns).toEqual([
      { name: "id", type: "string" },
      { name: "startedAt", type: "datetime" },
      { name: "attempts", type: "integer" },
      { name: "failed", type: "boolean" },
    ]);
    expect(data.rows).toHaveLength(3);
    expect(data.rows[0]?.[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
  });

  it("records how long the evaluation took, for the benchmark", async () => {
    h.emulator.addJobs(vmJobs(10));
    await graph().resources({ query: `${JOBS} | summarize count() by tostring(properties.status)` });
    const request = h.emulator.requests.find((r) => r.kind === "arg");
    expect(request?.evaluationMs).toEqual(expect.any(Number));
  });

  it("a query that starts with an operator reads Resources, the default table", async () => {
    h.emulator.addJobs(vmJobs(2));
    const response = await graph().resources({ query: "where name contains 'test' | project id, name, type, location" });
    expect([response.totalRecords, response.data]).toEqual([0, []]);
  });
});

describe("scope and RBAC trimming of the records a query reads", () => {
  const countQuery = `${JOBS} | summarize jobs = count() | extend id = ''`;
  const count = async (request: Partial<QueryRequest> = {}) => ((await graph().resources({ query: countQuery, ...request })).data as { jobs: number }[])[0]?.jobs;

  it("a job belongs to the subscription of its id; the query sees only the subscriptions asked for", async () => {
    h.emulator.addJobs([...vmJobs(3, SUBS.a), ...vmJobs(2, SUBS.b)]);
    expect(await count()).toBe(5);
    expect(await count({ subscriptions: [SUBS.b] })).toBe(2);
    expect(await count({ subscriptions: [SUBS.a.toUpperCase()] })).toBe(3);
  });

  it("a subscription denied to the identity is trimmed before the query runs", async () => {
    h.emulator.addJobs([...vmJobs(3, SUBS.a), ...vmJobs(2, SUBS.b)]);
    h.emulator.denySubscription(SUBS.b, "all");
    expect(await count()).toBe(3);
    h.emulator.denySubscription(SUBS.a, "write");
    expect(await count()).toBe(3);
  });
});

describe("ids compare case-insensitively", () => {
  it("a record with the id of one already held, in another case, replaces it", async () => {
    const job = rsJob({ itemId: items.vm(SUBS.a, "vm-web-01"), status: "Failed", jobId: "0b7c1d2e-3f40-4a51-8b62-7c83d94e05f1" });
    h.emulator.addJobs([job, { ...job, id: job.id.toLowerCase(), properties: { ...job.properties, status: "Completed" } }]);
    const rows = (await graph().resources({ query: `${JOBS} | project id, status = tostring(properties.status)` })).data as { id: string; status: string }[];
    expect(rows).toEqual([{ id: job.id.toLowerCase(), status: "Completed" }]);
  });

  it("a job for an item the vaults do not know registers it, whatever the case its id is written in", async () => {
    const item = items.vm(SUBS.a, "vm-app-02");
    h.emulator.addJobs([rsJob({ itemId: item.toLowerCase() }), rsJob({ itemId: item })]);
    const token = await h.credential.getToken(`${h.emulator.url}/.default`);
    const response = await fetchItem(item, token?.token ?? "");
    expect(response.status).toBe(200);
  });
});

/** GET the protected item as the product would. */
async function fetchItem(itemId: string, token: string): Promise<{ status: number }> {
  const { request } = await import("node:https");
  const url = new URL(`${h.emulator.url}${encodeURI(itemId).replace(/;/g, "%3B")}?api-version=2023-06-01`);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", headers: { authorization: `Bearer ${token}` }, ca: h.emulator.ca }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on("error", reject);
    req.end();
  });
}
