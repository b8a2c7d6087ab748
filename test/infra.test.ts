// Offline proof of what the deployment grants and configures. No Bicep compiler runs here: the templates are
// read through the tree-sitter-bicep parse tree (the text where the tree is awkward). Types, API versions and
// what-if need Azure: the README's "Deploy" section says how.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Node, Tree } from "web-tree-sitter";
import { checkBicepFiles, findBicepFiles, formatProblems, parseBicep } from "../scripts/check-bicep.ts";
import { loadSettings, SETTING_NAMES } from "../src/settings.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const INFRA = path.join(ROOT, "infra");

const ROLE = {
  backupOperator: "00c29273-979b-4161-815c-10b084fb9324",
  reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
  storageBlobDataOwner: "b7e6dc6d-f1e8-4753-8033-0f2a0aa9e2d6",
  storageQueueDataContributor: "974c5e8b-2f03-4d31-9e56-a98ea0a3a0fb",
  storageTableDataContributor: "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
  monitoringMetricsPublisher: "3913510d-42f4-4e42-8a64-420c390055eb",
} as const;

// DESIGN.md, "Settings": name -> default as an app setting string (undefined: computed at deployment).
const DESIGN_SETTINGS: Record<string, string | undefined> = {
  RETRY_SCHEDULE: "0 15 * * * *",
  RETRY_QUERIES_DIR: "queries",
  RETRY_SUBSCRIPTIONS: undefined,
  RETRY_MANAGEMENT_GROUPS: undefined,
  RETRY_EXPIRY_DAYS: "10",
  RETRY_MAX_PER_RUN: "500",
  RETRY_MAX_PER_SUBSCRIPTION: "100",
  RETRY_CONCURRENCY: "8",
  RETRY_DRY_RUN: "false",
  AZURE_RESOURCE_MANAGER_ENDPOINT: undefined,
  AZURE_CLIENT_ID: undefined,
  LOG_LEVEL: "info",
};

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

type Template = { file: string; text: string; tree: Tree; root: Node };
const templates = new Map<string, Template>();

function template(relative: string): Template {
  const found = templates.get(relative);
  if (found === undefined) throw new Error(`${relative} was not parsed; is it under infra/?`);
  return found;
}

// --- reading the parse tree -------------------------------------------------------------------------------

function declarations(root: Node, type: string): Node[] {
  return root.namedChildren.filter((n) => n.type === type);
}

function nameOf(declaration: Node): string {
  const id = declaration.namedChildren.find((n) => n.type === "identifier");
  if (id === undefined) throw new Error(`no name in ${declaration.text.slice(0, 60)}`);
  return id.text;
}

