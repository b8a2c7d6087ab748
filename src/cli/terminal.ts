import { createInterface } from "node:readline";
import type { DestinationStream } from "pino";
import type { SweepProgress } from "../sweep.ts";
import type { CliIo } from "./io.ts";

/**
 * The process as the command line sees it. The first Ctrl-C aborts `signal` (a sweep stops admitting triggers and
 * reports the rest `cancelled`); a second one exits at once with 130.
 */
export function processIo(): CliIo {
  const controller = new AbortController();
  process.on("SIGINT", () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write("\nstopping: no new backups are sent; waiting for the writes in flight (Ctrl-C again to quit at once)\n");
    controller.abort();
  });
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    isTTY: process.stderr.isTTY === true,
    stdinTTY: process.stdin.isTTY === true,
    signal: controller.signal,
    ask: (question) =>
      new Promise((resolve) => {
        // terminal: false keeps the tty cooked, so Ctrl-C stays a signal rather than a key.
        const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
        process.stderr.write(question);
        const done = (answer: string) => {
          resolve(answer);
          rl.close();
        };
        rl.once("line", done);
        rl.once("close", () => resolve(""));
        controller.signal.addEventListener("abort", () => done(""), { once: true });
      }),
  };
}

/** Colours only on a terminal, never with NO_COLOR (any value, https://no-color.org) or --no-color. */
export function useColor(io: CliIo, noColorFlag: boolean): boolean {
  return io.isTTY && !noColorFlag && (io.env.NO_COLOR ?? "") === "";
}

const LEVEL: Record<string, [string, number]> = { fatal: ["FATAL", 31], error: ["ERROR", 31], warn: ["WARN ", 33], info: ["INFO ", 36], debug: ["DEBUG", 90], trace: ["TRACE", 90] };

/** The live line on stderr: cleared before anything else is written there. */
export interface StatusLine {
  set: (text: string) => void;
  clear: () => void;
  /** Writes a whole line above the status line. */
  print: (line: string) => void;
}

export function statusLine(io: CliIo, live: boolean): StatusLine {
  let current = "";
  const draw = () => live && current !== "" && io.stderr(`\r\x1b[K${current}`);
  const erase = () => live && current !== "" && io.stderr("\r\x1b[K");
  return {
    set: (text) => {
      current = text;
      draw();
    },
    clear: () => {
      erase();
      current = "";
    },
    print: (line) => {
      erase();
      io.stderr(line.endsWith("\n") ? line : `${line}\n`);
      draw();
    },
  };
}

/** On a terminal one short line per log record (time, level, message, code); JSON lines otherwise. */
export function logDestination(io: CliIo, status: StatusLine, color: boolean): DestinationStream {
  if (!io.isTTY) return { write: (line: string) => io.stderr(line) };
  return {
    write(chunk: string) {
      for (const line of chunk.split("\n")) {
        if (line.trim() === "") continue;
        status.print(formatRecord(line, color));
      }
    },
  };
}

function formatRecord(line: string, color: boolean): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const [label, code] = LEVEL[String(record.level)] ?? ["INFO ", 36];
  const time = typeof record.time === "string" ? record.time.slice(11, 19) : "";
  const error = record.error as { code?: string; message?: string } | undefined;
  const tail = error?.code === undefined ? "" : ` (${error.code}${error.message === undefined ? "" : `: ${error.message.split("\n")[0]?.slice(0, 160) ?? ""}`})`;
  const level = color ? `\x1b[${code}m${label}\x1b[0m` : label;
  return `${time} ${level} ${String(record.msg ?? record.event ?? "")}${tail}`;
}

/** The progress of a run on the status line: rule and page while reading, triggered k of n while writing, elapsed. */
export function progressOf(status: StatusLine): SweepProgress & { stop: () => void } {
  const started = Date.now();
  let text = "starting";
  const render = () => status.set(`${text}  ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const timer = setInterval(render, 500);
  timer.unref();
  render();
  return {
    page: (rule, page) => {
      text = `reading rule ${rule}: page ${page}`;
      render();
    },
    settled: (done, total) => {
      text = `triggered ${done} of ${total}`;
      render();
    },
    stop: () => {
      clearInterval(timer);
      status.clear();
    },
  };
}
