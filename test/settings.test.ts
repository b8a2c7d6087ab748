import { describe, expect, it } from "vitest";
import { loadSettings, SETTING_NAMES } from "../src/settings.ts";
import { SettingsError } from "../src/core/index.ts";

describe("loadSettings", () => {
  it("applies the DESIGN.md defaults", () => {
    expect(loadSettings({})).toEqual({
      schedule: "0 15 * * * *",
      queriesDir: "queries",
      subscriptions: [],
      managementGroups: [],
      expiryDays: 10,
      maxPerRun: 5000,
      maxPerSubscription: 200,
      concurrency: 32,
      dryRun: false,
      paused: false,
      armEndpoint: "https://management.azure.com",
      runsEndpoint: undefined,
      runsRetentionDays: 30,
      clientId: undefined,
      logLevel: "info",
    });
  });

  it("knows every setting of DESIGN.md", () => {
    expect(SETTING_NAMES.sort()).toEqual(
      ["RETRY_SCHEDULE", "RETRY_QUERIES_DIR", "RETRY_SUBSCRIPTIONS", "RETRY_MANAGEMENT_GROUPS", "RETRY_EXPIRY_DAYS", "RETRY_MAX_PER_RUN", "RETRY_MAX_PER_SUBSCRIPTION", "RETRY_CONCURRENCY", "RETRY_DRY_RUN", "RETRY_PAUSED", "RETRY_RUNS_BLOB_ENDPOINT", "RETRY_RUNS_RETENTION_DAYS", "AZURE_RESOURCE_MANAGER_ENDPOINT", "AZURE_CLIENT_ID", "LOG_LEVEL"].sort(),
    );
  });

  it("reads the run store's endpoint and retention, naming the setting when either is wrong", () => {
    expect(loadSettings({ RETRY_RUNS_BLOB_ENDPOINT: "https://st1.blob.core.windows.net/", RETRY_RUNS_RETENTION_DAYS: "7" })).toMatchObject({ runsEndpoint: "https://st1.blob.core.windows.net", runsRetentionDays: 7 });
    expect(() => loadSettings({ RETRY_RUNS_BLOB_ENDPOINT: "http://st1.blob.core.windows.net" })).toThrow(/RETRY_RUNS_BLOB_ENDPOINT="http:\/\/st1.blob.core.windows.net" must be the https:\/\/ blob endpoint of the app's storage account/);
    expect(() => loadSettings({ RETRY_RUNS_RETENTION_DAYS: "0" })).toThrow(/RETRY_RUNS_RETENTION_DAYS="0" must be a whole number from 1 to 3650/);
  });

  it("parses lists, booleans and numbers, and treats empty strings as unset", () => {
    const s = loadSettings({ RETRY_SUBSCRIPTIONS: " AAAAAAAA-0000-0000-0000-000000000001, aaaaaaaa-0000-0000-0000-000000000001 ,", RETRY_DRY_RUN: "TRUE", RETRY_CONCURRENCY: "3", RETRY_EXPIRY_DAYS: "", AZURE_RESOURCE_MANAGER_ENDPOINT: "https://management.usgovcloudapi.net/" });
    expect(s.subscriptions).toEqual(["aaaaaaaa-0000-0000-0000-000000000001"]);
    expect(s.dryRun).toBe(true);
    expect(s.concurrency).toBe(3);
    expect(s.expiryDays).toBe(10);
    expect(s.armEndpoint).toBe("https://management.usgovcloudapi.net");
  });

  it.each([
    ["RETRY_SCHEDULE", "every hour", /RETRY_SCHEDULE="every hour" must be an NCRONTAB expression with six fields/],
    ["RETRY_SCHEDULE", "0 * * * *", /six fields/],
    ["RETRY_SUBSCRIPTIONS", "prod", /RETRY_SUBSCRIPTIONS="prod" each entry must be a subscription id \(GUID\)/],
    ["RETRY_MANAGEMENT_GROUPS", "mg/../x", /RETRY_MANAGEMENT_GROUPS.*management group id/],
    ["RETRY_EXPIRY_DAYS", "0", /RETRY_EXPIRY_DAYS="0" must be a whole number from 1 to 3650/],
    ["RETRY_EXPIRY_DAYS", "ten", /RETRY_EXPIRY_DAYS="ten" must be a whole number/],
    ["RETRY_MAX_PER_RUN", "-5", /RETRY_MAX_PER_RUN="-5" must be a whole number/],
    ["RETRY_MAX_PER_SUBSCRIPTION", "1.5", /RETRY_MAX_PER_SUBSCRIPTION/],
    ["RETRY_CONCURRENCY", "1000", /RETRY_CONCURRENCY="1000" must be a whole number from 1 to 64/],
    ["RETRY_DRY_RUN", "maybe", /RETRY_DRY_RUN="maybe" must be true or false/],
    ["AZURE_RESOURCE_MANAGER_ENDPOINT", "http://management.azure.com", /AZURE_RESOURCE_MANAGER_ENDPOINT.*https:\/\//],
    ["AZURE_RESOURCE_MANAGER_ENDPOINT", "https://management.azure.com/x?y", /AZURE_RESOURCE_MANAGER_ENDPOINT/],
    ["AZURE_CLIENT_ID", "my-identity", /AZURE_CLIENT_ID="my-identity" must be the client id \(GUID\) of a user-assigned managed identity/],
    ["LOG_LEVEL", "verbose", /LOG_LEVEL="verbose" must be one of fatal, error, warn, info, debug, trace, silent/],
  ])("names %s and what is allowed when it is %j", (name, value, message) => {
    expect(() => loadSettings({ [name]: value })).toThrow(SettingsError);
    expect(() => loadSettings({ [name]: value })).toThrow(message);
  });

  it("reports every bad setting at once", () => {
    try {
      loadSettings({ RETRY_CONCURRENCY: "0", RETRY_DRY_RUN: "perhaps" });
      expect.unreachable();
    } catch (error) {
      expect((error as SettingsError).problems).toHaveLength(2);
    }
  });

  it("refuses two scopes at once", () => {
    expect(() => loadSettings({ RETRY_SUBSCRIPTIONS: "aaaaaaaa-0000-0000-0000-000000000001", RETRY_MANAGEMENT_GROUPS: "mg-prod" })).toThrow(/takes one scope/);
  });
});
