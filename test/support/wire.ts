// What the tests of the wire assert on: the emulator's request log and the report.
import { expect } from "vitest";
import type { Emulator, RecordedRequest } from "../../emulator/index.ts";
import type { Report } from "../../src/core/index.ts";
import { accountingHolds } from "../../src/report/index.ts";

const GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const NAME = "[A-Za-z0-9][A-Za-z0-9._()-]*";
const BACKUP_NAME = "[A-Za-z0-9][A-Za-z0-9;._()$@ -]*";
const RG = `/subscriptions/${GUID}/resourceGroups/${NAME}/providers`;
const RS_ITEM = `${RG}/Microsoft\\.RecoveryServices/vaults/${NAME}/backupFabrics/Azure/protectionContainers/${BACKUP_NAME}/protectedItems/${BACKUP_NAME}`;
const DP_VAULT = `${RG}/Microsoft\\.DataProtection/backupVaults/${NAME}`;
const OPERATION = "[A-Za-z0-9=+_-]+";

/** Every request the product may send, by kind: anything else on the wire is a request it must never make. */
const ALLOWED: Partial<Record<RecordedRequest["kind"], RegExp>> = {
  msi: /^\/msi\/token$/,
  arg: /^\/providers\/Microsoft\.ResourceGraph\/resources$/,
  "rs.trigger": new RegExp(`^${RS_ITEM}/backup$`, "i"),
  "rs.operationStatus": new RegExp(`^${RS_ITEM}/operationsStatus/${OPERATION}$`, "i"),
  "rs.operationResult": new RegExp(`^${RS_ITEM}/operationResults/${OPERATION}$`, "i"),
  "dp.instance": new RegExp(`^${DP_VAULT}/backupInstances/${NAME}$`, "i"),
  "dp.policy": new RegExp(`^${DP_VAULT}/backupPolicies/${NAME}$`, "i"),
  "dp.trigger": new RegExp(`^${DP_VAULT}/backupInstances/${NAME}/backup$`, "i"),
  "dp.operationStatus": new RegExp(`^${DP_VAULT}/operationStatus/${OPERATION}$`, "i"),
  "dp.operationResult": new RegExp(`^${RG}/Microsoft\\.DataProtection/backupInstances/${NAME}/operationResults/${OPERATION}$`, "i"),
};

/** Requests whose decoded path is not one of the shapes above (or whose kind the product never asks for). */
export function outsideAllowedShapes(requests: readonly RecordedRequest[]): string[] {
  return requests
    .filter((r) => {
      const shape = ALLOWED[r.kind];
      let path: string;
      try {
        path = decodeURIComponent(r.path);
      } catch {
        return true;
      }
      return shape === undefined || !shape.test(path) || /[?#\\]|\/\.\.?\//.test(path);
    })
    .map((r) => `${r.method} ${r.path} (${r.kind})`);
}

export const isTrigger = (r: RecordedRequest): boolean => r.kind === "rs.trigger" || r.kind === "dp.trigger";

/** Triggers the service accepted (202, even when the answer was then cut off), counted per lower-cased item id. */
export function acceptedTriggers(emulator: Emulator): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of emulator.requests) {
    if (!isTrigger(r) || (r.status !== 202 && r.status !== 200) || r.itemId === undefined) continue;
    const key = r.itemId.toLowerCase();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The accounting rule, stated again by hand, and the exit code the CLI would give. */
export function expectAccounted(report: Report): void {
  expect(accountingHolds(report)).toBe(true);
  expect(report.totals.rows).toBe(report.queries.reduce((n, q) => n + q.rows, 0));
  expect(report.actions.reduce((n, a) => n + a.sourceRows.length, 0) + report.invalid.length).toBe(report.totals.rows);
  expect(new Set(report.actions.map((a) => a.itemId.toLowerCase())).size).toBe(report.actions.length);
}

export function expectedExitCode(report: Report): 0 | 1 {
  return report.actions.some((a) => a.outcome === "failed") || report.queries.some((q) => q.error !== undefined) ? 1 : 0;
}

/** ARM requests (everything but the identity endpoint). */
export const armRequests = (emulator: Emulator): RecordedRequest[] => emulator.requests.filter((r) => r.kind !== "msi");

/** Distinct bearer tokens that reached ARM, in first-use order. */
export function bearerTokens(emulator: Emulator): string[] {
  return [...new Set(armRequests(emulator).map((r) => /^Bearer (\S+)$/.exec(r.headers.authorization ?? "")?.[1]).filter((t): t is string => t !== undefined))];
}

/** The exp claim (epoch seconds) of one of the emulator's JWT-shaped tokens. */
export function expiryOf(token: string): number {
  const payload = token.split(".")[1] ?? "";
  return (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp: number }).exp;
}

/** No issued token, no identity header, no unredacted bearer value, no Authorization header anywhere in the texts. */
export function expectNoSecrets(emulator: Emulator, texts: readonly string[]): void {
  expect(emulator.tokens.length).toBeGreaterThan(0);
  for (const text of texts) {
    for (const token of emulator.tokens) expect(text).not.toContain(token);
    // A token's signature alone is secret enough to look for: it is what a truncated echo would keep.
    for (const token of emulator.tokens) expect(text).not.toContain(token.split(".")[2]);
    expect(text).not.toContain(emulator.identityHeader);
    expect(text).not.toMatch(/Bearer\s+(?!\[Redacted\])[A-Za-z0-9._~+/-]/i);
    expect(text).not.toMatch(/"authorization"\s*:\s*"(?!\[Redacted\])/i);
    expect(text).not.toMatch(/x-identity-header"?\s*[:=]\s*"?(?!\[Redacted\])[A-Za-z0-9_-]{8,}/i);
  }
}
