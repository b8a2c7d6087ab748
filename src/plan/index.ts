export { planActions, type Plan, type PlannedAction } from "./plan.ts";
