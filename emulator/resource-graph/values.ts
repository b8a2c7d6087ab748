/**
 * Kusto's scalar values as the evaluator holds them. Every value has a static type from the binder:
 * - string: a JS string, never null (Kusto strings have no null: a missing value is "");
 * - bool, int, long, real, guid: boolean / number / string, or null;
 * - datetime: whole microseconds since the Unix epoch (Kusto counts 100 ns ticks; the last digit is dropped), or null;
 * - timespan: microseconds, or null;
 * - dynamic: a JSON value. Values JSON cannot hold are put in a dynamic as strings, as Kusto serializes them
 *   (https://learn.microsoft.com/kusto/query/scalar-data-types/dynamic).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Value = Json;
export type Row = Value[];

export type KType = "bool" | "int" | "long" | "real" | "string" | "datetime" | "timespan" | "guid" | "dynamic";

const TYPES: Readonly<Record<string, KType>> = {
  bool: "bool",
  boolean: "bool",
  int: "int",
  long: "long",
  real: "real",
  double: "real",
  decimal: "real",
  string: "string",
  datetime: "datetime",
  date: "datetime",
  timespan: "timespan",
  time: "timespan",
  guid: "guid",
  uniqueid: "guid",
  dynamic: "dynamic",
};

/** The evaluator's type for a binder type name; unknown names are dynamic (anything goes, nothing assumed). */
export function ktype(name: string | null | undefined): KType {
  return TYPES[(name ?? "").toLowerCase()] ?? "dynamic";
}

export const isNumeric = (t: KType): boolean => t === "int" || t === "long" || t === "real";

