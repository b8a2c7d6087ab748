// The alerts, their action group, the workbook and the pause switch, read from the compiled ARM JSON (what Azure
// receives) by ./arm.ts; and every KQL they carry, checked with the Kusto parser against AppTraces and against the
// events src/ really logs (./log-events.ts). That a rule fires on real data, and how its mail reads, only a
// deployment shows: the README's "The alerts" says so.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { at, deploy, type Deployed } from "./arm.ts";
import { HOST, idOf, INFRA, main, ofType, only, REQUIRED, ROOT, sayWhySkipped, skip, template } from "./deployment.ts";
import { checkLogQuery, readLogQuery } from "./kusto.ts";
import { scanLogEvents, type EventCatalog } from "./log-events.ts";

sayWhySkipped("test/infra/monitoring.test.ts");

const PRELUDE = readFileSync(path.join(INFRA, "modules", "app-events.kql"), "utf8");

const catalogOf = (scan: EventCatalog): Map<string, Set<string>> => scan.events;

const scanned = scanLogEvents();
const catalog = catalogOf(scanned);
const outcomes = [...scanned.events.keys()].filter((name) => name.startsWith("retry.")).sort();

type Rule = { name: string; properties: Record<string, unknown> };

function rules(resources: Deployed[]): Record<"heartbeat" | "exhausted" | "digest", Rule> {
  const byName = (suffix: string): Rule => {
    const found = ofType(resources, "Microsoft.Insights/scheduledQueryRules").filter((r) => r.name.endsWith(suffix));
    expect(found, suffix).toHaveLength(1);
    const rule = found[0] as Deployed;
    return { name: rule.name, properties: at(rule.resource, "properties") as Record<string, unknown> };
  };
  return { heartbeat: byName("-stopped-sweeping"), exhausted: byName("-item-exhausted"), digest: byName("-run-failures") };
}

function queryOf(rule: Rule): string {
  return String(at(rule.properties, "criteria", "allOf", 0, "query"));
}

type Panel = { type: number; name: string; content: Record<string, unknown> };

function workbookOf(resources: Deployed[]): { resource: Deployed; data: { items: Panel[]; fallbackResourceIds: string[] } } {
  const resource = only(resources, "Microsoft.Insights/workbooks");
  return { resource, data: JSON.parse(String(at(resource.resource, "properties", "serializedData"))) as { items: Panel[]; fallbackResourceIds: string[] } };
}

function panel(resources: Deployed[], name: string): Record<string, unknown> {
  const found = workbookOf(resources).data.items.find((item) => item.name === name);
  if (found === undefined) throw new Error(`the workbook has no panel ${name}`);
  return found.content;
}

/** Every KQL the deployment ships, by where it is: each rule's criteria and each workbook panel. */
function shippedQueries(resources: Deployed[]): [string, string][] {
  const fromRules = ofType(resources, "Microsoft.Insights/scheduledQueryRules").flatMap((r) =>
    (at(r.resource, "properties", "criteria", "allOf") as { query: string }[]).map((c, i) => [`rule ${r.name} #${i}`, c.query] as [string, string]),
  );
  const fromWorkbook = workbookOf(resources).data.items.filter((item) => "query" in item.content).map((item) => [`workbook panel ${item.name}`, String(item.content.query)] as [string, string]);
  return [...fromRules, ...fromWorkbook];
}

