export { executeActions } from "./execute.ts";
export { recoveryServicesRequest } from "./recovery-services.ts";
