// The text the app sends to Resource Graph for a rule file: tunables written in on tokens, `let` lines gone.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { lineColumn, prepareQuery, type PrepareResult } from "../../src/queries/prepare.ts";

const QUERIES = path.resolve(import.meta.dirname, "../../queries");

function sent(source: string): string {
  const result = prepareQuery(source);
  if (!result.ok) throw new Error(`not sendable: ${JSON.stringify(result.problems)}`);
  return result.query.text;
}

function problems(source: string): { line: number; column: number; code: string; message: string }[] {
  const result: PrepareResult = prepareQuery(source);
  if (result.ok) throw new Error(`expected problems, got: ${result.query.text}`);
  return result.problems.map((p) => ({ ...lineColumn(source, p.at), code: p.code, message: p.message }));
}

describe("every tunable kind is written in", () => {
  it.each([
    ["a whole number", "let n = 3;", "T | where x > n", "T | where x > 3"],
    ["a negative number", "let n = -2;", "T | where x > n", "T | where x > -2"],
    ["a real", "let r = 0.5;", "T | where x > r", "T | where x > 0.5"],
    ["a timespan", "let lookback = 24h;", "T | where t > ago(lookback)", "T | where t > ago(24h)"],
    ["a timespan with a long unit", "let w = 30min;", "T | where t > ago(w)", "T | where t > ago(30min)"],
    ["a time() timespan", "let w = time(1.02:00:00);", "T | where t > ago(w)", "T | where t > ago(time(1.02:00:00))"],
    ["a datetime", "let since = datetime(2026-11-01T00:00:00Z);", "T | where t > since", "T | where t > datetime(2026-11-01T00:00:00Z)"],
    ["a string", 'let kind = "Full";', "T | where k == kind", 'T | where k == "Full"'],
    ["a single-quoted string", "let kind = 'Log';", "T | where k == kind", "T | where k == 'Log'"],
    ["a verbatim string", 'let pattern = @"a\\b";', "T | where k == pattern", 'T | where k == @"a\\b"'],
    ["a boolean", "let manual = false;", "T | where manual or x", "T | where false or x"],
    ["a list used with in~", 'let w = dynamic(["AzureVM", "SQL"]);', "T | where k in~ (w)", 'T | where k in~ ("AzureVM", "SQL")'],
    ["a list used with !in", 'let w = dynamic(["a"]);', "T | where k !in (w)", 'T | where k !in ("a")'],
    ["an empty list used with in", "let w = dynamic([]);", "T | where k in (w)", "T | where k in (dynamic([]))"],
    ["a list used another way", 'let w = dynamic(["a", "b"]);', "T | extend n = array_length(w)", 'T | extend n = array_length(dynamic(["a", "b"]))'],
    ["a map indexed by a column", 'let days = dynamic({"AzureVM": 10, "SQL": 45});', "T | extend d = toint(days[workload])", 'T | extend d = toint(case(workload == "AzureVM", 10, workload == "SQL", 45, long(null)))'],
    ["a map of strings indexed by an expression", 'let tag = dynamic({"a": "Daily"});', "T | extend t = tag[tolower(k)]", 'T | extend t = case((tolower(k)) == "a", "Daily", "")'],
  ])("%s", (_, tunable, query, expected) => {
    expect(sent(`${tunable}\n${query}`)).toBe(expected);
  });
});

describe("names that are not references are left alone", () => {
  const file = [
    "// lookback is read below; budget too",
    "let lookback = 24h;   // the window",
    "let budget = 3;",
    'let workloads = dynamic(["AzureVM"]);',
    "RecoveryServicesResources",
    '| where tostring(properties.workloads) != "lookback" and name != \'budget\' // lookback in a comment',
    "| extend lookbackDays = 1, budgets = 2, x = properties.lookback, y = @\"budget\"",
    "| where startedAt > ago(lookback) and attempts < budget and budget > 0",
    "| join kind=leftouter (RecoveryServicesResources | where t > ago(lookback) | project id, w = workloads) on id",
    "| where workload in~ (workloads)",
    "| project id",
  ].join("\n");
  const text = sent(file);

  it("drops the let lines and their comments, and nothing else", () => {
    expect(text).not.toMatch(/\blet\b/);
    expect(text).not.toContain("the window");
    expect(text.startsWith("RecoveryServicesResources\n")).toBe(true);
  });
  it("inside strings and comments", () => {
    expect(text).toContain('!= "lookback" and name != \'budget\' // lookback in a comment');
    expect(text).toContain('y = @"budget"');
  });
  it("as a property or a longer name", () => {
    expect(text).toContain("tostring(properties.workloads)");
    expect(text).toContain("x = properties.lookback");
    expect(text).toContain("lookbackDays = 1, budgets = 2");
  });
  it("used twice, and inside a join's subquery", () => {
    expect(text).toContain("where startedAt > ago(24h) and attempts < 3 and 3 > 0");
    expect(text).toContain('(RecoveryServicesResources | where t > ago(24h) | project id, w = dynamic(["AzureVM"]))');
    expect(text).toContain('where workload in~ ("AzureVM")');
  });
});

describe("editing a tunable changes the text sent", () => {
  it("for each shipped rule and tunable", async () => {
    for (const name of ["recovery-services", "backup-vault"]) {
      const file = await readFile(path.join(QUERIES, `${name}.kql`), "utf8");
      const before = sent(file);
      const edited = sent(file.replace(/^let attemptBudget = 3;/m, "let attemptBudget = 5;").replace(/^let lookback = 48h;/m, "let lookback = 3d;"));
      expect(before, name).toContain('attempts >= 3, "exhausted"');
      expect(edited, name).toContain('attempts >= 5, "exhausted"');
      expect(before, name).toContain("ago(48h)");
      expect(edited, name).not.toContain("ago(48h)");
      expect(edited, name).toContain("ago(3d)");
    }
  });
});