describe.skipIf(skip)("alerts, compiled with the pinned Bicep CLI", () => {
  const workspace = () => idOf(only(main(), "Microsoft.OperationalInsights/workspaces"));

  it("are three log search alerts on the app's workspace, each resolving itself when its condition clears", () => {
    const resources = main();
    const all = ofType(resources, "Microsoft.Insights/scheduledQueryRules");
    expect(all).toHaveLength(3);
    for (const rule of all) {
      expect(rule.resource).toMatchObject({ kind: "LogAlert", location: "westeurope", properties: { enabled: true, autoMitigate: true, scopes: [workspace()] } });
      expect(rule.deployments).toEqual(["alerts"]);
    }
    // The rule that mailed on every run (autoMitigate off) is gone.
    expect(all.map((r) => r.name).filter((n) => n.endsWith("-retries-need-a-person"))).toEqual([]);
  });

  it("the heartbeat fires when no sweep.completed or sweep.paused arrived for two schedule intervals", () => {
    const { heartbeat } = rules(main());
    expect(heartbeat.properties).toMatchObject({ evaluationFrequency: "PT15M", windowSize: "PT2H", severity: 1 });
    const criterion = at(heartbeat.properties, "criteria", "allOf", 0) as Record<string, unknown>;
    // No rows in the window counts 0, which is what fires: no summarize, no dimensions.
    expect(criterion).toMatchObject({ timeAggregation: "Count", operator: "LessThan", threshold: 1 });
    expect(criterion).not.toHaveProperty("dimensions");
    const reading = readLogQuery(queryOf(heartbeat), PRELUDE);
    expect(reading.events).toEqual(["sweep.completed", "sweep.paused"]);
    expect(queryOf(heartbeat)).not.toMatch(/\bsummarize\b/);
  });

  it("the heartbeat window follows alertHeartbeatMinutes, in the windows a log search alert accepts", () => {
    const windowFor = (minutes: number) => rules(main({ alertHeartbeatMinutes: minutes })).heartbeat.properties.windowSize;
    expect([30, 45, 60, 120, 360, 1440, 2880].map(windowFor)).toEqual(["PT30M", "PT45M", "PT1H", "PT2H", "PT6H", "P1D", "P2D"]);
    expect(() => main({ alertHeartbeatMinutes: 90 })).toThrow(/parameter 'alertHeartbeatMinutes' does not allow 90/);
    expect(rules(main({ alertHeartbeatMinutes: 45 })).exhausted.properties.windowSize).toBe("PT45M");
  });

  it("an exhausted item alerts once, as its own alert, while its latest action is retry.exhausted", () => {
    const { exhausted } = rules(main());
    expect(exhausted.properties).toMatchObject({ evaluationFrequency: "PT15M", windowSize: "PT2H" });
    const criterion = at(exhausted.properties, "criteria", "allOf", 0) as Record<string, unknown>;
    expect(criterion).toMatchObject({ timeAggregation: "Count", operator: "GreaterThan", threshold: 0 });
    expect((criterion.dimensions as { name: string; values: string[] }[]).map((d) => [d.name, d.values])).toEqual([
      ["itemId", ["*"]],
      ["subscriptionId", ["*"]],
      ["workload", ["*"]],
    ]);
    const query = queryOf(exhausted);
    // Every outcome is read, so the item's latest action decides: an item triggered again drops out.
    expect(readLogQuery(query, PRELUDE).events).toEqual(outcomes);
    expect(query).toMatch(/\| summarize arg_max\(TimeGenerated, event, [^)]*\) by itemId\n\| where event == 'retry\.exhausted'\n/);
  });

  it("failures arrive as one alert per run, from the run's final counts", () => {
    const { digest } = rules(main());
    expect(digest.properties).toMatchObject({ evaluationFrequency: "PT15M", windowSize: "PT30M", severity: 2 });
    const criterion = at(digest.properties, "criteria", "allOf", 0) as Record<string, unknown>;
    expect(criterion).toMatchObject({ timeAggregation: "Count", operator: "GreaterThan", threshold: 0 });
    expect((criterion.dimensions as { name: string }[]).map((d) => d.name)).toEqual(["run", "trigger"]);
    const reading = readLogQuery(queryOf(digest), PRELUDE);
    expect(reading.events).toEqual(["query.failed", "retry.failed", "run.leaseLost", "sweep.completed", "sweep.failed"]);
    expect(reading.fields).toEqual(expect.arrayContaining(["totals.failed", "failedQueries", "error.status", "runId", "invocationId"]));
    expect(queryOf(digest)).toMatch(/\) by run\n\| where runFailed > 0 or failedItems > 0 or failedQueries > 0 or leaseLost > 0\n/);
  });

  describe("action group", () => {
    const actionGroupsOf = (resources: Deployed[]) => Object.values(rules(resources)).map((r) => at(r.properties, "actions", "actionGroups"));

    it("none without a receiver: the alerts then show in Azure Monitor only", () => {
      const silent = main();
      expect(ofType(silent, "Microsoft.Insights/actionGroups")).toEqual([]);
      expect(actionGroupsOf(silent)).toEqual([[], [], []]);
    });

    it("emails every address given once, and every alert uses it", () => {
      const resources = main({ alertEmails: " oncall@contoso.com, backup-team@contoso.com ,,oncall@contoso.com" });
      const group = only(resources, "Microsoft.Insights/actionGroups");
      expect(group.resource).toMatchObject({ location: "global", properties: { enabled: true, webhookReceivers: [] } });
      expect(at(group.resource, "properties", "emailReceivers")).toEqual([
        { name: "email-0", emailAddress: "oncall@contoso.com", useCommonAlertSchema: true },
        { name: "email-1", emailAddress: "backup-team@contoso.com", useCommonAlertSchema: true },
      ]);
      expect(actionGroupsOf(resources)).toEqual([[idOf(group)], [idOf(group)], [idOf(group)]]);
    });

    it("posts to a webhook when one is given, with or without emails; the URL is a secure parameter", () => {
      const url = "https://example.invalid/workflows/retry-alerts";
      const resources = main({ alertWebhookUrl: url });
      const group = only(resources, "Microsoft.Insights/actionGroups");
      expect(at(group.resource, "properties")).toMatchObject({ emailReceivers: [], webhookReceivers: [{ name: "webhook", serviceUri: url, useCommonAlertSchema: true }] });
      expect(actionGroupsOf(resources)).toEqual([[idOf(group)], [idOf(group)], [idOf(group)]]);
      expect(at(only(main({ alertWebhookUrl: url, alertEmails: "oncall@contoso.com" }), "Microsoft.Insights/actionGroups").resource, "properties", "emailReceivers")).toHaveLength(1);
      const parameters = (template("main.json") as { parameters: Record<string, { type: string }> }).parameters;
      expect(parameters.alertWebhookUrl?.type).toBe("securestring");
      expect(parameters.alertEmails?.type).toBe("string");
    });

    it("azd fills the receivers from RETRY_ALERT_EMAILS, RETRY_ALERT_EMAIL (the older name) and RETRY_ALERT_WEBHOOK_URL", () => {
      const file = JSON.parse(readFileSync(path.join(INFRA, "main.parameters.json"), "utf8")) as { parameters: Record<string, { value: string }> };
      const provision = (env: Record<string, string>) => {
        const azd: Record<string, string> = { AZURE_ENV_NAME: REQUIRED.environmentName, AZURE_LOCATION: REQUIRED.location, ...env };
        const values = Object.fromEntries(Object.entries(file.parameters).map(([k, v]) => [k, v.value.replace(/\$\{(\w+)\}/g, (_, name: string) => azd[name] ?? "")]));
        return deploy(template("main.json"), values, HOST);
      };
      const emails = (resources: Deployed[]) => (at(only(resources, "Microsoft.Insights/actionGroups").resource, "properties", "emailReceivers") as { emailAddress: string }[]).map((r) => r.emailAddress);
      expect(ofType(provision({}), "Microsoft.Insights/actionGroups")).toEqual([]);
      expect(emails(provision({ RETRY_ALERT_EMAIL: "oncall@contoso.com" }))).toEqual(["oncall@contoso.com"]);
      expect(emails(provision({ RETRY_ALERT_EMAILS: "a@contoso.com,b@contoso.com", RETRY_ALERT_EMAIL: "a@contoso.com" }))).toEqual(["a@contoso.com", "b@contoso.com"]);
      const hooked = provision({ RETRY_ALERT_WEBHOOK_URL: "https://example.invalid/hook" });
      expect(at(only(hooked, "Microsoft.Insights/actionGroups").resource, "properties", "webhookReceivers")).toEqual([{ name: "webhook", serviceUri: "https://example.invalid/hook", useCommonAlertSchema: true }]);
    });
  });
});

