// What the deployment grants and configures, read from the ARM JSON that the pinned Bicep CLI compiles from infra/
// (what Azure receives), evaluated for given parameters by ./arm.ts. What-if, role assignments that Azure accepts
// and Flex Consumption's acceptance of the settings need a real deployment: the README's "Deploy" section says so.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findBicepFiles } from "../../scripts/check-bicep.ts";
import { loadSettings, SETTING_NAMES } from "../../src/settings.ts";
import { at, deploy, Unknown, type Deployed } from "./arm.ts";
import { compiled, HOST, idOf, INFRA, main, ofType, only, RG, ROOT, sayWhySkipped, skip, template } from "./deployment.ts";

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
  // Issue 18: defaults chosen from the bench's curve (bench/README.md, "Defaults").
  RETRY_MAX_PER_RUN: "5000",
  RETRY_MAX_PER_SUBSCRIPTION: "200",
  RETRY_CONCURRENCY: "32",
  RETRY_DRY_RUN: "false",
  // Issue 16: the pause switch (README "Pause and resume").
  RETRY_PAUSED: "false",
  // Issue 17: the run store in the app's storage account, and how long its reports are kept.
  RETRY_RUNS_BLOB_ENDPOINT: undefined,
  RETRY_RUNS_RETENTION_DAYS: "30",
  AZURE_RESOURCE_MANAGER_ENDPOINT: undefined,
  AZURE_CLIENT_ID: undefined,
  LOG_LEVEL: "info",
};

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const ALLOWED_ROLES = new Set<string>(Object.values(ROLE));
const KEYS = /listKeys|listConnectionStrings|AccountKey=|StorageAccountConnectionString/i;

sayWhySkipped("test/infra/templates.test.ts");

function appSettings(resources: Deployed[]): Record<string, unknown> {
  return at(only(resources, "Microsoft.Web/sites/config").resource, "properties") as Record<string, unknown>;
}

function guidsIn(text: string): string[] {
  return [...new Set((text.match(GUID) ?? []).map((g) => g.toLowerCase()))];
}

/** The app module as main.bicep deploys it, with a user-assigned identity whose ids are known stand-ins. */
function appWithUserIdentity(): Deployed[] {
  const app = ofType(main(), "Microsoft.Resources/deployments").find((d) => d.name === "app") as Deployed;
  const params = at(app.resource, "properties", "parameters") as Record<string, { value: unknown }>;
  const given = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.value]));
  return deploy(
    template("modules/app.json"),
    { ...given, userAssignedIdentityId: `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-x`, userAssignedIdentityClientId: "client-x", userAssignedIdentityPrincipalId: "principal-x" },
    { ...HOST, resourceGroup: "rg-retry-prod" },
  );
}

