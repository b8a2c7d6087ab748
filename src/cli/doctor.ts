import { connectArm, createCredential } from "../azure/index.ts";
import { renderDoctor, runDoctor } from "../doctor/index.ts";
import { loadSettings } from "../settings.ts";
import { isJson, parseFlags } from "./args.ts";
import type { Command } from "./io.ts";

export const doctorCommand: Command = {
  usage: "retry-failed-backups doctor [-o table|json]",
  summary: "Read-only checks that a deployment can do its work: settings, schedule, token, rules as sent, permissions per subscription, one read per vault kind, the queries folder.",
  examples: ["retry-failed-backups doctor", "RETRY_SUBSCRIPTIONS=<id> retry-failed-backups doctor -o json"],
  async run(args, io) {
    const { values } = parseFlags(args, { output: { type: "string", short: "o" }, json: { type: "boolean" } });
    const json = isJson(values.output, values.json);
    // Bad settings throw a SettingsError: main() prints each and exits 2.
    const settings = loadSettings(io.env);
    const arm = connectArm({ credential: createCredential({ kind: "default", clientId: settings.clientId }), endpoint: settings.armEndpoint });
    const result = await runDoctor({ settings, arm });
    io.stdout(json ? JSON.stringify(result, null, 2) + "\n" : renderDoctor(result) + "\n");
    return result.exitCode;
  },
};
