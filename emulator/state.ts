import type { ActiveFault } from "./faults.ts";
import { idKey, Registry } from "./items.ts";
import type { Bucket, QuotaWindow } from "./limits.ts";
import type { Operation } from "./operations.ts";
import { ResourceGraph } from "./resource-graph/index.ts";
import type { TokenStore } from "./tokens.ts";
import type { BusyForm, Conflict, EmulatorOptions, RecordedRequest, RuntimeOptions } from "./types.ts";

/** Everything the handlers read and change; one per emulator. */
export interface State {
  url: string;
  options: RuntimeOptions;
  registry: Registry;
  /** Resource Graph's job records and the evaluator over them. */
  graph: ResourceGraph;
  /** Lower-cased subscription id -> what is denied. */
  denied: Map<string, "write" | "all">;
  /** idKey(item) -> how the service says a backup is already running. */
  busy: Map<string, BusyForm>;
  /** idKey(item) -> what the service says to a trigger of it. */
  conflicts: Map<string, Conflict>;
  faults: ActiveFault[];
  operations: Map<string, Operation>;
  /** idKey(item) -> the last operation a trigger of it started. */
  lastOperation: Map<string, Operation>;
  argQuota: Map<string, QuotaWindow>;
  writeBuckets: Map<string, Bucket>;
  requests: RecordedRequest[];
  tokens: TokenStore;
}

export const DEFAULT_OPTIONS: RuntimeOptions = {
  latencyMs: 0,
  tokenLifetimeSeconds: 3600,
  pollsBeforeDone: 1,
  retryAfterSeconds: 0,
  argPageSize: 1000,
  argQuota: { perWindow: 15, windowMs: 5000 },
  writeBucket: false,
  dpJobIdIn: "location",
  knownClientIds: undefined,
};

export function withOptions(current: RuntimeOptions, patch: Omit<EmulatorOptions, "identityHeader">): RuntimeOptions {
  // Absent means "keep"; knownClientIds: undefined is a value ("any client id").
  const given = Object.fromEntries(Object.entries(patch).filter(([k, v]) => v !== undefined || k === "knownClientIds"));
  const next = { ...current, ...given } as RuntimeOptions;
  if (!(next.argPageSize >= 1 && next.argPageSize <= 1000)) throw new Error("emulator: argPageSize must be 1..1000 (the ARG maximum)");
  return next;
}

export function createState(url: string, options: RuntimeOptions, tokens: TokenStore): State {
  return {
    url,
    options,
    registry: new Registry(),
    graph: new ResourceGraph(),
    denied: new Map(),
    busy: new Map(),
    conflicts: new Map(),
    faults: [],
    operations: new Map(),
    lastOperation: new Map(),
    argQuota: new Map(),
    writeBuckets: new Map(),
    requests: [],
    tokens,
  };
}

export function resetState(state: State): void {
  state.registry.clear();
  state.graph.clear();
  state.denied.clear();
  state.busy.clear();
  state.conflicts.clear();
  state.faults.length = 0;
  state.operations.clear();
  state.lastOperation.clear();
  state.argQuota.clear();
  state.writeBuckets.clear();
  state.requests.length = 0;
}

/**
 * How the service refuses a backup of the item: as a test said, or with a 409 because a backup it accepted is still
 * running (the Backup service allows one at a time per item, which is what stops two instances double-triggering).
 */
export function busyOf(state: State, itemId: string): BusyForm | undefined {
  const key = idKey(itemId);
  const last = state.lastOperation.get(key);
  return state.busy.get(key) ?? (last !== undefined && last.endTime === undefined ? "trigger409" : undefined);
}

export function startOperation(state: State, op: Operation): void {
  state.operations.set(op.id, op);
  state.lastOperation.set(idKey(op.itemId), op);
}

/** The conflict a test set for the item, as the failure its operation ends with (or undefined). */
export function conflictOf(state: State, itemId: string): Conflict | undefined {
  return state.conflicts.get(idKey(itemId));
}