describe.skipIf(skip)("infra/, compiled with the pinned Bicep CLI", () => {
  it("compiles every .bicep file under infra/ without a diagnostic, entry points and modules alike", async () => {
    const files = await findBicepFiles([INFRA]);
    expect(files.map((f) => path.relative(INFRA, f).split(path.sep).join("/"))).toEqual([
      "main.bicep",
      "management-group.bicep",
      "modules/alerts.bicep",
      "modules/app.bicep",
      "modules/custom-role.bicep",
      "modules/identity.bicep",
      "modules/target-roles.bicep",
      "modules/workbook.bicep",
    ]);
    expect(compiled?.diagnostics).toEqual([]);
    expect(compiled?.otherOutput).toEqual([]);
    expect([...(compiled?.templates.keys() ?? [])].sort()).toEqual(files.map((f) => path.relative(INFRA, f).replace(/\.bicep$/, ".json").split(path.sep).join("/")));
  });

  describe("function app", () => {
    it("runs Node 22 on a Flex Consumption (FC1, Linux) plan, in the resource group of the environment", () => {
      const resources = main();
      const site = only(resources, "Microsoft.Web/sites");
      const plan = only(resources, "Microsoft.Web/serverfarms");
      expect(site.deployments).toEqual(["app"]);
      expect(site.scope).toEqual({ ...HOST, resourceGroup: "rg-retry-prod" });
      expect(only(resources, "Microsoft.Resources/resourceGroups").name).toBe("rg-retry-prod");
      expect(site.resource).toMatchObject({
        kind: "functionapp,linux",
        location: "westeurope",
        properties: { httpsOnly: true, serverFarmId: idOf(plan), functionAppConfig: { runtime: { name: "node", version: "22" } } },
      });
      expect(plan.resource).toMatchObject({ sku: { name: "FC1", tier: "FlexConsumption" }, properties: { reserved: true } });
    });

    it("always has a system-assigned identity, and a user-assigned one next to it when asked", () => {
      expect(at(only(main(), "Microsoft.Web/sites").resource, "identity")).toEqual({ type: "SystemAssigned" });
      const resources = main({ useUserAssignedIdentity: true });
      const identity = only(resources, "Microsoft.ManagedIdentity/userAssignedIdentities");
      expect(at(only(resources, "Microsoft.Web/sites").resource, "identity")).toEqual({
        type: "SystemAssigned, UserAssigned",
        userAssignedIdentities: { [idOf(identity)]: {} },
      });
    });

    it("disables publishing passwords", () => {
      const policies = ofType(main(), "Microsoft.Web/sites/basicPublishingCredentialsPolicies");
      const site = only(main(), "Microsoft.Web/sites");
      expect(policies.map((p) => p.name).sort()).toEqual([`${site.name}/ftp`, `${site.name}/scm`]);
      for (const p of policies) expect(at(p.resource, "properties")).toEqual({ allow: false });
    });

    it("carries the tag that makes it the azd service `api`", () => {
      expect(at(only(main(), "Microsoft.Web/sites").resource, "tags")).toEqual({ "azd-env-name": "retry-prod", application: "retry-failed-backups", "azd-service-name": "api" });
    });
  });

  describe("no shared keys", () => {
    it("the storage account refuses shared keys and anonymous blob access", () => {
      expect(only(main(), "Microsoft.Storage/storageAccounts").resource).toMatchObject({
        properties: { allowSharedKeyAccess: false, allowBlobPublicAccess: false, minimumTlsVersion: "TLS1_2", supportsHttpsTrafficOnly: true },
      });
    });

    it("AzureWebJobsStorage and the deployment package are reached with the managed identity", () => {
      for (const [resources, credential] of [[main(), { type: "SystemAssignedIdentity" }], [appWithUserIdentity(), { type: "UserAssignedIdentity" }]] as const) {
        const settings = appSettings(resources);
        expect(settings.AzureWebJobsStorage__credential).toBe("managedidentity");
        expect(settings.AzureWebJobsStorage__blobServiceUri).toBeInstanceOf(Unknown);
        expect(Object.keys(settings)).not.toContain("AzureWebJobsStorage");
        const storage = at(only(resources, "Microsoft.Web/sites").resource, "properties", "functionAppConfig", "deployment", "storage");
        expect(storage).toMatchObject({ type: "blobContainer", authentication: credential });
      }
      const withUser = appWithUserIdentity();
      expect(appSettings(withUser).AzureWebJobsStorage__clientId).toBe("client-x");
      expect(at(only(withUser, "Microsoft.Web/sites").resource, "properties", "functionAppConfig", "deployment", "storage", "authentication")).toEqual({
        type: "UserAssignedIdentity",
        userAssignedIdentityResourceId: `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-x`,
      });
      expect(Object.keys(appSettings(main()))).not.toContain("AzureWebJobsStorage__clientId");
    });

    it("no compiled template reads a key or builds a connection string", () => {
      for (const [file, json] of compiled?.templates ?? []) expect(JSON.stringify(json), file).not.toMatch(KEYS);
    });

    it("Application Insights takes Entra ID only, and sends to the workspace deployed with it", () => {
      const resources = main();
      expect(only(resources, "Microsoft.Insights/components").resource).toMatchObject({
        properties: { DisableLocalAuth: true, WorkspaceResourceId: idOf(only(resources, "Microsoft.OperationalInsights/workspaces")) },
      });
      expect(appSettings(resources).APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toBe("Authorization=AAD");
      expect(appSettings(appWithUserIdentity()).APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toBe("ClientId=client-x;Authorization=AAD");
    });
  });

  describe("app settings", () => {
    const retrySettings = (parameters: Record<string, unknown> = {}) => {
      const app = ofType(main(parameters), "Microsoft.Resources/deployments").find((d) => d.name === "app") as Deployed;
      return at(app.resource, "properties", "parameters", "appSettings", "value") as Record<string, unknown>;
    };

    it("are exactly the settings of DESIGN.md and of src/settings.ts, with the DESIGN.md defaults", () => {
      const settings = retrySettings();
      expect(Object.keys(settings).sort()).toEqual(Object.keys(DESIGN_SETTINGS).sort());
      expect(Object.keys(settings).sort()).toEqual([...SETTING_NAMES].sort());
      for (const [name, expected] of Object.entries(DESIGN_SETTINGS)) {
        if (expected !== undefined) expect(settings[name], name).toBe(expected);
      }
    });

    it("with the template's defaults the app reads what it reads with no settings at all", () => {
      const settings = retrySettings();
      const env = Object.fromEntries(Object.keys(DESIGN_SETTINGS).filter((name) => DESIGN_SETTINGS[name] !== undefined).map((name) => [name, settings[name] as string]));
      expect(Object.keys(env)).toHaveLength(Object.values(DESIGN_SETTINGS).filter((v) => v !== undefined).length);
      expect(loadSettings(env)).toEqual(loadSettings({}));
    });

    it("computes the scope, the endpoint and the client id at deployment", () => {
      expect(retrySettings()).toMatchObject({
        RETRY_SUBSCRIPTIONS: "sub-host",
        RETRY_MANAGEMENT_GROUPS: "",
        AZURE_RESOURCE_MANAGER_ENDPOINT: "https://management.azure.com/",
        AZURE_CLIENT_ID: "",
      });
      expect(retrySettings({ targetSubscriptionIds: " s1, ,s2 " })).toMatchObject({ RETRY_SUBSCRIPTIONS: "s1,s2", RETRY_MANAGEMENT_GROUPS: "" });
      expect(retrySettings({ targetSubscriptionIds: "s1", managementGroupIds: "mg1, mg2" })).toMatchObject({ RETRY_SUBSCRIPTIONS: "", RETRY_MANAGEMENT_GROUPS: "mg1,mg2" });
      expect(retrySettings({ resourceManagerEndpoint: "https://management.usgovcloudapi.net" }).AZURE_RESOURCE_MANAGER_ENDPOINT).toBe("https://management.usgovcloudapi.net");
      // The user-assigned identity's client id exists only once Azure has created it.
      expect(retrySettings({ useUserAssignedIdentity: true }).AZURE_CLIENT_ID).toEqual(new Unknown("reference"));
      expect(retrySettings({ retryDryRun: true, retryMaxPerRun: 200 })).toMatchObject({ RETRY_DRY_RUN: "true", RETRY_MAX_PER_RUN: "200" });
    });

    it("keep run reports in the app's own storage account: the runs container, its endpoint, a lifecycle rule of RETRY_RUNS_RETENTION_DAYS", () => {
      const resources = main({ retryRunsRetentionDays: 45 });
      const account = only(resources, "Microsoft.Storage/storageAccounts").name;
      expect(retrySettings()).toMatchObject({ RETRY_RUNS_BLOB_ENDPOINT: `https://${account}.blob.core.windows.net`, RETRY_RUNS_RETENTION_DAYS: "30" });
      expect(appSettings(resources)).toMatchObject({ RETRY_RUNS_RETENTION_DAYS: "45" });
      expect(ofType(resources, "Microsoft.Storage/storageAccounts/blobServices/containers").map((c) => c.name)).toContain(`${account}/default/runs`);
      const policy = only(resources, "Microsoft.Storage/storageAccounts/managementPolicies");
      expect(policy.name).toBe(`${account}/default`);
      expect(at(policy.resource, "properties", "policy", "rules")).toEqual([
        expect.objectContaining({ enabled: true, type: "Lifecycle", definition: { filters: { blobTypes: ["blockBlob"], prefixMatch: ["runs/"] }, actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: 45 } } } } }),
      ]);
      // Reading, writing and leasing the run blobs needs no new role: the identity's Storage Blob Data Owner covers it.
      expect(loadSettings({ RETRY_RUNS_BLOB_ENDPOINT: String(retrySettings().RETRY_RUNS_BLOB_ENDPOINT) }).runsEndpoint).toBe(`https://${account}.blob.core.windows.net`);
    });

    it("reach the function app as its whole appsettings list, next to the host's own settings", () => {
      const resources = main();
      const config = only(resources, "Microsoft.Web/sites/config");
      expect(config.name).toBe(`${only(resources, "Microsoft.Web/sites").name}/appsettings`);
      const settings = appSettings(resources);
      expect(settings).toMatchObject(retrySettings());
      expect(Object.keys(settings).filter((name) => !SETTING_NAMES.includes(name as (typeof SETTING_NAMES)[number])).sort()).toEqual([
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "AzureWebJobsStorage__blobServiceUri",
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__queueServiceUri",
        "AzureWebJobsStorage__tableServiceUri",
      ]);
    });
  });

  describe("least privilege on the target scopes", () => {
    const roleDefinition = (scope: string, role: string) => `${scope}/providers/Microsoft.Authorization/roleDefinitions/${role}`;
    const targets = {
      "modules/target-roles.bicep, per target subscription": () => ({
        assignments: ofType(main({ targetSubscriptionIds: "s1" }), "Microsoft.Authorization/roleAssignments").filter((a) => a.scope.subscriptionId === "s1"),
        scope: "/subscriptions/s1",
        principal: "<reference>",
        definitions: "/subscriptions/s1",
        json: template("modules/target-roles.json"),
      }),
      "management-group.bicep": () => ({
        assignments: ofType(deploy(template("management-group.json"), { principalId: "principal-0", appName: "func-x" }, { managementGroup: "mg1", location: "westeurope" }), "Microsoft.Authorization/roleAssignments"),
        scope: "/providers/Microsoft.Management/managementGroups/mg1",
        principal: "principal-0",
        definitions: "",
        json: template("management-group.json"),
      }),
    };

    it.each(Object.keys(targets))("%s assigns Backup Operator and Reader there, nothing else", (name) => {
      const { assignments, scope, principal, definitions, json } = targets[name as keyof typeof targets]();
      expect(guidsIn(JSON.stringify(json)).sort()).toEqual([ROLE.backupOperator, ROLE.reader].sort());
      expect(JSON.stringify(json)).not.toMatch(/newGuid|utcNow/i);
      expect(assignments.map((a) => at(a.resource, "properties", "roleDefinitionId")).sort()).toEqual(
        [roleDefinition(definitions, ROLE.backupOperator), roleDefinition(definitions, ROLE.reader)].sort(),
      );
      for (const a of assignments) {
        // Assigned at the deployment's own scope (no `scope` property), to the app's identity, as a service principal.
        expect(Object.keys(a.resource)).not.toContain("scope");
        expect(a.resource).toMatchObject({ properties: { principalType: "ServicePrincipal", principalId: principal === "<reference>" ? expect.any(Unknown) : principal } });
        // Deterministic names: guid() of the scope, the principal and the role, so provisioning again changes nothing.
        const role = String(at(a.resource, "properties", "roleDefinitionId")).split("/").at(-1);
        expect(a.name).toBe(`guid(${scope}, ${principal}, ${role})`);
      }
    });

    it("grants the custom role instead of Backup Operator when asked, defined once in the first subscription", async () => {
      const role = JSON.parse(await readFile(path.join(INFRA, "modules", "retry-operator-role.json"), "utf8")) as { description: string; actions: string[] };
      const resources = main({ targetSubscriptionIds: "s1,s2", customBackupRole: true });
      const definition = only(resources, "Microsoft.Authorization/roleDefinitions");
      expect(definition.scope.subscriptionId).toBe("s1");
      expect(definition.resource).toMatchObject({
        properties: {
          type: "CustomRole",
          description: role.description,
          assignableScopes: ["/subscriptions/s1", "/subscriptions/s2"],
          permissions: [{ actions: role.actions, notActions: [], dataActions: [], notDataActions: [] }],
        },
      });
      for (const subscription of ["s1", "s2"]) {
        const ids = ofType(resources, "Microsoft.Authorization/roleAssignments").filter((a) => a.scope.subscriptionId === subscription).map((a) => at(a.resource, "properties", "roleDefinitionId"));
        expect(ids.sort()).toEqual([roleDefinition(`/subscriptions/${subscription}`, definition.name), roleDefinition(`/subscriptions/${subscription}`, ROLE.reader)].sort());
      }

      const mg = deploy(template("management-group.json"), { principalId: "principal-0", appName: "func-x", customBackupRole: true }, { managementGroup: "mg1", location: "westeurope" });
      const mgDefinition = only(mg, "Microsoft.Authorization/roleDefinitions");
      expect(mgDefinition.resource).toMatchObject({
        properties: { type: "CustomRole", assignableScopes: ["/providers/Microsoft.Management/managementGroups/mg1"], permissions: [{ actions: role.actions, notActions: [], dataActions: [], notDataActions: [] }] },
      });
      expect(ofType(mg, "Microsoft.Authorization/roleAssignments").map((a) => at(a.resource, "properties", "roleDefinitionId")).sort()).toEqual(
        [`/providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Authorization/roleDefinitions/${mgDefinition.name}`, roleDefinition("", ROLE.reader)].sort(),
      );
    });

    it("main.bicep runs one target-roles deployment per target subscription, at that subscription, and assigns no role itself", () => {
      const roleScopes = (parameters: Record<string, unknown>) =>
        ofType(main(parameters), "Microsoft.Authorization/roleAssignments").filter((a) => a.deployments[0]?.startsWith("retry-roles-")).map((a) => a.scope.subscriptionId);
      expect(roleScopes({ targetSubscriptionIds: "s1, s2" })).toEqual(["s1", "s1", "s2", "s2"]);
      expect(roleScopes({})).toEqual(["sub-host", "sub-host"]);
      // Management groups get their roles from management-group.bicep, a deployment of their own.
      expect(roleScopes({ managementGroupIds: "mg1" })).toEqual([]);
      expect(main({ targetSubscriptionIds: "s1" }).filter((r) => r.deployments.length === 0).map((r) => r.type).sort()).toEqual([
        ...Array<string>(4).fill("Microsoft.Resources/deployments"),
        "Microsoft.Resources/resourceGroups",
      ]);
    });

    it("the app's own roles stay on its storage account and Application Insights", () => {
      const resources = main();
      const assignments = ofType(resources, "Microsoft.Authorization/roleAssignments").filter((a) => a.deployments[0] === "app");
      const storage = idOf(only(resources, "Microsoft.Storage/storageAccounts"));
      const insights = idOf(only(resources, "Microsoft.Insights/components"));
      expect(assignments.map((a) => [a.resource.scope, String(at(a.resource, "properties", "roleDefinitionId")).split("/").at(-1)]).sort()).toEqual(
        [
          [storage, ROLE.storageBlobDataOwner],
          [storage, ROLE.storageQueueDataContributor],
          [storage, ROLE.storageTableDataContributor],
          [insights, ROLE.monitoringMetricsPublisher],
        ].sort(),
      );
      expect(guidsIn(JSON.stringify(template("modules/app.json"))).sort()).toEqual(
        [ROLE.storageBlobDataOwner, ROLE.storageQueueDataContributor, ROLE.storageTableDataContributor, ROLE.monitoringMetricsPublisher].sort(),
      );
    });

    it("no compiled template names another role (Owner, Contributor, Backup Contributor, ...)", () => {
      for (const [file, json] of compiled?.templates ?? []) {
        for (const guid of guidsIn(JSON.stringify(json))) expect(ALLOWED_ROLES.has(guid), `${file}: ${guid}`).toBe(true);
      }
    });
  });

  describe("modules and parameters", () => {
    type Raw = { parameters?: Record<string, { defaultValue?: unknown; type: string }>; resources: { type: string; name: string; properties?: { template?: Raw; parameters?: Record<string, unknown> } }[] };

    it("every nested deployment passes only parameters its template declares, and every required one", () => {
      const visit = (t: Raw, where: string): void => {
        for (const r of t.resources) {
          const inner = r.properties?.template;
          if (r.type !== "Microsoft.Resources/deployments" || inner === undefined) continue;
          const declared = Object.keys(inner.parameters ?? {});
          const required = Object.entries(inner.parameters ?? {}).filter(([, p]) => !("defaultValue" in p)).map(([k]) => k);
          const passed = Object.keys(r.properties?.parameters ?? {});
          expect(declared, `${where} -> ${r.name}`).toEqual(expect.arrayContaining(passed));
          expect(passed, `${where} -> ${r.name}`).toEqual(expect.arrayContaining(required));
          visit(inner, `${where} -> ${r.name}`);
        }
      };
      visit(template("main.json") as Raw, "main.json");
    });

    it("main.parameters.json feeds declared string parameters and every required one, and deploys as azd substitutes it", async () => {
      const file = JSON.parse(await readFile(path.join(INFRA, "main.parameters.json"), "utf8")) as { parameters: Record<string, { value: string }> };
      const declared = (template("main.json") as Raw).parameters ?? {};
      const given = Object.keys(file.parameters);
      expect(Object.keys(declared)).toEqual(expect.arrayContaining(given));
      expect(given).toEqual(expect.arrayContaining(Object.entries(declared).filter(([, p]) => !("defaultValue" in p)).map(([k]) => k)));
      // azd writes each ${VARIABLE} as a string, empty when the variable is unset.
      for (const name of given) expect(["string", "securestring"], name).toContain(declared[name]?.type);
      const azd: Record<string, string> = { AZURE_ENV_NAME: "retry-prod", AZURE_LOCATION: "westeurope" };
      const values = Object.fromEntries(Object.entries(file.parameters).map(([k, v]) => [k, v.value.replace(/\$\{(\w+)\}/g, (_, name: string) => azd[name] ?? "")]));
      expect(deploy(template("main.json"), values, HOST).length).toBeGreaterThan(0);
    });
  });
});

