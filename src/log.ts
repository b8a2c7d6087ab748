import { pino, type DestinationStream, type Logger } from "pino";
import { inspect } from "node:util";
import { identitySecrets, scrubber } from "./core/index.ts";

export type { Logger };

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  level: LogLevel;
  /** Where JSON lines go; stderr when absent. */
  destination?: DestinationStream;
  /** Fields on every line (runId, invocationId, ...). */
  base?: Record<string, unknown>;
  /** Exact secret values to scrub from every line, e.g. the IDENTITY_HEADER value. */
  secrets?: readonly string[];
}

const REDACT_PATHS = [
  "token", "accessToken", "access_token", "authorization", "Authorization", "identityHeader", "secret",
  "*.token", "*.accessToken", "*.access_token", "*.authorization", "*.Authorization", "*.identityHeader", "*.secret",
  "headers.authorization", "headers.Authorization", "headers[\"x-identity-header\"]", "*.headers.authorization", "*.headers[\"x-identity-header\"]",
];

export function createLogger(options: LoggerOptions): Logger {
  const scrub = scrubber([...(options.secrets ?? []), ...identitySecrets()]);
  return pino(
    {
      level: options.level,
      base: options.base ?? null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: "[Redacted]" },
      hooks: { streamWrite: scrub },
    },
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

/** An Azure Functions invocation's log (context.log and friends), typed by shape so this module needs no @azure/functions. */
export interface LogSink {
  trace(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  log(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/**
 * A pino destination that hands every line to an invocation's log as one structured object, so the host ties it to
 * the invocation. The object prints as its original JSON line: the host formats log arguments with util.format, so
 * Application Insights' message is that JSON and `parse_json(Message)` (the alert's query) reads every field.
 */
export function sinkDestination(sink: LogSink): DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split("\n")) {
        if (line.trim() === "") continue;
        const record = parseRecord(line);
        if (record === undefined) {
          sink.log(line);
          continue;
        }
        Object.defineProperty(record, inspect.custom, { value: () => line, enumerable: false });
        const level = typeof record.level === "number" ? record.level : pino.levels.values[String(record.level)] ?? 30;
        if (level >= 50) sink.error(record);
        else if (level >= 40) sink.warn(record);
        else if (level >= 30) sink.log(record);
        else if (level >= 20) sink.debug(record);
        else sink.trace(record);
      }
    },
  };
}

function parseRecord(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
