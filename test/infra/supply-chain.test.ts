// The supply-chain checks of scripts/audit.ts, offline: the real lockfile, .npmrc and manifest, and the verdicts on the
// answers `npm audit --json` gives (clean, findings, an unreachable or unusable advisory endpoint). No test here talks
// to a registry; CI runs the script itself.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkInstallScripts, checkLockfile, installScriptPackages, interpretAudit, withoutHosts, type Lockfile, type PackageJson } from "../../scripts/audit.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");
const lock = JSON.parse(read("package-lock.json")) as Lockfile;
const manifest = JSON.parse(read("package.json")) as PackageJson;
/** A host name in the shape registries have, assembled so no registry is named in this file. */
const HOST = ["registry", "example", "org"].join(".");
const HOST_WORDS = /registry\.|\.org\b|\.com\b|https?:\/\//i;

describe("dependencies are pinned by the lockfile", () => {
  it("every package in package-lock.json has a version and an integrity hash, and package.json pins exactly those versions", () => {
    expect(Object.keys(lock.packages ?? {}).length).toBeGreaterThan(100);
    expect(checkLockfile(lock, manifest)).toEqual([]);
  });

  it("notices an entry without integrity, a version range, and a manifest that disagrees with the lockfile", () => {
    const broken: Lockfile = {
      lockfileVersion: 3,
      packages: { "": {}, "node_modules/a": { version: "1.0.0" }, "node_modules/b": { version: "2.0.0", integrity: "sha512-AAAA" }, "node_modules/c": { version: "3.0.0", integrity: "sha512-AAAA" }, "node_modules/l": { link: true } },
    };
    const problems = checkLockfile(broken, { dependencies: { b: "^2.0.0", c: "3.0.1" } });
    expect(problems).toEqual([
      "node_modules/a has no integrity hash in package-lock.json",
      "package.json asks for b@^2.0.0; pin an exact version",
      "package.json pins c@3.0.1 but package-lock.json has 3.0.0; run npm install",
    ]);
    expect(checkLockfile({ lockfileVersion: 1, packages: {} }, {})).toEqual([expect.stringMatching(/lockfileVersion 1/)]);
  });
});

describe("no install scripts beyond those explained", () => {
  it(".npmrc keeps ignore-scripts=true and the root package has no install hooks", () => {
    expect(checkInstallScripts({ packages: {} }, manifest, read(".npmrc"), "")).toEqual([]);
  });

  it("the packages that ship an install script are exactly the ones reviewed (a new one must be reviewed and explained)", () => {
    // protobufjs: a dev dependency of Azurite's telemetry whose postinstall only prints a version notice.
    expect(installScriptPackages(lock)).toEqual(["esbuild", "protobufjs"]);
  });

  it("fails when ignore-scripts is off or commented out, when the root has a hook, or when a package's script is not named in the README", () => {
    const withScript: Lockfile = { packages: { "node_modules/x/node_modules/native-thing": { version: "1.0.0", integrity: "sha512-A", hasInstallScript: true } } };
    expect(checkInstallScripts(withScript, {}, "ignore-scripts=true\n", "Install scripts stay off; `native-thing` would build a binary we do not use.")).toEqual([]);
    expect(checkInstallScripts(withScript, {}, "ignore-scripts = true # keep\n", "`native-thing`")).toEqual([]);
    for (const npmrc of ["", "# ignore-scripts=true", "ignore-scripts=false", "fund=false"]) {
      expect(checkInstallScripts({ packages: {} }, {}, npmrc, ""), npmrc).toEqual([".npmrc must keep ignore-scripts=true, so no dependency runs code at install time"]);
    }
    expect(checkInstallScripts({ packages: {} }, { scripts: { postinstall: "node x.js" } }, "ignore-scripts=true", "")).toEqual(['package.json has a "postinstall" script; install hooks are not allowed']);
    expect(checkInstallScripts(withScript, {}, "ignore-scripts=true", "native-thing without backticks")).toEqual([expect.stringMatching(/^native-thing ships an install script that the README does not explain/)]);
  });
});

describe("npm audit verdicts", () => {
  const clean = { auditReportVersion: 2, vulnerabilities: {}, metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0 }, dependencies: { prod: 120, total: 300 } } };

  it("passes with no findings, and with low or moderate ones only", () => {
    expect(interpretAudit(JSON.stringify(clean), 0)).toEqual({ kind: "pass", message: "audit: no high or critical findings in 120 production dependencies" });
    const moderate = { ...clean, vulnerabilities: { x: { severity: "moderate", via: [{ title: "ReDoS" }] } }, metadata: { ...clean.metadata, vulnerabilities: { ...clean.metadata.vulnerabilities, low: 2, moderate: 1, total: 3 } } };
    expect(interpretAudit(JSON.stringify(moderate), 0).kind).toBe("pass");
  });

  it("fails on high and critical findings, naming each package and advisory, without a host name", () => {
    const findings = {
      vulnerabilities: {
        "bad-lib": { severity: "critical", range: "<1.2.3", via: [{ title: "Prototype pollution", url: `https://${HOST}/advisories/1` }], fixAvailable: true },
        "meh-lib": { severity: "high", via: ["bad-lib"] },
        "ok-lib": { severity: "low", via: [{ title: "Minor" }] },
      },
      metadata: { vulnerabilities: { info: 0, low: 1, moderate: 0, high: 1, critical: 1, total: 3 } },
    };
    const verdict = interpretAudit(JSON.stringify(findings), 1);
    expect(verdict.kind).toBe("fail");
    expect(verdict.message).toMatch(/2 high or critical finding\(s\)/);
    expect(verdict.message).toContain("critical bad-lib <1.2.3: Prototype pollution (fix available: npm audit fix --omit=dev)");
    expect(verdict.message).toContain("high meh-lib");
    expect(verdict.message).not.toContain("ok-lib");
    expect(verdict.message).not.toMatch(HOST_WORDS);
  });

  it.each([
    ["an unreachable host", JSON.stringify({ error: { code: "ENOTFOUND", summary: `request to https://${HOST}/-/npm/v1/security/advisories/bulk failed, reason: getaddrinfo ENOTFOUND ${HOST}`, detail: "" } }), 1, /ENOTFOUND/],
    ["a refused connection", JSON.stringify({ error: { code: "ECONNREFUSED", summary: `connect ECONNREFUSED ${HOST}:443` } }), 1, /ECONNREFUSED/],
    ["a mirror without the audit endpoint (405)", JSON.stringify({ message: `405 Method Not Allowed - POST https://${HOST}/-/npm/v1/security/advisories/bulk`, statusCode: 405, body: "", error: { summary: "", detail: "" } }), 0, /405 Method Not Allowed - POST <url>/],
    ["no JSON at all", "", 1, /gave no JSON/],
    ["JSON without vulnerability data", JSON.stringify({ auditReportVersion: 2 }), 0, /no vulnerability data/],
  ])("skips, and says so, when the advisory endpoint gives %s", (_name, stdout, code, reason) => {
    const verdict = interpretAudit(stdout, code);
    expect(verdict.kind).toBe("skipped");
    expect(verdict.message).toMatch(/^audit skipped: /);
    expect(verdict.message).toMatch(reason);
    expect(verdict.message).not.toMatch(HOST_WORDS);
  });

  it("strips URLs and host names from any text it prints", () => {
    expect(withoutHosts(`see https://${HOST}/x?y=1 or ${HOST}:443, or sub.${HOST}`)).toBe("see <url> or <host>:443, or <host>");
  });
});
