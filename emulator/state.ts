import type { ActiveFault } from "./faults.ts";
import { idKey, Registry } from "./items.ts";
import type { Bucket, QuotaWindow } from "./limits.ts";
import type { Operation } from "./operations.ts";
import { ResourceGraph } from "./resource-graph/index.ts";
import type { TokenStore } from "./tokens.ts";
import type { Conflict, EmulatorOptions, RecordedRequest, RuntimeOptions } from "./types.ts";

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
  latencyMaxMs: 0,
  tokenLifetimeSeconds: 3600,
  pollsBeforeDone: 1,
  pollsBeforeDoneMax: 0,
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
  state.conflicts.clear();
  state.faults.length = 0;
  state.operations.clear();
  state.lastOperation.clear();
  state.argQuota.clear();
  state.writeBuckets.clear();
  state.requests.length = 0;
}

export function startOperation(state: State, op: Operation): void {
  state.operations.set(op.id, op);
  state.lastOperation.set(idKey(op.itemId), op);
}

/** A vault kind's error for "a backup of this item is already running". */
export interface BusyError {
  code: string;
  message: string;
}

/**
 * How the service answers a trigger of the item: as a test set it, or with a 409 on the POST because a backup it
 * accepted is still running (the Backup service allows one at a time per item, which is what stops two instances
 * double-triggering). Undefined when the trigger is accepted and its operation succeeds.
 */
export function conflictOf(state: State, itemId: string, busy: BusyError): Required<Conflict> | undefined {
  const key = idKey(itemId);
  const last = state.lastOperation.get(key);
  const set = state.conflicts.get(key) ?? (last !== undefined && last.endTime === undefined ? { on: "trigger" as const } : undefined);
  if (set === undefined) return undefined;
  const code = set.code ?? busy.code;
  return { on: set.on, status: set.status ?? 409, code, message: set.message ?? (set.code === undefined ? busy.message : code) };
}
