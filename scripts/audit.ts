// Supply-chain checks for CI: `node scripts/audit.ts`.
//   1. package-lock.json pins every package (version and integrity), and package.json asks for exactly those versions.
//   2. .npmrc keeps ignore-scripts=true, the root package has no install hooks, and every dependency that ships an
//      install script is named in the README (which says why it never needs to run).
//   3. `npm audit --omit=dev --audit-level=high`: high or critical findings in production dependencies fail.
//      When the audit endpoint cannot be reached it prints "audit skipped: <reason>" and does not fail: there is no
//      offline advisory database, so a skipped audit says so instead of passing silently.
// Exit 0 when every check passes (or only the audit was skipped), 1 otherwise. Never prints a registry host name.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

interface LockEntry {
  version?: string;
  integrity?: string;
  link?: boolean;
  hasInstallScript?: boolean;
}
export interface Lockfile {
  lockfileVersion?: number;
  packages?: Record<string, LockEntry>;
}
export interface PackageJson {
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const INSTALL_HOOKS = ["preinstall", "install", "postinstall", "prepare", "prepublish"];
const INTEGRITY = /^sha(256|384|512)-[A-Za-z0-9+/]+=*$/;

/** Package name of a lockfile key: "node_modules/a/node_modules/@s/b" -> "@s/b". */
export function packageName(key: string): string {
  return key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
}

/** Problems with pinning: entries without version or integrity, and manifest ranges the lockfile does not pin. */
export function checkLockfile(lock: Lockfile, manifest: PackageJson): string[] {
  const problems: string[] = [];
  if ((lock.lockfileVersion ?? 0) < 2) problems.push(`package-lock.json has lockfileVersion ${lock.lockfileVersion ?? "none"}; regenerate it with npm 7 or newer`);
  const packages = lock.packages ?? {};
  for (const [key, entry] of Object.entries(packages)) {
    if (key === "" || entry.link === true) continue;
    if (entry.version === undefined) problems.push(`${key} has no version in package-lock.json`);
    if (entry.integrity === undefined || !INTEGRITY.test(entry.integrity)) problems.push(`${key} has no integrity hash in package-lock.json`);
  }
  const wanted = { ...manifest.dependencies, ...manifest.devDependencies, ...manifest.optionalDependencies };
  for (const [name, spec] of Object.entries(wanted)) {
    const locked = packages[`node_modules/${name}`]?.version;
    if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(spec)) problems.push(`package.json asks for ${name}@${spec}; pin an exact version`);
    else if (locked !== spec) problems.push(`package.json pins ${name}@${spec} but package-lock.json has ${locked ?? "nothing"}; run npm install`);
  }
  return problems;
}

/** Problems with install-time code: .npmrc must keep scripts off, and each package that has one must be explained. */
export function checkInstallScripts(lock: Lockfile, manifest: PackageJson, npmrc: string, readme: string): string[] {
  const problems: string[] = [];
  const settings = npmrc.split(/\r?\n/).map((l) => l.replace(/[#;].*$/, "").trim().replace(/\s*=\s*/, "="));
  if (!settings.includes("ignore-scripts=true")) problems.push(".npmrc must keep ignore-scripts=true, so no dependency runs code at install time");
  for (const hook of INSTALL_HOOKS) {
    if (manifest.scripts?.[hook] !== undefined) problems.push(`package.json has a "${hook}" script; install hooks are not allowed`);
  }
  for (const name of installScriptPackages(lock)) {
    if (!readme.includes(`\`${name}\``)) problems.push(`${name} ships an install script that the README does not explain; name it (in backticks) where the README says why install scripts stay off`);
  }
  return problems;
}

export function installScriptPackages(lock: Lockfile): string[] {
  return [...new Set(Object.entries(lock.packages ?? {}).filter(([, e]) => e.hasInstallScript === true).map(([key]) => packageName(key)))].sort();
}

/** URLs and host names out of a message: the audit's words may quote the registry it asked. */
export function withoutHosts(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>)]+/gi, "<url>").replace(/\b(?:[a-z0-9-]+\.)+(?:org|com|net|io|dev|co|cloud|app|sh)\b/gi, "<host>");
}