describe.skipIf(skip)("workbook, compiled with the pinned Bicep CLI", () => {
  it("is deployed with the app, shared, filed under its workspace and querying it", () => {
    const resources = main();
    const { resource, data } = workbookOf(resources);
    const workspace = idOf(only(resources, "Microsoft.OperationalInsights/workspaces")).toLowerCase();
    expect(resource.deployments).toEqual(["workbook"]);
    expect(resource.name).toBe(`guid(/subscriptions/sub-host/resourceGroups/rg-retry-prod, ${only(resources, "Microsoft.Web/sites").name}, workbook)`);
    expect(resource.resource).toMatchObject({ kind: "shared", location: "westeurope", properties: { category: "workbook", sourceId: workspace } });
    expect(data.fallbackResourceIds).toEqual([workspace]);
    const queries = data.items.filter((item) => item.type === 3);
    expect(queries.map((item) => item.name)).toEqual(["runs", "outcomes", "subscriptions", "exhausted", "errors"]);
    for (const item of queries) {
      expect(item.content, item.name).toMatchObject({ version: "KqlItem/1.0", queryType: 0, resourceType: "microsoft.operationalinsights/workspaces", crossComponentResources: [workspace], timeContextFromParameter: "TimeRange" });
    }
    const parameters = data.items.find((item) => item.type === 9)?.content.parameters as { name: string; type: number }[];
    expect(parameters.map((p) => [p.name, p.type])).toEqual([["TimeRange", 4]]);
  });

  it("shows sweeps over time by outcome, per subscription, the items now exhausted with their last error, the top error codes", () => {
    const resources = main();
    const reading = (name: string) => readLogQuery(String(panel(resources, name).query), PRELUDE);
    expect(reading("runs").events).toEqual(["sweep.completed", "sweep.failed", "sweep.paused", "sweep.skipped"]);
    expect(reading("outcomes").fields).toEqual(expect.arrayContaining(["totals.triggered", "totals.dryRun", "totals.alreadyInProgress", "totals.postponed", "totals.deferred", "totals.failed", "totals.exhausted"]));
    expect(reading("subscriptions").events).toEqual(outcomes);
    expect(reading("exhausted").events).toEqual(outcomes);
    expect(reading("exhausted").fields).toEqual(expect.arrayContaining(["error.code", "error.message", "reason"]));
    expect(reading("errors").fields).toEqual(expect.arrayContaining(["error.code", "error.message"]));
    // "Now" is two schedule intervals, like the alerts.
    expect(String(panel(resources, "exhausted").query)).toContain("TimeGenerated > ago(120m)");
    expect(String(panel(main({ alertHeartbeatMinutes: 45 }), "exhausted").query)).toContain("TimeGenerated > ago(45m)");
  });
});

