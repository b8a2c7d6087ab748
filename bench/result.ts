// The JSON line a child run (bench/run-one.ts) prints.
import { z } from "zod";

const SweepResultSchema = z.object({
  mode: z.literal("sweep"),
  wallMs: z.number(),
  maxRssMb: z.number(),
  /** RSS once the modules are loaded, before the sweep starts. */
  startRssMb: z.number(),
  startHeapMb: z.number(),
  /** Heap still in use after the sweep and a full GC, with the report held. */
  retainedHeapMb: z.number(),
  totals: z.record(z.string(), z.number()),
  withJobId: z.number(),
  /** Rows the report does not account for (DESIGN.md's accounting rule: 0). */
  unaccountedRows: z.number(),
  /** Error codes and reasons of actions that failed or named no job, with counts. */
  problems: z.record(z.string(), z.number()),
});
const BaselineResultSchema = z.object({
  mode: z.literal("baseline"),
  rows: z.number(),
  processed: z.number(),
  argMs: z.number(),
  itemsMs: z.number(),
  failed: z.number(),
  errors: z.record(z.string(), z.number()),
  maxRssMb: z.number(),
});
export const RunResultSchema = z.discriminatedUnion("mode", [SweepResultSchema, BaselineResultSchema]);
export type SweepResult = z.infer<typeof SweepResultSchema>;
export type BaselineRunResult = z.infer<typeof BaselineResultSchema>;
