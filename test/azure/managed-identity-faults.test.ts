// The managed-identity endpoint misbehaving: down, slow, garbage, stale tokens, tokens expiring mid-run. Each test
// builds a fresh ManagedIdentityCredential for its own user-assigned client id, so MSAL's per-process token cache
// starts empty for it, and runs a whole sweep against the local ARM.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { FaultResponse } from "../../emulator/index.ts";
import { createCredential } from "../../src/azure/index.ts";
import { exitCodeOf } from "../../src/report/index.ts";
import { items, failedJob, useHarness, SUBS } from "../support/harness.ts";
import { acceptedTriggers, armRequests, bearerTokens, expectAccounted, expectNoSecrets, expiryOf, isTrigger } from "../support/wire.ts";

const h = useHarness({}, (t) => {
  t.emulator.configure({ tokenLifetimeSeconds: 3600, latencyMs: 0, retryAfterSeconds: 0, pollsBeforeDone: 1 });
});

/** A user-assigned identity nobody in this process has asked a token for yet. */
const freshIdentity = () => createCredential({ kind: "managedIdentity", clientId: randomUUID() });
const msiCalls = () => h.emulator.requests.filter((r) => r.kind === "msi");

async function twoVms(): Promise<string[]> {
  const ids = [items.vm(SUBS.a, "mi-vm-1"), items.vm(SUBS.b, "mi-vm-2")];
  await h.failedJobs("recovery-services", ids.map((id, i) => failedJob([SUBS.a, SUBS.b][i]!, id)));
  return ids;
}

describe("managed-identity endpoint down", () => {
  it.each<[string, FaultResponse]>([
    ["resets every connection", { reset: true }],
    ["answers 503", { status: 503 }],
  ])("when it %s, the query fails naming the managed identity, nothing reaches ARM, exit 1", async (_name, respond) => {
    await twoVms();
    h.emulator.fault({ kind: "msi", respond });
    const { report, logs } = await h.run({ credential: freshIdentity() });

    expect(report.queries).toHaveLength(1);
    expect(report.queries[0]).toMatchObject({ name: "recovery-services", rows: 0, pages: 0, error: { code: "CredentialUnavailableError" } });
    expect(report.queries[0]!.error!.message).toMatch(/^ManagedIdentityCredential: /);
    expect(report.queries[0]!.error!.message).not.toMatch(/\n|\s{2,}|\bat .+\.(ts|js):\d+/);
    expect(msiCalls().length).toBeGreaterThan(1);
    expect(armRequests(h.emulator)).toEqual([]);
    expect(report.actions).toEqual([]);
    expect(exitCodeOf(report)).toBe(1);
    expect(logs.some((l) => l.includes('"event":"query.failed"') && l.includes("recovery-services"))).toBe(true);
    expectAccounted(report);
  });

  it("comes back after two dropped connections: the identity client retries and every action triggers", async () => {
    const ids = await twoVms();
    h.emulator.fault({ kind: "msi", times: 2, respond: { reset: true } });
    const { report } = await h.run({ credential: freshIdentity() });

    expect(msiCalls().map((r) => r.status).slice(0, 3)).toEqual([0, 0, 200]);
    expect(report.queries[0]?.error).toBeUndefined();
    expect(report.totals).toMatchObject({ rows: 2, triggered: 2, failed: 0 });
    expect([...acceptedTriggers(h.emulator).keys()].sort()).toEqual(ids.map((id) => id.toLowerCase()).sort());
    expect(exitCodeOf(report)).toBe(0);
  });
});

describe("managed-identity endpoint slow", () => {
  it("takes 1.5 s per token: the run waits for it and every action triggers", async () => {
    await twoVms();
    h.emulator.fault({ kind: "msi", respond: { delayMs: 1_500 } });
    const { report } = await h.run({ credential: freshIdentity() });

    expect(report.totals).toMatchObject({ triggered: 2, failed: 0 });
    expect(report.actions.every((a) => a.jobId !== undefined)).toBe(true);
    expect(armRequests(h.emulator).every((r) => r.status !== 401)).toBe(true);
  });
});

describe("managed-identity endpoint returning garbage", () => {
  it.each<[string, FaultResponse]>([
    ["an HTML page with status 200", { status: 200, headers: { "content-type": "text/html" }, body: "<html><body>Service Unavailable</body></html>" }],
    ["an empty JSON object", { status: 200, body: {} }],
    ["a token that is a number", { status: 200, body: { access_token: 42, expires_on: "1900000000", token_type: "Bearer" } }],
    ["an expiry that is not a number", { status: 200, body: { access_token: "not-a-jwt", expires_on: "soon", token_type: "Bearer" } }],
    ["a body cut off halfway", { resetMidBody: true }],
  ])("answering %s fails the query with a one-line reason and sends no write", async (_name, respond) => {
    await twoVms();
    h.emulator.fault({ kind: "msi", respond });
    const { report, logs } = await h.run({ credential: freshIdentity() });

    const error = report.queries[0]?.error;
    expect(error?.code).toMatch(/CredentialUnavailableError|AuthenticationRequiredError|InvalidAuthenticationToken/);
    expect(error?.message).not.toMatch(/\n|\bat .+\.(ts|js):\d+/);
    expect(h.emulator.requests.filter(isTrigger)).toEqual([]);
    expect(report.actions).toEqual([]);
    expect(exitCodeOf(report)).toBe(1);
    expectAccounted(report);
    expectNoSecrets(h.emulator, [...logs, JSON.stringify(report)]);
  });
});

