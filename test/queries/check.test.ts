import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROW_CONTRACT } from "../../src/core/index.ts";
import { checkQueries, checkQuery, formatCheckReport, runCheckQueriesCommand } from "../../src/queries/check.ts";
import { loadQueries } from "../../src/queries/index.ts";

const root = path.resolve(import.meta.dirname, "..", "..");
const shipped = path.join(root, "queries");
const broken = path.join(root, "test/fixtures/queries/broken");
const valid = path.join(root, "test/fixtures/queries/valid");

async function load(dir: string, name: string) {
  const { queries, errors } = await loadQueries({ dir, names: [name] });
  expect(errors).toEqual([]);
  const [query] = queries;
  if (query === undefined) throw new Error(`no query ${name} in ${dir}`);
  return query;
}

async function problemsOf(name: string) {
  return checkQuery(await load(broken, name)).problems;
}

describe("query check", () => {
  it("loads the 31 MB Kusto parser only when a query is checked", () => {
    expect((globalThis as { Kusto?: unknown }).Kusto).toBeUndefined();
  });

  describe("shipped rules", () => {
    const tail = ["dataSourceType:string", "verdict:string", "retryAfter:datetime", "onDemandLast24h:long", "dailyAllowance:int", "attempts:long"];
    const head = ["id:string", "subscriptionId:string", "itemId:string", "failedAt:datetime", "errorCode:string", "errorMessage:string"];
    it.each([
      ["recovery-services", [...head, "expiryDays:int", "backupType:string", ...tail]],
      ["backup-vault", [...head, "ruleName:string", "retentionTag:string", ...tail]],
    ])("%s.kql passes and yields the contract columns", async (name, columns) => {
      const check = checkQuery(await load(shipped, name));
      expect(check.problems).toEqual([]);
      expect(check.ok).toBe(true);
      expect(check.columns).toEqual(columns.map((c) => ({ name: c.split(":")[0], type: c.split(":")[1] })));
    });

    it("every shipped column is a contract column with an allowed type", async () => {
      const { queries } = await loadQueries({ dir: shipped });
      expect(queries.map((q) => q.name)).toEqual(["backup-vault", "recovery-services"]);
      for (const check of checkQueries(queries).files) {
        for (const column of check.columns) {
          const contract = ROW_CONTRACT.find((c) => c.column === column.name);
          expect(contract, `${check.name}: ${column.name}`).toBeDefined();
          expect(contract?.types as readonly string[]).toContain(column.type);
        }
      }
    });

    it("keeps every tunable on one commented let line above the query", async () => {
      for (const name of ["recovery-services", "backup-vault"]) {
        const text = (await load(shipped, name)).text;
        const lets = text.split("\n").filter((line) => line.startsWith("let "));
        expect(lets.length, name).toBeGreaterThanOrEqual(5);
        for (const line of lets) expect(line, `${name}: ${line}`).toMatch(/^let \w+ = .+;\s+\/\/ \S/);
        expect(text.indexOf("\nRecoveryServicesResources\n"), name).toBeGreaterThan(text.lastIndexOf("\nlet "));
      }
    });

    it("still passes after the edits the README shows an admin", async () => {
      const query = await load(shipped, "recovery-services");
      const edited = query.text
        .replace("let lookback = 48h;", "let lookback = 7d;")
        .replace("let attemptBudget = 3;", "let attemptBudget = 5;")
        .replace('dynamic(["AzureVM", "SQLDatabase", "SAPHanaDatabase", "AzureFileShare"])', 'dynamic(["AzureVM", "SQLDatabase"])')
        .replace('dynamic(["UserErrorVmNotFoundV2",', 'dynamic(["UserErrorGuestAgentStatusUnavailable", "UserErrorVmNotFoundV2",');
      expect(edited).not.toBe(query.text);
      expect(checkQuery({ ...query, text: edited }).problems).toEqual([]);
    });

    it("reports the row contract when an admin drops itemId from a shipped rule", async () => {
      const query = await load(shipped, "backup-vault");
      const edited = query.text.replace("    itemId,\n", "");
      const check = checkQuery({ ...query, text: edited });
      expect(check.ok).toBe(false);
      expect(check.problems).toEqual([
        expect.objectContaining({ severity: "error", code: "ContractMissingColumn", line: expect.any(Number), column: 3 }),
      ]);
      expect(edited.split("\n")[(check.problems[0]?.line ?? 0) - 1]).toBe("| project");
    });
  });

  describe("broken rules give the precise error", () => {
    it("syntax error: the parser's message at the missing parenthesis", async () => {
      expect(await problemsOf("syntax-error")).toEqual([{ severity: "error", line: 5, column: 56, code: "KS005", message: "Expected: )" }]);
    });

    it("unknown column: the name the table does not have", async () => {
      expect(await problemsOf("unknown-column")).toEqual([
        { severity: "error", line: 6, column: 9, code: "KS142", message: "The name 'status' does not refer to any known column, table, variable or function." },
      ]);
    });

    it("missing itemId: the column, why it is needed, at the final project", async () => {
      expect(await problemsOf("missing-item-id")).toEqual([
        {
          severity: "error",
          line: 6,
          column: 3,
          code: "ContractMissingColumn",
          message: "The result has no `itemId` column; the row contract requires it: protected item id (RS) or backup instance id (DP), full ARM id. Add it to the final `project`.",
        },
      ]);
    });

    it("wrong type: the column, its type, the wanted type and the fix, at the column", async () => {
      expect(await problemsOf("wrong-type")).toEqual([
        { severity: "error", line: 6, column: 31, code: "ContractColumnType", message: "Column `itemId` is dynamic; the row contract wants string. Wrap it in tostring(...)." },
      ]);
    });

    it("valid Kusto that Resource Graph refuses or cannot page", async () => {
      const problems = await problemsOf("arg-limits");
      expect(problems.map((p) => [p.line, p.column, p.severity, p.code])).toEqual([
        [5, 8, "error", "ArgJoinKind"],
        [8, 3, "error", "ArgJoinLimit"],
        [11, 3, "error", "ArgMvExpandLimit"],
        [12, 3, "error", "ArgUnsupportedOperator"],
        [13, 3, "error", "ArgNoPaging"],
        [14, 3, "warning", "ArgUnstablePaging"],
      ]);
      expect(problems[3]?.message).toContain("`project-rename`");
    });

    it("a tunable out of range, at the tunable's own line", async () => {
      expect(await problemsOf("bad-tunable")).toEqual([
        expect.objectContaining({ severity: "error", line: 2, column: 16, code: "TunableOutOfRange", message: expect.stringContaining("from 1h to 14d") }),
        expect.objectContaining({ severity: "error", line: 3, column: 37, code: "TunableUnknownWorkload", message: expect.stringContaining('Did you mean "SQLDatabase"?') }),
      ]);
    });

    it("a tabular let, which cannot be written in and is never sent", async () => {
      expect(await problemsOf("tabular-let")).toEqual([expect.objectContaining({ severity: "error", line: 2, column: 12, code: "TunableNotLiteral" })]);
    });

    it("more union legs than Resource Graph allows, counted on the text sent", async () => {
      expect(await problemsOf("union-legs")).toEqual([expect.objectContaining({ severity: "error", line: 4, column: 3, code: "ArgUnionLimit" })]);
    });

    it("a tunable projected as a column changes the result columns of the text sent", async () => {
      expect(await problemsOf("column-tunable")).toEqual([expect.objectContaining({ severity: "error", code: "SentColumnsDiffer", message: expect.stringContaining("Column1:long") })]);
    });

    it("a function no Microsoft Resource Graph query uses is a warning that names it", async () => {
      const check = checkQuery(await load(valid, "unknown-function"));
      expect(check.ok).toBe(true);
      expect(check.problems).toEqual([expect.objectContaining({ severity: "warning", line: 4, column: 27, code: "ArgUnknownFunction", message: expect.stringContaining("`maxif()`") })]);
    });

    it("a file with only tunables", async () => {
      expect(await problemsOf("only-lets")).toEqual([expect.objectContaining({ severity: "error", code: "NoResult", line: 4, column: 1 })]);
    });
  });

  it("reads table names case-insensitively, as Resource Graph does", async () => {
    const check = checkQuery(await load(valid, "lowercase-tables"));
    expect(check.ok).toBe(true);
    expect(check.problems).toEqual([]);
    expect(check.columns.map((c) => c.name)).toEqual(["id", "subscriptionId", "itemId", "subscriptionName"]);
  });

  describe("output and exit code", () => {
    it("prints file:line:column, the message, and the contract table for a contract miss", async () => {
      const report = checkQueries([await load(broken, "missing-item-id")]);
      const text = formatCheckReport(report, { cwd: root });
      const lines = text.split("\n");
      expect(lines[0]).toBe(
        "test/fixtures/queries/broken/missing-item-id.kql:6:3: error ContractMissingColumn: The result has no `itemId` column; the row contract requires it: protected item id (RS) or backup instance id (DP), full ARM id. Add it to the final `project`.",
      );
      expect(lines).toContain("Row contract (the columns of the query's final `project`):");
      for (const contract of ROW_CONTRACT) expect(text).toMatch(new RegExp(`^  ${contract.column} +${contract.required ? "yes" : "no"} `, "m"));
      expect(lines.at(-1)).toBe("Checked 1 query file: 0 ok, 1 with errors.");
    });

    it("exits 0 on the shipped rules", async () => {
      let out = "";
      const code = await runCheckQueriesCommand({ dir: shipped, cwd: root, write: (t) => (out += t) });
      expect(code).toBe(0);
      expect(out).toMatch(/^queries\/backup-vault\.kql: ok \(id:string, subscriptionId:string, itemId:string, /m);
      expect(out).toMatch(/^queries\/recovery-services\.kql: ok \(/m);
      expect(out).toContain("Checked 2 query files: 2 ok, 0 with errors.");
    });

    it("exits 1 on any error, and names only the files asked for", async () => {
      let out = "";
      const code = await runCheckQueriesCommand({ dir: broken, names: ["syntax-error"], cwd: root, write: (t) => (out += t) });
      expect(code).toBe(1);
      expect(out).toContain("test/fixtures/queries/broken/syntax-error.kql:5:56: error KS005: Expected: )");
      expect(out).not.toContain("wrong-type");
    });

    it("exits 1 when the folder cannot be read, saying which setting to fix", async () => {
      let out = "";
      const code = await runCheckQueriesCommand({ dir: path.join(root, "test/fixtures/queries/missing"), cwd: root, write: (t) => (out += t) });
      expect(code).toBe(1);
      expect(out).toContain("error QueriesDirUnreadable:");
      expect(out).toContain("RETRY_QUERIES_DIR");
    });
  });
});
