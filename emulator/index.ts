/**
 * A local ARM on 127.0.0.1 that speaks the documented wire protocol over HTTPS: Resource Graph, both vault kinds'
 * on-demand backup and operation endpoints, and the App Service managed-identity endpoint, so the real Azure SDK
 * clients and @azure/identity run against it. Used by the tests, the benchmarks and the demo.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { idKey } from "./items.ts";
import { itemSeedsFromJobs } from "./jobs.ts";
import { MSI_PATH } from "./msi.ts";
import { armHandler, msiHandler } from "./server.ts";
import { createState, DEFAULT_OPTIONS, resetState, withOptions } from "./state.ts";
import { makeCertificate } from "./tls.ts";
import { TokenStore } from "./tokens.ts";
import type { Emulator, EmulatorOptions, ItemSeed } from "./types.ts";
export { dpJob, rsJob } from "./jobs.ts";
export type { DpJobSpec, JobRecord, RsJobSpec } from "./jobs.ts";

export type { Emulator, EmulatorOptions, FaultResponse, FaultRule, RecordedRequest, RequestKind } from "./types.ts";

function listen(server: http.Server | https.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

/** Sockets are tracked so close() ends keep-alive connections the SDK clients hold open. */
function trackSockets(server: http.Server | https.Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("secureConnection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return sockets;
}

function close(server: http.Server | https.Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const { identityHeader = randomBytes(24).toString("base64url"), ...runtime } = options;
  const certificate = await makeCertificate();
  const tokens = new TokenStore();
  const state = createState("", withOptions(DEFAULT_OPTIONS, runtime), tokens);

  const arm = https.createServer({ key: certificate.key, cert: certificate.cert }, armHandler(state));
  const msi = http.createServer(msiHandler(state, identityHeader));
  const armSockets = trackSockets(arm);
  const msiSockets = trackSockets(msi);
  const armPort = await listen(arm);
  const msiPort = await listen(msi);
  state.url = `https://127.0.0.1:${armPort}`;
  const identityEndpoint = `http://127.0.0.1:${msiPort}${MSI_PATH}`;

  const register = (seeds: ItemSeed[], explicit: boolean) => {
    for (const seed of seeds) state.registry.add(seed, { explicit });
  };

  return {
    url: state.url,
    ca: certificate.cert,
    identityEndpoint,
    identityHeader,
    env: () => ({ AZURE_RESOURCE_MANAGER_ENDPOINT: state.url, IDENTITY_ENDPOINT: identityEndpoint, IDENTITY_HEADER: identityHeader }),
    addItems(items) {
      register(items, true);
    },
    addJobs(records) {
      state.graph.warm();
      register(itemSeedsFromJobs(records), false);
      for (const record of records) state.graph.recoveryServicesResources.upsert(record);
    },
    denySubscription(subscriptionId, scope = "write") {
      state.denied.set(subscriptionId.toLowerCase(), scope);
    },
    setConflict(itemId, conflict) {
      state.conflicts.set(idKey(itemId), conflict);
    },
    fault(rule) {
      state.faults.push({ rule, seen: 0, applied: 0 });
    },
    configure(patch) {
      state.options = withOptions(state.options, patch);
    },
    requests: state.requests,
    tokens: tokens.issued,
    reset() {
      resetState(state);
    },
    async close() {
      await Promise.all([close(arm, armSockets), close(msi, msiSockets)]);
    },
  };
}
