// Every bad setting and flag, through the command line as an admin meets it: exit 2, a message naming the setting,
// no stack trace, and nothing sent anywhere (the network guard fails the test on any socket).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/index.ts";
import { runCli as runBin } from "../support/child.ts";

let queriesDir: string;
beforeAll(async () => {
  queriesDir = await mkdtemp(path.join(os.tmpdir(), "rfb-settings-"));
  await writeFile(path.join(queriesDir, "rule.kql"), "RecoveryServicesResources | project id, subscriptionId, itemId = tostring(properties.x)\n");
});
afterAll(async () => {
  await rm(queriesDir, { recursive: true, force: true });
});

async function cli(argv: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  // An endpoint nothing listens on: if a bad value slipped through, the run would fail rather than reach anything.
  const code = await main(argv, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: { RETRY_QUERIES_DIR: queriesDir, AZURE_RESOURCE_MANAGER_ENDPOINT: "https://127.0.0.1:9", ...env },
    isTTY: false,
  });
  return { code, stdout, stderr };
}

const BAD: [string, string][] = [
  ["RETRY_SCHEDULE", "every hour"],
  ["RETRY_SCHEDULE", "0 15 * * *"],
  ["RETRY_SCHEDULE", "0 15 * * * * *"],
  ["RETRY_SCHEDULE", "0 99 * * * *"],
  ["RETRY_SCHEDULE", "0 0 24 * * *"],
  ["RETRY_SCHEDULE", "0 0 0 32 * *"],
  ["RETRY_SCHEDULE", "0 0 0 * 13 *"],
  ["RETRY_SCHEDULE", "0 */0 * * * *"],
  ["RETRY_SCHEDULE", "25:00:00"],
  ["RETRY_SCHEDULE", "00:61:00"],
  ["RETRY_QUERIES_DIR", "/nonexistent/rfb-queries"],
  ["RETRY_SUBSCRIPTIONS", "not-a-guid"],
  ["RETRY_SUBSCRIPTIONS", "aaaaaaaa-1111-4111-8111-000000000001,nope"],
  ["RETRY_SUBSCRIPTIONS", "{aaaaaaaa-1111-4111-8111-000000000001}"],
  ["RETRY_SUBSCRIPTIONS", "aaaaaaaa-1111-4111-8111-000000000001/../x"],
  ["RETRY_MANAGEMENT_GROUPS", "bad group!"],
  ["RETRY_MANAGEMENT_GROUPS", "g".repeat(91)],
  ["RETRY_MANAGEMENT_GROUPS", "a/b"],
  ["RETRY_EXPIRY_DAYS", "0"],
  ["RETRY_EXPIRY_DAYS", "-1"],
  ["RETRY_EXPIRY_DAYS", "3651"],
  ["RETRY_EXPIRY_DAYS", "ten"],
  ["RETRY_EXPIRY_DAYS", "1.5"],
  ["RETRY_EXPIRY_DAYS", "1e3"],
  ["RETRY_EXPIRY_DAYS", "0x10"],
  ["RETRY_MAX_PER_RUN", "0"],
  ["RETRY_MAX_PER_RUN", "100001"],
  ["RETRY_MAX_PER_RUN", "lots"],
  ["RETRY_MAX_PER_SUBSCRIPTION", "0"],
  ["RETRY_MAX_PER_SUBSCRIPTION", "-5"],
  ["RETRY_MAX_PER_SUBSCRIPTION", "1.0"],
  ["RETRY_CONCURRENCY", "0"],
  ["RETRY_CONCURRENCY", "65"],
  ["RETRY_CONCURRENCY", "eight"],
  ["RETRY_DRY_RUN", "maybe"],
  ["RETRY_DRY_RUN", "2"],
  ["AZURE_RESOURCE_MANAGER_ENDPOINT", "http://management.azure.com"],
  ["AZURE_RESOURCE_MANAGER_ENDPOINT", "https://management.azure.com/subscriptions"],
  ["AZURE_RESOURCE_MANAGER_ENDPOINT", "https://management.azure.com?x=1"],
  ["AZURE_RESOURCE_MANAGER_ENDPOINT", "https://management.azure.com#x"],
  ["AZURE_RESOURCE_MANAGER_ENDPOINT", "https://user:pw@management.azure.com"],
  ["AZURE_RESOURCE_MANAGER_ENDPOINT", "https://:pw@management.azure.com"],
  ["AZURE_RESOURCE_MANAGER_ENDPOINT", "not a url"],
  ["AZURE_RESOURCE_MANAGER_ENDPOINT", "ftp://management.azure.com"],
  ["AZURE_RESOURCE_MANAGER_ENDPOINT", "javascript:alert(1)"],
  ["AZURE_CLIENT_ID", "not-a-guid"],
  ["AZURE_CLIENT_ID", "123"],
  ["LOG_LEVEL", "verbose"],
  ["LOG_LEVEL", "info2"],
];

describe("bad settings", () => {
  it.each(BAD)("%s=%j: exit 2, a message naming the setting, no stack", async (name, value) => {
    const { code, stdout, stderr } = await cli(["sweep", "--dry-run"], { [name]: value });
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain(`${name}=`);
    expect(stderr).toMatch(/invalid settings|RETRY_QUERIES_DIR/);
    expect(stderr).not.toMatch(/\n\s+at |\.ts:\d+/);
  });

  it("names every bad setting at once", async () => {
    const env = Object.fromEntries(BAD.filter(([n]) => n !== "RETRY_QUERIES_DIR").map(([n, v]) => [n, v]));
    const { code, stderr } = await cli(["sweep"], env);
    expect(code).toBe(2);
    for (const name of new Set(Object.keys(env))) expect(stderr).toContain(`${name}=`);
  });

  it("refuses RETRY_SUBSCRIPTIONS and RETRY_MANAGEMENT_GROUPS together, naming both", async () => {
    const { code, stderr } = await cli(["sweep"], { RETRY_SUBSCRIPTIONS: "aaaaaaaa-1111-4111-8111-000000000001", RETRY_MANAGEMENT_GROUPS: "mg-prod" });
    expect(code).toBe(2);
    expect(stderr).toMatch(/RETRY_MANAGEMENT_GROUPS=.*RETRY_SUBSCRIPTIONS/);
  });
});

describe("bad flags", () => {
  it.each([
    [["sweep", "--max-retries", "0"], /--max-retries must be a whole number/],
    [["sweep", "--max-retries", "abc"], /--max-retries must be a whole number/],
    [["sweep", "--max-retries", "100001"], /--max-retries must be a whole number/],
    [["sweep", "--subscription", "not-a-guid"], /--subscription must be a subscription id/],
    [["sweep", "--subscription", "aaaaaaaa-1111-4111-8111-000000000001/../x"], /--subscription must be a subscription id/],
    [["sweep", "--queries-dir", "/nonexistent/rfb-queries"], /--queries-dir/],
    [["sweep", "--force"], /unknown option --force/],
    [["sweep", "--query"], /argument missing|--query/],
    [["sweep", "extra"], /positional|extra/],
    [["bogus"], /unknown command "bogus"/],
    [[], /no command given/],
  ])("%j: exit 2 with usage", async (argv, message) => {
    const { code, stderr } = await cli(argv, {});
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe("the installed command", () => {
  it("exits 2 naming RETRY_CONCURRENCY when run as a process", async () => {
    const result = await runBin(["sweep", "--dry-run"], { RETRY_CONCURRENCY: "0", RETRY_QUERIES_DIR: queriesDir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/RETRY_CONCURRENCY="0" must be a whole number from 1 to 64/);
    expect(result.stdout).toBe("");
  });
});
