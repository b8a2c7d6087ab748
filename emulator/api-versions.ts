import { armError } from "./http.ts";
import type { Reply } from "./http.ts";
import type { RequestKind } from "./types.ts";

/** Stable Resource Graph versions (the SDK 5.0.0 sends 2024-04-01). */
const ARG_VERSIONS = ["2019-04-01", "2021-03-01", "2022-10-01", "2024-04-01"];

/** Recovery Services backup: what @azure/arm-recoveryservicesbackup 12.0.0 sends (2023-06-01) and the stable versions after it. */
const RS_VERSIONS = [
  "2023-06-01", "2023-08-01", "2024-01-01", "2024-02-01", "2024-04-01", "2024-10-01", "2025-01-01",
  "2025-02-01", "2025-08-01", "2026-01-01", "2026-02-01", "2026-05-01", "2026-08-01", "2026-11-01",
];

/** Data Protection stable versions from 2023 on (the product's client uses 2025-07-01). */
const DP_VERSIONS = [
  "2023-01-01", "2023-05-01", "2023-11-01", "2023-12-01", "2024-03-01", "2024-04-01",
  "2025-01-01", "2025-02-01", "2025-07-01", "2025-09-01", "2026-03-01", "2026-06-01",
];

/** Microsoft.Authorization permissions (the product sends 2022-04-01). */
const AUTHORIZATION_VERSIONS = ["2015-07-01", "2018-01-01-preview", "2022-04-01"];

function versionsFor(kind: RequestKind): string[] | undefined {
  if (kind === "arg") return ARG_VERSIONS;
  if (kind.startsWith("rs.")) return RS_VERSIONS;
  if (kind.startsWith("dp.")) return DP_VERSIONS;
  if (kind.startsWith("authz.")) return AUTHORIZATION_VERSIONS;
  return undefined;
}

/** ARM's api-version check: undefined when the request may go on, else the 400. */
export function checkApiVersion(kind: RequestKind, apiVersion: string | undefined): Reply | undefined {
  if (apiVersion === undefined || apiVersion === "") {
    return armError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
  }
  const supported = versionsFor(kind);
  if (supported === undefined || supported.includes(apiVersion)) return undefined;
  return armError(400, "InvalidApiVersionParameter", `The api-version '${apiVersion}' is invalid. The supported versions are '${[...supported].reverse().join(",")}'.`);
}
