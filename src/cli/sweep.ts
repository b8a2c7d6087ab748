import { connectArm, createCredential } from "../azure/index.ts";
import { loadSettings } from "../settings.ts";
import { beginRun } from "../runs/index.ts";
import { sweep } from "../sweep.ts";
import { cliRunStore } from "./runs.ts";
import { cliLogger, HELP, parse, positiveInt, printReport, requireFolder, UsageError, type Command } from "./io.ts";

export const sweepCommand: Command = {
  usage: "retry-failed-backups sweep [--dry-run] [--query NAME]... [--subscription ID]... [--max-retries N] [--queries-dir DIR] [--json]",
  async run(args, io, usage) {
    const { values } = parse(args, {
      ...HELP,
      "dry-run": { type: "boolean" },
      query: { type: "string", multiple: true },
      subscription: { type: "string", multiple: true },
      "max-retries": { type: "string" },
      "queries-dir": { type: "string" },
      json: { type: "boolean" },
    });
    if (values.help) {
      io.stdout(usage + "\n");
      return 0;
    }
    const settings = loadSettings(io.env);
    const json = values.json === true;
    const subscriptions = values.subscription ?? [];
    const bad = subscriptions.filter((s) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s));
    if (bad.length > 0) throw new UsageError(`--subscription must be a subscription id (GUID), got ${bad.map((b) => `"${b}"`).join(", ")}`);
    const maxBackups = positiveInt("max-retries", values["max-retries"]);
    await requireFolder(values["queries-dir"], settings.queriesDir);
    const arm = connectArm({ credential: createCredential({ kind: "default", clientId: settings.clientId }), endpoint: settings.armEndpoint });
    const logger = cliLogger(settings, io, json);
    // With RETRY_RUNS_BLOB_ENDPOINT the CLI takes the function app's run lease too, and keeps its report beside theirs.
    const run = await beginRun({ store: cliRunStore(settings), trigger: "cli", logger });
    const report = await sweep({
      trigger: "cli",
      runId: run.runId,
      settings: { ...settings, queriesDir: values["queries-dir"] ?? settings.queriesDir },
      arm,
      logger,
      overrides: { dryRun: values["dry-run"] === true ? true : undefined, rules: values.query, subscriptions: subscriptions.length === 0 ? undefined : subscriptions, maxBackups },
    }).catch(async (error: unknown) => {
      await run.end({ error });
      throw error;
    });
    await run.end({ report });
    return printReport(report, io, json);
  },
};
