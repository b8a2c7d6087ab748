/**
 * The emulator's Resource Graph: backup-job records in RecoveryServicesResources and a KQL evaluator over them,
 * built on the bound syntax tree of Kusto's own parser. What it does not implement it refuses (QueryRefusal).
 */
import type { JobRecord } from "../jobs.ts";
import { Evaluator } from "./query.ts";
import type { Column } from "./operators.ts";
import { RecordTable } from "./table.ts";
import { toJson } from "./values.ts";
import type { Json, Row, Value } from "./values.ts";

export { QueryRefusal } from "./errors.ts";

/** The standard columns of Resource Graph's resource tables, in the order the portal lists them. */
const ARG_COLUMNS = [
  { name: "id", type: "string" },
  { name: "name", type: "string" },
  { name: "type", type: "string" },
  { name: "tenantId", type: "string" },
  { name: "kind", type: "string" },
  { name: "location", type: "string" },
  { name: "resourceGroup", type: "string" },
  { name: "subscriptionId", type: "string" },
  { name: "managedBy", type: "string" },
  { name: "sku", type: "dynamic" },
  { name: "plan", type: "dynamic" },
  { name: "properties", type: "dynamic" },
  { name: "tags", type: "dynamic" },
  { name: "identity", type: "dynamic" },
  { name: "zones", type: "dynamic" },
  { name: "extendedLocation", type: "dynamic" },
] as const;

/** The tables a query may read; only RecoveryServicesResources holds anything (the backup jobs). */
const TABLES = ["RecoveryServicesResources", "Resources", "ResourceContainers"] as const;

export interface Evaluated {
  columns: Column[];
  rows: Row[];
  truncating: boolean;
  /** Time spent evaluating, for the benchmark's split between the emulator and the sweep. */
  evaluationMs: number;
}

function rowOf(record: JobRecord): Row {
  const r = record as unknown as Record<string, unknown>;
  return ARG_COLUMNS.map((c) => {
    const v = r[c.name];
    if (c.type === "string") return typeof v === "string" ? v : "";
    return (v ?? null) as Value;
  });
}

export class ResourceGraph {
  readonly recoveryServicesResources = new RecordTable();
  private evaluator: Evaluator | undefined;
  /** Recent results by snapshot number: the later pages of a request read the evaluation its first page made. */
  private readonly snapshots = new Map<number, Evaluated>();
  private nextSnapshot = 1;

  /** Loads the Kusto parser ahead of the first query (about half a second, once per process). */
  warm(): void {
    this.evaluator ??= new Evaluator(TABLES.map((name) => ({ name, columns: ARG_COLUMNS })));
  }

  /** Evaluates the query over the records the caller may see, now. */
  evaluate(query: string, visible: (records: readonly JobRecord[]) => JobRecord[]): { snapshot: number; result: Evaluated } {
    this.warm();
    const compiled = this.evaluator!.compile(query);
    const started = performance.now();
    const rows = visible(this.recoveryServicesResources.all()).map(rowOf);
    const out = compiled.run({ rows: (table) => (table === "RecoveryServicesResources" ? rows : []) }, Date.now() * 1000);
    const result = { columns: compiled.columns, rows: out, truncating: compiled.truncating, evaluationMs: performance.now() - started };
    const snapshot = this.nextSnapshot++;
    if (this.snapshots.size >= 16) this.snapshots.delete(this.snapshots.keys().next().value!);
    this.snapshots.set(snapshot, result);
    return { snapshot, result };
  }

  snapshot(id: number): Evaluated | undefined {
    return this.snapshots.get(id);
  }

  clear(): void {
    this.recoveryServicesResources.clear();
    this.snapshots.clear();
  }
}

/** Rows as objectArray objects (one key per column, wire form). */
export function toObjects(columns: readonly Column[], rows: readonly Row[]): Record<string, Json>[] {
  return rows.map((row) => {
    const out: Record<string, Json> = {};
    columns.forEach((c, i) => {
      out[c.name] = toJson(row[i]!, c.type);
    });
    return out;
  });
}

const TABLE_TYPES: Readonly<Record<string, string>> = { long: "integer", int: "integer", real: "real", bool: "boolean", dynamic: "object", datetime: "datetime", timespan: "timespan" };

/** The table result format: typed columns and rows of cells. */
export function toTable(columns: readonly Column[], rows: readonly Row[]): { columns: { name: string; type: string }[]; rows: Json[][] } {
  return { columns: columns.map((c) => ({ name: c.name, type: TABLE_TYPES[c.type] ?? "string" })), rows: rows.map((row) => columns.map((c, i) => toJson(row[i]!, c.type))) };
}
