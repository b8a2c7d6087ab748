import type { Reply } from "./http.ts";
import { newId } from "./http.ts";
import type { Principal, TokenStore } from "./tokens.ts";

export const MSI_PATH = "/msi/token";

export interface MsiRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
}

export interface MsiDeps {
  identityHeader: string;
  tokens: TokenStore;
  tokenLifetimeSeconds: number;
  knownClientIds: string[] | undefined;
}

/** The App Service managed-identity endpoint (api-version 2019-08-01), as @azure/identity's AppService source calls it. */
export function msiReply(req: MsiRequest, deps: MsiDeps): Reply {
  if (req.path !== MSI_PATH) return platformError(404, "Not found.");
  if (req.method !== "GET") return platformError(405, `The requested resource does not support http method '${req.method}'.`);
  const header = req.headers["x-identity-header"];
  if (header === undefined || header === "") return platformError(400, "The X-IDENTITY-HEADER header is missing or empty.");
  if (header !== deps.identityHeader) return platformError(401, "Unauthorized: the X-IDENTITY-HEADER value is not valid.");
  if (req.query["api-version"] !== "2019-08-01") {
    return platformError(400, `The api-version '${req.query["api-version"] ?? ""}' is not supported; use 2019-08-01.`);
  }
  const resource = req.query.resource;
  if (resource === undefined || resource === "") return platformError(400, "The 'resource' query parameter is required.");
  const principal = principalOf(req.query, deps);
  if (typeof principal === "string") return platformError(400, principal);
  const { token, expiresOn } = deps.tokens.issue(resource, deps.tokenLifetimeSeconds, principal);
  return {
    status: 200,
    body: {
      access_token: token,
      expires_on: String(expiresOn),
      not_before: String(Math.floor(Date.now() / 1000) - 300),
      resource,
      token_type: "Bearer",
      client_id: principal.clientId,
    },
  };
}

function principalOf(query: Record<string, string>, deps: MsiDeps): Principal | string {
  const ids = ["client_id", "principal_id", "object_id", "mi_res_id"].filter((name) => query[name] !== undefined && query[name] !== "");
  if (ids.length > 1) return `Only one of client_id, principal_id, object_id or mi_res_id may be given; got ${ids.join(", ")}.`;
  const clientId = query.client_id;
  if (clientId !== undefined && clientId !== "") {
    if (deps.knownClientIds !== undefined && !deps.knownClientIds.some((id) => id.toLowerCase() === clientId.toLowerCase())) {
      return `Unable to load the proper Managed Identity: no user-assigned identity with client id '${clientId}' is assigned to this app.`;
    }
    return deps.tokens.userAssignedByClientId(clientId);
  }
  const objectId = query.principal_id ?? query.object_id;
  if (objectId !== undefined && objectId !== "") return { clientId: objectId, objectId };
  if (query.mi_res_id !== undefined && query.mi_res_id !== "") return deps.tokens.userAssignedByClientId(query.mi_res_id);
  return deps.tokens.system;
}

function platformError(statusCode: number, message: string): Reply {
  return { status: statusCode, body: { statusCode, message, correlationId: newId() } };
}
