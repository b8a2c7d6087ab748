export { RunDocumentSchema, type RunDocument, type RunSummary } from "./document.ts";
export { beginRun, type Run } from "./history.ts";
export { RunLockUnavailableError } from "./lease.ts";
export { SweepInProgressError } from "./local-lock.ts";
export { createRunStore, RUN_ID, type RunPage, type RunStore } from "./store.ts";