describe("the shipped rules as sent", () => {
  it.each(["recovery-services", "backup-vault"])("%s carries no statement and no tunable name", async (name) => {
    const file = await readFile(path.join(QUERIES, `${name}.kql`), "utf8");
    const result = prepareQuery(file);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { text, tunables } = result.query;
    expect(text.startsWith("RecoveryServicesResources\n")).toBe(true);
    const code = text.replace(/\/\/[^\n]*/g, "").replace(/"(?:[^"\\]|\\.)*"/g, '""');
    expect(code).not.toMatch(/\blet\b/);
    expect(code).not.toContain(";");
    for (const tunable of tunables) expect(code, tunable.name).not.toMatch(new RegExp(`(?<![.\\w])${tunable.name}(?!\\w)`));
  });
});

describe("what cannot be sent is refused at its position", () => {
  it("a tabular let", () => {
    expect(problems("// rule\nlet jobs = RecoveryServicesResources | where type =~ 'x';\njobs | project id")).toEqual([
      expect.objectContaining({ line: 2, column: 12, code: "TunableNotLiteral", message: expect.stringContaining("is a tabular expression, not a literal tunable") }),
    ]);
  });
  it("a function", () => {
    expect(problems("let f = (x: long) { x + 1 };\nT | extend y = f(1)")).toEqual([expect.objectContaining({ line: 1, column: 9, code: "TunableNotLiteral", message: expect.stringContaining("is a function") })]);
  });
  it("an expression", () => {
    expect(problems("let since = ago(1d);\nT | where t > since")).toEqual([expect.objectContaining({ line: 1, column: 13, message: expect.stringContaining("is an expression") })]);
  });
  it("a nested list", () => {
    expect(problems('let w = dynamic([["a"]]);\nT')).toEqual([expect.objectContaining({ line: 1, column: 18, code: "TunableNotLiteral" })]);
  });
  it("a map of mixed values", () => {
    expect(problems('let m = dynamic({"a": 1, "b": "x"});\nT')).toEqual([expect.objectContaining({ code: "TunableMixedMap" })]);
  });
  it("a tunable set twice", () => {
    expect(problems("let n = 1;\nlet n = 2;\nT")).toEqual([expect.objectContaining({ line: 2, column: 5, code: "TunableDuplicate" })]);
  });
  it("a tunable also used as a column name", () => {
    expect(problems("let n = 1;\nT | extend n = 2")).toEqual([expect.objectContaining({ line: 2, column: 12, code: "TunableShadowed" })]);
  });
  it("another statement", () => {
    expect(problems("set notruncation;\nT")).toEqual([expect.objectContaining({ line: 1, column: 1, code: "ArgStatement" })]);
  });
  it("two queries", () => {
    expect(problems("T | project id;\nT | project name")).toEqual([expect.objectContaining({ line: 2, column: 1, code: "ArgOneQuery" })]);
  });
  it("an unclosed string", () => {
    expect(problems('let s = "abc;\nT')).toEqual([expect.objectContaining({ line: 1, column: 9, code: "KqlSyntax" })]);
  });
  it("only tunables", () => {
    expect(problems("let n = 1;\n")).toEqual([expect.objectContaining({ code: "NoResult" })]);
  });
});

describe("known tunables are checked for type and range at their own line", () => {
  it.each([
    ["let lookback = 30d;", "TunableOutOfRange", "from 1h to 14d", 16],
    ["let lookback = 30m;", "TunableOutOfRange", "from 1h to 14d", 16],
    ["let lookback = 24;", "TunableType", "a timespan from 1h to 14d", 16],
    ["let attemptBudget = 0;", "TunableOutOfRange", "a whole number from 1 to 1000", 21],
    ["let attemptBudget = 2.5;", "TunableOutOfRange", "a whole number", 21],
    ["let retryManualJobs = 1;", "TunableType", "true or false", 23],
    ['let workloads = dynamic(["AzureVM", "AzureVm2"]);', "TunableUnknownWorkload", 'Did you mean "AzureVM"?', 37],
    ['let workloads = dynamic(["Sql"]);', "TunableUnknownWorkload", 'Did you mean "SQLDatabase"?', 26],
    ['let workloads = dynamic(["Something"]);', "TunableUnknownWorkload", "Known names: AzureVM", 26],
    ['let expiryDaysByWorkload = dynamic({"AzureVM": 10, "SQLDatabase": 30});', "TunableOutOfRange", "at least 45 days", 67],
    ['let expiryDaysByWorkload = dynamic({"AzureFileShare": 4000});', "TunableOutOfRange", "at most 10 years", 55],
    ['let expiryDaysByWorkload = dynamic({"AzureVMs": 10});', "TunableUnknownWorkload", 'Did you mean "AzureVM"?', 37],
  ])("%s", (tunable, code, message, column) => {
    expect(problems(`// rule\n${tunable}\nT | project id`)).toEqual([expect.objectContaining({ line: 2, column, code, message: expect.stringContaining(message) })]);
  });

  it("accepts raw dataSourceType strings and the documented limits", () => {
    expect(sent('let workloads = dynamic(["Microsoft.ContainerService/managedClusters", "AzureIaasVM"]);\nlet lookback = 14d;\nlet attemptBudget = 1;\nT | where w in (workloads) and t > ago(lookback) and a < attemptBudget')).toBe(
      'T | where w in ("Microsoft.ContainerService/managedClusters", "AzureIaasVM") and t > ago(14d) and a < 1',
    );
  });
});
