import { connectArm, createCredential } from "../azure/index.ts";
import { loadSettings } from "../settings.ts";
import { GUID, RetryBackupsError } from "../core/index.ts";
import { beginRun } from "../runs/index.ts";
import { executeSweep, prepareSweep } from "../sweep.ts";
import { isJson, listOf, parseFlags } from "./args.ts";
import { cliLogger, positiveInt, printReport, requireFolder, UsageError, type Command } from "./io.ts";
import { renderPlan, triggersOf } from "./plan-view.ts";
import { checkRules, fetchToken, reachEndpoint } from "./preflight.ts";
import { cliRunStore } from "./runs.ts";
import { progressOf, statusLine, useColor } from "./terminal.ts";


export const sweepCommand: Command = {
  usage: "retry-failed-backups sweep [--dry-run] [--rule NAME[,NAME]]... [--subscription ID[,ID]]... [--max-retries N] [--queries-dir DIR] [--yes] [-o table|json] [--no-color]",
  summary: "Runs the rules, shows the plan, asks (on a terminal), then fires one on-demand backup per failed item.",
  examples: [
    "retry-failed-backups sweep --dry-run                      # what would be retried; nothing is written",
    "retry-failed-backups sweep --rule recovery-services -o json > report.json",
    "retry-failed-backups sweep --subscription <id>,<id> --max-retries 5 --yes",
  ],
  async run(args, io) {
    const { values } = parseFlags(args, {
      "dry-run": { type: "boolean" },
      rule: { type: "string", multiple: true },
      query: { type: "string", multiple: true },
      subscription: { type: "string", multiple: true },
      "max-retries": { type: "string" },
      "queries-dir": { type: "string" },
      yes: { type: "boolean", short: "y" },
      output: { type: "string", short: "o" },
      json: { type: "boolean" },
      "no-color": { type: "boolean" },
    });
    const settings = loadSettings(io.env);
    const json = isJson(values.output, values.json);
    if (values.query !== undefined) io.stderr("retry-failed-backups: --query is now --rule (it names a rule file, not a JMESPath query); use --rule\n");
    const rules = listOf([...(values.rule ?? []), ...(values.query ?? [])]);
    const subscriptions = listOf(values.subscription);
    const bad = (subscriptions ?? []).filter((s) => !GUID.test(s));
    if (bad.length > 0) throw new UsageError(`--subscription must be a subscription id (GUID), got ${bad.map((b) => `"${b}"`).join(", ")}`);
    const maxBackups = positiveInt("max-retries", values["max-retries"]);
    const queriesDir = values["queries-dir"] ?? settings.queriesDir;
    await requireFolder(values["queries-dir"], settings.queriesDir);
    await checkRules(queriesDir, rules);

    const color = useColor(io, values["no-color"] === true);
    const status = statusLine(io, io.isTTY && !json);
    const logger = cliLogger(settings, io, json, status, color);
    const arm = connectArm({ credential: createCredential({ kind: "default", clientId: settings.clientId }), endpoint: settings.armEndpoint });
    await fetchToken(arm);
    await reachEndpoint(settings.armEndpoint);

    const cancelled = () => io.signal?.aborted === true;
    const progress = io.isTTY && !json ? progressOf(status) : undefined;
    const dryRun = values["dry-run"] === true;
    // With RETRY_RUNS_BLOB_ENDPOINT the CLI takes the function app's run lease too (the plan is read under it, so no
    // other instance triggers the same items in between), and keeps its report beside theirs.
    const run = await beginRun({ store: cliRunStore(settings, arm.credential), trigger: "cli", logger });
    // Ctrl-C, or the run lease lost to another instance: either stops the triggers.
    const signal = io.signal === undefined ? run.signal : AbortSignal.any([io.signal, run.signal]);
    try {
      const prepared = await prepareSweep({
        trigger: "cli",
        runId: run.runId,
        settings: { ...settings, queriesDir },
        arm,
        logger,
        overrides: { dryRun: dryRun ? true : undefined, rules, subscriptions, maxBackups },
        signal,
        progress,
      });
      if (!prepared.dryRun && triggersOf(prepared) > 0 && io.stdinTTY === true && values.yes !== true && io.ask !== undefined && !cancelled()) {
        progress?.stop();
        io.stderr(renderPlan(prepared));
        const answer = await io.ask(`Proceed and trigger ${triggersOf(prepared)} backup(s)? [y/N] `);
        const declined = cancelled() || !/^y(es)?$/i.test(answer.trim());
        if (declined) {
          await run.end({ error: new RetryBackupsError("Declined", "the plan was shown and not confirmed; nothing was sent") });
          if (cancelled()) return 130;
          io.stderr("Nothing was sent.\n");
          return 0;
        }
      }
      const report = await executeSweep(prepared);
      const stoppedBy = cancelled() ? new RetryBackupsError("Interrupted", "Ctrl-C: no more backups were sent; the actions not sent are reported cancelled") : undefined;
      const state = await run.end({ report, stoppedBy });
      progress?.stop();
      const code = printReport(report, io, json, color);
      // Stopped by a lost lease (logged run.leaseLost as it happened): the exit code says the run did not end well.
      return cancelled() ? 130 : state === "stopped" ? 1 : code;
    } catch (error) {
      await run.end({ error });
      throw error;
    }
  },
};
