// Refuses any socket to a non-loopback address. Loaded by vitest (network-guard.ts) and, through
// NODE_OPTIONS=--import, by every child process a test spawns, so the rule holds there too.
import net from "node:net";
import dns from "node:dns";

export const violations: string[] = [];

export function isLoopback(host: string | undefined): boolean {
  if (host === undefined || host === "" || host === "localhost") return true;
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

function refuse(host: string): never {
  const message = `network guard: connection to ${host} refused (tests may only talk to loopback)`;
  violations.push(message);
  throw new Error(message);
}

const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  // net.connect and tls.connect pass their normalized arguments as one array.
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (typeof first === "object" && first !== null && !Array.isArray(first)) {
    const options = first as { host?: string; path?: string };
    if (options.path === undefined && !isLoopback(options.host)) refuse(String(options.host));
  } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    const host = typeof args[1] === "string" ? args[1] : undefined;
    if (!isLoopback(host)) refuse(String(host));
  }
  return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

const originalLookup = dns.lookup;
dns.lookup = function guardedLookup(hostname: string, ...rest: unknown[]) {
  if (!isLoopback(hostname)) refuse(hostname);
  return (originalLookup as (...a: unknown[]) => void).call(dns, hostname, ...rest);
} as typeof dns.lookup;
