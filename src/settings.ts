import { z } from "zod";
import { GUID, SettingsError } from "./core/index.ts";
import { LOG_LEVELS } from "./log.ts";

const MANAGEMENT_GROUP = /^[A-Za-z0-9_().-]{1,90}$/;
// NCRONTAB: six fields (second minute hour day month day-of-week), as Azure Functions timers use.
const NCRONTAB_FIELD = /^(\*|\d+|\d+-\d+|[A-Za-z]{3}(-[A-Za-z]{3})?)(\/\d+)?(,(\*|\d+|\d+-\d+|[A-Za-z]{3}(-[A-Za-z]{3})?)(\/\d+)?)*$/;
const TIMESPAN = /^([01]?\d|2[0-3]):[0-5]\d:[0-5]\d$/;
// second, minute, hour, day, month, day-of-week: the values the Functions host accepts in each field.
const NCRONTAB_RANGES: readonly [number, number][] = [[0, 59], [0, 59], [0, 23], [1, 31], [1, 12], [0, 6]];

/** Six well-formed fields whose numbers lie in their field's range, with steps of at least 1. */
function isNcrontab(s: string): boolean {
  const fields = s.split(/\s+/);
  return (
    fields.length === 6 &&
    fields.every((field, i) => {
      if (!NCRONTAB_FIELD.test(field)) return false;
      const [min, max] = NCRONTAB_RANGES[i] ?? [0, 0];
      return field.split(",").every((part) => {
        const [base = "", step] = part.split("/");
        const values = (base.match(/\d+/g) ?? []).map(Number);
        return values.every((v) => v >= min && v <= max) && (step === undefined || Number(step) >= 1);
      });
    })
  );
}

const list = (pattern: RegExp, what: string) =>
  z
    .string()
    .default("")
    .transform((s) => s.split(",").map((x) => x.trim()).filter((x) => x !== ""))
    .pipe(z.array(z.string().regex(pattern, `each entry must be ${what}`)))
    .transform((xs) => [...new Set(xs.map((x) => x.toLowerCase()))]);

const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((s) => s.trim())
    .pipe(z.string().regex(/^\d+$/, `must be a whole number from ${min} to ${max}`))
    .transform(Number)
    .pipe(z.number().min(min, `must be a whole number from ${min} to ${max}`).max(max, `must be a whole number from ${min} to ${max}`));

const bool = (fallback: boolean) =>
  z
    .string()
    .default(String(fallback))
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" }))
    .transform((s) => s === "true" || s === "1" || s === "yes");

