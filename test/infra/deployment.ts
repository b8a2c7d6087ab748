// infra/ compiled once per test file with the pinned Bicep CLI, and the deployment the tests imagine: `azd up` in
// subscription sub-host, environment retry-prod, West Europe. Without the compiler the files using this skip outside
// CI; in CI every test fails instead.
import path from "node:path";
import { expect } from "vitest";
import { cachedBicepCli, compileBicep } from "../../scripts/bicep-cli.ts";
import { isCi } from "../../scripts/check-bicep.ts";
import { deploy, type Deployed, type Scope } from "./arm.ts";

export const ROOT = path.resolve(import.meta.dirname, "..", "..");
export const INFRA = path.join(ROOT, "infra");

export const HOST: Scope = { subscriptionId: "sub-host", location: "westeurope" };
export const REQUIRED = { environmentName: "retry-prod", location: "westeurope" };
export const RG = "/subscriptions/sub-host/resourceGroups/rg-retry-prod";

const cli = cachedBicepCli();
export const compiled = cli.kind === "ready" ? compileBicep(cli, INFRA) : undefined;
export const skip = compiled === undefined && !isCi(process.env);

/** Says once per test file why its compiling tests skip. */
export function sayWhySkipped(file: string): void {
  if (skip && cli.kind === "unavailable") process.stderr.write(`${file} skipped: ${cli.reason}\n`);
}

export function template(file: string): unknown {
  if (compiled === undefined) throw new Error(`the Bicep CLI is needed to compile infra/: ${cli.kind === "unavailable" ? cli.reason : ""}`);
  const found = compiled.templates.get(file);
  if (found === undefined) throw new Error(`${file} was not compiled; is its .bicep under infra/?`);
  return found;
}

export function main(parameters: Record<string, unknown> = {}): Deployed[] {
  return deploy(template("main.json"), { ...REQUIRED, ...parameters }, HOST);
}

export function ofType(resources: Deployed[], type: string): Deployed[] {
  return resources.filter((r) => r.type === type);
}

export function only(resources: Deployed[], type: string): Deployed {
  const found = ofType(resources, type);
  expect(found.map((r) => r.name), type).toHaveLength(1);
  return found[0] as Deployed;
}

export function idOf(r: Deployed): string {
  const [namespace, ...types] = r.type.split("/");
  const names = r.name.split("/");
  const scope = r.scope.resourceGroup === undefined ? `/subscriptions/${r.scope.subscriptionId ?? ""}` : `/subscriptions/${r.scope.subscriptionId ?? ""}/resourceGroups/${r.scope.resourceGroup}`;
  return `${scope}/providers/${namespace}${types.map((t, i) => `/${t}/${names[i] ?? ""}`).join("")}`;
}
