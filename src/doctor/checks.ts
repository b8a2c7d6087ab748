import type { ResourceGraphClient } from "@azure/arm-resourcegraph";
import { createDataProtectionClient, createRecoveryServicesClient, createResourceGraphClient, listSubscriptionPermissions, type ArmConnection } from "../azure/index.ts";
import { messageOf, parseItemId, toArmError } from "../core/index.ts";
import { loadQueries, textToSend } from "../queries/index.ts";
import type { Settings } from "../settings.ts";
import { allows } from "./permissions.ts";
import { nextFireTimes } from "./schedule.ts";

/** One line of the doctor's answer: what was checked, what was found, and when it failed, what to change. */
interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

export interface DoctorResult {
  /** 0 every check passed, 1 some failed. */
  exitCode: 0 | 1;
  checks: Check[];
}

export interface DoctorOptions {
  settings: Settings;
  arm: ArmConnection;
  /** Where "now" is, for the schedule's next fire times. */
  now?: Date;
}

/** Subscriptions whose permissions are read one by one; past it, a sample of this many, said so. */
const MAX_SUBSCRIPTIONS = 50;

// The actions a run needs on every target subscription: the names of the product's own role
// (infra/modules/retry-operator-role.json), and Resource Graph's read (Reader gives it as */read).
const REQUIRED_ACTIONS = [
  "Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/backup/action",
  "Microsoft.DataProtection/backupVaults/backupInstances/backup/action",
  "Microsoft.ResourceGraph/resources/read",
];
const ROLE_OF_ACTION: Record<string, string> = {
  "Microsoft.ResourceGraph/resources/read": "Reader",
};

const JOBS_QUERY = `RecoveryServicesResources
| where type in~ ("microsoft.recoveryservices/vaults/backupjobs", "microsoft.dataprotection/backupvaults/backupjobs")
| extend itemId = tostring(properties.backupInstanceId)
| where isnotempty(itemId)
| summarize itemId = take_any(itemId) by subscriptionId, type`;

const pass = (name: string, detail: string): Check => ({ name, ok: true, detail });
const fail = (name: string, detail: string, fix: string): Check => ({ name, ok: false, detail, fix });

