import { z } from "zod";
import { GUID } from "./ids.ts";

/** A rule's name: its .kql file name without .kql, plain file-name characters. */
export const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export const MAX_RULES = 100;
const MAX_SUBSCRIPTIONS = 1000;
const MAX_BACKUPS = 100_000;

const quoted = (value: unknown) => JSON.stringify(typeof value === "string" && value.length > 100 ? `${value.slice(0, 100)}…` : value);

/**
 * What one run may narrow, whoever starts it (HTTP body, CLI flags, sweep()): each field only narrows the
 * configured scope, never widens it. A run may turn a dry run on, never off.
 */
export const RunOverridesSchema = z.strictObject({
  dryRun: z.boolean({ error: "must be true or false" }).optional(),
  rules: z
    .array(
      z.string({ error: "must be a query name (a string)" }).regex(RULE_NAME, {
        error: (issue) => `${quoted(issue.input)} is not a query name (letters, digits, '.', '_' and '-', at most 100, the .kql file name without .kql)`,
      }),
      { error: "must be a list of query names" },
    )
    .min(1, "must name at least one query; leave it out to run every query")
    .max(MAX_RULES, `may name at most ${MAX_RULES} queries`)
    .optional(),
  subscriptions: z
    .array(
      z.string({ error: "must be a subscription id (a string)" }).regex(GUID, { error: (issue) => `${quoted(issue.input)} is not a subscription id (GUID)` }),
      { error: "must be a list of subscription ids" },
    )
    .min(1, "must name at least one subscription; leave it out to sweep the configured scope")
    .max(MAX_SUBSCRIPTIONS, `may name at most ${MAX_SUBSCRIPTIONS} subscriptions`)
    .optional(),
  /** At most this many backups this run (the rest deferred), within RETRY_MAX_PER_RUN. */
  maxBackups: z.int({ error: `must be a whole number from 1 to ${MAX_BACKUPS}` }).min(1).max(MAX_BACKUPS).optional(),
});
export type RunOverrides = z.infer<typeof RunOverridesSchema>;
