import { randomBytes } from "node:crypto";
import { armError, newId } from "./http.ts";
import { EMULATOR_TENANT } from "./jobs.ts";
import type { Reply } from "./http.ts";

export interface Principal {
  clientId: string;
  objectId: string;
}

interface Issued {
  resource: string;
  /** Epoch seconds. */
  expiresOn: number;
  principal: Principal;
}

/** Access tokens the managed-identity endpoint issued, and who they belong to. */
export class TokenStore {
  /** Every token issued, in order (tests scan logs for them). */
  readonly issued: string[] = [];
  readonly system: Principal = { clientId: newId(), objectId: newId() };
  /** The tenant every identity of this emulator belongs to (the tokens' tid claim). */
  readonly tenantId = EMULATOR_TENANT;
  private readonly byToken = new Map<string, Issued>();
  private readonly userAssigned = new Map<string, Principal>();

  issue(resource: string, lifetimeSeconds: number, principal: Principal): { token: string; expiresOn: number } {
    const now = Math.floor(Date.now() / 1000);
    const expiresOn = now + lifetimeSeconds;
    // Entra access tokens carry their issuer, issue and not-before times; Azurite's OAuth check requires them.
    const token = jwtShaped({ aud: resource, iss: `https://sts.windows.net/${this.tenantId}/`, iat: now, nbf: now - 60, oid: principal.objectId, appid: principal.clientId, tid: this.tenantId, exp: expiresOn, jti: randomBytes(12).toString("base64url") });
    this.byToken.set(token, { resource, expiresOn, principal });
    this.issued.push(token);
    return { token, expiresOn };
  }

  /** A user-assigned identity named by client id keeps one object id for the emulator's life. */
  userAssignedByClientId(clientId: string): Principal {
    const key = clientId.toLowerCase();
    let principal = this.userAssigned.get(key);
    if (principal === undefined) {
      principal = { clientId, objectId: newId() };
      this.userAssigned.set(key, principal);
    }
    return principal;
  }

  /** ARM's bearer check: the principal, or the 401 ARM would answer. */
  verify(authorization: string | undefined, audience: string): Principal | Reply {
    if (authorization === undefined || authorization.trim() === "") {
      return unauthorized("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.", "The authentication failed because of missing 'Authorization' header.");
    }
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (match === null) {
      return unauthorized(
        "AuthenticationFailed",
        "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        "The authentication failed because of 'Authorization' header in an invalid format.",
      );
    }
    const issued = this.byToken.get(match[1]!);
    if (issued === undefined) return unauthorized("InvalidAuthenticationToken", "The access token is invalid.", "The access token is invalid.");
    const now = Math.floor(Date.now() / 1000);
    if (issued.expiresOn <= now) {
      const message = `The access token expiry UTC time '${dotnetUtc(issued.expiresOn)}' is earlier than current UTC time '${dotnetUtc(now)}'.`;
      return unauthorized("ExpiredAuthenticationToken", message, message);
    }
    const base = audience.replace(/\/+$/, "");
    if (issued.resource.replace(/\/+$/, "") !== base) {
      const message = `The access token has been obtained for wrong audience or resource '${issued.resource}'. It should exactly match with one of the allowed audiences '${base}/','${base}'.`;
      return unauthorized("InvalidAuthenticationTokenAudience", message, message);
    }
    return issued.principal;
  }
}

/** Entra access tokens are JWTs; issuing the same shape keeps tests honest about what a leaked token looks like. */
function jwtShaped(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ typ: "JWT", alg: "RS256" })}.${part(claims)}.${randomBytes(64).toString("base64url")}`;
}

function unauthorized(code: string, message: string, description: string): Reply {
  return armError(401, code, message, {
    "www-authenticate": `Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="${description}"`,
  });
}

/** ARM writes times in its messages the .NET way: 11/21/2025 9:05:00 AM. */
function dotnetUtc(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const hours = d.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${hours % 12 === 0 ? 12 : hours % 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${hours < 12 ? "AM" : "PM"}`;
}
