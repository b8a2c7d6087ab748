// The next fire times of RETRY_SCHEDULE, as the Functions host computes them: NCRONTAB's six fields
// (second minute hour day month day-of-week) with *, numbers, ranges, steps, lists and three-letter names, or a
// TimeSpan "hh:mm:ss" (an interval from the host's start, so only the interval can be said). UTC, as the host
// runs on without WEBSITE_TIME_ZONE.
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const FIELDS: readonly { min: number; max: number; names?: string[]; nameBase: number }[] = [
  { min: 0, max: 59, nameBase: 0 },
  { min: 0, max: 59, nameBase: 0 },
  { min: 0, max: 23, nameBase: 0 },
  { min: 1, max: 31, nameBase: 0 },
  { min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { min: 0, max: 6, names: DAYS, nameBase: 0 },
];

function valueOf(text: string, field: (typeof FIELDS)[number]): number {
  const named = field.names?.indexOf(text.toLowerCase()) ?? -1;
  const value = named >= 0 ? named + field.nameBase : Number(text);
  if (!Number.isInteger(value) || value < field.min || value > field.max) throw new Error(`"${text}" is outside ${field.min}-${field.max}`);
  return value;
}

/** The values one field allows, e.g. "0-30/10,45" -> {0, 10, 20, 30, 45}. */
function expand(text: string, field: (typeof FIELDS)[number]): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(",")) {
    const [range = "", stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`step "${stepText ?? ""}" must be a whole number of at least 1`);
    const [from, to] = range === "*" ? [field.min, field.max] : range.includes("-") ? range.split("-").map((v) => valueOf(v, field)) : [valueOf(range, field), stepText === undefined ? valueOf(range, field) : field.max];
    for (let v = from ?? field.min; v <= (to ?? field.max); v += step) values.add(v);
  }
  return values;
}

export type ScheduleTimes = { kind: "cron"; next: Date[] } | { kind: "interval"; seconds: number };

/** The next `count` times after `from` (whole seconds); throws on an expression it cannot read. */
export function nextFireTimes(schedule: string, from: Date, count = 3): ScheduleTimes {
  const span = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(schedule.trim());
  if (span !== null) return { kind: "interval", seconds: Number(span[1]) * 3600 + Number(span[2]) * 60 + Number(span[3]) };
  const parts = schedule.trim().split(/\s+/);
  if (parts.length !== 6) throw new Error("an NCRONTAB expression has six fields");
  const [seconds, minutes, hours, days, months, weekdays] = parts.map((p, i) => expand(p, FIELDS[i]!)) as Set<number>[];
  const next: Date[] = [];
  const t = new Date(Math.floor(from.getTime() / 1000) * 1000 + 1000);
  // Skip whole days, hours and minutes that cannot match; a year without a match means the expression never fires.
  const limit = from.getTime() + 5 * 366 * 86_400_000;
  while (next.length < count && t.getTime() < limit) {
    if (!months!.has(t.getUTCMonth() + 1) || !days!.has(t.getUTCDate()) || !weekdays!.has(t.getUTCDay())) {
      t.setUTCHours(24, 0, 0, 0);
    } else if (!hours!.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
    } else if (!minutes!.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
    } else if (!seconds!.has(t.getUTCSeconds())) {
      t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
    } else {
      next.push(new Date(t));
      t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
    }
  }
  if (next.length < count) throw new Error("it never fires");
  return { kind: "cron", next };
}
