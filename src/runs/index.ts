export { RunDocumentSchema, type RunDocument } from "./document.ts";
export { beginRun } from "./history.ts";
export { RunLockUnavailableError } from "./lease.ts";
export { SweepInProgressError } from "./local-lock.ts";
export { createRunStore, InvalidContinuationError, RUN_ID, type RunStore } from "./store.ts";