describe.skipIf(skip)("pause, compiled with the pinned Bicep CLI", () => {
  const setting = (parameters: Record<string, unknown>) => at(only(main(parameters), "Microsoft.Web/sites/config").resource, "properties", "RETRY_PAUSED");

  it("RETRY_PAUSED is false unless retryPaused (RETRY_PAUSED in azd) says true", () => {
    expect(setting({})).toBe("false");
    expect(setting({ retryPaused: "" })).toBe("false");
    expect(setting({ retryPaused: "true" })).toBe("true");
    expect(setting({ retryPaused: "false" })).toBe("false");
    expect(() => main({ retryPaused: "yes" })).toThrow(/parameter 'retryPaused' does not allow "yes"/);
    const file = JSON.parse(readFileSync(path.join(INFRA, "main.parameters.json"), "utf8")) as { parameters: Record<string, { value: string }> };
    expect(file.parameters.retryPaused).toEqual({ value: "${RETRY_PAUSED}" });
  });
});

describe.skipIf(skip)("every KQL the deployment ships", () => {
  // Collected even when skipped: compile only when there is a compiler.
  const resources = skip ? [] : main({ alertEmails: "oncall@contoso.com" });

  it.each(skip ? [] : shippedQueries(resources))("%s parses against AppTraces and reads only events and fields the app logs", (_where, query) => {
    expect(checkLogQuery(query, PRELUDE, catalog)).toEqual([]);
  });

  it("fails when the code renames an event the queries read", () => {
    const renamed = catalogOf(scanLogEvents((file, text) => (file.endsWith(`${path.sep}sweep.ts`) ? text.replace('event: "sweep.completed"', 'event: "sweep.finished"') : text)));
    expect(renamed.has("sweep.finished")).toBe(true);
    const failing = shippedQueries(resources).filter(([, query]) => checkLogQuery(query, PRELUDE, renamed).some((p) => p.startsWith("'sweep.completed' is not an event the app logs")));
    expect(failing.map(([where]) => where.replace(/func-\w+/, "func-x"))).toEqual([
      "rule alert-func-x-stopped-sweeping #0",
      "rule alert-func-x-run-failures #0",
      "workbook panel runs",
      "workbook panel outcomes",
    ]);
  });

  it("fails when the code stops logging a field a query reads", () => {
    const dropped = catalogOf(scanLogEvents((file, text) => (file.endsWith(`${path.sep}sweep.ts`) ? text.replace("failedQueries: report.queries.filter", "queryFailures: report.queries.filter") : text)));
    const { digest } = rules(resources);
    expect(checkLogQuery(queryOf(digest), PRELUDE, dropped)).toEqual([expect.stringMatching(/^payload\.failedQueries: none of the events this query reads \(query\.failed, retry\.failed, run\.leaseLost, sweep\.completed, sweep\.failed\) carries it; they carry .*queryFailures/)]);
  });
});

