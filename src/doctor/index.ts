// The preflight: read-only checks that a deployment can do its work (README "Deploy", "doctor").
export { renderDoctor, runDoctor } from "./checks.ts";
export { nextFireTimes } from "./schedule.ts";
