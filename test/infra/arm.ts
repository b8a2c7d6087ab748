// Reads a compiled ARM template the way Resource Manager would for given parameters: which resources deploy, at
// which scope, with which names and properties, through conditions, copy loops and nested deployments. What only
// Azure knows (reference(), a resource's runtime properties) stays an Unknown; guid() and uniqueString() return
// stand-ins that name their inputs, so a test can see what an id is seeded with. A function the templates start
// to use that this file lacks fails loudly, never silently.
import { createHash } from "node:crypto";

/** A value Resource Manager computes during the deployment; `source` names the function that needs Azure. */
export class Unknown {
  readonly source: string;
  constructor(source: string) {
    this.source = source;
  }
}

export type Scope = { subscriptionId?: string; resourceGroup?: string; managementGroup?: string; location: string };

/** One resource a deployment creates, evaluated; `deployments` are the names of the nested deployments around it. */
export type Deployed = { deployments: string[]; scope: Scope; type: string; name: string; resource: Record<string, unknown> };

type Node =
  | { kind: "string"; value: string }
  | { kind: "number"; value: number }
  | { kind: "call"; name: string; args: Node[] }
  | { kind: "member"; target: Node; name: string }
  | { kind: "index"; target: Node; index: Node };

type Context = {
  parameter(name: string): unknown;
  variable(name: string): unknown;
  scope: Scope;
  deployment: string;
  copy: Record<string, number>;
  lambda: Record<string, unknown>;
  /** Outputs of the nested deployments evaluated so far, by deployment id in lower case. */
  outputs: Map<string, unknown>;
};

// --- expressions ---------------------------------------------------------------------------------------------

function parse(text: string): Node {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`ARM expression: ${what} at ${at} in [${text}]`);
  };
  const space = () => {
    while (/\s/.test(text[at] ?? "")) at++;
  };
  const expect = (char: string) => {
    space();
    if (text[at] !== char) fail(`expected '${char}'`);
    at++;
  };
  const primary = (): Node => {
    space();
    const char = text[at] ?? "";
    if (char === "'") {
      let value = "";
      for (at++; ; at++) {
        if (at >= text.length) fail("unterminated string");
        if (text[at] === "'") {
          if (text[at + 1] !== "'") break;
          at++;
        }
        value += text[at];
      }
      at++;
      return { kind: "string", value };
    }
    const number = /^-?\d+/.exec(text.slice(at));
    if (number !== null) {
      at += number[0].length;
      return { kind: "number", value: Number(number[0]) };
    }
    const name = /^[A-Za-z_$][\w$]*/.exec(text.slice(at));
    if (name === null) return fail("expected a value");
    at += name[0].length;
    expect("(");
    const args: Node[] = [];
    space();
    if (text[at] === ")") at++;
    else {
      for (;;) {
        args.push(expression());
        space();
        if (text[at] === ",") at++;
        else break;
      }
      expect(")");
    }
    return { kind: "call", name: name[0].toLowerCase(), args };
  };
  const expression = (): Node => {
    let node = primary();
    for (;;) {
      space();
      if (text[at] === ".") {
        at++;
        const name = /^[A-Za-z_$][\w$]*/.exec(text.slice(at)) ?? fail("expected a property name");
        at += name[0].length;
        node = { kind: "member", target: node, name: name[0] };
      } else if (text[at] === "[") {
        at++;
        const index = expression();
        expect("]");
        node = { kind: "index", target: node, index };
      } else return node;
    }
  };
  const node = expression();
  space();
  if (at !== text.length) fail("unexpected text");
  return node;
}

function property(target: unknown, key: unknown): unknown {
  if (target instanceof Unknown) return target;
  if (Array.isArray(target) && typeof key === "number") {
    if (key < 0 || key >= target.length) throw new Error(`index ${key} is outside an array of ${target.length}`);
    return target[key];
  }
  if (typeof target === "object" && target !== null && typeof key === "string") {
    // Resource Manager looks up property names without regard to case.
    const found = Object.keys(target).find((k) => k.toLowerCase() === key.toLowerCase());
    if (found === undefined) throw new Error(`no property '${key}' in ${JSON.stringify(target).slice(0, 120)}`);
    return (target as Record<string, unknown>)[found];
  }
  throw new Error(`cannot read ${JSON.stringify(key)} of ${JSON.stringify(target)}`);
}

function text(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return String(value);
  return JSON.stringify(value);
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && Object.keys(value).length === 0;
}