describe("the log-event scan of src/", () => {
  it("finds the events the alerts and the workbook read, with their fields", () => {
    expect([...(scanned.events.get("sweep.completed") ?? [])]).toEqual(expect.arrayContaining(["trigger", "dryRun", "totals.failed", "totals.exhausted", "queries", "failedQueries", "durationMs", "runId", "invocationId"]));
    expect([...(scanned.events.get("retry.exhausted") ?? [])]).toEqual(expect.arrayContaining(["subscriptionId", "vaultKind", "workload", "itemId", "outcome", "reason", "error.code", "durationMs"]));
    expect(outcomes).toEqual(["retry.alreadyInProgress", "retry.cancelled", "retry.deferred", "retry.dryRun", "retry.exhausted", "retry.failed", "retry.postponed", "retry.triggered"]);
    expect(scanned.where.get("sweep.completed")).toEqual([expect.stringMatching(/^src\/sweep\.ts:\d+$/)]);
  });


  it("refuses an event whose name it cannot tell", () => {
    expect(() => scanLogEvents((file, text) => (file.endsWith(`${path.sep}sweep.ts`) ? text.replace('event: "sweep.completed"', "event: String(options.trigger)") : text))).toThrow(
      /^src\/sweep\.ts:\d+: the event name is not a string literal/,
    );
  });
});

describe("the KQL check rejects what it cannot see, and what the app does not log", () => {
  const check = (body: string) => checkLogQuery(`${PRELUDE}appEvents\n${body}\n`, PRELUDE, catalog);

  it("a field an event does not carry: retry.exhausted logs no dailyAllowance", () => {
    expect(check("| where event == 'retry.exhausted'\n| project allowance = toint(payload.dailyAllowance.value)")).toEqual([
      expect.stringMatching(/^payload\.dailyAllowance: none of the events this query reads \(retry\.exhausted\) carries it/),
      expect.stringMatching(/^payload\.dailyAllowance\.value: none of the events/),
    ]);
  });

  it("an event name nobody logs, and a query that names none", () => {
    expect(check("| where event in ('sweep.completed', 'sweep.finished')")).toEqual([expect.stringMatching(/^'sweep\.finished' is not an event the app logs; src\/ logs .*sweep\.completed/)]);
    expect(check("| where TimeGenerated > ago(1h)")).toEqual(["the query names no event: compare `event` with the names of the events it reads"]);
  });

  it("names and fields it cannot follow: a prefix match, the raw Message, payload[...], payload.event", () => {
    expect(check("| where event startswith 'retry.'")[0]).toMatch(/^`event` is compared at \d+ other than with ==, !=, in or !in/);
    expect(check("| where event == 'retry.failed' and Message has 'AuthorizationFailed'")[0]).toMatch(/^Message is read directly/);
    expect(check("| where event == 'sweep.completed'\n| extend t = payload['totals']")[0]).toMatch(/^payload is indexed with \[\.\.\.\]/);
    expect(check("| where tostring(payload.event) == 'sweep.completed'")).toContain("the query names no event: compare `event` with the names of the events it reads");
  });

  it("Kusto's own errors against AppTraces, and a query that skips app-events.kql", () => {
    expect(check("| where event == 'sweep.completed'\n| where Severity > 1")).toEqual([expect.stringMatching(/^KS142 at \d+: The name 'Severity' does not refer to any known column/)]);
    expect(checkLogQuery("AppTraces\n| where SeverityLevel > 1", PRELUDE, catalog)).toEqual([
      "the query does not start with infra/modules/app-events.kql: read the app's lines through appEvents, as every shipped query does",
      "the query names no event: compare `event` with the names of the events it reads",
    ]);
  });
});

describe("the README", () => {
  const docs = readFileSync(path.join(ROOT, "README.md"), "utf8");

  it("says how to pause and resume, and what each way survives", () => {
    const section = docs.slice(docs.indexOf("### Pause and resume"), docs.indexOf("### The alerts"));
    for (const text of ["RETRY_PAUSED", "sweep.paused", "AzureWebJobs.<function>.Disabled", "azd env set RETRY_PAUSED true", "azd env set RETRY_PAUSED false", "azd provision", "retryPaused=true", "az functionapp config appsettings set", "RETRY_PAUSED=true", "RETRY_PAUSED=false", "azd deploy"]) {
      expect(section, text).toContain(text);
    }
  });

  it("names each alert, what it means, its receivers and the workbook's panels", () => {
    for (const text of ["alert-<app>-stopped-sweeping", "alert-<app>-item-exhausted", "alert-<app>-run-failures", "alertHeartbeatMinutes", "RETRY_ALERT_EMAILS", "RETRY_ALERT_EMAIL`", "RETRY_ALERT_WEBHOOK_URL", "alert-$APP-retries-need-a-person", "### The workbook", "Items now exhausted", "Top error codes", "Per subscription", "Sweeps over time, by outcome"]) {
      expect(docs, text).toContain(text);
    }
  });
});
