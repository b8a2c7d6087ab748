import { newId } from "./http.ts";

export interface OperationFailure {
  /** What the operation-result URL answers once the operation failed. */
  status: number;
  code: string;
  message: string;
  /** What the failed job's error details say besides the code: RS's numeric errorCode, DP's retryability. */
  errorCode?: number;
  isRetryable?: boolean;
  isUserError?: boolean;
}

/** One asynchronous backup operation started by a trigger. */
export interface Operation {
  id: string;
  vault: "rs" | "dp";
  itemId: string;
  subscriptionId: string;
  resourceGroup: string;
  vaultName: string;
  apiVersion: string;
  startTime: string;
  endTime?: string;
  /** Polls answered InProgress so far. */
  polls: number;
  /** Polls this operation answers InProgress, drawn at its first poll. */
  pollsBeforeDone?: number;
  neverFinishes: boolean;
  jobId: string;
  failure?: OperationFailure;
}

export type OperationStatus = "InProgress" | "Succeeded" | "Failed";

/** Recovery Services names operations by GUID; Data Protection by base64 of two GUIDs (which never holds "+" or "/"). */
function newOperationId(vault: "rs" | "dp"): string {
  return vault === "rs" ? newId() : Buffer.from(`${newId()};${newId()}`).toString("base64");
}

export interface AcceptedItem {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  vaultName: string;
}

/** The operation a trigger starts; an item with a conflict on the operation ends Failed with it. */
export function newBackupOperation(vault: "rs" | "dp", item: AcceptedItem, apiVersion: string, neverFinishes: boolean, conflict: OperationFailure | undefined): Operation {
  return {
    id: newOperationId(vault),
    vault,
    itemId: item.id,
    subscriptionId: item.subscriptionId,
    resourceGroup: item.resourceGroup,
    vaultName: item.vaultName,
    apiVersion,
    startTime: new Date().toISOString(),
    polls: 0,
    neverFinishes,
    jobId: newId(),
    failure: conflict,
  };
}

/**
 * Each poll of the status or the result URL counts; InProgress `pollsBeforeDone` times (a count drawn per
 * operation up to `pollsBeforeDoneMax` when that is larger), then the final status.
 * `ended` runs once, when the operation ends.
 */
export function pollOperation(op: Operation, options: { pollsBeforeDone: number; pollsBeforeDoneMax: number }, forceRunning: boolean, ended: (op: Operation) => void): OperationStatus {
  if (op.endTime === undefined && (forceRunning || op.neverFinishes)) return "InProgress";
  op.pollsBeforeDone ??= drawBetween(options.pollsBeforeDone, options.pollsBeforeDoneMax);
  if (op.endTime === undefined && op.polls < op.pollsBeforeDone) {
    op.polls += 1;
    return "InProgress";
  }
  if (op.endTime === undefined) {
    op.endTime = new Date().toISOString();
    ended(op);
  }
  return op.failure === undefined ? "Succeeded" : "Failed";
}

/** A whole number from min to max, uniformly; min when max is not larger. */
export function drawBetween(min: number, max: number): number {
  return max > min ? min + Math.floor(Math.random() * (max - min + 1)) : min;
}
