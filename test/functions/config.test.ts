// host.json, local.settings.json.example and .funcignore: the files the Functions host and the deployment read.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadSettings, SETTING_NAMES } from "../../src/settings.ts";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

describe("host.json", () => {
  const host = JSON.parse(read("host.json")) as {
    version: string;
    functionTimeout: string;
    extensionBundle: { id: string; version: string };
    logging: { logLevel: Record<string, string>; applicationInsights: { samplingSettings: { isEnabled: boolean; excludedTypes?: string } } };
  };

  it("is a version 2.0 host with the extension bundle range [4.*, 5.0.0)", () => {
    expect(host.version).toBe("2.0");
    expect(host.extensionBundle).toEqual({ id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.*, 5.0.0)" });
  });

  it("gives a sweep 30 minutes", () => {
    expect(host.functionTimeout).toBe("00:30:00");
  });

  it("logs at Information and never samples away traces (the action events), requests or exceptions", () => {
    expect(host.logging.logLevel.default).toBe("Information");
    const sampling = host.logging.applicationInsights.samplingSettings;
    const excluded = (sampling.excludedTypes ?? "").split(";");
    expect(sampling.isEnabled === false || ["Trace", "Request", "Exception"].every((t) => excluded.includes(t))).toBe(true);
  });
});

describe("local.settings.json.example", () => {
  const values = (JSON.parse(read("local.settings.json.example")) as { Values: Record<string, string> }).Values;

  it("lists every app setting, plus what the local host needs", () => {
    expect(Object.keys(values).sort()).toEqual([...SETTING_NAMES, "FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsStorage"].sort());
    expect(values.FUNCTIONS_WORKER_RUNTIME).toBe("node");
  });

  it("holds valid settings, with a dry run as the safe local default", () => {
    expect(loadSettings(values)).toMatchObject({ dryRun: true, schedule: "0 15 * * * *" });
  });
});

describe(".funcignore", () => {
  const ignored = read(".funcignore").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));

  it("ships the bundle, host.json, the queries and what a remote build needs, and leaves out local secrets and test code", () => {
    for (const kept of ["dist", "host.json", "package.json", "package-lock.json", "queries", "src", "scripts", ".npmrc"]) expect(ignored).not.toContain(kept);
    for (const dropped of ["local.settings.json", "node_modules", "test", "emulator", "bench", "infra"]) expect(ignored).toContain(dropped);
  });
});
