export { accountingHolds, buildReport, exitCodeOf } from "./build.ts";
export { describeCaps, describeScope, renderReport } from "./render.ts";
