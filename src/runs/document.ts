import { z } from "zod";
import { ReportSchema } from "../core/index.ts";

/**
 * One run as kept in the `runs` container: its state while it runs, its report when done. `stopped`: stopped part-way
 * (Ctrl-C, the run lease lost), with the report so far and why; `failed`: the run could not make a report, and why.
 */
export const RunDocumentSchema = z.object({
  runId: z.string().min(1),
  trigger: z.enum(["timer", "http", "cli"]),
  state: z.enum(["running", "completed", "stopped", "failed"]),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  report: ReportSchema.optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

export type RunDocument = z.infer<typeof RunDocumentSchema>;

/** A line of GET /api/runs and `runs list`: the run without its report. */
export type RunSummary = Omit<RunDocument, "report">;