/** Text of a string literal without interpolation; undefined for anything else. */
function literal(node: Node | undefined): string | undefined {
  if (node === undefined || node.type !== "string" || node.namedChildren.some((c) => c.type === "interpolation")) return undefined;
  const text = node.text;
  return text.startsWith("'''") ? text.slice(3, -3) : text.slice(1, -1).replace(/\\'/g, "'");
}

function declaration(root: Node, type: string, name: string): Node {
  const found = declarations(root, type).find((d) => nameOf(d) === name);
  if (found === undefined) throw new Error(`no ${type} ${name}`);
  return found;
}

/** Resource (or module) type string, e.g. Microsoft.Web/sites@2024-04-01. */
function typeOf(decl: Node): string {
  return literal(decl.namedChildren.find((n) => n.type === "string")) ?? "";
}

/** The object a resource or module declares, through `if (...)` and `[for ...: ...]`. */
function bodyOf(decl: Node): Node {
  let node = decl.namedChildren.at(-1);
  while (node !== undefined && node.type !== "object") {
    if (node.type === "if_statement") node = node.namedChildren.at(-1);
    else if (node.type === "for_statement") node = node.childForFieldName("body") ?? undefined;
    else break;
  }
  if (node?.type !== "object") throw new Error(`no object body in ${decl.text.slice(0, 60)}`);
  return node;
}

function keyOf(property: Node): string {
  const key = property.namedChildren[0];
  return key === undefined ? "" : (literal(key) ?? key.text);
}

function properties(object: Node): Node[] {
  return object.namedChildren.filter((n) => n.type === "object_property");
}

function prop(object: Node, ...keys: string[]): Node {
  let node = object;
  for (const key of keys) {
    const property = properties(node).find((p) => keyOf(p) === key);
    const value = property?.namedChildren.at(-1);
    if (value === undefined) throw new Error(`no property ${keys.join(".")} in ${object.text.slice(0, 60)}`);
    node = value;
  }
  return node;
}

/** Resources of a type; a nested child resource names its type without the parent and the API version. */
function resources(root: Node, type: string): Node[] {
  return root.descendantsOfType("resource_declaration").filter((r) => typeOf(r) === type || typeOf(r).startsWith(`${type}@`));
}

function onlyResource(root: Node, type: string): Node {
  const found = resources(root, type);
  expect(found, type).toHaveLength(1);
  return found[0] as Node;
}

/** Default of a parameter, or value of a variable, followed through identifiers to a literal. */
function resolve(root: Node, node: Node): string | undefined {
  if (node.type === "string") return literal(node);
  if (node.type === "number" || node.type === "boolean") return node.text;
  if (node.type !== "identifier") return undefined;
  const param = declarations(root, "parameter_declaration").find((d) => nameOf(d) === node.text);
  const variable = declarations(root, "variable_declaration").find((d) => nameOf(d) === node.text);
  const target = param ?? variable;
  // A parameter is (identifier) (type) [default]; a variable is (identifier) (value).
  const value = target?.namedChildren[param === undefined ? 1 : 2];
  return value === undefined ? undefined : resolve(root, value);
}

/** A setting value as the template writes it: literal, parameter default, or `cond ? 'true' : 'false'`. */
function settingDefault(root: Node, value: Node): string | undefined {
  if (value.type === "call_expression" && value.childForFieldName("function")?.text === "string") {
    const argument = value.childForFieldName("arguments")?.namedChildren[0];
    return argument === undefined ? undefined : resolve(root, argument);
  }
  if (value.type === "ternary_expression") {
    const condition = value.childForFieldName("condition");
    const pick = condition === null ? undefined : resolve(root, condition);
    const branch = value.childForFieldName(pick === "true" ? "consequence" : "alternative");
    return pick === undefined || branch === null ? undefined : resolve(root, branch);
  }
  return resolve(root, value);
}

function guidsIn(text: string): string[] {
  return [...new Set((text.match(GUID) ?? []).map((g) => g.toLowerCase()))];
}

// --- Kusto check of the alert query ------------------------------------------------------------------------

type KustoDiagnostic = { Code: string; Message: string };
type KustoLanguage = {
  Symbols: {
    TableSymbol: { From(schema: string): { WithName(name: string): unknown } };
    DatabaseSymbol: { $ctor1: new (name: string, members: unknown[], isOpen: boolean) => unknown };
  };
  GlobalState: { Default: { WithDatabase(database: unknown): unknown } };
  KustoCode: {
    ParseAndAnalyze(text: string, globals: unknown): { GetDiagnostics(): { Count: number; getItem(i: number): KustoDiagnostic } };
  };
};

/** Diagnostics of a query against the workspace's AppTraces table (documented columns the alert may use). */
function kustoDiagnostics(query: string): string[] {
  const require = createRequire(import.meta.url);
  require("@kusto/language-service-next/bridge.min.js");
  require("@kusto/language-service-next/Kusto.Language.Bridge.min.js");
  const kusto = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;
  const appTraces = kusto.Symbols.TableSymbol.From(
    "(['TimeGenerated']:datetime, ['Message']:string, ['SeverityLevel']:int, ['Properties']:dynamic, ['AppRoleName']:string, ['OperationId']:string, ['_ResourceId']:string)",
  ).WithName("AppTraces");
  const globals = kusto.GlobalState.Default.WithDatabase(new kusto.Symbols.DatabaseSymbol.$ctor1("workspace", [appTraces], false));
  const diagnostics = kusto.KustoCode.ParseAndAnalyze(query, globals).GetDiagnostics();
  return Array.from({ length: diagnostics.Count }, (_, i) => diagnostics.getItem(i)).map((d) => `${d.Code}: ${d.Message}`);
}

// ------------------------------------------------------------------------------------------------------------

beforeAll(async () => {
  for (const file of await findBicepFiles([INFRA])) {
    const text = await readFile(file, "utf8");
    const { tree } = await parseBicep(text);
    templates.set(path.relative(INFRA, file).split(path.sep).join("/"), { file, text, tree, root: tree.rootNode });
  }
});

afterAll(() => {
  for (const { tree } of templates.values()) tree.delete();
});

describe("Bicep syntax (tree-sitter-bicep)", () => {
  it("parses every .bicep file under infra/ without a syntax error", async () => {
    const files = await findBicepFiles([INFRA]);
    expect(files.map((f) => path.relative(INFRA, f).split(path.sep).join("/"))).toEqual([
      "main.bicep",
      "management-group.bicep",
      "modules/alert.bicep",
      "modules/app.bicep",
      "modules/custom-role.bicep",
      "modules/identity.bicep",
      "modules/target-roles.bicep",
    ]);
    expect(formatProblems(await checkBicepFiles(files))).toEqual([]);
  });

  it("reports a stray token with its line and column", async () => {
    const { tree, problems } = await parseBicep(
      ["param name string", "var settings = {", "  A: 'a'", "  B: 'b' 'c'", "}", ""].join("\n"),
    );
    tree.delete();
    expect(problems).toEqual([{ line: 4, column: 10, message: `syntax error near "'c'"` }]);
  });

  it("reports a missing closing brace", async () => {
    const { tree, problems } = await parseBicep(
      ["resource r 'Microsoft.Web/sites@2024-04-01' = {", "  name: 'x'", "  properties: {", "    y: 1", "", "}", ""].join("\n"),
    );
    tree.delete();
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/missing "}"$/);
  });

  it("the command line prints file:line:column for a broken file and exits 1, and 0 for good ones", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "check-bicep-"));
    try {
      const broken = path.join(dir, "broken.bicep");
      await writeFile(
        broken,
        [
          "param name string",
          "resource site 'Microsoft.Web/sites@2024-04-01' = {",
          "  name: name",
          "  properties: {",
          "    httpsOnly: true",
          "    serverFarmId: )",
          "  }",
          "}",
          "",
        ].join("\n"),
      );
      const script = path.join(ROOT, "scripts", "check-bicep.ts");
      const bad = spawnSync(process.execPath, [script, dir], { cwd: ROOT, encoding: "utf8" });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain(`${broken}:6:5: syntax error near "serverFarmId: )"`);

      const good = spawnSync(process.execPath, [script, INFRA], { cwd: ROOT, encoding: "utf8" });
      expect(good.status, good.stderr).toBe(0);
      expect(good.stdout).toMatch(/^check-bicep: 7 file\(s\) parse without syntax errors/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("function app", () => {
  it("runs Node 22 on a Flex Consumption (FC1, Linux) plan", () => {
    const { root } = template("modules/app.bicep");
    const site = bodyOf(onlyResource(root, "Microsoft.Web/sites"));
    expect(literal(prop(site, "kind"))).toBe("functionapp,linux");
    expect(literal(prop(site, "properties", "functionAppConfig", "runtime", "name"))).toBe("node");
    expect(literal(prop(site, "properties", "functionAppConfig", "runtime", "version"))).toBe("22");
    expect(prop(site, "properties", "httpsOnly").text).toBe("true");

    const plan = bodyOf(onlyResource(root, "Microsoft.Web/serverfarms"));
    expect(literal(prop(plan, "sku", "name"))).toBe("FC1");
    expect(literal(prop(plan, "sku", "tier"))).toBe("FlexConsumption");
    expect(prop(plan, "properties", "reserved").text).toBe("true");
  });

  it("always has a system-assigned identity, optionally with a user-assigned one", () => {
    const { root } = template("modules/app.bicep");
    const identity = prop(bodyOf(onlyResource(root, "Microsoft.Web/sites")), "identity");
    const types = identity.descendantsOfType("object_property").filter((p) => keyOf(p) === "type").map((p) => literal(p.namedChildren.at(-1)));
    expect(types.sort()).toEqual(["SystemAssigned", "SystemAssigned, UserAssigned"]);
  });

  it("disables publishing passwords", () => {
    const { root } = template("modules/app.bicep");
    const policies = resources(root, "basicPublishingCredentialsPolicies");
    expect(policies.map((p) => literal(prop(bodyOf(p), "name"))).sort()).toEqual(["ftp", "scm"]);
    for (const p of policies) expect(prop(bodyOf(p), "properties", "allow").text).toBe("false");
  });

  it("is the azd service `api` built from the repository root", async () => {
    const yaml = await readFile(path.join(ROOT, "azure.yaml"), "utf8");
    expect(yaml).toMatch(/^services:\n {2}api:\n {4}project: \.\n {4}language: (ts|js)\n {4}host: function$/m);
    expect(yaml).toMatch(/^ {2}path: infra$/m);
    const { root } = template("modules/app.bicep");
    const tags = prop(bodyOf(onlyResource(root, "Microsoft.Web/sites")), "tags");
    expect(tags.text).toContain("'azd-service-name': 'api'");
  });
});

describe("no shared keys", () => {
  it("the storage account refuses shared keys and anonymous blob access", () => {
    const { root } = template("modules/app.bicep");
    const storage = bodyOf(onlyResource(root, "Microsoft.Storage/storageAccounts"));
    expect(prop(storage, "properties", "allowSharedKeyAccess").text).toBe("false");
    expect(prop(storage, "properties", "allowBlobPublicAccess").text).toBe("false");
    expect(literal(prop(storage, "properties", "minimumTlsVersion"))).toBe("TLS1_2");
  });

  it("AzureWebJobsStorage and the deployment package are reached with the managed identity", () => {
    const { root } = template("modules/app.bicep");
    const hostSettings = declaration(root, "variable_declaration", "hostSettings");
    const first = hostSettings.descendantsOfType("object")[0] as Node;
    expect(literal(prop(first, "AzureWebJobsStorage__credential"))).toBe("managedidentity");
    const keys = hostSettings.descendantsOfType("object_property").map(keyOf);
    expect(keys).not.toContain("AzureWebJobsStorage");
    expect(keys).toContain("AzureWebJobsStorage__blobServiceUri");

    const site = bodyOf(onlyResource(root, "Microsoft.Web/sites"));
    const auth = prop(site, "properties", "functionAppConfig", "deployment", "storage", "authentication");
    const types = auth.descendantsOfType("object_property").filter((p) => keyOf(p) === "type").map((p) => literal(p.namedChildren.at(-1)));
    expect(types.sort()).toEqual(["SystemAssignedIdentity", "UserAssignedIdentity"]);
  });

  it("no template reads a key or builds a connection string", () => {
    for (const { file, text } of templates.values()) {
      expect(text, file).not.toMatch(/listKeys|listConnectionStrings|AccountKey=|StorageAccountConnectionString/i);
    }
  });

  it("Application Insights takes Entra ID only", () => {
    const { root } = template("modules/app.bicep");
    const insights = bodyOf(onlyResource(root, "Microsoft.Insights/components"));
    expect(prop(insights, "properties", "DisableLocalAuth").text).toBe("true");
    expect(prop(insights, "properties", "WorkspaceResourceId").text).toBe("workspace.id");
    const hostSettings = declaration(root, "variable_declaration", "hostSettings").text;
    expect(hostSettings).toContain("APPLICATIONINSIGHTS_AUTHENTICATION_STRING");
    expect(hostSettings).toContain("Authorization=AAD");
  });
});

describe("app settings", () => {
  const retryAppSettings = (): { root: Node; object: Node } => {
    const { root } = template("main.bicep");
    return { root, object: declaration(root, "variable_declaration", "retryAppSettings").namedChildren[1] as Node };
  };

  it("are exactly the settings of DESIGN.md and of src/settings.ts, with the DESIGN.md defaults", () => {
    const { root, object } = retryAppSettings();
    const names = properties(object).map(keyOf).sort();
    expect(names).toEqual(Object.keys(DESIGN_SETTINGS).sort());
    expect(names).toEqual([...SETTING_NAMES].sort());
    for (const [name, expected] of Object.entries(DESIGN_SETTINGS)) {
      if (expected !== undefined) expect(settingDefault(root, prop(object, name)), name).toBe(expected);
    }
  });

  it("with the template's defaults the app reads what it reads with no settings at all", () => {
    const { root, object } = retryAppSettings();
    const env = Object.fromEntries(
      properties(object).flatMap((p) => {
        const value = settingDefault(root, p.namedChildren.at(-1) as Node);
        return value === undefined ? [] : [[keyOf(p), value]];
      }),
    );
    expect(Object.keys(env).length).toBe(Object.values(DESIGN_SETTINGS).filter((v) => v !== undefined).length);
    expect(loadSettings(env)).toEqual(loadSettings({}));
  });

  it("computes the scope, the endpoint and the client id at deployment", () => {
    const { root, object } = retryAppSettings();
    expect(prop(object, "RETRY_SUBSCRIPTIONS").text).toBe("join(roleSubscriptionIds, ',')");
    expect(prop(object, "RETRY_MANAGEMENT_GROUPS").text).toBe("join(managementGroupList, ',')");
    expect(declaration(root, "variable_declaration", "armEndpoint").text).toContain("environment().resourceManager");
    expect(declaration(root, "variable_declaration", "userIdentityClientId").text).toBe(
      "var userIdentityClientId = useUserAssignedIdentity ? userIdentity.outputs.clientId : ''",
    );
  });

  it("reach the function app as its whole appsettings list", () => {
    const main = template("main.bicep").root;
    expect(prop(bodyOf(declaration(main, "module_declaration", "app")), "params", "appSettings").text).toBe("retryAppSettings");
    const { root } = template("modules/app.bicep");
    const config = bodyOf(onlyResource(root, "Microsoft.Web/sites/config"));
    expect(literal(prop(config, "name"))).toBe("appsettings");
    expect(prop(config, "properties").text).toBe("union(appSettings, hostSettings)");
  });
});

describe("least privilege on the target scopes", () => {
  const targetFiles = ["modules/target-roles.bicep", "management-group.bicep"];

  it.each(targetFiles)("%s assigns Backup Operator (or the custom role) and Reader, nothing else", (file) => {
    const { root, text } = template(file);
    expect(guidsIn(text).sort()).toEqual([ROLE.backupOperator, ROLE.reader].sort());
    const assignments = resources(root, "Microsoft.Authorization/roleAssignments");
    expect(assignments.map(nameOf).sort()).toEqual(["read", "trigger"]);
    for (const assignment of assignments) {
      const body = bodyOf(assignment);
      expect(properties(body).map(keyOf)).not.toContain("scope");
      expect(literal(prop(body, "properties", "principalType"))).toBe("ServicePrincipal");
      // Deterministic names: guid() of the scope, the principal and the role, no newGuid()/utcNow().
      expect(prop(body, "name").text).toMatch(/^guid\((subscription|managementGroup)\(\)\.id, principalId, /);
    }
    const read = bodyOf(assignments.find((a) => nameOf(a) === "read") as Node);
    expect(prop(read, "properties", "roleDefinitionId").text).toMatch(/RoleDefinitions', reader\)$/i);
    const trigger = bodyOf(assignments.find((a) => nameOf(a) === "trigger") as Node);
    expect(prop(trigger, "properties", "roleDefinitionId").text).toMatch(/triggerRole|customRoleName|backupOperator/);
  });

  it("target-roles.bicep grants Backup Operator unless given the custom role", () => {
    const { root } = template("modules/target-roles.bicep");
    expect(resolve(root, declaration(root, "variable_declaration", "backupOperator").namedChildren[1] as Node)).toBe(ROLE.backupOperator);
    expect(resolve(root, declaration(root, "variable_declaration", "reader").namedChildren[1] as Node)).toBe(ROLE.reader);
    expect(declaration(root, "variable_declaration", "triggerRole").text).toBe(
      "var triggerRole = empty(customRoleDefinitionName) ? backupOperator : customRoleDefinitionName",
    );
  });

  it("main.bicep runs one target-roles module per target subscription, at that subscription", () => {
    const { root } = template("main.bicep");
    const module = declaration(root, "module_declaration", "targetRoles");
    expect(typeOf(module)).toBe("modules/target-roles.bicep");
    expect(module.text).toMatch(/for subscriptionId in roleSubscriptionIds:/);
    expect(prop(bodyOf(module), "scope").text).toBe("subscription(subscriptionId)");
    expect(resources(root, "Microsoft.Authorization/roleAssignments")).toEqual([]);
  });

  it("the app's own roles stay on its storage account and Application Insights", () => {
    const { root, text } = template("modules/app.bicep");
    expect(guidsIn(text).sort()).toEqual(
      [ROLE.storageBlobDataOwner, ROLE.storageQueueDataContributor, ROLE.storageTableDataContributor, ROLE.monitoringMetricsPublisher].sort(),
    );
    const scopes = resources(root, "Microsoft.Authorization/roleAssignments").map((a) => prop(bodyOf(a), "scope").text);
    expect(scopes.sort()).toEqual(["appInsights", "storage"]);
  });

  it("no template anywhere names another role (Owner, Contributor, Backup Contributor, ...)", () => {
    const allowed = new Set<string>(Object.values(ROLE));
    for (const { file, text } of templates.values()) {
      for (const guid of guidsIn(text)) expect(allowed.has(guid), `${file}: ${guid}`).toBe(true);
    }
  });

  it("the custom role holds only the trigger actions and reads, and the README lists each", async () => {
    const role = JSON.parse(await readFile(path.join(INFRA, "modules", "retry-operator-role.json"), "utf8")) as { actions: string[] };
    const triggers = [
      "Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/backup/action",
      "Microsoft.DataProtection/backupVaults/backupInstances/backup/action",
    ];
    expect(role.actions).toEqual(expect.arrayContaining(triggers));
    for (const action of role.actions) {
      expect(action).not.toContain("*");
      expect(action.endsWith("/read") || triggers.includes(action), action).toBe(true);
      expect(action).toMatch(/^Microsoft\.(RecoveryServices|DataProtection)\//);
    }
    expect(new Set(role.actions).size).toBe(role.actions.length);

    const docs = await readFile(path.join(ROOT, "README.md"), "utf8");
    for (const action of role.actions) expect(docs, action).toContain(action);

    for (const file of ["modules/custom-role.bicep", "management-group.bicep"]) {
      const { root } = template(file);
      const definition = bodyOf(onlyResource(root, "Microsoft.Authorization/roleDefinitions"));
      expect(literal(prop(definition, "properties", "type"))).toBe("CustomRole");
      expect(prop(definition, "properties", "permissions").text).toMatch(/actions: role\.actions\s+notActions: \[\]\s+dataActions: \[\]/);
      expect(template(file).text).toMatch(/loadJsonContent\('(modules\/)?retry-operator-role\.json'\)/);
    }
  });
});

describe("alert", () => {
  it("a scheduled query on AppTraces fires on retry.failed, retry.exhausted and sweep.failed", () => {
    const { root } = template("modules/alert.bicep");
    const rule = bodyOf(onlyResource(root, "Microsoft.Insights/scheduledQueryRules"));
    expect(prop(rule, "properties", "scopes").text).toContain("workspaceId");
    const criterion = prop(rule, "properties", "criteria", "allOf").namedChildren[0] as Node;
    expect(prop(criterion, "query").text).toBe("query");
    expect(literal(prop(criterion, "operator"))).toBe("GreaterThan");
    expect(prop(criterion, "threshold").text).toBe("0");

    const query = resolve(root, declaration(root, "variable_declaration", "query").namedChildren[1] as Node) ?? "";
    expect(query.trim()).toMatch(/^AppTraces\n/);
    for (const event of ["retry.failed", "retry.exhausted", "sweep.failed"]) expect(query).toContain(`'${event}'`);
    expect(kustoDiagnostics(query.trim())).toEqual([]);
  });

  it("emails the on-call engineer only when an address is given", () => {
    const { root } = template("modules/alert.bicep");
    const group = onlyResource(root, "Microsoft.Insights/actionGroups");
    expect(group.text).toContain("= if (!empty(alertEmail))");
    const rule = bodyOf(onlyResource(root, "Microsoft.Insights/scheduledQueryRules"));
    expect(prop(rule, "properties", "actions", "actionGroups").text).toBe("empty(alertEmail) ? [] : [onCall.id]");
  });
});

describe("modules and parameters", () => {
  it("every module exists and gets exactly its declared parameters, required ones included", () => {
    for (const [relative, { file, root }] of templates) {
      for (const module of root.descendantsOfType("module_declaration")) {
        const target = path.resolve(path.dirname(file), typeOf(module));
        expect(existsSync(target), `${relative}: ${typeOf(module)}`).toBe(true);
        const declared = declarations(template(path.relative(INFRA, target).split(path.sep).join("/")).root, "parameter_declaration");
        const required = declared.filter((d) => d.namedChildren.length < 3).map(nameOf);
        const passed = properties(prop(bodyOf(module), "params")).map(keyOf);
        expect(declared.map(nameOf), `${relative} -> ${typeOf(module)}`).toEqual(expect.arrayContaining(passed));
        expect(passed, `${relative} -> ${typeOf(module)}`).toEqual(expect.arrayContaining(required));
      }
    }
  });

  it("main.parameters.json feeds declared parameters and every required one", async () => {
    const file = JSON.parse(await readFile(path.join(INFRA, "main.parameters.json"), "utf8")) as { parameters: Record<string, unknown> };
    const declared = declarations(template("main.bicep").root, "parameter_declaration");
    const given = Object.keys(file.parameters);
    expect(declared.map(nameOf)).toEqual(expect.arrayContaining(given));
    expect(given).toEqual(expect.arrayContaining(declared.filter((d) => d.namedChildren.length < 3).map(nameOf)));
  });
});

describe("README, Deploy section", () => {
  it("names the roles, the deploy commands and what only Azure can check", async () => {
    const docs = await readFile(path.join(ROOT, "README.md"), "utf8");
    for (const text of [ROLE.backupOperator, ROLE.reader, "azd up", "az deployment sub create", "az bicep build", "what-if", "x-functions-key", "management-group.bicep"]) {
      expect(docs, text).toContain(text);
    }
  });
});
