/**
 * `npm start` / `retry-failed-backups demo`: the real sweep, with the real SDK clients and the real managed-identity
 * flow, against the local ARM emulator seeded with a sample estate of job histories. It joins the product and its
 * judge, so it lives outside both: src/ never imports emulator/, and emulator/ never imports src/.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { startEmulator } from "../emulator/index.ts";
import { demoEstate, describeHistory, seedEstate } from "../emulator/estate.ts";
import { connectArm, createCredential } from "../src/azure/index.ts";
import { cliLogger, printReport, type CliIo } from "../src/cli/index.ts";
import { loadSettings } from "../src/settings.ts";
import { sweep } from "../src/sweep.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const USAGE = "Usage: retry-failed-backups demo [--json] [--queries-dir DIR]\n";

export async function runDemo(args: string[], io: CliIo): Promise<number> {
  let values: { json?: boolean; "queries-dir"?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { json: { type: "boolean" }, "queries-dir": { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true }));
  } catch (error) {
    io.stderr(`retry-failed-backups demo: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    io.stdout(USAGE);
    return 0;
  }
  const json = values.json === true;
  const queriesDir = path.resolve(values["queries-dir"] ?? path.join(ROOT, "queries"));
  const emulator = await startEmulator();
  try {
    const now = new Date();
    const estate = demoEstate(now);
    seedEstate(emulator, estate);
    // The managed-identity source is chosen once per process: point it at the emulator before any credential exists.
    Object.assign(process.env, { IDENTITY_ENDPOINT: emulator.identityEndpoint, IDENTITY_HEADER: emulator.identityHeader });
    const settings = loadSettings({ ...io.env, AZURE_RESOURCE_MANAGER_ENDPOINT: emulator.url, RETRY_SUBSCRIPTIONS: "", RETRY_MANAGEMENT_GROUPS: "", RETRY_QUERIES_DIR: queriesDir, AZURE_CLIENT_ID: "" });
    if (!json) {
      io.stdout(
        `Demo: no Azure here, so this sweep runs against the embedded local ARM at ${emulator.url}: three subscriptions of backup\n` +
          `jobs, both vault kinds, every workload, judged by the rules in ${path.relative(process.cwd(), queriesDir) || "."}. Edit a tunable there and run it again.\n` +
          "For a real tenant: az login, then npx retry-failed-backups sweep --dry-run\n\n",
      );
    }
    const arm = connectArm({ credential: createCredential({ kind: "managedIdentity" }), endpoint: emulator.url, tlsCa: emulator.ca, retry: { baseDelayMs: 50, maxDelayMs: 200 }, operation: { maxPollIntervalMs: 200 } });
    const report = await sweep({ trigger: "cli", settings, arm, logger: cliLogger(settings, io, json) });
    if (!json) {
      const outcome = (itemId: string) => {
        const action = report.actions.find((a) => a.itemId.toLowerCase() === itemId.toLowerCase());
        if (action === undefined) return "left alone (no rule returned it)";
        const why = action.waitReason ?? action.error?.code ?? (action.outcome === "exhausted" ? `${action.attempts ?? "?"} attempts` : undefined);
        return `${action.outcome}${why === undefined ? "" : ` (${why})`}`;
      };
      const width = Math.max(...estate.cases.map((c) => c.label.length));
      io.stdout(`What the rules decided, item by item (history -> outcome):\n${estate.cases.map((c) => `  ${c.label.padEnd(width)}  ${describeHistory(estate.jobs, c.itemId, now)} -> ${outcome(c.itemId)}`).join("\n")}\n\n`);
    }
    printReport(report, io, json);
    return 0;
  } finally {
    await emulator.close();
  }
}
