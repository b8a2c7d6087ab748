import { createRestError, getClient } from "@azure-rest/core-client";
import { z } from "zod";
import type { ArmConnection } from "./connection.ts";
import { useArmRetryPolicy } from "./retry.ts";

/*
 * The caller's effective permissions on a subscription (Permissions - List For Subscription, api-version
 * 2022-04-01). @azure/arm-authorization 9.0.0 lists them for a resource group or a resource only, not for a
 * subscription, so this is a plain request over the same credential, token scope, CA and retry policy.
 */
const API_VERSION = "2022-04-01";

const PermissionSchema = z.looseObject({ actions: z.array(z.string()).optional(), notActions: z.array(z.string()).optional() });
export type Permission = z.infer<typeof PermissionSchema>;
const PageSchema = z.looseObject({ value: z.array(PermissionSchema), nextLink: z.string().nullish() });

/** Bound on pages, so a misbehaving answer cannot loop. */
const MAX_PAGES = 20;

export async function listSubscriptionPermissions(arm: ArmConnection, subscriptionId: string): Promise<Permission[]> {
  const client = getClient(arm.endpoint, arm.credential, { credentials: { scopes: [arm.tokenScope] }, tlsOptions: arm.tlsOptions, httpClient: arm.httpClient });
  useArmRetryPolicy(client.pipeline, arm.retry);
  const permissions: Permission[] = [];
  let response = await client.path("/subscriptions/{subscriptionId}/providers/Microsoft.Authorization/permissions", subscriptionId).get({ queryParameters: { "api-version": API_VERSION } });
  for (let page = 0; page < MAX_PAGES; page += 1) {
    if (response.status !== "200") throw createRestError(response);
    const body = PageSchema.parse(response.body);
    permissions.push(...body.value);
    if (body.nextLink === undefined || body.nextLink === null || body.nextLink === "") break;
    response = await client.pathUnchecked(body.nextLink).get();
  }
  return permissions;
}