export function isObject(v: Value): v is { [key: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------
// datetime and timespan

const US_PER_MS = 1000;
const US_PER_SECOND = 1_000_000;
const US_PER_DAY = 86_400 * US_PER_SECOND;

const ISO =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|GMT|UTC|[+-]\d{2}:?\d{2})?$/i;

/** M/d/yyyy [H:mm[:ss[.f]]], which the parse page's examples read as datetimes (02/17/2016 08:40:01). */
const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/;

/** ISO 8601, the sortable and US formats exactly; RFC 822 / 850 through the platform's parser, read as UTC. */
export function parseDatetime(text: string): number | null {
  const s = text.trim();
  const us = US_DATE.exec(s);
  if (us !== null) {
    const [, mo, d, y, h = "0", mi = "0", sec = "0", frac = ""] = us;
    return parseDatetime(`${y}-${mo}-${d}T${h}:${mi}:${sec}${frac === "" ? "" : `.${frac}`}Z`);
  }
  const m = ISO.exec(s);
  if (m !== null) {
    const [, y, mo, d, h = "0", mi = "0", sec = "0", frac = "", zone = "Z"] = m;
    const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
    if (Number.isNaN(ms) || Number(mo) > 12 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return null;
    const micros = Number(frac.padEnd(6, "0").slice(0, 6));
    return ms * US_PER_MS + micros - zoneOffsetMinutes(zone) * 60 * US_PER_SECOND;
  }
  if (!/[a-z]{3}/i.test(s)) return null;
  const zoned = /\b(GMT|UTC|Z|[+-]\d{4})$/i.test(s) ? s : `${s} GMT`;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? null : ms * US_PER_MS;
}

function zoneOffsetMinutes(zone: string): number {
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (m === null) return 0;
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** ISO 8601 with seven fractional digits, as Kusto writes a datetime: 2017-01-01T00:00:00.0000000Z. */
function formatDatetime(us: number): string {
  const whole = Math.floor(us / US_PER_MS);
  const micros = Math.floor(us - whole * US_PER_MS);
  const iso = new Date(whole).toISOString();
  return `${iso.slice(0, 23)}${String(micros).padStart(3, "0")}0Z`;
}

/** [-][d.]hh:mm:ss[.fffffff], as Kusto writes a timespan. */
function formatTimespan(us: number): string {
  const sign = us < 0 ? "-" : "";
  let rest = Math.abs(us);
  const days = Math.floor(rest / US_PER_DAY);
  rest -= days * US_PER_DAY;
  const hours = Math.floor(rest / (3600 * US_PER_SECOND));
  rest -= hours * 3600 * US_PER_SECOND;
  const minutes = Math.floor(rest / (60 * US_PER_SECOND));
  rest -= minutes * 60 * US_PER_SECOND;
  const seconds = Math.floor(rest / US_PER_SECOND);
  const ticks = Math.round((rest - seconds * US_PER_SECOND) * 10);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${sign}${days > 0 ? `${days}.` : ""}${pad(hours)}:${pad(minutes)}:${pad(seconds)}${ticks > 0 ? `.${String(ticks).padStart(7, "0")}` : ""}`;
}

const SPAN_UNITS: Readonly<Record<string, number>> = {
  d: US_PER_DAY,
  day: US_PER_DAY,
  days: US_PER_DAY,
  h: 3600 * US_PER_SECOND,
  hr: 3600 * US_PER_SECOND,
  hrs: 3600 * US_PER_SECOND,
  hour: 3600 * US_PER_SECOND,
  hours: 3600 * US_PER_SECOND,
  m: 60 * US_PER_SECOND,
  min: 60 * US_PER_SECOND,
  minute: 60 * US_PER_SECOND,
  minutes: 60 * US_PER_SECOND,
  s: US_PER_SECOND,
  sec: US_PER_SECOND,
  second: US_PER_SECOND,
  seconds: US_PER_SECOND,
  ms: US_PER_MS,
  milli: US_PER_MS,
  millis: US_PER_MS,
  millisec: US_PER_MS,
  millisecond: US_PER_MS,
  milliseconds: US_PER_MS,
  microsecond: 1,
  microseconds: 1,
  tick: 0.1,
  ticks: 0.1,
};

/** `1.02:03:04.5`, `02:03:04`, `02:03`, `1.5h`, `30m`, `10s`, `100ms`, `1tick` (https://learn.microsoft.com/kusto/query/scalar-data-types/timespan). */
export function parseTimespan(text: string): number | null {
  const s = text.trim();
  const clock = /^([+-])?(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?$/.exec(s);
  if (clock !== null) {
    const [, sign, d = "0", h, mi, sec = "0", frac = ""] = clock;
    const us = Number(d) * US_PER_DAY + Number(h) * 3600 * US_PER_SECOND + Number(mi) * 60 * US_PER_SECOND + Number(sec) * US_PER_SECOND + Number(`0.${frac || "0"}`) * US_PER_SECOND;
    return sign === "-" ? -us : us;
  }
  const unit = /^([+-]?\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(s);
  if (unit !== null) {
    const factor = SPAN_UNITS[unit[2]!.toLowerCase()];
    return factor === undefined ? null : Number(unit[1]) * factor;
  }
  return /^[+-]?\d+(?:\.\d+)?$/.test(s) ? Number(s) * US_PER_DAY : null;
}

// ---------------------------------------------------------------------------------------------
// Conversions (https://learn.microsoft.com/kusto/query/tostring-function and its siblings)

/** A dynamic holding a JSON string that names a number, a date or a span is that value to the cast functions. */
export function toStr(v: Value, t: KType): string {
  if (v === null) return "";
  switch (t) {
    case "string":
    case "guid":
      return v as string;
    case "datetime":
      return formatDatetime(v as number);
    case "timespan":
      return formatTimespan(v as number);
    case "bool":
      return v ? "true" : "false";
    case "int":
    case "long":
    case "real":
      return numberText(v as number);
    case "dynamic":
      return typeof v === "string" ? v : typeof v === "number" ? numberText(v) : JSON.stringify(v);
  }
}

function numberText(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "Infinity";
  if (n === -Infinity) return "-Infinity";
  return String(n);
}

export function toReal(v: Value, t: KType): number | null {
  if (v === null) return null;
  switch (t) {
    case "int":
    case "long":
    case "real":
    case "datetime":
    case "timespan":
      return v as number;
    case "bool":
      return v ? 1 : 0;
    case "string":
    case "guid":
      return realOfText(v as string);
    case "dynamic":
      if (typeof v === "number") return v;
      if (typeof v === "boolean") return v ? 1 : 0;
      return typeof v === "string" ? realOfText(v) : null;
  }
}

function realOfText(s: string): number | null {
  const text = s.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return Number(text);
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  return /^nan$/i.test(text) ? Number.NaN : null;
}

/** toint / tolong truncate toward zero; a string must hold a number. */
export function toLong(v: Value, t: KType): number | null {
  const real = toReal(v, t);
  if (real === null || !Number.isFinite(real)) return null;
  return Math.trunc(real);
}

export function toBool(v: Value, t: KType): boolean | null {
  if (v === null) return null;
  if (t === "bool") return v as boolean;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (s === "true") return true;
    if (s === "false") return false;
    const n = realOfText(s);
    return n === null || Number.isNaN(n) ? null : n !== 0;
  }
  return null;
}

export function toDatetime(v: Value, t: KType): number | null {
  if (v === null) return null;
  if (t === "datetime") return v as number;
  return typeof v === "string" ? parseDatetime(v) : null;
}

export function toTimespan(v: Value, t: KType): number | null {
  if (v === null) return null;
  if (t === "timespan") return v as number;
  if (typeof v === "string") return parseTimespan(v);
  // A number is ticks, as Kusto's totimespan reads it.
  return typeof v === "number" && t !== "datetime" ? v / 10 : null;
}

/** A typed value put in a dynamic (make_list, pack_array, bag_pack, ...). */
export function toDynamic(v: Value, t: KType): Json {
  if (v === null) return null;
  if (t === "datetime") return formatDatetime(v as number);
  if (t === "timespan") return formatTimespan(v as number);
  return v;
}

/** A value of type `from` as type `to`: the implicit conversion the binder allows (numbers widen, dynamic narrows). */
export function convert(v: Value, from: KType, to: KType): Value {
  if (from === to) return v;
  switch (to) {
    case "string":
      return toStr(v, from);
    case "guid":
      return v === null ? null : toStr(v, from);
    case "bool":
      return toBool(v, from);
    case "int":
    case "long":
      return from === "real" || from === "dynamic" || from === "string" ? toLong(v, from) : toReal(v, from);
    case "real":
      return toReal(v, from);
    case "datetime":
      return toDatetime(v, from);
    case "timespan":
      return toTimespan(v, from);
    case "dynamic":
      return toDynamic(v, from);
  }
}

/** What a result cell looks like on the wire (objectArray and table format alike). */
export function toJson(v: Value, t: KType): Json {
  if (v === null) return null;
  if (t === "real" && typeof v === "number" && !Number.isFinite(v)) return numberText(v);
  return toDynamic(v, t);
}

// ---------------------------------------------------------------------------------------------
// Equality, hashing and order

/**
 * A key for hash maps (summarize groups, join keys, distinct, make_set): equal values give equal keys. Strings
 * are compared exactly (case-sensitively), as Kusto's `==` and its grouping do.
 */
export function keyOf(v: Value): string {
  if (v === null) return "\u0000null";
  if (typeof v === "string") return `s${v}`;
  if (typeof v === "number") return `n${v}`;
  if (typeof v === "boolean") return v ? "b1" : "b0";
  return `j${JSON.stringify(v)}`;
}

/** Order of two non-null values of one type; strings ordinally. */
export function compareValues(a: Value, b: Value): number {
  if (typeof a === "number" && typeof b === "number") {
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
    if (Number.isNaN(b)) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
