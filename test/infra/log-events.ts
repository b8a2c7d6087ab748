// The log events the app really writes, read from src/ with the TypeScript compiler: every object literal with an
// `event` property is one event, named by the literal's type (a template such as `retry.${outcome}` expands to one
// name per outcome) and carrying the fields of its type, nested ones as dotted paths (totals.failed, error.code).
// The fields every line of a logger carries come from its `base` and its `.child({...})` bindings, plus pino's own.
import { readdirSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

export type EventCatalog = {
  /** Event name -> the field paths its lines carry, its own and every line's. */
  events: Map<string, Set<string>>;
  /** The fields every line carries: pino's, the logger's base and its child bindings. */
  common: Set<string>;
  /** Where each event is logged, as file:line, for messages. */
  where: Map<string, string[]>;
};

const SRC = path.resolve(import.meta.dirname, "..", "..", "src");
// pino writes these on every line (src/log.ts: level as a label, an ISO `time`, the message as `msg`).
const PINO_FIELDS = ["level", "time", "msg"];
// Nested fields deeper than this are not read by any query; the limit keeps recursive types finite.
const MAX_DEPTH = 3;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

/** The string values a type can take, or undefined when it is not a finite set of string literals. */
function literals(type: ts.Type): string[] | undefined {
  if (type.isStringLiteral()) return [type.value];
  if (type.isUnion()) {
    const parts = type.types.map(literals);
    return parts.every((p) => p !== undefined) ? parts.flat() : undefined;
  }
  return undefined;
}

function names(checker: ts.TypeChecker, node: ts.Expression): string[] | undefined {
  if (ts.isTemplateExpression(node)) {
    let combos = [node.head.text];
    for (const span of node.templateSpans) {
      const values = literals(checker.getTypeAtLocation(span.expression));
      if (values === undefined) return undefined;
      combos = combos.flatMap((prefix) => values.map((v) => `${prefix}${v}${span.literal.text}`));
    }
    return combos;
  }
  return literals(checker.getTypeAtLocation(node));
}

/** Field paths of a type: each property, and the properties of object-typed ones below it. */
function fieldPaths(checker: ts.TypeChecker, type: ts.Type, at: ts.Node, prefix = "", depth = 0): string[] {
  const objectParts = (type.isUnion() ? type.types : [type]).filter((t) => (t.flags & ts.TypeFlags.Object) !== 0 && !checker.isArrayType(t) && t.getCallSignatures().length === 0);
  return objectParts.flatMap((part) =>
    part.getProperties().flatMap((property) => {
      const field = `${prefix}${property.name}`;
      const inner = depth + 1 < MAX_DEPTH ? fieldPaths(checker, checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(property, at)), at, `${field}.`, depth + 1) : [];
      return [field, ...inner];
    }),
  );
}

function isEventProperty(p: ts.ObjectLiteralElementLike): p is ts.PropertyAssignment {
  return ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === "event";
}

/**
 * Reads every event of src/. `rewrite` changes a file's text before it is read (a test renames an event with it).
 * Throws, naming the place, on an event whose name it cannot tell.
 */
export function scanLogEvents(rewrite: (file: string, text: string) => string = (_file, text) => text): EventCatalog {
  const files = sourceFiles(SRC);
  const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, allowImportingTsExtensions: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2023 };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (file) => {
    const text = readFile(file);
    return text !== undefined && path.resolve(file).startsWith(SRC + path.sep) ? rewrite(path.resolve(file), text) : text;
  };
  const program = ts.createProgram(files, options, host);
  const checker = program.getTypeChecker();
  const own = new Map<string, Set<string>>();
  const where = new Map<string, string[]>();
  const common = new Set(PINO_FIELDS);
  for (const file of program.getSourceFiles().filter((f) => files.includes(path.resolve(f.fileName)))) {
    const place = (node: ts.Node) => `${path.relative(path.dirname(SRC), file.fileName)}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
    const visit = (node: ts.Node): void => {
      if (ts.isObjectLiteralExpression(node)) {
        const event = node.properties.find(isEventProperty);
        if (event !== undefined) {
          const found = names(checker, event.initializer);
          if (found === undefined) throw new Error(`${place(event)}: the event name is not a string literal (or a template of literal types); the log-event scan cannot tell what it logs`);
          const fields = fieldPaths(checker, checker.getTypeAtLocation(node), node).filter((f) => f !== "event");
          for (const name of found) {
            own.set(name, new Set([...(own.get(name) ?? []), ...fields]));
            where.set(name, [...(where.get(name) ?? []), place(event)]);
          }
        }
      }
      // logger.child({ runId }) and createLogger({ base: { invocationId, ... } }): fields on every line below them.
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "child" && node.arguments[0] !== undefined) {
        for (const f of fieldPaths(checker, checker.getTypeAtLocation(node.arguments[0]), node)) common.add(f);
      }
      if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === "base" && ts.isObjectLiteralExpression(node.initializer)) {
        for (const f of fieldPaths(checker, checker.getTypeAtLocation(node.initializer), node)) common.add(f);
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  const events = new Map([...own].map(([name, fields]) => [name, new Set([...fields, ...common])]));
  return { events, common, where };
}