/** /providers/{namespace}/{type}/{name}[/{child type}/{child name}...] */
function providerPath(type: unknown, names: unknown[]): string {
  const [namespace, ...types] = text(type).split("/");
  if (types.length !== names.length) throw new Error(`resource type ${text(type)} needs ${types.length} name(s), got ${names.length}`);
  return `/providers/${namespace}${types.map((t, i) => `/${t}/${text(names[i])}`).join("")}`;
}

function scopeId(scope: Scope): string {
  if (scope.managementGroup !== undefined) return `/providers/Microsoft.Management/managementGroups/${scope.managementGroup}`;
  const subscription = `/subscriptions/${scope.subscriptionId ?? ""}`;
  return scope.resourceGroup === undefined ? subscription : `${subscription}/resourceGroups/${scope.resourceGroup}`;
}

function uniqueString(args: unknown[]): string {
  return createHash("sha256").update(args.map(text).join("|")).digest("hex").slice(0, 13);
}

const FUNCTIONS: Record<string, (ctx: Context, args: unknown[]) => unknown> = {
  parameters: (ctx, [name]) => ctx.parameter(text(name)),
  variables: (ctx, [name]) => ctx.variable(text(name)),
  copyindex: (ctx, [loop]) => {
    if (loop !== undefined && typeof loop !== "string") throw new Error("test/infra/arm.ts does not evaluate copyIndex() with an offset yet");
    const index = ctx.copy[loop ?? ""];
    if (index === undefined) throw new Error(`copyIndex(${loop ?? ""}) outside that loop`);
    return index;
  },
  lambdavariables: (ctx, [name]) => ctx.lambda[text(name)],
  subscription: (ctx) => ({ id: `/subscriptions/${ctx.scope.subscriptionId ?? ""}`, subscriptionId: ctx.scope.subscriptionId, tenantId: "tenant-0", displayName: "subscription" }),
  resourcegroup: (ctx) => ({ id: scopeId(ctx.scope), name: ctx.scope.resourceGroup, location: ctx.scope.location }),
  managementgroup: (ctx) => ({ id: scopeId(ctx.scope), name: ctx.scope.managementGroup }),
  tenant: () => ({ tenantId: "tenant-0" }),
  deployment: (ctx) => ({ name: ctx.deployment, location: ctx.scope.location }),
  environment: () => ({ name: "AzureCloud", resourceManager: "https://management.azure.com/", suffixes: { storage: "core.windows.net" } }),
  // Only the form the templates use: a resource in the deployment's own scope.
  resourceid: (ctx, [type, ...names]) => `${scopeId(ctx.scope)}${providerPath(type, names)}`,
  // With or without the subscription id first: main.bicep names a deployment in another subscription.
  subscriptionresourceid: (ctx, args) => {
    const [subscriptionId, type, ...names] = text(args[0]).includes("/") ? [ctx.scope.subscriptionId, ...args] : args;
    return `/subscriptions/${text(subscriptionId)}${providerPath(type, names)}`;
  },
  tenantresourceid: (_ctx, [type, ...names]) => providerPath(type, names),
  extensionresourceid: (_ctx, [scope, type, ...names]) => `${text(scope)}${providerPath(type, names)}`,
  // A nested deployment evaluated earlier answers with its outputs; anything else only Azure can answer.
  reference: (ctx, [id]) => ctx.outputs.get(text(id).toLowerCase()) ?? new Unknown("reference"),
  guid: (_ctx, args) => `guid(${args.map((a) => (a instanceof Unknown ? `<${a.source}>` : text(a))).join(", ")})`,
  uniquestring: (_ctx, args) => uniqueString(args),
  format: (_ctx, [pattern, ...args]) => text(pattern).replace(/\{\{|\}\}|\{(\d+)\}/g, (m, i?: string) => (i === undefined ? m[0] ?? "" : text(args[Number(i)]))),
  string: (_ctx, [value]) => text(value),
  tolower: (_ctx, [value]) => text(value).toLowerCase(),
  trim: (_ctx, [value]) => text(value).trim(),
  split: (_ctx, [value, delimiter]) => text(value).split(text(delimiter)),
  join: (_ctx, [values, delimiter]) => (values as unknown[]).map(text).join(text(delimiter)),
  take: (_ctx, [value, count]) => (typeof value === "string" ? value.slice(0, Number(count)) : (value as unknown[]).slice(0, Number(count))),
  length: (_ctx, [value]) => (typeof value === "string" || Array.isArray(value) ? value.length : Object.keys(value as object).length),
  empty: (_ctx, [value]) => isEmpty(value),
  not: (_ctx, [value]) => value !== true,
  and: (_ctx, args) => args.every((a) => a === true),
  or: (_ctx, args) => args.some((a) => a === true),
  less: (_ctx, [a, b]) => Number(a) < Number(b),
  // ARM's div() is integer division.
  div: (_ctx, [a, b]) => Math.trunc(Number(a) / Number(b)),
  null: () => null,
  true: () => true,
  false: () => false,
  createobject: (_ctx, args) => Object.fromEntries(Array.from({ length: args.length / 2 }, (_, i) => [text(args[2 * i]), args[2 * i + 1]])),
  createarray: (_ctx, args) => args,
  union: (_ctx, args) => (args.every(Array.isArray) ? [...new Set(args.flat())] : Object.assign({}, ...args)),
  coalesce: (_ctx, args) => args.find((a) => a !== null && a !== undefined) ?? null,
  tryget: (_ctx, [target, ...keys]) => {
    let value = target;
    for (const key of keys) {
      if (value === null || value === undefined) return null;
      const found = typeof value === "object" ? Object.keys(value).find((k) => k.toLowerCase() === text(key).toLowerCase()) : undefined;
      value = found === undefined ? null : (value as Record<string, unknown>)[found];
    }
    return value ?? null;
  },
  map: (_ctx, [values, fn]) => (values as unknown[]).map((v, i) => (fn as (...a: unknown[]) => unknown)(v, i)),
  filter: (_ctx, [values, fn]) => (values as unknown[]).filter((v, i) => (fn as (...a: unknown[]) => unknown)(v, i) === true),
};

