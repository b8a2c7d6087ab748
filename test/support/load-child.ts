// Runs the command line once in a child process and prints what the load test checks: the exit code, the peak
// resident set, the report's totals and the number of log lines. The report itself is parsed here, not piped back.
// The parent loads test/setup/loopback-only.ts into this process (NODE_OPTIONS=--import), so no socket leaves loopback.
import { main } from "../../src/cli/index.ts";

let stdout = "";
let logLines = 0;
const code = await main(process.argv.slice(2), {
  stdout: (text) => void (stdout += text),
  stderr: (text) => void (logLines += text.split("\n").filter((l) => l !== "").length),
  env: process.env,
  isTTY: false,
});
const maxRssKb = process.resourceUsage().maxRSS;
const report = JSON.parse(stdout) as { totals: Record<string, number>; queries: unknown[]; actions: { sourceRows: unknown[] }[]; invalid: unknown[] };
const accounted = report.actions.reduce((n, a) => n + a.sourceRows.length, 0) + report.invalid.length;
process.stdout.write(JSON.stringify({ code, maxRssKb, totals: report.totals, queries: report.queries, accounted, logLines }) + "\n");
