import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";

/** What a handler answers; the server adds the common ARM headers and sends it. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** ARM's error envelope (CloudError). */
export function armError(status: number, code: string, message: string, headers?: Record<string, string>): Reply {
  return { status, headers, body: { error: { code, message } } };
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Parsed JSON, the raw text when it is not JSON, undefined when empty. */
export function parseBody(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return;
  const headers: Record<string, string> = { ...reply.headers };
  let payload: string | undefined;
  if (reply.body !== undefined) {
    payload = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
    headers["content-type"] ??= "application/json; charset=utf-8";
  }
  headers["content-length"] = String(payload === undefined ? 0 : Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(payload);
}

/**
 * A connection reset mid-body: the status line, the headers (declaring the whole length) and half the body go out,
 * then the socket is destroyed. A bodiless answer declares a 64-byte body and sends none of it.
 */
export function sendCut(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return;
  const payload = reply.body === undefined ? "" : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
  const bytes = Buffer.from(payload);
  const headers: Record<string, string> = { ...reply.headers, "content-length": String(Math.max(bytes.length, 64)) };
  if (reply.body !== undefined) headers["content-type"] ??= "application/json; charset=utf-8";
  res.writeHead(reply.status, headers);
  res.flushHeaders();
  const half = bytes.subarray(0, Math.floor(bytes.length / 2));
  if (half.length === 0) {
    setTimeout(() => res.socket?.destroy(), 5);
    return;
  }
  res.write(half, () => setTimeout(() => res.socket?.destroy(), 5));
}

export function lowerCaseHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

export function queryOf(url: URL): Record<string, string> {
  return Object.fromEntries(url.searchParams.entries());
}

/** Path segments, percent-decoded (";" arrives as %3B). */
export function segmentsOf(rawPath: string): string[] {
  return rawPath
    .split("/")
    .filter((s) => s !== "")
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

/** "hh:mm:ss", as in x-ms-user-quota-resets-after. */
export function hhmmss(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
}

export const newId = (): string => randomUUID();

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A URL the client can follow: the emulator's origin plus an id-shaped path (";" and "=" stay as the services send them). */
export function absoluteUrl(base: string, path: string, apiVersion: string): string {
  return `${base}${encodeURI(path)}?api-version=${encodeURIComponent(apiVersion)}`;
}
