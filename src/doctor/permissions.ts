import type { Permission } from "../azure/index.ts";

/** ARM's wildcard matching: `*` stands for any run of characters, case-insensitively (Azure RBAC "Actions"). */
function matches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`, "i");
  return regex.test(action);
}

/** Allowed when some role assignment's actions match and the same assignment's notActions do not. */
export function allows(permissions: readonly Permission[], action: string): boolean {
  return permissions.some((p) => (p.actions ?? []).some((a) => matches(a, action)) && !(p.notActions ?? []).some((a) => matches(a, action)));
}