// What needs no compiler runs everywhere, a laptop without dotnet included.
describe("infra/, as written", () => {
  it("is deployed by azd as the service `api`, built from the repository root", async () => {
    const yaml = await readFile(path.join(ROOT, "azure.yaml"), "utf8");
    expect(yaml).toMatch(/^services:\n {2}api:\n {4}project: \.\n {4}language: (ts|js)\n {4}host: function$/m);
    expect(yaml).toMatch(/^ {2}path: infra$/m);
  });

  it("no .bicep file reads a key, builds a connection string or names another role", async () => {
    for (const file of await findBicepFiles([INFRA])) {
      const source = readFileSync(file, "utf8");
      expect(source, file).not.toMatch(KEYS);
      for (const guid of guidsIn(source)) expect(ALLOWED_ROLES.has(guid), `${file}: ${guid}`).toBe(true);
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
  });

  it("names the roles, the deploy commands, what CI compiles and what only Azure can check", async () => {
    const docs = await readFile(path.join(ROOT, "README.md"), "utf8");
    for (const text of [ROLE.backupOperator, ROLE.reader, "azd up", "az deployment sub create", "npm run check:bicep", "what-if", "x-functions-key", "management-group.bicep"]) {
      expect(docs, text).toContain(text);
    }
  });
});
