// The command line, in this process, against the local ARM: the CLI has no CA option (Azure's CAs are public), so the
// emulator's CA joins this worker's default CA list, as NODE_EXTRA_CA_CERTS would for a child process.
import tls from "node:tls";
import type { Emulator } from "../../emulator/index.ts";
import { main } from "../../src/cli/index.ts";

export function trustEmulator(emulator: Emulator): void {
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), emulator.ca]);
}

export interface CliRun {
  code: number;
  stdout: string;
  /** Every line the CLI wrote to stderr (its JSON log lines). */
  stderr: string[];
}

export async function runCli(argv: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  let stdout = "";
  const stderr: string[] = [];
  const code = await main(argv, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void stderr.push(...text.split("\n").filter((l) => l !== "")),
    env,
    isTTY: false,
  });
  return { code, stdout, stderr };
}
