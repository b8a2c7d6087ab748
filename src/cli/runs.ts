import type { TokenCredential } from "@azure/core-auth";
import { createCredential } from "../azure/index.ts";
import { createRunStore, InvalidContinuationError, RUN_ID, type RunStore } from "../runs/index.ts";
import { exitCodeOf } from "../report/index.ts";
import { loadSettings, type Settings } from "../settings.ts";
import { isJson, parseFlags } from "./args.ts";
import { printReport, UsageError, type CliIo, type Command } from "./io.ts";

const PAGE_SIZE = 50;
const NO_STORE = "no run history is configured: set RETRY_RUNS_BLOB_ENDPOINT to the blob endpoint of the app's storage account (e.g. https://mystorage.blob.core.windows.net; the deployment's output runsBlobEndpoint) and sign in with an identity that has Storage Blob Data Reader on it (az login)\n";

/** The run store the function app writes, read with the CLI's credential (az login on a laptop); a sweep passes the one it already holds. */
export function cliRunStore(settings: Settings, credential: TokenCredential = createCredential({ kind: "default", clientId: settings.clientId })): RunStore | undefined {
  return settings.runsEndpoint === undefined ? undefined : createRunStore({ endpoint: settings.runsEndpoint, credential });
}

export const runsCommand: Command = {
  usage: "retry-failed-backups runs list [--continuation TOKEN] [-o table|json] | runs show RUN_ID [-o table|json]",
  summary: `Lists the runs kept in the app's storage account (RETRY_RUNS_BLOB_ENDPOINT), newest first, ${PAGE_SIZE} a page (stderr gives the command for the next page; -o json prints { runs, continuation }), or shows one run's report.`,
  examples: ["retry-failed-backups runs list", "retry-failed-backups runs list --continuation TOKEN   # TOKEN: as the previous page printed it on stderr", "retry-failed-backups runs list -o json | jq -r '.runs[] | select(.state == \"failed\") | .runId'", "retry-failed-backups runs show 6f1c0b9e-5d1a-4f0e-9c55-2a8e5b7d3c11 -o json"],
  async run(args, io) {
    const { values, positionals } = parseFlags(args, { output: { type: "string", short: "o" }, json: { type: "boolean" }, continuation: { type: "string" } }, true);
    const [sub, runId, ...extra] = positionals;
    if (sub !== "list" && sub !== "show") throw new UsageError(`runs needs "list" or "show RUN_ID", got ${sub === undefined ? "nothing" : `"${sub}"`}`);
    if (sub === "list" && runId !== undefined) throw new UsageError("runs list takes no argument");
    if (sub === "show" && (runId === undefined || extra.length > 0)) throw new UsageError("runs show takes one RUN_ID (runs list shows them)");
    if (sub === "show" && values.continuation !== undefined) throw new UsageError("--continuation pages runs list; runs show takes a RUN_ID only");
    const store = cliRunStore(loadSettings(io.env));
    if (store === undefined) {
      io.stderr(`retry-failed-backups: ${NO_STORE}`);
      return 2;
    }
    const json = isJson(values.output, values.json);
    return sub === "list" ? list(store, values.continuation, io, json) : show(store, runId ?? "", io, json);
  },
};

async function list(store: RunStore, token: string | undefined, io: CliIo, json: boolean): Promise<number> {
  const { runs, continuation } = await store.list({ pageSize: PAGE_SIZE, continuation: token }).catch((error: unknown) => {
    if (error instanceof InvalidContinuationError) throw new UsageError(`--continuation ${JSON.stringify(token)} is not a token runs list printed (mistyped, cut short or from another listing); start again with retry-failed-backups runs list`);
    throw error;
  });
  // JSON is an object, not a bare array, so a script paging through finds the token on stdout beside the runs.
  if (json) io.stdout(JSON.stringify(continuation === undefined ? { runs } : { runs, continuation }, null, 2) + "\n");
  else if (runs.length === 0) io.stdout(token === undefined ? "no runs kept yet\n" : "no more runs\n");
  else io.stdout(runs.map((r) => `${r.startedAt}  ${r.runId}  ${r.trigger.padEnd(5)}  ${r.state}`).join("\n") + "\n");
  if (continuation !== undefined) io.stderr(`more runs: retry-failed-backups runs list --continuation ${continuation}${json ? " -o json" : ""}\n`);
  return 0;
}

async function show(store: RunStore, runId: string, io: CliIo, json: boolean): Promise<number> {
  const doc = RUN_ID.test(runId) ? await store.get(runId) : undefined;
  if (doc === undefined) {
    io.stderr(`retry-failed-backups: no run ${JSON.stringify(runId)} is kept; runs list shows the recent ones\n`);
    return 1;
  }
  // A stopped or failed run is not a clean run, whatever the part of it that ran says.
  const code = doc.state === "stopped" || doc.state === "failed" ? 1 : doc.report === undefined ? 0 : exitCodeOf(doc.report);
  const why = doc.error === undefined ? "" : `: ${doc.error.code}: ${doc.error.message}`;
  if (json) io.stdout(JSON.stringify(doc, null, 2) + "\n");
  // Without a report the state is all there is; with one, stdout stays the report and the state goes beside it.
  else if (doc.report === undefined) io.stdout(`${doc.runId}  ${doc.trigger}  ${doc.state} since ${doc.startedAt}${why}\n`);
  else {
    printReport(doc.report, io, false);
    if (doc.state !== "completed") io.stderr(`retry-failed-backups: run ${doc.runId} ${doc.state}${doc.endedAt === undefined ? "" : ` at ${doc.endedAt}`}${why}\n`);
  }
  return code;
}
