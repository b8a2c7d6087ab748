export { runQuery, type ArgScope, type QueryResult } from "./query.ts";
export { createQuotaGate } from "./quota.ts";
