// The command line at a terminal: the real bin in a pseudo-terminal (util-linux `script`), the way an on-call
// engineer meets it, and through pipes the way automation does.
import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ReportSchema } from "../../src/core/index.ts";
import { caFile, runCli } from "../support/child.ts";
import { failedJob, items, SUBS, useHarness } from "../support/harness.ts";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const GUARD = path.join(ROOT, "test", "setup", "loopback-only.ts");
const h = useHarness({}, (harness) => harness.emulator.configure({ latencyMs: 0 }));
let env: Record<string, string>;
beforeAll(() => {
  env = { ...h.emulator.env(), NODE_EXTRA_CA_CERTS: caFile(h.emulator.ca), RETRY_QUERIES_DIR: h.queriesDir };
});

const ESC = String.fromCharCode(27);
/** A colour or style code (SGR), and the "erase line" of the progress line. */
const COLOUR = new RegExp(`${ESC}\\[\\d+(;\\d+)*m`);
const ERASE = `${ESC}[K`;

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/** The bin in a pseudo-terminal; `answer` is typed once the question shows. Output is the terminal's, stdout and stderr together. */
function inTerminal(args: string[], extra: Record<string, string> = {}, answer?: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const command = [process.execPath, path.join(ROOT, "bin", "retry-failed-backups.js"), ...args].map(quote).join(" ");
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: os.tmpdir(), TERM: "xterm", NODE_OPTIONS: `--import=${GUARD}`, ...env, ...extra },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let answered = false;
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (answer !== undefined && !answered && out.includes("[y/N]")) {
        answered = true;
        child.stdin.write(`${answer}\n`);
      }
    });
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const writes = () => h.emulator.requests.filter((r) => r.method === "POST" && r.kind !== "arg");
const seed = () => h.failedJobs("tty", [failedJob(SUBS.a, items.vm(SUBS.a, "t1")), failedJob(SUBS.a, items.dp(SUBS.a, "disk-t2"), { ruleName: "BackupHourly", retentionTag: "Default" })]);

describe("sweep at a terminal", () => {
  it("shows the plan and asks; n writes nothing", async () => {
    await seed();
    const { code, out } = await inTerminal(["sweep"], {}, "n");
    expect(out).toContain("Plan (nothing has been sent yet)");
    expect(out).toMatch(/outcomes: 2 to trigger/);
    expect(out).toMatch(/caps: +at most 5000 backups this run, 200 per subscription, 32 writes at once/);
    expect(out).toContain("Proceed and trigger 2 backup(s)? [y/N]");
    expect(out).toContain("Nothing was sent.");
    expect(code).toBe(0);
    expect(writes()).toHaveLength(0);
  });

  it("y writes, with progress on the terminal and the table after it", async () => {
    await seed();
    const { code, out } = await inTerminal(["sweep"], {}, "y");
    expect(code).toBe(0);
    expect(writes()).toHaveLength(2);
    expect(out).toContain(`\r${ERASE}triggered 2 of 2`);
    expect(out).toMatch(/Actions\r?\n\s+outcome/);
    expect(out).toContain(`${ESC}[32mtriggered${ESC}[0m`);
  });

  it("--yes writes without asking", async () => {
    await seed();
    const { code, out } = await inTerminal(["sweep", "--yes"]);
    expect(code).toBe(0);
    expect(out).not.toContain("[y/N]");
    expect(writes()).toHaveLength(2);
  });

  it("--json has no progress and no question-less surprise: the report is JSON", async () => {
    await seed();
    const { code, out } = await inTerminal(["sweep", "--json", "--dry-run"]);
    expect(code).toBe(0);
    expect(out).not.toContain(ERASE);
    expect(out).not.toMatch(/reading rule|triggered \d+ of/);
    expect(writes()).toHaveLength(0);
  });

  it("NO_COLOR and --no-color: no colour codes", async () => {
    await seed();
    for (const [args, extra] of [[["sweep", "--dry-run"], { NO_COLOR: "1" }], [["sweep", "--dry-run", "--no-color"], {}]] as const) {
      const { code, out } = await inTerminal([...args], extra);
      expect(code).toBe(0);
      expect(out).toContain("dryRun");
      expect(out).not.toMatch(COLOUR);
    }
  });

  it("no terminal on stdin: no question, and no progress", async () => {
    await seed();
    const result = await runCli(["sweep"], env);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain("[y/N]");
    expect(result.stderr).not.toContain(ERASE);
    expect(writes()).toHaveLength(2);
  });
});

