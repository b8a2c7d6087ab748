// Runs Kusto documentation examples through the emulator's evaluator: input tables as a page's datatable declares them.
import { toObjects } from "../../../emulator/resource-graph/index.ts";
import { Evaluator } from "../../../emulator/resource-graph/query.ts";
import { convert, ktype } from "../../../emulator/resource-graph/values.ts";
import type { Json } from "../../../emulator/resource-graph/values.ts";

export const doc = (page: string, title: string) => `${page}: ${title} (https://learn.microsoft.com/kusto/query/${page})`;

interface Input {
  name: string;
  /** `Key:string, Value1:long`, as the page's datatable declares it. */
  schema: string;
  rows: Json[][];
}

export const table = (name: string, schema: string, rows: Json[][]): Input => ({ name, schema, rows });
export const ONE = table("T", "x:long", [[1]]);
export const range = (name: string, column: string, from: number, to: number, step = 1): Input =>
  table(name, `${column}:long`, Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => [from + i * step]));

function columnsOf(schema: string) {
  return schema.split(",").map((c) => {
    const [name = "", type = ""] = c.split(":").map((x) => x.trim());
    return { name, type };
  });
}

export function compile(inputs: Input[], query: string) {
  return new Evaluator(inputs.map((t) => ({ name: t.name, columns: columnsOf(t.schema) }))).compile(query);
}

/** The query's result as Resource Graph would send it (objectArray rows). */
export function run(inputs: Input[], query: string, now = Date.now() * 1000): Record<string, Json>[] {
  const data = new Map(inputs.map((t) => [t.name, t.rows.map((row) => row.map((v, j) => convert(v, "dynamic", ktype(columnsOf(t.schema)[j]?.type))))]));
  const compiled = compile(inputs, query);
  return toObjects(compiled.columns, compiled.run({ rows: (name) => data.get(name) ?? [] }, now));
}

/** For pages whose output order is not defined (joins, summarize, make_set). */
export const sorted = (rows: Record<string, Json>[]) => [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

