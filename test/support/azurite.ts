// Azurite's Blob service, one per test file: on 127.0.0.1, a free port, its own throwaway folder, HTTPS with a fresh
// self-signed certificate (Azurite accepts OAuth tokens only over HTTPS) and `--oauth basic`, so the real
// ManagedIdentityCredential's token from the emulator is what authenticates, as in Azure.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { makeCertificate } from "../../emulator/tls.ts";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const MAIN = createRequire(import.meta.url).resolve("azurite/dist/src/blob/main.js");
const GUARD = path.join(ROOT, "test", "setup", "loopback-only.ts");

export interface Azurite {
  /** RETRY_RUNS_BLOB_ENDPOINT for it: the path-style account endpoint. */
  endpoint: string;
  ca: string;
  /** Stops the service (a storage outage); the folder stays, so start() brings the same data back. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startAzurite(): Promise<Azurite> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "rfb-azurite-"));
  // Its own subject beside the emulator's certificate (NODE_EXTRA_CA_CERTS trusts both).
  const { key, cert } = await makeCertificate("azurite.localhost");
  await writeFile(path.join(dir, "cert.pem"), cert);
  await writeFile(path.join(dir, "key.pem"), key);
  // The storage SDK's HTTPS client trusts the default CA list; the certificate joins it in this worker.
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), cert]);
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const args = [MAIN, "--blobHost", "127.0.0.1", "--blobPort", String(port), "--location", path.join(dir, "data"), "--cert", path.join(dir, "cert.pem"), "--key", path.join(dir, "key.pem"), "--oauth", "basic", "--disableTelemetry", "--skipApiVersionCheck", "--loose", "--silent"];
      const proc = spawn(process.execPath, args, { cwd: dir, env: { PATH: process.env.PATH ?? "", HOME: dir, NODE_OPTIONS: `--import=${GUARD}` }, stdio: ["ignore", "pipe", "pipe"] });
      child = proc;
      let out = "";
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes("successfully listens")) resolve();
      };
      proc.stdout.on("data", onData);
      proc.stderr.on("data", (d: Buffer) => (out += d.toString()));
      proc.once("exit", (code) => reject(new Error(`azurite exited (${code}) before listening: ${out}`)));
    });

  const stop = () =>
    new Promise<void>((resolve) => {
      const proc = child;
      child = undefined;
      if (proc === undefined || proc.exitCode !== null) return resolve();
      // SIGTERM: Azurite saves what it holds (it persists every 5 s otherwise), so start() finds the blobs and leases
      // of the last seconds too; an outage, not a lost account. Killed if it lingers.
      const kill = setTimeout(() => proc.kill("SIGKILL"), 5_000);
      proc.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      proc.kill("SIGTERM");
    });

  await start();
  return {
    endpoint: `https://127.0.0.1:${port}/devstoreaccount1`,
    ca: cert,
    stop,
    start,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