describe("one clear line per problem, before any request", () => {
  it.each([
    [["sweep", "--rule", "recovery-servics"], {}, /no rule named "recovery-servics".*Did you mean "tty"\?|no rule named "recovery-servics"/],
    [["sweep", "--dryrun"], {}, /unknown option --dryrun; did you mean --dry-run\?/],
    [["swep"], {}, /unknown command "swep"; did you mean "sweep"\?/],
    [["sweep", "-o", "yaml"], {}, /--output must be table or json, got "yaml"/],
  ])("%j: exit 2, one message", async (args, extra, message) => {
    await seed();
    const result = await runCli(args, { ...env, ...extra });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n").length).toBeLessThanOrEqual(2);
    expect(result.stdout).toBe("");
    expect(h.emulator.requests).toHaveLength(0);
  });

  it("an unknown rule among good ones fires nothing", async () => {
    await seed();
    const result = await runCli(["sweep", "--rule", "tty,recovery-servics"], env);
    expect(result.code).toBe(2);
    expect(h.emulator.requests).toHaveLength(0);
  });

  it("not signed in: one short line naming az login, exit 2", async () => {
    const result = await runCli(["sweep"], { ...env, IDENTITY_ENDPOINT: "http://127.0.0.1:1/msi/token" });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^retry-failed-backups: not signed in: run `az login`, or set the managed identity settings/);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("an unreachable endpoint names AZURE_RESOURCE_MANAGER_ENDPOINT and the address, exit 2", async () => {
    const result = await runCli(["sweep"], { ...env, AZURE_RESOURCE_MANAGER_ENDPOINT: "https://127.0.0.1:9" });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe("retry-failed-backups: cannot reach AZURE_RESOURCE_MANAGER_ENDPOINT=https://127.0.0.1:9 (127.0.0.1:9): ECONNREFUSED");
  });

  it("--query still works, with one line saying to use --rule", async () => {
    await seed();
    const result = await runCli(["sweep", "--dry-run", "--query", "tty", "--json"], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("--query is now --rule");
    expect(ReportSchema.parse(JSON.parse(result.stdout)).rules).toEqual(["tty"]);
  });
});

describe("the conventions", () => {
  it("--version, -o table, -o json, and --help per command with examples", async () => {
    expect((await runCli(["--version"], {})).stdout).toMatch(/^retry-failed-backups \d+\.\d+\.\d+\n$/);
    await seed();
    const table = await runCli(["sweep", "--dry-run", "-o", "table"], env);
    expect(table.stdout).toMatch(/^Sweep .* dry run/);
    const json = await runCli(["sweep", "--dry-run", "--output", "json", "--subscription", `${SUBS.a},${SUBS.b}`], env);
    const report = ReportSchema.parse(JSON.parse(json.stdout));
    expect(report.scope).toEqual({ subscriptions: [SUBS.a, SUBS.b] });
    expect(report.caps).toEqual({ maxBackups: 5000, maxPerSubscription: 200, concurrency: 32 });
    for (const command of ["sweep", "check-queries", "show-query", "doctor", "runs"]) {
      const help = await runCli([command, "--help"], {});
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: retry-failed-backups ${command}`));
      expect(help.stdout).toContain("Examples:");
      expect((await runCli(["help", command], {})).stdout).toBe(help.stdout);
    }
  });
});

describe("Ctrl-C", () => {
  /** The real bin sweeping one item at a time; `onStderr` sees stderr so far and may signal the child. */
  async function interruptedSweep(extra: Record<string, string>, onStderr: (stderr: string, interrupt: () => void) => void) {
    const child = spawn(process.execPath, [path.join(ROOT, "bin", "retry-failed-backups.js"), "sweep", "--json"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: os.tmpdir(), NODE_OPTIONS: `--import=${GUARD}`, ...env, LOG_LEVEL: "info", ...extra },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      onStderr(stderr, () => child.kill("SIGINT"));
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    return { code, stdout, stderr };
  }

  it("stops admitting triggers, lets the writes in flight finish, reports the rest cancelled, exits 130", async () => {
    await h.failedJobs("many", Array.from({ length: 12 }, (_, i) => failedJob(SUBS.a, items.vm(SUBS.a, `c${i}`))));
    h.emulator.configure({ latencyMs: 150 });
    let sent = false;
    const { code, stdout, stderr } = await interruptedSweep({ RETRY_CONCURRENCY: "1" }, (text, interrupt) => {
      if (!sent && text.includes('"event":"retry.triggered"')) {
        sent = true;
        interrupt();
      }
    });
    expect(code).toBe(130);
    expect(stderr).toContain("stopping: no new backups are sent");
    const report = ReportSchema.parse(JSON.parse(stdout));
    expect(report.totals.cancelled).toBeGreaterThan(0);
    expect(report.totals.triggered + report.totals.cancelled).toBe(12);
    expect(report.actions.filter((a) => a.outcome === "cancelled").every((a) => a.reason?.startsWith("not sent"))).toBe(true);
    expect(writes()).toHaveLength(report.totals.triggered);
  });

  it("a second Ctrl-C exits 130 at once, not waiting for the writes in flight: no report is printed", async () => {
    await h.failedJobs("many", Array.from({ length: 6 }, (_, i) => failedJob(SUBS.a, items.vm(SUBS.a, `q${i}`))));
    // Every ARM answer takes 3 s: when the first item is triggered the next one is already on the wire, and that write
    // in flight outlasts the second Ctrl-C by far.
    h.emulator.configure({ latencyMs: 3_000 });
    let first = false;
    let second = false;
    const { code, stdout, stderr } = await interruptedSweep({ RETRY_CONCURRENCY: "2" }, (text, interrupt) => {
      if (!first && text.includes('"event":"retry.triggered"')) {
        first = true;
        interrupt();
      } else if (first && !second && text.includes("Ctrl-C again to quit at once")) {
        second = true;
        interrupt();
      }
    });
    expect(second).toBe(true);
    expect(code).toBe(130);
    expect(stdout).toBe("");
    expect(stderr).not.toContain('"event":"sweep.completed"');
  }, 60_000);
});
