import type { KNode } from "./kusto.ts";

/**
 * A query the local Resource Graph will not run: what Resource Graph itself refuses (statements, operators outside
 * its list, join and mv-expand limits, binder errors), and what the emulator does not implement. Either way the
 * answer is a 400 naming the construct, never a guess.
 */
export class QueryRefusal extends Error {
  /** 1-based line and 0-based position in the line, as Resource Graph's ParserFailure details give them. */
  readonly line: number;
  readonly position: number;
  /** The text the refusal is about. */
  readonly token: string;

  constructor(message: string, at: { line: number; position: number; token: string }) {
    super(message);
    this.line = at.line;
    this.position = at.position;
    this.token = at.token;
  }
}

/** The query text, for naming constructs and their positions. */
export class Source {
  readonly text: string;
  /** Text the evaluator put in front of the query (the default table); positions are reported without it. */
  private readonly hidden: number;
  private readonly lineStarts: number[];

  constructor(text: string, hidden = 0) {
    this.text = text;
    this.hidden = hidden;
    this.lineStarts = [0];
    for (let i = hidden; i < text.length; i += 1) if (text[i] === "\n") this.lineStarts.push(i + 1 - hidden);
  }

  /** The node's own text, without trivia. */
  textOf(node: KNode): string {
    return this.text.slice(node.TextStart, node.TextStart + node.Width);
  }

  refuse(node: KNode | undefined, message: string): never {
    return this.refuseAt(node?.TextStart ?? this.hidden, node?.Width ?? 0, message);
  }

  refuseAt(start: number, length: number, message: string): never {
    const at = Math.max(0, start - this.hidden);
    let line = 0;
    while (line + 1 < this.lineStarts.length && this.lineStarts[line + 1]! <= at) line += 1;
    const token = this.text.slice(start, start + Math.max(length, 1)).split(/\s+/)[0] ?? "";
    throw new QueryRefusal(message, { line: line + 1, position: at - this.lineStarts[line]!, token: token.slice(0, 80) });
  }
}
