export { planActions, type PlannedAction } from "./plan.ts";