function evaluate(node: Node, ctx: Context): unknown {
  switch (node.kind) {
    case "string":
    case "number":
      return node.value;
    case "member":
      return property(evaluate(node.target, ctx), node.name);
    case "index":
      return property(evaluate(node.target, ctx), evaluate(node.index, ctx));
    case "call": {
      if (node.name === "if") {
        const [condition, yes, no] = node.args;
        if (condition === undefined || yes === undefined || no === undefined) throw new Error("if() takes three arguments");
        const chosen = evaluate(condition, ctx);
        // Like Resource Manager, only the branch taken is evaluated.
        return chosen instanceof Unknown ? chosen : evaluate(chosen === true ? yes : no, ctx);
      }
      if (node.name === "lambda") {
        const names = node.args.slice(0, -1).map((n) => text(evaluate(n, ctx)));
        const body = node.args.at(-1) as Node;
        return (...values: unknown[]) => evaluate(body, { ...ctx, lambda: { ...ctx.lambda, ...Object.fromEntries(names.map((n, i) => [n, values[i]])) } });
      }
      const fn = FUNCTIONS[node.name];
      if (fn === undefined) throw new Error(`test/infra/arm.ts does not evaluate ${node.name}() yet`);
      const args = node.args.map((a) => evaluate(a, ctx));
      // Containers hold an Unknown as it is, and guid() names it; any other function of one is itself unknown.
      const unknown = ["createobject", "createarray", "guid"].includes(node.name) ? undefined : args.find((a) => a instanceof Unknown);
      return unknown ?? fn(ctx, args);
    }
  }
}

/** A template value: `[...]` strings are expressions (`[[` escapes a literal), objects may hold property loops. */
function value(raw: unknown, ctx: Context): unknown {
  if (typeof raw === "string") {
    if (raw.startsWith("[[")) return raw.slice(1);
    return raw.startsWith("[") && raw.endsWith("]") ? evaluate(parse(raw.slice(1, -1)), ctx) : raw;
  }
  if (Array.isArray(raw)) return raw.map((item) => value(item, ctx));
  if (typeof raw !== "object" || raw === null) return raw;
  const { copy, ...rest } = raw as Record<string, unknown>;
  const result: Record<string, unknown> = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, value(v, ctx)]));
  if (Array.isArray(copy)) {
    for (const loop of copy as { name: string; count: unknown; input: unknown }[]) {
      result[loop.name] = Array.from({ length: Number(value(loop.count, ctx)) }, (_, i) => value(loop.input, { ...ctx, copy: { ...ctx.copy, [loop.name]: i } }));
    }
  }
  return result;
}

// --- templates -----------------------------------------------------------------------------------------------

type Template = {
  parameters?: Record<string, { type: string; defaultValue?: unknown; allowedValues?: unknown[] }>;
  variables?: Record<string, unknown>;
  resources: Record<string, unknown>[];
  outputs?: Record<string, { type: string; value: unknown }>;
};

