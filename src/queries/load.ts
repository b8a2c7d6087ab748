import { readdir, readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { closest, QueryFileError } from "../core/index.ts";

export interface QueryFile {
  /** File name without `.kql`: the name used by `--query`, the HTTP body and the report. */
  name: string;
  path: string;
  text: string;
}

export interface LoadQueriesOptions {
  dir: string;
  /** Only these query names; every `*.kql` file when absent or empty. */
  names?: readonly string[];
}

export interface LoadedQueries {
  queries: QueryFile[];
  errors: QueryFileError[];
}

/** Far above any real rule; keeps a stray large file from being sent to Resource Graph. */
export const MAX_QUERY_BYTES = 64 * 1024;

export async function listQueryNames(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.name.endsWith(".kql") && (e.isFile() || e.isSymbolicLink()))
    .map((e) => e.name.slice(0, -".kql".length))
    .sort();
}

export async function loadQueries(options: LoadQueriesOptions): Promise<LoadedQueries> {
  const dir = path.resolve(options.dir);
  let available: string[];
  try {
    available = await listQueryNames(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "does not exist" : code === "ENOTDIR" ? "is not a folder" : `cannot be read (${code ?? "unknown error"})`;
    return {
      queries: [],
      errors: [new QueryFileError("QueriesDirUnreadable", dir, `The queries folder ${dir} ${reason}. Set RETRY_QUERIES_DIR (or --queries-dir) to the folder holding your .kql files.`)],
    };
  }
  const wanted = options.names !== undefined && options.names.length > 0 ? [...new Set(options.names)] : available;
  const queries: QueryFile[] = [];
  const errors: QueryFileError[] = [];
  if (wanted.length === 0) {
    errors.push(new QueryFileError("NoQueryFiles", dir, `The queries folder ${dir} holds no .kql file. Add one (see "Tuning retries" in the README) or point RETRY_QUERIES_DIR elsewhere.`));
  }
  for (const name of wanted) {
    const file = path.join(dir, `${name}.kql`);
    if (!available.includes(name)) {
      const near = closest(name, available);
      errors.push(new QueryFileError("UnknownQuery", file, `There is no query named "${name}" in ${dir}.${near === undefined ? "" : ` Did you mean "${near}"?`} Known queries: ${available.join(", ") || "none"}.`));
      continue;
    }
    const loaded = await readQueryFile(dir, name, file);
    if (loaded instanceof QueryFileError) errors.push(loaded);
    else queries.push(loaded);
  }
  return { queries, errors };
}

async function readQueryFile(dir: string, name: string, file: string): Promise<QueryFile | QueryFileError> {
  try {
    const real = await realpath(file);
    const realDir = await realpath(dir);
    if (path.dirname(real) !== realDir) {
      return new QueryFileError("QueryFileOutsideFolder", file, `${file} is a link to ${real}, outside the queries folder; copy the file into ${dir} instead of linking it.`);
    }
    const info = await stat(real);
    if (!info.isFile()) return new QueryFileError("QueryFileNotAFile", file, `${file} is not a regular file.`);
    if (info.size > MAX_QUERY_BYTES) {
      return new QueryFileError("QueryFileTooLarge", file, `${file} is ${info.size} bytes; a query file may hold at most ${MAX_QUERY_BYTES} bytes.`);
    }
    const bytes = await readFile(real);
    const text = decodeUtf8(bytes);
    if (text === undefined) return new QueryFileError("QueryFileNotText", file, `${file} is not UTF-8 text (binary content); save it as a plain UTF-8 .kql file.`);
    if (stripComments(text).trim() === "") return new QueryFileError("QueryFileEmpty", file, `${file} holds no query (it is empty or only comments).`);
    return { name, path: file, text };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
    return new QueryFileError("QueryFileUnreadable", file, `${file} cannot be read (${code}); check that it exists and that the app may read it.`);
  }
}

function decodeUtf8(bytes: Buffer): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    return undefined;
  }
}

function stripComments(text: string): string {
  return text.replace(/\/\/[^\n]*/g, "");
}
