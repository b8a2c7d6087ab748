import type { TokenCredential } from "@azure/core-auth";
import { isRestError } from "@azure/core-rest-pipeline";
import { ContainerClient, type BlobClient, type BlobItem } from "@azure/storage-blob";
import { z } from "zod";
import { GUID, identitySecrets, scrubber } from "../core/index.ts";
import { RunDocumentSchema, type RunDocument, type RunSummary } from "./document.ts";

const RUNS_CONTAINER = "runs";
const LOCK_BLOB = "sweep.lock";
// Newest first by a plain prefix listing: Blob storage lists names in lexical order, so the index key counts down.
const LATEST = 9_999_999_999_999;

export interface RunStoreOptions {
  /** RETRY_RUNS_BLOB_ENDPOINT, e.g. https://acct.blob.core.windows.net (Azurite: https://127.0.0.1:10000/devstoreaccount1). */
  endpoint: string;
  credential: TokenCredential;
}

interface RunPage {
  runs: RunSummary[];
  /** Opaque; hand it back for the next page. Absent on the last page. */
  continuation?: string;
}

/** The one reader and writer of the `runs` container: reports/{runId}.json, recent/{inverted time}-{runId}, sweep.lock. */
export interface RunStore {
  put(doc: RunDocument): Promise<void>;
  /** The run's document; one still `running` that no lease belongs to any more is answered `failed` (RunAbandoned). */
  get(runId: string): Promise<RunDocument | undefined>;
  list(options: { pageSize: number; continuation?: string }): Promise<RunPage>;
  /** The blob whose lease is the run lock across instances. */
  lock: BlobClient;
}

export function createRunStore(options: RunStoreOptions): RunStore {
  // A few quick tries: a sweep waits on the lock before it writes, and a storage outage must not hold it for minutes.
  const container = new ContainerClient(`${options.endpoint.replace(/\/+$/, "")}/${RUNS_CONTAINER}`, options.credential, {
    retryOptions: { maxTries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 2_000, tryTimeoutInMs: 15_000 },
  });
  const scrub = scrubber(identitySecrets());
  const lock = container.getBlobClient(LOCK_BLOB);
  const read = async (runId: string) => {
    try {
      const buffer = await container.getBlobClient(reportName(runId)).downloadToBuffer();
      return RunDocumentSchema.parse(JSON.parse(buffer.toString("utf8")));
    } catch (error) {
      if (isRestError(error) && error.statusCode === 404) return undefined;
      throw error;
    }
  };
  // The run the lock's lease belongs to: a run says "running" only while it holds it (taken before its first write).
  // An expired lease still belongs to its run until another takes it: Blob storage lets the holder renew it until then
  // (https://learn.microsoft.com/rest/api/storageservices/lease-blob), so a run whose storage missed renewals is not
  // given up for dead; a dead instance's run is, once the next run takes the lock.
  const holder = async () => {
    try {
      const properties = await lock.getProperties();
      return properties.leaseState === "leased" || properties.leaseState === "expired" ? properties.metadata?.runid?.toLowerCase() : undefined;
    } catch (error) {
      if (isRestError(error) && error.statusCode === 404) return undefined;
      throw error;
    }
  };
  // Seen running while the lease is not its own: read again, as the run may have ended in between, releasing the
  // lease after its last write; still running, it is abandoned.
  const recheck = async (runId: string) => {
    const again = await read(runId);
    return again?.state === "running" ? abandoned(again) : again;
  };
  const get = async (runId: string) => {
    const doc = await read(runId);
    return doc?.state !== "running" || (await holder()) === doc.runId.toLowerCase() ? doc : recheck(runId);
  };
  return {
    lock,
    async put(doc) {
      // ARM messages land in the report verbatim: scrubbed as the logs are, in case one quotes a header.
      const body = scrub(JSON.stringify(RunDocumentSchema.parse(doc)));
      await container.getBlockBlobClient(reportName(doc.runId)).upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: "application/json" } });
      await container.getBlockBlobClient(indexName(doc)).upload("", 0, { metadata: metadataOf(doc) });
    },
    get,
    async list({ pageSize, continuation }) {
      const marker = continuation === undefined ? undefined : markerOf(continuation);
      const pages = container.listBlobsFlat({ prefix: "recent/", includeMetadata: true }).byPage({ maxPageSize: pageSize, continuationToken: marker });
      const page = await pages.next().then(
        (result) => result.value,
        (error: unknown) => {
          // Azure answers 400 (OutOfRangeInput, InvalidQueryParameterValue) to a marker it did not hand out; the marker is the caller's only input.
          throw marker !== undefined && isRestError(error) && error.statusCode === 400 ? new InvalidContinuationError() : error;
        },
      );
      if (page === undefined) return { runs: [] };
      const listed = page.segment.blobItems.flatMap((blob: BlobItem) => {
        const summary = summaryOf(blob.metadata ?? {});
        return summary === undefined ? [] : [summary];
      });
      // The lease is read after the listing, so a run listed as running had taken it before: not holding it now, it ended or was abandoned.
      const running = listed.some((r: RunSummary) => r.state === "running") ? await holder() : undefined;
      const runs = await Promise.all(
        listed.map(async (r: RunSummary): Promise<RunSummary> => {
          if (r.state !== "running" || r.runId.toLowerCase() === running) return r;
          const doc = await recheck(r.runId);
          if (doc === undefined) return r;
          const { report: _, ...summary } = doc;
          return summary;
        }),
      );
      return page.continuationToken ? { runs, continuation: tokenOf(page.continuationToken) } : { runs };
    },
  };
}

