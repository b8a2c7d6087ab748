/**
 * npm run emulator -- [--minutes N]
 * Starts the local ARM seeded with the demo estate and the shipped queries, prints the environment to point
 * the app at it, and stops after N minutes (default 10) or on Ctrl-C.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { demoEstate, seedEstate } from "./estate.ts";
import { startEmulator } from "./index.ts";

const ROOT = path.resolve(import.meta.dirname, "..");

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { minutes: { type: "string", default: "10" }, help: { type: "boolean", short: "h" } } });
  if (values.help === true) {
    console.log("usage: npm run emulator -- [--minutes N]");
    return 0;
  }
  const minutes = Number(values.minutes);
  if (!(minutes > 0)) {
    console.error(`--minutes must be a positive number; got "${values.minutes}"`);
    return 2;
  }
  const emulator = await startEmulator();
  seedEstate(emulator, demoEstate());
  const caFile = path.join(ROOT, ".emulator", "ca.pem");
  await mkdir(path.dirname(caFile), { recursive: true });
  await writeFile(caFile, emulator.ca);

  console.log(`Local ARM emulator at ${emulator.url} (demo estate: backup-job histories that any rule can query).`);
  console.log("Export these in another shell, then run the app:\n");
  for (const [name, value] of Object.entries({ ...emulator.env(), NODE_EXTRA_CA_CERTS: caFile })) console.log(`export ${name}='${value}'`);
  console.log(`\nStops in ${minutes} minute(s), or press Ctrl-C.`);

  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, minutes * 60_000);
    const stop = () => {
      clearTimeout(timer);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await emulator.close();
  console.log(`Stopped after ${emulator.requests.length} request(s).`);
  return 0;
}

process.exitCode = await main();
