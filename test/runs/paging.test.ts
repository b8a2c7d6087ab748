// Paging of the run history against Azurite's Blob service: GET /api/runs followed by its `next` links and
// `runs list` by the command it prints, over more runs than a page holds; continuation tokens that are not ours are
// the caller's mistake (400, exit 2), a store that fails is not (503). Azurite lists from wherever a bad marker sorts
// where Azure answers 400, so a stand-in HTTPS server plays Azure for that answer.
import { randomUUID } from "node:crypto";
import https from "node:https";
import type net from "node:net";
import tls from "node:tls";
import { HttpRequest, HttpResponse, InvocationContext, type HttpResponseInit } from "@azure/functions";
import { ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCertificate } from "../../emulator/tls.ts";
import { createCredential } from "../../src/azure/index.ts";
import { runsHandler } from "../../src/functions/runs.ts";
import type { FunctionDeps } from "../../src/functions/run.ts";
import { createRunStore, type RunDocument } from "../../src/runs/index.ts";
import { startAzurite, type Azurite } from "../support/azurite.ts";
import { runCli } from "../support/cli-in-process.ts";
import { FAST_OPERATION, FAST_RETRY, useHarness } from "../support/harness.ts";

const RUNS = 55;
const INVALID_CONTINUATION = "urn:retry-failed-backups:problem:invalid-continuation";

const h = useHarness();
let azurite: Azurite;
// Newest first, as every listing must come back.
let docs: RunDocument[];

beforeAll(async () => {
  azurite = await startAzurite();
  const credential = createCredential({ kind: "managedIdentity" });
  await new ContainerClient(`${azurite.endpoint}/runs`, credential).create();
  const store = createRunStore({ endpoint: azurite.endpoint, credential });
  const newest = Date.parse("2026-03-01T12:00:00.000Z");
  docs = Array.from({ length: RUNS }, (_, i): RunDocument => {
    const startedAt = new Date(newest - i * 3_600_000).toISOString();
    const endedAt = new Date(newest - i * 3_600_000 + 90_000).toISOString();
    const trigger = (["timer", "http", "cli"] as const)[i % 3]!;
    if (i % 5 === 0) return { runId: randomUUID(), trigger, state: "running", startedAt };
    if (i % 5 === 1) return { runId: randomUUID(), trigger, state: "failed", startedAt, endedAt, error: { code: "InvalidSettings", message: "stopped" } };
    return { runId: randomUUID(), trigger, state: "completed", startedAt, endedAt };
  });
  await Promise.all(docs.map((doc) => store.put(doc)));
}, 60_000);
afterAll(async () => {
  await azurite.close();
});

const deps = (endpoint = azurite.endpoint): FunctionDeps => ({
  env: { ...h.emulator.env(), RETRY_QUERIES_DIR: h.queriesDir, RETRY_SCHEDULE: "0 15 * * * *", LOG_LEVEL: "info", RETRY_RUNS_BLOB_ENDPOINT: endpoint },
  tlsCa: h.emulator.ca,
  retry: FAST_RETRY,
  operation: FAST_OPERATION,
});
const context = () => new InvocationContext({ invocationId: randomUUID(), functionName: "runs", logHandler: () => undefined });
// A link as the caller follows it: path and query string, parsed into a new request.
const get = (link: string) => new HttpRequest({ method: "GET", url: `http://localhost${link}` });
const withContinuation = (token: string) => `/api/runs?continuation=${encodeURIComponent(token)}`;

async function send(result: HttpResponseInit) {
  const response = new HttpResponse(result);
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
}

// No instance holds the lease of the "running" ones: they are listed as abandoned.
const summary = ({ runId, trigger, state, startedAt, endedAt }: RunDocument) =>
  state === "running" ? { runId, trigger, state: "failed", startedAt, error: { code: "RunAbandoned", message: expect.any(String) } } : { runId, trigger, state, startedAt, endedAt };

async function firstNext(): Promise<string> {
  const first = await send(await runsHandler(get("/api/runs"), context(), deps()));
  return String(first.json.next);
}

function expectInvalidContinuation(answer: Awaited<ReturnType<typeof send>>) {
  expect(answer.status).toBe(400);
  expect(answer.headers.get("content-type")).toBe("application/problem+json");
  expect(answer.headers.get("retry-after")).toBeNull();
  expect(answer.json).toMatchObject({ type: INVALID_CONTINUATION, status: 400, detail: expect.stringContaining("start again from GET /api/runs"), problems: [expect.objectContaining({ field: "continuation" })] });
}