describe("expired tokens", () => {
  it("an already-expired token once: ARM refuses it, that query is reported failed, the next query gets a fresh token and acts", async () => {
    const stale = items.vm(SUBS.a, "mi-stale-1");
    const fresh = items.vm(SUBS.b, "mi-fresh-1");
    // Queries run in name order: "a-first" meets the stale token, "b-second" the next one.
    await h.failedJobs("a-first", [failedJob(SUBS.a, stale)]);
    await h.failedJobs("b-second", [failedJob(SUBS.b, fresh)]);
    h.emulator.fault({ kind: "msi", times: 1, respond: { tokenExpiresInSeconds: -60 } });
    const { report } = await h.run({ credential: freshIdentity() });

    const arg = h.emulator.requests.filter((r) => r.kind === "arg");
    expect(arg.map((r) => r.status)).toEqual([401, 200]);
    expect(arg[0]!.headers.authorization).not.toBe(arg[1]!.headers.authorization);
    expect(report.queries.find((q) => q.name === "a-first")?.error).toMatchObject({ code: "ExpiredAuthenticationToken", status: 401 });
    expect(report.queries.find((q) => q.name === "b-second")).toEqual({ name: "b-second", rows: 1, pages: 1 });
    expect([...acceptedTriggers(h.emulator).keys()]).toEqual([fresh.toLowerCase()]);
    expect(report.totals).toMatchObject({ triggered: 1, failed: 0 });
    expect(exitCodeOf(report)).toBe(1);
    expectAccounted(report);
  });

  it("only expired tokens: the query fails with ARM's ExpiredAuthenticationToken, and nothing is written", async () => {
    await twoVms();
    h.emulator.fault({ kind: "msi", respond: { tokenExpiresInSeconds: -60 } });
    const { report } = await h.run({ credential: freshIdentity() });

    expect(report.queries[0]?.error).toMatchObject({ code: "ExpiredAuthenticationToken", status: 401 });
    expect(report.queries[0]?.error?.message).toMatch(/expiry UTC time .* is earlier than current UTC time/);
    expect(h.emulator.requests.filter((r) => r.kind === "arg").map((r) => r.status)).toEqual([401]);
    expect(h.emulator.requests.filter(isTrigger)).toEqual([]);
    expect(exitCodeOf(report)).toBe(1);
  });

  it("tokens that live 3 s, in a run that outlives several of them: refreshed ahead of expiry, no 401, no action lost", async () => {
    const ids = Array.from({ length: 12 }, (_, i) => items.vm(SUBS.a, `mi-short-${i}`));
    await h.failedJobs("recovery-services", ids.map((id) => failedJob(SUBS.a, id)));
    h.emulator.configure({ tokenLifetimeSeconds: 3, latencyMs: 250 });
    const { report } = await h.run({ credential: freshIdentity(), env: { RETRY_CONCURRENCY: "1" } });

    const tokens = bearerTokens(h.emulator);
    expect(tokens.length).toBeGreaterThan(1);
    // The run went on past the first token's expiry: it really did expire mid-run.
    const firstExpiry = expiryOf(tokens[0]!) * 1000;
    expect(armRequests(h.emulator).some((r) => r.at > firstExpiry)).toBe(true);
    expect(armRequests(h.emulator).filter((r) => r.status === 401)).toEqual([]);
    expect(report.totals).toMatchObject({ rows: 12, triggered: 12, failed: 0 });
    expect(report.actions.every((a) => a.jobId !== undefined)).toBe(true);
    const accepted = acceptedTriggers(h.emulator);
    expect([...accepted.keys()].sort()).toEqual(ids.map((id) => id.toLowerCase()).sort());
    expect([...accepted.values()].every((n) => n === 1)).toBe(true);
  });
});

describe("identity endpoint errors stay secret", () => {
  it("an error answer that quotes the identity header and a token never reaches the report or a log line", async () => {
    await twoVms();
    const leaked = h.emulator.env();
    const token = (await freshIdentity().getToken(`${h.emulator.url}/.default`))?.token ?? "";
    expect(token).not.toBe("");
    h.emulator.fault({
      kind: "msi",
      respond: { status: 400, body: { statusCode: 400, message: `Bad request: X-IDENTITY-HEADER ${leaked.IDENTITY_HEADER} rejected; last token Bearer ${token}; raw ${token}` } },
    });
    const { report, logs } = await h.run({ credential: freshIdentity() });

    expect(report.queries[0]?.error?.message).toMatch(/Bad request: X-IDENTITY-HEADER \[Redacted\] rejected/);
    expectNoSecrets(h.emulator, [...logs, JSON.stringify(report)]);
  });
});
