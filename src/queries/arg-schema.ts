/**
 * What the offline query check knows about Azure Resource Graph (ARG): the tables the rules may
 * read, their standard columns, and the documented limits of ARG's KQL
 * (governance/resource-graph/concepts/query-language.md, "Supported tabular/top level operators").
 */

/** Standard columns of the ARG resource tables, as the portal's Resource Graph Explorer lists them. */
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

/** Tables a rule may read. ARG matches table names case-insensitively; the check does too. */
export const ARG_TABLES = ["RecoveryServicesResources", "Resources", "ResourceContainers"] as const;

/**
 * Tabular operators ARG supports, keyed by their Kusto.Language syntax kind, with the spelling
 * shown to admins. Anything else (mv-apply, lookup, project-rename, serialize, ...) fails in ARG.
 */
export const ARG_OPERATORS: Readonly<Record<string, string>> = {
  CountOperator: "count",
  DistinctOperator: "distinct",
  ExtendOperator: "extend",
  FilterOperator: "where",
  JoinOperator: "join",
  MvExpandOperator: "mv-expand",
  ParseOperator: "parse",
  ProjectOperator: "project",
  ProjectAwayOperator: "project-away",
  SortOperator: "order by / sort by",
  SummarizeOperator: "summarize",
  TakeOperator: "limit / take",
  TopOperator: "top",
  UnionOperator: "union",
};

export const ARG_JOIN_KINDS = ["innerunique", "inner", "leftouter", "fullouter"] as const;
export const ARG_MAX_JOINS = 3;
export const ARG_MAX_MV_EXPANDS = 2;
export const ARG_MAX_UNION_LEGS = 3;

/**
 * The table schema in Kusto's `(name:type, ...)` form. Every name is bracketed: `kind` is a
 * keyword, and an unbracketed list silently stops there, leaving `properties` unknown.
 */
export function argTableSchema(): string {
  return `(${ARG_COLUMNS.map((c) => `['${c.name}']:${c.type}`).join(", ")})`;
}
