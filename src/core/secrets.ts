// Last line of defence for secrets that slip into free text (an SDK error message quoting a header, say).
const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

export function scrubber(secrets: readonly string[]): (line: string) => string {
  const exact = secrets.filter((s) => s.length >= 8);
  return (line) => {
    let out = line.replace(BEARER, "$1[Redacted]").replace(JWT, "[Redacted]");
    for (const secret of exact) out = out.split(secret).join("[Redacted]");
    return out;
  };
}