// Answered, never written: the instance that ran it can no longer say how it ended, and a later read may yet find its end.
function abandoned(doc: RunDocument): RunDocument {
  const message =
    "no instance holds this run's lease any more, yet the run never wrote how it ended: the instance running it stopped part-way (restarted, scaled in, or its work frozen after the HTTP 202). Its report is lost; its events by runId in the logs show what it did, and the next run retries what it left";
  return { ...doc, state: "failed", error: { code: "RunAbandoned", message } };
}

/** A continuation that is not one list() handed out: the caller starts again from the first page. */
export class InvalidContinuationError extends Error {
  constructor() {
    super("the continuation token is not one this listing handed out (mistyped, cut short, or from another listing); start again from the first page");
  }
}

// Blob storage's marker, wrapped in an envelope of ours: anything that does not unwrap is refused here, whatever the
// service would do with it (Azure answers 400, Azurite silently lists from wherever the string sorts).
const TokenSchema = z.object({ v: z.literal(1), marker: z.string().min(1) });
const tokenOf = (marker: string) => Buffer.from(JSON.stringify({ v: 1, marker } satisfies z.infer<typeof TokenSchema>)).toString("base64url");

function markerOf(token: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new InvalidContinuationError();
  let envelope: unknown;
  try {
    envelope = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw new InvalidContinuationError();
  }
  const parsed = TokenSchema.safeParse(envelope);
  if (!parsed.success) throw new InvalidContinuationError();
  return parsed.data.marker;
}

/** Run ids are ours (UUIDs); anything else is refused before it becomes a blob name. */
export const RUN_ID = GUID;

const reportName = (runId: string) => `reports/${runId.toLowerCase()}.json`;
const indexName = (doc: RunDocument) => `recent/${String(LATEST - Date.parse(doc.startedAt)).padStart(13, "0")}-${doc.runId.toLowerCase()}`;

function metadataOf(doc: RunDocument): Record<string, string> {
  const fields = { runid: doc.runId, trigger: doc.trigger, state: doc.state, startedat: doc.startedAt, endedat: doc.endedAt, errorcode: doc.error?.code };
  // Blob metadata takes strings only: a run still going has no end and no error.
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function summaryOf(m: Record<string, string>): RunSummary | undefined {
  const parsed = RunDocumentSchema.omit({ report: true, error: true }).safeParse({ runId: m.runid, trigger: m.trigger, state: m.state, startedAt: m.startedat, endedAt: m.endedat });
  return parsed.success ? parsed.data : undefined;
}