/** App settings (or environment for the CLI), by their DESIGN.md names. Empty strings count as unset. */
const AppSettingsSchema = z.object({
  RETRY_SCHEDULE: z
    .string()
    .default("0 15 * * * *")
    .transform((s) => s.trim())
    .refine((s) => TIMESPAN.test(s) || isNcrontab(s), {
      message: 'must be an NCRONTAB expression with six fields, "{second} {minute} {hour} {day} {month} {day-of-week}", e.g. "0 15 * * * *"',
    }),
  RETRY_QUERIES_DIR: z.string().default("queries").transform((s) => s.trim()).pipe(z.string().min(1, "must name a folder")),
  RETRY_SUBSCRIPTIONS: list(GUID, "a subscription id (GUID)"),
  RETRY_MANAGEMENT_GROUPS: list(MANAGEMENT_GROUP, "a management group id (letters, digits, -, _, ., ( and ), at most 90)"),
  RETRY_EXPIRY_DAYS: integer(1, 3650, 10),
  // Chosen from bench/README.md's curve (issue 18, "Defaults"): 32 writes in flight reach ARM's limits without a
  // 429; 200 per subscription is ARM's write burst, so a run never waits on the 10/s refill; 5,000 per run clears a
  // 10,000-item wave in two timer ticks and ends in minutes at the services' pace, far inside the 30-minute timeout.
  RETRY_MAX_PER_RUN: integer(1, 100_000, 5000),
  RETRY_MAX_PER_SUBSCRIPTION: integer(1, 100_000, 200),
  RETRY_CONCURRENCY: integer(1, 64, 32),
  RETRY_DRY_RUN: bool(false),
  RETRY_PAUSED: bool(false),
  AZURE_RESOURCE_MANAGER_ENDPOINT: z
    .string()
    .default("https://management.azure.com")
    .transform((s) => s.trim().replace(/\/+$/, ""))
    .refine((s) => {
      try {
        const url = new URL(s);
        // "#", "?" and "@" are checked on the text too: an empty fragment, query or user part leaves no trace on the URL.
        return url.protocol === "https:" && url.pathname === "/" && url.search === "" && url.hash === "" && url.username === "" && url.password === "" && !/[#?@]/.test(s);
      } catch {
        return false;
      }
    }, "must be an https:// URL with no path, e.g. https://management.azure.com (https://management.usgovcloudapi.net for Azure Government)"),
  RETRY_RUNS_BLOB_ENDPOINT: z
    .string()
    .default("")
    .transform((s) => s.trim().replace(/\/+$/, ""))
    .refine((s) => {
      if (s === "") return true;
      try {
        const url = new URL(s);
        return url.protocol === "https:" && url.search === "" && url.hash === "" && url.username === "" && url.password === "";
      } catch {
        return false;
      }
    }, "must be the https:// blob endpoint of the app's storage account, e.g. https://mystorage.blob.core.windows.net, or empty to keep no run history"),
  RETRY_RUNS_RETENTION_DAYS: integer(1, 3650, 30),
  AZURE_CLIENT_ID: z
    .string()
    .default("")
    .transform((s) => s.trim())
    .refine((s) => s === "" || GUID.test(s), "must be the client id (GUID) of a user-assigned managed identity, or empty for the system-assigned one"),
  LOG_LEVEL: z
    .string()
    .default("info")
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(", ")}` })),
});

export const SETTING_NAMES = Object.keys(AppSettingsSchema.shape) as (keyof typeof AppSettingsSchema.shape)[];

const SettingsSchema = AppSettingsSchema.superRefine((s, ctx) => {
  if (s.RETRY_SUBSCRIPTIONS.length > 0 && s.RETRY_MANAGEMENT_GROUPS.length > 0) {
    ctx.addIssue({
      code: "custom",
      path: ["RETRY_MANAGEMENT_GROUPS"],
      message: "is set together with RETRY_SUBSCRIPTIONS; Resource Graph takes one scope. Set one of them (or neither, for every subscription the identity can read)",
    });
  }
}).transform((s) => ({
  schedule: s.RETRY_SCHEDULE,
  queriesDir: s.RETRY_QUERIES_DIR,
  subscriptions: s.RETRY_SUBSCRIPTIONS,
  managementGroups: s.RETRY_MANAGEMENT_GROUPS,
  expiryDays: s.RETRY_EXPIRY_DAYS,
  maxPerRun: s.RETRY_MAX_PER_RUN,
  maxPerSubscription: s.RETRY_MAX_PER_SUBSCRIPTION,
  concurrency: s.RETRY_CONCURRENCY,
  dryRun: s.RETRY_DRY_RUN,
  paused: s.RETRY_PAUSED,
  armEndpoint: s.AZURE_RESOURCE_MANAGER_ENDPOINT,
  runsEndpoint: s.RETRY_RUNS_BLOB_ENDPOINT === "" ? undefined : s.RETRY_RUNS_BLOB_ENDPOINT,
  runsRetentionDays: s.RETRY_RUNS_RETENTION_DAYS,
  clientId: s.AZURE_CLIENT_ID === "" ? undefined : s.AZURE_CLIENT_ID,
  logLevel: s.LOG_LEVEL,
}));

export type Settings = z.output<typeof SettingsSchema>;

/** RETRY_QUERIES_DIR alone, with the one default, for commands that read rules and need no other setting. */
export function queriesDirOf(env: Record<string, string | undefined>): string {
  const value = env.RETRY_QUERIES_DIR;
  return AppSettingsSchema.shape.RETRY_QUERIES_DIR.parse(value === undefined || value.trim() === "" ? undefined : value);
}

/** Validates every setting at once; a SettingsError lists each bad one with what is allowed. */
export function loadSettings(env: Record<string, string | undefined>): Settings {
  const input = Object.fromEntries(SETTING_NAMES.map((name) => [name, env[name] === undefined || env[name]?.trim() === "" ? undefined : env[name]]));
  const parsed = SettingsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "settings");
      const value = input[name];
      return `${name}=${JSON.stringify(value)} ${issue.message}.`;
    });
    throw new SettingsError([...new Set(problems)]);
  }
  return parsed.data;
}
