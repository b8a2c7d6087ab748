export { accountingHolds, buildReport, exitCodeOf } from "./build.ts";
export { renderReport } from "./render.ts";
