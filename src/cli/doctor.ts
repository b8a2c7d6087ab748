import { connectArm, createCredential } from "../azure/index.ts";
import { renderDoctor, runDoctor } from "../doctor/index.ts";
import { loadSettings } from "../settings.ts";
import { HELP, parse, type Command } from "./io.ts";

export const doctorCommand: Command = {
  usage: "retry-failed-backups doctor [--json]",
  async run(args, io, usage) {
    const { values } = parse(args, { ...HELP, json: { type: "boolean" } });
    if (values.help) {
      io.stdout(usage + "\n");
      return 0;
    }
    // Bad settings throw a SettingsError: main() prints each and exits 2.
    const settings = loadSettings(io.env);
    const arm = connectArm({ credential: createCredential({ kind: "default", clientId: settings.clientId }), endpoint: settings.armEndpoint });
    const result = await runDoctor({ settings, arm });
    io.stdout(values.json === true ? JSON.stringify(result, null, 2) + "\n" : renderDoctor(result) + "\n");
    return result.exitCode;
  },
};
