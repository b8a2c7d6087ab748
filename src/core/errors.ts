/** Every error the product raises on purpose carries a stable code and a message that says what to do next. */
export class RetryBackupsError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad settings or flags: the run cannot start (CLI exit 2, HTTP 400). */
export class SettingsError extends RetryBackupsError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super("InvalidSettings", problems.join("\n"));
    this.problems = problems;
  }
}

/** A query file that cannot be used; other files still run. */
export class QueryFileError extends RetryBackupsError {
  readonly file: string;
  constructor(code: string, file: string, message: string) {
    super(code, message);
    this.file = file;
  }
}

/** An async operation that the service ended Failed or Canceled, with the service's error. */
export class OperationFailedError extends RetryBackupsError {}

/** Message of anything thrown, without a stack trace. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