/** Plays Azure's Blob service for one answer to every request: an error status and code, as Azure sends them. */
async function fakeBlobService(status: number, code: string) {
  const { key, cert } = await makeCertificate("fake-blob.localhost");
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), cert]);
  const markers: (string | null)[] = [];
  const server = https.createServer({ key, cert }, (req, res) => {
    markers.push(new URL(req.url ?? "/", "https://127.0.0.1").searchParams.get("marker"));
    res.writeHead(status, { "content-type": "application/xml", "x-ms-error-code": code, "x-ms-request-id": randomUUID() });
    res.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>as Azure answers it</Message></Error>`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return { endpoint: `https://127.0.0.1:${port}/devstoreaccount1`, markers, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("GET /api/runs paging", () => {
  it("following next links as given reads every run once, newest first, 20 a page over 3 pages", async () => {
    const pages: unknown[][] = [];
    let link: string | undefined = "/api/runs";
    while (link !== undefined) {
      const answer = await send(await runsHandler(get(link), context(), deps()));
      expect(answer.status).toBe(200);
      pages.push(answer.json.runs as unknown[]);
      link = answer.json.next as string | undefined;
      if (link !== undefined) expect(link).toMatch(/^\/api\/runs\?continuation=[A-Za-z0-9_-]+$/);
    }
    expect(pages.map((p) => p.length)).toEqual([20, 20, RUNS - 40]);
    expect(pages.flat()).toEqual(docs.map(summary));
  });

  it("a garbage, cut-short or foreign continuation is 400 invalid-continuation naming the field, not 503", async () => {
    const next = await firstNext();
    const token = new URL(next, "http://localhost").searchParams.get("continuation")!;
    // What Blob storage itself hands out for this container (and what GET /api/runs handed out before the envelope).
    const raw = (await new ContainerClient(`${azurite.endpoint}/runs`, createCredential({ kind: "managedIdentity" })).listBlobsFlat({ prefix: "recent/" }).byPage({ maxPageSize: 20 }).next()).value.continuationToken as string;
    expect(raw).not.toBe("");
    const links = ["garbage", "", raw, token.slice(0, -4), `f${token.slice(1)}`].map(withContinuation);
    links.push("/api/runs?continuation=%%%");
    for (const link of links) expectInvalidContinuation(await send(await runsHandler(get(link), context(), deps())));
  });

  it("a token that decodes but is not one of ours (another version, no marker, not an object) is 400 too", async () => {
    const envelopes = [{ v: 2, marker: "x" }, { v: 1 }, { v: 1, marker: "" }, { v: 1, marker: 7 }, [1], "recent/"];
    for (const envelope of envelopes) {
      const token = Buffer.from(JSON.stringify(envelope)).toString("base64url");
      expectInvalidContinuation(await send(await runsHandler(get(withContinuation(token)), context(), deps())));
    }
  });

  it("Blob storage refusing the marker (Azure's 400 OutOfRangeInput) is 400 invalid-continuation; the marker sent is the one wrapped", async () => {
    const next = await firstNext();
    const azure = await fakeBlobService(400, "OutOfRangeInput");
    try {
      const tampered = Buffer.from(JSON.stringify({ v: 1, marker: "2!84!bm90IG9uZSBvZiBBenVyZSdz" })).toString("base64url");
      expectInvalidContinuation(await send(await runsHandler(get(withContinuation(tampered)), context(), deps(azure.endpoint))));
      expect(azure.markers).toEqual(["2!84!bm90IG9uZSBvZiBBenVyZSdz"]);
      // The same storage refusing the app on a next page is the store's failure: 503, try again later.
      const failed = await fakeBlobService(403, "AuthorizationPermissionMismatch");
      try {
        const answer = await send(await runsHandler(get(next), context(), deps(failed.endpoint)));
        expect(answer.status).toBe(503);
        expect(answer.headers.get("retry-after")).toBe("60");
        expect(answer.json).toMatchObject({ type: "urn:retry-failed-backups:problem:run-store-unavailable" });
      } finally {
        await failed.close();
      }
    } finally {
      await azure.close();
    }
  });
});

describe("runs list paging", () => {
  const env = () => ({ ...h.emulator.env(), RETRY_QUERIES_DIR: h.queriesDir, RETRY_RUNS_BLOB_ENDPOINT: azurite.endpoint });
  const nextCommand = (stderr: string[]) => stderr.find((l) => l.startsWith("more runs: "))?.replace(/^more runs: /, "");

  it("prints 50 runs and on stderr the command for the next page; that command, run as printed, prints the rest", async () => {
    const first = await runCli(["runs", "list"], env());
    expect(first.code).toBe(0);
    const command = nextCommand(first.stderr);
    expect(command).toMatch(/^retry-failed-backups runs list --continuation [A-Za-z0-9_-]+$/);
    const [, ...argv] = command!.split(" ");
    const second = await runCli(argv, env());
    expect(second.code).toBe(0);
    expect(nextCommand(second.stderr)).toBeUndefined();
    const lines = [...first.stdout.trim().split("\n"), ...second.stdout.trim().split("\n")];
    expect(first.stdout.trim().split("\n")).toHaveLength(50);
    expect(lines.map((l) => l.split(/\s+/)[1])).toEqual(docs.map((d) => d.runId));
  });

  it("-o json prints { runs, continuation }; the next page's command keeps -o json and its last page has no continuation", async () => {
    const first = await runCli(["runs", "list", "-o", "json"], env());
    expect(first.code).toBe(0);
    const page = JSON.parse(first.stdout) as { runs: unknown[]; continuation?: string };
    expect(page.runs).toEqual(docs.slice(0, 50).map(summary));
    expect(nextCommand(first.stderr)).toBe(`retry-failed-backups runs list --continuation ${page.continuation} -o json`);
    const last = await runCli(["runs", "list", "--continuation", page.continuation!, "-o", "json"], env());
    expect(last.code).toBe(0);
    expect(JSON.parse(last.stdout)).toEqual({ runs: docs.slice(50).map(summary) });
  });

  it("a token runs list did not print exits 2, saying to start again with runs list", async () => {
    for (const token of ["garbage", "%%%", ""]) {
      const result = await runCli(["runs", "list", "--continuation", token], env());
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr.join("\n")).toContain("is not a token runs list printed");
      expect(result.stderr.join("\n")).toContain("start again with retry-failed-backups runs list");
    }
    const show = await runCli(["runs", "show", docs[0]!.runId, "--continuation", "x"], env());
    expect(show.code).toBe(2);
  });
});