export type AuditVerdict = { kind: "pass"; message: string } | { kind: "fail"; message: string } | { kind: "skipped"; message: string };

interface AuditJson {
  error?: { code?: unknown; summary?: unknown; detail?: unknown };
  message?: unknown;
  vulnerabilities?: Record<string, { severity?: string; via?: unknown[]; range?: string; fixAvailable?: unknown }>;
  metadata?: { vulnerabilities?: Record<string, number>; dependencies?: { prod?: number; total?: number } };
}

/** What `npm audit --json` said: findings at high or critical fail; no advisory data at all means the audit was skipped. */
export function interpretAudit(stdout: string, exitCode: number | null): AuditVerdict {
  let json: AuditJson;
  try {
    json = JSON.parse(stdout) as AuditJson;
  } catch {
    return { kind: "skipped", message: `audit skipped: npm audit gave no JSON (exit code ${exitCode ?? "none"}); the advisory endpoint is probably unreachable` };
  }
  const counts = json.metadata?.vulnerabilities;
  if (json.error !== undefined || counts === undefined) {
    const said = [json.error?.code, json.error?.summary, json.message].filter((s): s is string => typeof s === "string" && s.trim() !== "");
    const reason = said.length > 0 ? said.join(": ") : "the answer held no vulnerability data";
    return { kind: "skipped", message: `audit skipped: the advisory endpoint could not be used (${withoutHosts(reason).replace(/\s+/g, " ").trim()})` };
  }
  const high = (counts.high ?? 0) + (counts.critical ?? 0);
  if (high === 0) {
    const prod = json.metadata?.dependencies?.prod;
    return { kind: "pass", message: `audit: no high or critical findings${prod === undefined ? "" : ` in ${prod} production dependencies`}` };
  }
  const findings = Object.entries(json.vulnerabilities ?? {})
    .filter(([, v]) => v.severity === "high" || v.severity === "critical")
    .map(([name, v]) => {
      const titles = (v.via ?? []).map((via) => (typeof via === "object" && via !== null && typeof (via as { title?: unknown }).title === "string" ? (via as { title: string }).title : undefined)).filter((t) => t !== undefined);
      return `  ${v.severity} ${name}${v.range === undefined ? "" : ` ${v.range}`}${titles.length === 0 ? "" : `: ${titles.join("; ")}`}${v.fixAvailable ? " (fix available: npm audit fix --omit=dev)" : ""}`;
    });
  return { kind: "fail", message: withoutHosts(`audit: ${high} high or critical finding(s) in production dependencies:\n${findings.join("\n")}`) };
}

function main(): number {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const read = (file: string) => readFileSync(path.join(root, file), "utf8");
  const lock = JSON.parse(read("package-lock.json")) as Lockfile;
  const manifest = JSON.parse(read("package.json")) as PackageJson;
  const problems = [...checkLockfile(lock, manifest), ...checkInstallScripts(lock, manifest, read(".npmrc"), read("README.md"))];
  for (const problem of problems) console.log(`supply chain: ${problem}`);
  if (problems.length === 0) console.log(`supply chain: every package pinned with an integrity hash; install scripts off (${installScriptPackages(lock).join(", ") || "none"} explained in the README)`);

  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const audit = spawnSync(npm, ["audit", "--omit=dev", "--audit-level=high", "--json"], { cwd: root, encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  const verdict = audit.error !== undefined
    ? { kind: "skipped" as const, message: `audit skipped: npm could not run (${withoutHosts(audit.error.message)})` }
    : interpretAudit(audit.stdout, audit.status);
  console.log(verdict.message);
  return problems.length > 0 || verdict.kind === "fail" ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) process.exit(main());
