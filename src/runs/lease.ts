import { isRestError } from "@azure/core-rest-pipeline";
import type { BlobClient } from "@azure/storage-blob";
import { messageOf, RetryBackupsError } from "../core/index.ts";
import { SweepInProgressError } from "./local-lock.ts";

/** The lease could not be taken because storage did not answer: the run does not start (no writes without the lock). */
export class RunLockUnavailableError extends RetryBackupsError {
  constructor(cause: unknown) {
    super(
      "RunLockUnavailable",
      `Could not take the run lock (a lease on runs/sweep.lock at RETRY_RUNS_BLOB_ENDPOINT): ${messageOf(cause)}. No sweep ran, so no item can be backed up twice. Check that the storage account answers and that the app's identity has Storage Blob Data Contributor on it.`,
      { cause },
    );
  }
}

/** The lease is gone (taken by another instance, or not renewed in time): this run must stop writing. */
class RunLeaseLostError extends RetryBackupsError {
  constructor(cause: unknown) {
    super(
      "RunLeaseLost",
      `the run lease (runs/sweep.lock at RETRY_RUNS_BLOB_ENDPOINT) was lost: ${messageOf(cause)}. Another instance may start a sweep now, so this run sent no more backups`,
      { cause },
    );
  }
}

export interface Lease {
  /** Stops renewing and gives the lease back (unless it was lost). */
  release(): Promise<void>;
}

export interface LeaseOptions {
  blob: BlobClient;
  runId: string;
  /** 15 to 60 (Blob storage's bounds for a finite lease). An instance that dies stops renewing and the lease expires. */
  seconds: number;
  /** Called once, with a RunLeaseLostError, when the lease is gone or can no longer be renewed in time. */
  onLost: (error: RunLeaseLostError) => void;
  /** A renewal failed and is tried again at the next tick, while the lease still has time. */
  onRenewalFailed: (error: unknown) => void;
}

/**
 * Takes the lease on the lock blob for this run; a lease held by another run throws SweepInProgressError with that
 * run's id (kept in the blob's metadata), anything else RunLockUnavailableError.
 * https://learn.microsoft.com/rest/api/storageservices/lease-blob
 */
export async function takeLease(options: LeaseOptions): Promise<Lease> {
  const { blob, runId, seconds } = options;
  const leaseClient = blob.getBlobLeaseClient();
  try {
    // The lock blob is created once; a 409 (exists) or 412 (exists and leased) means it is there already.
    await blob.getBlockBlobClient().upload("", 0, { conditions: { ifNoneMatch: "*" } }).catch((error: unknown) => {
      if (!(isRestError(error) && (error.statusCode === 409 || error.statusCode === 412))) throw error;
    });
    await leaseClient.acquireLease(seconds);
  } catch (error) {
    if (isRestError(error) && error.statusCode === 409 && error.code === "LeaseAlreadyPresent") {
      const holder = await blob.getProperties().then((p) => p.metadata?.runid, () => undefined);
      throw new SweepInProgressError(holder ?? "(unknown)", "on another instance (it holds the run lease)");
    }
    throw new RunLockUnavailableError(error);
  }
  try {
    await blob.setMetadata({ runid: runId }, { conditions: { leaseId: leaseClient.leaseId } });
  } catch (error) {
    await leaseClient.releaseLease().catch(() => undefined);
    throw new RunLockUnavailableError(error);
  }
  const intervalMs = (seconds * 1000) / 3;
  let lost = false;
  let renewing = false;
  let renewedAt = Date.now();
  // Past this, the next tick would come after the lease ran out.
  const late = () => Date.now() - renewedAt + intervalMs >= seconds * 1000;
  const lose = (cause: unknown) => {
    lost = true;
    clearInterval(timer);
    options.onLost(new RunLeaseLostError(cause));
  };
  const timer = setInterval(() => {
    if (lost) return;
    if (renewing) {
      if (late()) lose(new Error(`no renewal answered within ${seconds} s`));
      return;
    }
    renewing = true;
    leaseClient
      .renewLease()
      .then(
        () => {
          renewedAt = Date.now();
        },
        (error: unknown) => {
          // 409/412: another client broke or took the lease, it is gone for good. Anything else (a storage hiccup)
          // is tried again at the next tick while the lease would still be ours then.
          const gone = isRestError(error) && (error.statusCode === 409 || error.statusCode === 412);
          if (lost) return;
          if (gone || late()) lose(error);
          else options.onRenewalFailed(error);
        },
      )
      .finally(() => {
        renewing = false;
      });
  }, intervalMs);
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      // A lease given up on may still be ours (a renewal that answered late): handed back, or it expires by itself.
      if (lost) await leaseClient.releaseLease().catch(() => undefined);
      else await leaseClient.releaseLease();
    },
  };
}
