import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, it } from "vitest";
import { createCredential } from "../../src/azure/credential.ts";
import { startHarness, items, row, SUBS, type Harness } from "../support/harness.ts";

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.close(); });
beforeEach(async () => { await h.reset(); });

const cases: [string, object][] = [
  ["reset", { reset: true }],
  ["503", { status: 503 }],
  ["500", { status: 500 }],
  ["html", { status: 200, body: "<html>oops</html>", headers: { "content-type": "text/html" } }],
  ["empty json", { status: 200, body: {} }],
  ["bad token type", { status: 200, body: { access_token: 42, expires_on: "x" } }],
  ["bad expiry", { status: 200, body: { access_token: "abc", expires_on: "soon", token_type: "Bearer" } }],
  ["expired", { tokenExpiresInSeconds: -60 }],
  ["slow", { delayMs: 1500 }],
];
for (const [name, respond] of cases) {
  it(name, async () => {
    await h.query("q1", [row(SUBS.a, items.vm(SUBS.a, "vm-1"))]);
    await h.query("q2", [row(SUBS.a, items.vm(SUBS.a, "vm-2"))]);
    h.emulator.fault({ kind: "msi", respond: respond as never });
    const credential = createCredential({ kind: "managedIdentity", clientId: randomUUID() });
    const t = Date.now();
    const { report, logs } = await h.run({ credential });
    console.log(name, Date.now() - t, "ms", JSON.stringify(report.queries), JSON.stringify(report.totals), h.emulator.requests.map((r) => `${r.kind}:${r.status}`).join(","));
    void logs;
  }, 60_000);
}
