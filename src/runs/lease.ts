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

export interface Lease {
  /** Renews every renewSeconds until released; calls onLost once if a renewal fails. */
  release(): Promise<void>;
}

export interface LeaseOptions {
  blob: BlobClient;
  runId: string;
  /** 15 to 60 (Blob storage's bounds for a finite lease). An instance that dies stops renewing and the lease expires. */
  seconds: number;
  onLost: (error: unknown) => void;
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
  let lost = false;
  const renewing = setInterval(() => {
    leaseClient.renewLease().catch((error: unknown) => {
      if (lost) return;
      lost = true;
      clearInterval(renewing);
      options.onLost(error);
    });
  }, (seconds * 1000) / 3);
  renewing.unref();
  return {
    async release() {
      clearInterval(renewing);
      if (!lost) await leaseClient.releaseLease();
    },
  };
}
