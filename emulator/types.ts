/** Public shapes of the local ARM emulator (see emulator/index.ts). */
import type { JobRecord } from "./jobs.ts";

export interface EmulatorOptions {
  /** Added to every ARM response (not to the managed-identity endpoint). Default 0. */
  latencyMs?: number;
  /** When larger than latencyMs, each ARM response takes a latency drawn uniformly from latencyMs to this (the services answer in 0.3-1 s). Default 0. */
  latencyMaxMs?: number;
  /** Expected X-IDENTITY-HEADER value. Default: random. */
  identityHeader?: string;
  /** expires_on = now + this. Default 3600. */
  tokenLifetimeSeconds?: number;
  /** Operation status answers InProgress this many times before the final status. Default 1. */
  pollsBeforeDone?: number;
  /** When larger than pollsBeforeDone, each operation answers InProgress a count drawn from pollsBeforeDone to this. Default 0. */
  pollsBeforeDoneMax?: number;
  /** Retry-After on 202s. Default 0 so tests are fast; the real services say 60. */
  retryAfterSeconds?: number;
  /** Largest page Resource Graph answers, whatever $top asks (it also cuts pages at 16 MB). Default 1000 (the ARG maximum). */
  argPageSize?: number;
  /** ARG per-principal quota (default 15 per 5000 ms); over it -> 429 with quota headers. false: no quota and no quota headers. */
  argQuota?: { perWindow: number; windowMs: number } | false;
  /**
   * Where a Backup vault operation names its job: the Location result (default, as the spec's final-state-via
   * says), the async-operation status's properties.jobId only (the Location then answers 404: its example path
   * matches no documented route), or both.
   */
  dpJobIdIn?: "location" | "status" | "both";
  /** ARM per-subscription write token bucket for the trigger POSTs (default false). Empty -> 429 + Retry-After. */
  writeBucket?: { burst: number; refillPerSecond: number } | false;
  /** User-assigned identities the MSI endpoint accepts via client_id. Default: any. */
  knownClientIds?: string[];
}

/** Options that can change on a running emulator (everything but the identity header). */
export type RuntimeOptions = Required<Omit<EmulatorOptions, "identityHeader" | "knownClientIds">> & { knownClientIds: string[] | undefined };

export type RequestKind =
  | "msi"
  | "arg"
  | "rs.trigger"
  | "rs.operationStatus"
  | "rs.operationResult"
  | "rs.item"
  | "dp.trigger"
  | "dp.operationStatus"
  | "dp.operationResult"
  | "dp.instance"
  | "dp.policy"
  | "authz.permissions"
  | "other";

export interface RecordedRequest {
  /** Epoch ms when the request arrived. */
  at: number;
  method: string;
  /** Path as sent (still percent-encoded), without the query string. */
  path: string;
  query: Record<string, string>;
  /** Lower-cased names; the Authorization value is kept as sent. */
  headers: Record<string, string>;
  /** Parsed JSON when the body is JSON, the raw text otherwise, undefined when empty. */
  body: unknown;
  /** 0 while in flight, and for requests answered by a connection reset. */
  status: number;
  /** The answer (status `status`) was cut off halfway through its body by a `resetMidBody` fault. */
  cut?: true;
  kind: RequestKind;
  subscriptionId?: string;
  itemId?: string;
  /** Resource Graph queries the emulator evaluated: the milliseconds the evaluation took. */
  evaluationMs?: number;
}

export type FaultResponse =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | { reset: true }
  /** Answer as usual (the request takes effect), send the headers and half the body, then drop the connection. */
  | { resetMidBody: true }
  | { delayMs: number }
  | { argTruncated: true }
  | { argRepeatToken: true }
  | { noAsyncHeaders: true }
  | { neverFinishes: true }
  /**
   * RBAC: the principal lacks these actions (on the rule's subscription when it names one): the permissions API lists
   * them under notActions, and ARM answers 403 AuthorizationFailed to a request that needs one.
   */
  | { denyActions: string[] }
  /** Managed identity only: issue a token that expires this many seconds from now (negative: already expired). */
  | { tokenExpiresInSeconds: number };

/** A rule acts on the managed-identity endpoint only when it says `kind: "msi"`; without a kind it matches every ARM request. */
export interface FaultRule {
  kind?: RequestKind;
  subscriptionId?: string;
  itemId?: string;
  /** Case-insensitive substring of the path, percent-encoded or decoded. */
  pathIncludes?: string;
  /** How many matching requests the rule acts on. Default Infinity. */
  times?: number;
  /** Let this many matching requests pass first. */
  skip?: number;
  respond: FaultResponse;
}

export interface RetentionRuleSeed {
  name: string;
  retentionTags: string[];
  defaultTag: string;
}

export interface ItemSeed {
  itemId: string;
  /** Recovery Services workload: VM, SQLDataBase, SAPHanaDatabase or AzureFileShare. Derived from the id when absent. */
  workload?: string;
  /** Backup vault datasource type, e.g. Microsoft.Compute/disks (the default). */
  dataSourceType?: string;
  policyId?: string;
  /** Backup vault policy rules; default: one rule for the datasource type with the tag Default. */
  rules?: RetentionRuleSeed[];
}

/**
 * What the service says to a trigger of the item: refuse the POST (`on: "trigger"`), or accept it and end the
 * operation (and the job it started) Failed (`on: "operation"`). Which one the service does for a conflict is
 * not documented; tests try both. Without a code, the vault kind's "a backup is already running" error:
 * UserErrorBackupOperationInProgress (Recovery Services), UserErrorMaxConcurrentOperationLimitReached (Backup vault).
 */
export interface Conflict {
  code?: string;
  message?: string;
  on: "trigger" | "operation";
  /** HTTP status of a refused POST, and of the failed operation's result. Default 409. */
  status?: number;
}

export interface Emulator {
  /** "https://127.0.0.1:<port>": the ARM endpoint (AZURE_RESOURCE_MANAGER_ENDPOINT). */
  url: string;
  /** PEM to trust: tlsOptions.ca for SDK clients, or NODE_EXTRA_CA_CERTS for a child process. */
  ca: string;
  /** "http://127.0.0.1:<port>/msi/token" (App Service managed-identity protocol). */
  identityEndpoint: string;
  identityHeader: string;
  env(): Record<string, string>;
  addItems(items: ItemSeed[]): void;
  /**
   * Job records for Resource Graph's RecoveryServicesResources (build them with rsJob / dpJob); a record with the id
   * of one already held replaces it. Every query is evaluated over them. Registers the items the records name.
   */
  addJobs(records: JobRecord[]): void;
  /** "write" (default): reads OK, triggers 403. "all": ARG trims the subscription and every ARM call on it is 403. */
  denySubscription(subscriptionId: string, scope?: "write" | "all"): void;
  setConflict(itemId: string, conflict: Conflict): void;
  fault(rule: FaultRule): void;
  /** Change options on the running emulator (MSAL caches the identity endpoint per process, so tests keep one emulator). */
  configure(options: Omit<EmulatorOptions, "identityHeader">): void;
  requests: RecordedRequest[];
  tokens: string[];
  /** Clear job records, items, faults, denials, conflicts, operations, quota and bucket state and the request log; tokens stay valid. */
  reset(): void;
  close(): Promise<void>;
}
