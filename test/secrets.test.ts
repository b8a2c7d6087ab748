// Full sweeps with debug logging, with ARM and Resource Graph answers that quote the caller's Authorization header,
// its token and the identity header back. Every captured log line, the JSON report and the rendered table are scanned
// for every token the identity endpoint issued, the IDENTITY_HEADER value and any Authorization header: none.
import { beforeAll, describe, expect, it } from "vitest";
import { type Report } from "../src/core/index.ts";
import { renderReport } from "../src/report/index.ts";
import { items, failedJob, SUBS, useHarness } from "./support/harness.ts";
import { runCli, trustEmulator } from "./support/cli-in-process.ts";
import { expectNoSecrets } from "./support/wire.ts";

// The command line polls with its production bounds: operations that finish at the first poll keep it quick.
const h = useHarness({}, (h) => h.emulator.configure({ retryAfterSeconds: 0, pollsBeforeDone: 0 }));
beforeAll(() => trustEmulator(h.emulator));

/** Words a careless service might answer with: the request's own credentials, verbatim. */
async function echoes(): Promise<string> {
  const token = (await h.credential.getToken(`${h.emulator.url}/.default`))?.token;
  if (token === undefined) throw new Error("the emulator issued no token");
  return `request headers were Authorization: Bearer ${token}; authorization=${token}; X-IDENTITY-HEADER: ${h.emulator.identityHeader}; token ${token}`;
}

/** An estate with every outcome, every error path echoing secrets, and a failed query doing the same. */
async function seedEverything(): Promise<void> {
  const echo = await echoes();
  // Rules run in name order: the first Resource Graph request is a-broken-rule's, answered with the echo.
  await h.failedJobs("a-broken-rule", []);
  h.emulator.fault({ kind: "arg", times: 1, respond: { status: 400, body: { error: { code: "BadRequest", message: echo, details: [{ code: "InvalidQuery", message: echo }] } } } });
  await h.failedJobs("b-everything", [
    failedJob(SUBS.a, items.vm(SUBS.a, "ok")),
    failedJob(SUBS.a, items.dp(SUBS.a, "disk-ok-0001")),
    failedJob(SUBS.b, items.vm(SUBS.b, "denied")),
    failedJob(SUBS.a, items.vm(SUBS.a, "echo-400")),
    failedJob(SUBS.a, items.vm(SUBS.a, "busy")),
    failedJob(SUBS.a, items.sql(SUBS.a, "echo-op")),
    failedJob(SUBS.a, items.vm(SUBS.a, "echo-poll")),
    failedJob(SUBS.a, `https://evil.example/${echo}`),
    failedJob(SUBS.c, items.vm(SUBS.c, "deferred-1")),
    failedJob(SUBS.c, items.vm(SUBS.c, "deferred-2")),
  ]);
  h.emulator.denySubscription(SUBS.b);
  h.emulator.setConflict(items.vm(SUBS.a, "busy"), { on: "trigger" });
  // A 4xx, not a 5xx: the command line retries with production backoff, and this test is about words, not waiting.
  h.emulator.fault({ kind: "rs.trigger", pathIncludes: "echo-400", respond: { status: 400, body: { error: { code: "BMSUserErrorInvalidInput", message: echo } } } });
  h.emulator.fault({ kind: "rs.operationStatus", pathIncludes: "echo-op", respond: { status: 200, body: { status: "Failed", error: { code: "UserErrorSqlNoSysadminMembership", message: echo } } } });
  h.emulator.fault({ kind: "rs.operationStatus", pathIncludes: "echo-poll", respond: { status: 400, body: { error: { code: "BadRequest", message: echo } } } });
}

function expectEveryOutcome(report: Report) {
  expect(report.queries.find((q) => q.name === "a-broken-rule")?.error?.code).toBe("BadRequest");
  expect(report.totals).toMatchObject({ triggered: 4, failed: 3, alreadyInProgress: 1, deferred: 1, invalid: 1 });
}

describe("secrets stay out of logs and reports", () => {
  it("a sweep() at debug level: no token, no IDENTITY_HEADER, no Authorization header in any log line, the report or the table", async () => {
    await seedEverything();
    const { report, logs } = await h.run({ env: { LOG_LEVEL: "debug", RETRY_MAX_PER_RUN: "8" } });

    expectEveryOutcome(report);
    expect(logs.some((l) => l.includes('"level":"debug"'))).toBe(true);
    expect(h.emulator.requests.filter((r) => r.kind !== "msi").every((r) => /^Bearer eyJ/.test(r.headers.authorization ?? ""))).toBe(true);
    expectNoSecrets(h.emulator, [...logs, JSON.stringify(report), renderReport(report)]);
    // The redaction is visible, not silent: the words around the secrets survive.
    expect(JSON.stringify(report)).toContain("X-IDENTITY-HEADER: [Redacted]");
  });

  it("the command line with LOG_LEVEL=debug: nothing secret on stdout (JSON or table) or stderr", async () => {
    await seedEverything();
    const env = { AZURE_RESOURCE_MANAGER_ENDPOINT: h.emulator.url, RETRY_QUERIES_DIR: h.queriesDir, LOG_LEVEL: "debug", RETRY_MAX_PER_RUN: "8" };
    const json = await runCli(["sweep", "--json"], env);
    expect(json.code).toBe(1);
    expectEveryOutcome(JSON.parse(json.stdout) as Report);
    h.emulator.reset();
    await seedEverything();
    const table = await runCli(["sweep"], env);
    expect(table.stdout).toMatch(/^Sweep /);

    expect(json.stderr.length).toBeGreaterThan(10);
    expectNoSecrets(h.emulator, [json.stdout, ...json.stderr, table.stdout, ...table.stderr]);
  });
});
