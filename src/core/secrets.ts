// Last line of defence for secrets that slip into free text (an SDK error message quoting a header, say).
const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

/**
 * The IDENTITY_HEADER values to keep out of every line: the adapter's environment and the process's, read when
 * called, since the platform rotates the header.
 */
export function identitySecrets(env: Record<string, string | undefined> = process.env): string[] {
  return [...new Set([env.IDENTITY_HEADER, process.env.IDENTITY_HEADER].filter((s): s is string => s !== undefined && s !== ""))];
}

export function scrubber(secrets: readonly string[]): (line: string) => string {
  const exact = secrets.filter((s) => s.length >= 8);
  return (line) => {
    let out = line.replace(BEARER, "$1[Redacted]").replace(JWT, "[Redacted]");
    for (const secret of exact) out = out.split(secret).join("[Redacted]");
    return out;
  };
}