/** Claims of a JWT access token's payload; never the token. */
function claimsOf(token: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function scheduleCheck(settings: Settings, now: Date): Check {
  try {
    const times = nextFireTimes(settings.schedule, now);
    if (times.kind === "interval") return pass("schedule", `"${settings.schedule}" runs every ${times.seconds} s from the host's start`);
    return pass("schedule", `"${settings.schedule}" fires next at ${times.next.map((t) => t.toISOString()).join(", ")} (UTC)`);
  } catch (error) {
    return fail("schedule", `RETRY_SCHEDULE "${settings.schedule}": ${messageOf(error)}`, 'set RETRY_SCHEDULE to six NCRONTAB fields, e.g. "0 15 * * * *"');
  }
}

function scopeOf(settings: Settings): { subscriptions?: string[]; managementGroups?: string[] } {
  if (settings.subscriptions.length > 0) return { subscriptions: settings.subscriptions };
  if (settings.managementGroups.length > 0) return { managementGroups: settings.managementGroups };
  return {};
}

async function argRows(client: ResourceGraphClient, settings: Settings, query: string, top?: number): Promise<Record<string, unknown>[]> {
  const answer = await client.resources({ query, ...scopeOf(settings), options: { resultFormat: "objectArray", top } });
  return answer.data as Record<string, unknown>[];
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorResult> {
  const { settings, arm } = options;
  const checks: Check[] = [pass("settings", "every setting is valid"), scheduleCheck(settings, options.now ?? new Date())];

  const loaded = await loadQueries({ dir: settings.queriesDir });
  checks.push(
    loaded.errors.length === 0
      ? pass("queries", `${loaded.queries.length} rule(s) load from ${settings.queriesDir}: ${loaded.queries.map((q) => q.name).join(", ")}`)
      : fail("queries", loaded.errors.map((e) => e.message).join(" "), "deploy the queries folder next to the app (RETRY_QUERIES_DIR), and fix each file named"),
  );

  let token;
  try {
    token = await arm.credential.getToken(arm.tokenScope);
    if (token === null) throw new Error("the credential returned no token");
  } catch (error) {
    // Without a token nothing else can be checked: one short line.
    const reason = (messageOf(error).split("\n")[0] ?? "").slice(0, 200);
    checks.push(fail("token", `no token for ${arm.tokenScope}: ${reason}`, "give the app a managed identity (or `az login` for the command line); set AZURE_CLIENT_ID for a user-assigned one"));
    return { exitCode: 1, checks };
  }
  const claims = claimsOf(token.token);
  checks.push(pass("token", `a token for ${arm.tokenScope}: object id ${String(claims.oid ?? "?")}, app id ${String(claims.appid ?? claims.azp ?? "?")}, tenant ${String(claims.tid ?? "?")}`));

  const graph = createResourceGraphClient(arm);
  for (const file of loaded.queries) {
    const text = textToSend(file);
    if (!text.ok) {
      checks.push(fail(`rule ${file.name}`, text.error.message, `fix ${file.path}; \`retry-failed-backups check-queries\` says more`));
      continue;
    }
    try {
      await argRows(graph, settings, text.text, 1);
      checks.push(pass(`rule ${file.name}`, "Resource Graph accepts it as sent"));
    } catch (error) {
      checks.push(fail(`rule ${file.name}`, `Resource Graph refused it: ${toArmError(error).message}`, `fix ${file.path} (\`retry-failed-backups show-query ${file.name}\` prints the text sent)`));
    }
  }

  let jobs: Record<string, unknown>[];
  try {
    jobs = await argRows(graph, settings, JOBS_QUERY);
    checks.push(pass("resource graph", `reachable; backup jobs in ${new Set(jobs.map((j) => String(j.subscriptionId))).size} subscription(s) of the scope`));
  } catch (error) {
    checks.push(fail("resource graph", `unreachable or refused: ${toArmError(error).message}`, `grant Reader on the scope (${settings.subscriptions.join(", ") || settings.managementGroups.join(", ") || "the subscriptions to sweep"}) and check AZURE_RESOURCE_MANAGER_ENDPOINT`));
    return { exitCode: 1, checks };
  }

  checks.push(...(await permissionChecks(arm, settings, jobs)));
  checks.push(...(await vaultChecks(arm, jobs)));
  return { exitCode: checks.every((c) => c.ok) ? 0 : 1, checks };
}

async function permissionChecks(arm: ArmConnection, settings: Settings, jobs: Record<string, unknown>[]): Promise<Check[]> {
  const all = [...new Set(settings.subscriptions.length > 0 ? settings.subscriptions : jobs.map((j) => String(j.subscriptionId).toLowerCase()))].sort();
  if (all.length === 0) return [pass("permissions", "no subscription in scope holds backup jobs; nothing to check")];
  // Past the bound, an even sample across the sorted list.
  const step = all.length > MAX_SUBSCRIPTIONS ? all.length / MAX_SUBSCRIPTIONS : 1;
  const chosen = all.length > MAX_SUBSCRIPTIONS ? Array.from({ length: MAX_SUBSCRIPTIONS }, (_, i) => all[Math.floor(i * step)]!) : all;
  const checks: Check[] = [];
  if (chosen.length < all.length) checks.push(pass("permissions", `${all.length} subscriptions in scope: checking a sample of ${chosen.length}`));
  for (const subscriptionId of chosen) {
    const name = `permissions ${subscriptionId}`;
    const scope = `/subscriptions/${subscriptionId}`;
    try {
      const permissions = await listSubscriptionPermissions(arm, subscriptionId);
      const missing = REQUIRED_ACTIONS.filter((action) => !allows(permissions, action));
      if (missing.length === 0) checks.push(pass(name, "may trigger both vault kinds' backups and read Resource Graph"));
      else {
        const roles = [...new Set(missing.map((a) => ROLE_OF_ACTION[a] ?? "Backup Operator (or the custom Backup Retry Operator role)"))];
        checks.push(fail(name, `missing ${missing.join(", ")}`, `assign ${roles.join(" and ")} to the app's identity on ${scope} (infra/modules/target-roles.bicep does it on \`azd provision\`)`));
      }
    } catch (error) {
      checks.push(fail(name, `could not read the permissions: ${toArmError(error).message}`, `assign Reader to the app's identity on ${scope}`));
    }
  }
  return checks;
}

/** One read per vault kind, of an item Resource Graph names, with the API version each client sends. */
async function vaultChecks(arm: ArmConnection, jobs: Record<string, unknown>[]): Promise<Check[]> {
  const checks: Check[] = [];
  for (const kind of ["recoveryServices", "dataProtection"] as const) {
    const label = kind === "recoveryServices" ? "Recovery Services vault" : "Backup vault";
    const ref = jobs.map((j) => parseItemId(String(j.itemId))).find((p) => p.ok && p.ref.kind === kind);
    if (ref === undefined || !ref.ok) {
      checks.push(pass(label, "no item of this kind in scope; not read"));
      continue;
    }
    const item = ref.ref;
    try {
      if (item.kind === "recoveryServices") await createRecoveryServicesClient(arm, item.subscriptionId).protectedItems.get(item.vaultName, item.resourceGroup, item.fabric, item.container, item.item);
      else await createDataProtectionClient(arm, item.subscriptionId).backupInstances.get(item.resourceGroup, item.vaultName, item.backupInstance);
      checks.push(pass(label, `read ${item.itemId}: its API version is accepted`));
    } catch (error) {
      checks.push(fail(label, `reading ${item.itemId} failed: ${toArmError(error).message}`, `assign Reader (or Backup Operator) on ${item.vaultId}; an InvalidApiVersionParameter means this build is too old for the cloud`));
    }
  }
  return checks;
}

/** One line per check: PASS or FAIL, what was found, and the fix. */
export function renderDoctor(result: DoctorResult): string {
  const lines = result.checks.map((c) => `${c.ok ? "PASS" : "FAIL"}  ${c.name}: ${c.detail}${c.fix === undefined ? "" : ` -> fix: ${c.fix}`}`);
  const failed = result.checks.filter((c) => !c.ok).length;
  return [...lines, failed === 0 ? `all ${result.checks.length} checks passed` : `${failed} of ${result.checks.length} checks failed`].join("\n");
}
