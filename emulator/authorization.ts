import type { Reply } from "./http.ts";

/**
 * Permissions - List For Subscription (Microsoft.Authorization, 2022-04-01): the caller's effective permissions on
 * the subscription, one entry per role assignment, as azure-rest-api-specs' authorization/stable/2022-04-01
 * (PermissionGetResult: value[] of { actions, notActions, dataActions, notDataActions }, and nextLink).
 * The emulator's principal holds Owner-like "*" everywhere; a denyActions fault moves actions to notActions.
 */
export function permissionsReply(deniedActions: readonly string[]): Reply {
  return { status: 200, body: { value: [{ actions: ["*"], notActions: [...deniedActions], dataActions: [], notDataActions: [] }] } };
}