function context(template: Template, given: Record<string, unknown>, scope: Scope, deployment: string, outputs: Map<string, unknown>): Context {
  const declared = template.parameters ?? {};
  for (const name of Object.keys(given)) if (!(name in declared)) throw new Error(`the template declares no parameter '${name}'`);
  const memo = new Map<string, unknown>();
  const once = (key: string, compute: () => unknown) => {
    if (!memo.has(key)) memo.set(key, compute());
    return memo.get(key);
  };
  const ctx: Context = {
    scope,
    deployment,
    copy: {},
    lambda: {},
    outputs,
    parameter: (name) =>
      once(`p:${name}`, () => {
        const declaration = declared[name];
        if (declaration === undefined) throw new Error(`parameters('${name}') is not declared`);
        if (!(name in given) && !("defaultValue" in declaration)) throw new Error(`the template needs a value for parameter '${name}'`);
        const actual = name in given ? given[name] : value(declaration.defaultValue, ctx);
        if (declaration.allowedValues !== undefined && !declaration.allowedValues.includes(actual)) throw new Error(`parameter '${name}' does not allow ${JSON.stringify(actual)}`);
        return actual;
      }),
    variable: (name) =>
      once(`v:${name}`, () => {
        const variables = template.variables ?? {};
        if (!(name in variables)) throw new Error(`variables('${name}') is not declared`);
        return value(variables[name], ctx);
      }),
  };
  return ctx;
}

/** Every resource the template deploys with these parameters at this scope, nested deployments' resources included. */
export function deploy(template: unknown, parameters: Record<string, unknown>, scope: Scope): Deployed[] {
  return deployInto(template as Template, parameters, scope, [], new Map()).deployed;
}

function deployInto(t: Template, parameters: Record<string, unknown>, scope: Scope, deployments: string[], outputs: Map<string, unknown>): { deployed: Deployed[]; outputs: unknown } {
  const ctx = context(t, parameters, scope, deployments.at(-1) ?? "main", outputs);
  const deployed: Deployed[] = [];
  // Bicep writes symbolic-name templates (languageVersion 2.0) only for features these templates do not use.
  if (!Array.isArray(t.resources)) throw new Error("test/infra/arm.ts reads templates whose resources are an array");
  for (const raw of t.resources) {
    const { condition, copy, ...declaration } = raw;
    const loop = copy as { name: string; count: unknown } | undefined;
    const count = loop === undefined ? 1 : Number(value(loop.count, ctx));
    for (let i = 0; i < count; i++) {
      const instance: Context = loop === undefined ? ctx : { ...ctx, copy: { ...ctx.copy, [loop.name]: i, "": i } };
      if (condition !== undefined && value(condition, instance) !== true) continue;
      // A nested deployment's template is evaluated in its own scope, below; everything else here.
      const { properties } = declaration as { properties?: unknown };
      const nestedTemplate = typeof properties === "object" && properties !== null && "template" in properties;
      const { template: inner, ...outer } = nestedTemplate ? (properties as Record<string, unknown>) : { template: undefined };
      const resource = value(nestedTemplate ? { ...declaration, properties: outer } : declaration, instance) as Record<string, unknown>;
      const type = text(resource.type);
      const name = text(resource.name);
      deployed.push({ deployments, scope, type, name, resource });
      if (type !== "Microsoft.Resources/deployments" || inner === undefined) continue;
      if ((outer as { expressionEvaluationOptions?: { scope?: string } }).expressionEvaluationOptions?.scope !== "inner") {
        throw new Error(`nested deployment ${name} must evaluate its expressions in the inner scope`);
      }
      const nested: Scope = typeof resource.resourceGroup === "string"
        ? { location: scope.location, subscriptionId: typeof resource.subscriptionId === "string" ? resource.subscriptionId : scope.subscriptionId, resourceGroup: resource.resourceGroup }
        : typeof resource.subscriptionId === "string"
          ? { location: typeof resource.location === "string" ? resource.location : scope.location, subscriptionId: resource.subscriptionId }
          : scope;
      const given = Object.fromEntries(Object.entries((resource.properties as { parameters?: Record<string, { value: unknown }> }).parameters ?? {}).map(([k, v]) => [k, v.value]));
      const result = deployInto(inner as Template, given, nested, [...deployments, name], outputs);
      deployed.push(...result.deployed);
      outputs.set(`${scopeId(nested)}/providers/Microsoft.Resources/deployments/${name}`.toLowerCase(), { outputs: result.outputs });
    }
  }
  return { deployed, outputs: value(t.outputs ?? {}, ctx) };
}

/** A nested value of plain data, by keys; throws (naming the path) where there is none. */
export function at(root: unknown, ...keys: (string | number)[]): unknown {
  let current = root;
  for (const [i, key] of keys.entries()) {
    const found = current !== null && typeof current === "object" && key in current;
    if (!found) throw new Error(`no ${keys.slice(0, i + 1).join(".")} in ${JSON.stringify(root).slice(0, 200)}`);
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
