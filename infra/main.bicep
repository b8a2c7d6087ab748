// retry-failed-backups: the function app, its identity, and the roles it holds on the subscriptions it sweeps.
// Deploy with `azd up`, or `az deployment sub create --template-file infra/main.bicep` (see docs/deploy.md).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the environment (azd env name); seeds the unique names of every resource.')
param environmentName string

@minLength(1)
@description('Region for every resource. It must offer the Flex Consumption plan.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group to create; empty = rg-<environmentName>.')
param resourceGroupName string = ''

@description('Function app name (global DNS name); empty = func-<unique token>.')
param functionAppName string = ''

@description('Comma-separated ids of the subscriptions to sweep (RETRY_SUBSCRIPTIONS). Each gets Backup Operator (or the custom role) and Reader. Empty = the deployment subscription. Ignored when managementGroupIds is set.')
param targetSubscriptionIds string = ''

@description('Comma-separated management group ids to sweep (RETRY_MANAGEMENT_GROUPS) instead of subscriptions; Resource Graph takes one scope. Their roles come from infra/management-group.bicep, a separate management-group deployment.')
param managementGroupIds string = ''

@description('Grant the custom "Backup Retry Operator" role (only the actions the worker uses) instead of the built-in Backup Operator.')
param customBackupRole bool = false

@description('Also create a user-assigned identity and run the worker, storage access and telemetry as it (AZURE_CLIENT_ID). Its role assignments then survive re-creating the app.')
param useUserAssignedIdentity bool = false

@description('Comma-separated emails that get the alerts (README "The alerts"); with none and no webhook the alerts show in Azure Monitor only.')
param alertEmails string = ''

@secure()
@description('URL that gets every alert in the common alert schema (a Teams workflow, a pager); empty = none.')
param alertWebhookUrl string = ''

@allowed([
  30
  45
  60
  120
  180
  240
  300
  360
  1440
  2880
])
@description('Two intervals of RETRY_SCHEDULE, in minutes (120 for the hourly default): the "stopped sweeping" alert fires when no run ended for this long. Change it with the schedule.')
param alertHeartbeatMinutes int = 120

@description('RETRY_SCHEDULE: NCRONTAB schedule of the timer.')
param retrySchedule string = '0 15 * * * *'

@description('RETRY_QUERIES_DIR: folder of .kql files inside the deployed package.')
param retryQueriesDir string = 'queries'

@minValue(1)
@maxValue(3650)
@description('RETRY_RUNS_RETENTION_DAYS: days a run\'s report is kept in the runs container before the lifecycle rule deletes it.')
param retryRunsRetentionDays int = 30

@minValue(1)
@maxValue(3650)
@description('RETRY_EXPIRY_DAYS: default recovery point expiry, in days.')
param retryExpiryDays int = 10

@minValue(1)
@maxValue(100000)
@description('RETRY_MAX_PER_RUN: most on-demand backups one run triggers; the rest is deferred.')
param retryMaxPerRun int = 5000

@minValue(1)
@maxValue(100000)
@description('RETRY_MAX_PER_SUBSCRIPTION: most on-demand backups one run triggers per subscription.')
param retryMaxPerSubscription int = 200

@minValue(1)
@maxValue(64)
@description('RETRY_CONCURRENCY: ARM writes in flight at once.')
param retryConcurrency int = 32

@description('RETRY_DRY_RUN: plan and report, trigger nothing. A safe first deployment.')
param retryDryRun bool = false

// A string, not a bool: azd fills it from the RETRY_PAUSED environment value, empty when that is unset.
@allowed([
  ''
  'true'
  'false'
])
@description('RETRY_PAUSED: true = every timer tick logs sweep.paused and writes nothing, and an HTTP sweep answers that the app is paused (README "Pause and resume"). Empty = false.')
param retryPaused string = 'false'

@description('AZURE_RESOURCE_MANAGER_ENDPOINT; empty = the Resource Manager of the cloud this deploys to.')
param resourceManagerEndpoint string = ''

@allowed([
  'fatal'
  'error'
  'warn'
  'info'
  'debug'
  'trace'
  'silent'
])
@description('LOG_LEVEL: pino level.')
param logLevel string = 'info'

@minValue(1)
@maxValue(1000)
@description('Most Flex Consumption instances the app may scale out to.')
param maximumInstanceCount int = 40

@allowed([
  512
  2048
  4096
])
@description('Memory of each Flex Consumption instance, in MB.')
param instanceMemoryMB int = 2048

@minValue(30)
@maxValue(730)
@description('Days the Log Analytics workspace keeps the logs.')
param logRetentionDays int = 30

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
  application: 'retry-failed-backups'
}
var appName = !empty(functionAppName) ? functionAppName : 'func-${resourceToken}'

var subscriptionList = filter(map(split(targetSubscriptionIds, ','), id => trim(id)), id => !empty(id))
var managementGroupList = filter(map(split(managementGroupIds, ','), id => trim(id)), id => !empty(id))
// union() drops an address given twice (RETRY_ALERT_EMAILS and the older RETRY_ALERT_EMAIL both feed alertEmails).
var alertEmailList = union(filter(map(split(alertEmails, ','), email => trim(email)), email => !empty(email)), [])
// The app sweeps management groups or subscriptions, never both. With neither, it sweeps the subscription it
// lives in. Management groups get their roles from management-group.bicep, so none are granted here then.
var roleSubscriptionIds = !empty(managementGroupList)
  ? []
  : (!empty(subscriptionList) ? subscriptionList : [subscription().subscriptionId])

// The cloud this deploys to (the app trims the trailing '/').
var armEndpoint = !empty(resourceManagerEndpoint) ? resourceManagerEndpoint : environment().resourceManager

// One name for the custom role, whichever subscription hosts its definition.
var customRoleName = guid(subscription().id, appName, 'backup-retry-operator')

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module userIdentity 'modules/identity.bicep' = if (useUserAssignedIdentity) {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

// The identity module is conditional: its outputs are read only when it deploys, and are empty otherwise.
var userIdentityId = userIdentity.?outputs.id ?? ''
var userIdentityClientId = userIdentity.?outputs.clientId ?? ''
var userIdentityPrincipalId = userIdentity.?outputs.principalId ?? ''

// Every setting of the app (DESIGN.md, "Settings"), as app settings. Change them here, not in the portal:
// each provision writes the whole list again.
var retryAppSettings = {
  RETRY_SCHEDULE: retrySchedule
  RETRY_QUERIES_DIR: retryQueriesDir
  RETRY_SUBSCRIPTIONS: join(roleSubscriptionIds, ',')
  RETRY_MANAGEMENT_GROUPS: join(managementGroupList, ',')
  RETRY_EXPIRY_DAYS: string(retryExpiryDays)
  RETRY_MAX_PER_RUN: string(retryMaxPerRun)
  RETRY_MAX_PER_SUBSCRIPTION: string(retryMaxPerSubscription)
  RETRY_CONCURRENCY: string(retryConcurrency)
  RETRY_DRY_RUN: retryDryRun ? 'true' : 'false'
  RETRY_PAUSED: empty(retryPaused) ? 'false' : retryPaused
  // The run store in the app's own storage account (modules/app.bicep: the runs container and its lifecycle rule);
  // the app's Storage Blob Data Owner role there already covers reading, writing and leasing its blobs.
  RETRY_RUNS_BLOB_ENDPOINT: 'https://st${resourceToken}.blob.${environment().suffixes.storage}'
  RETRY_RUNS_RETENTION_DAYS: string(retryRunsRetentionDays)
  AZURE_RESOURCE_MANAGER_ENDPOINT: armEndpoint
  AZURE_CLIENT_ID: userIdentityClientId
  LOG_LEVEL: logLevel
}

module app 'modules/app.bicep' = {
  name: 'app'
  scope: rg
  params: {
    location: location
    tags: tags
    functionAppName: appName
    planName: 'plan-${resourceToken}'
    storageAccountName: 'st${resourceToken}'
    logAnalyticsName: 'log-${resourceToken}'
    appInsightsName: 'appi-${resourceToken}'
    userAssignedIdentityId: userIdentityId
    userAssignedIdentityClientId: userIdentityClientId
    userAssignedIdentityPrincipalId: userIdentityPrincipalId
    appSettings: retryAppSettings
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    logRetentionDays: logRetentionDays
    runsRetentionDays: retryRunsRetentionDays
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    functionAppName: appName
    workspaceId: app.outputs.logAnalyticsWorkspaceId
    emails: alertEmailList
    webhookUrl: alertWebhookUrl
    heartbeatMinutes: alertHeartbeatMinutes
  }
}

module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    location: location
    tags: tags
    functionAppName: appName
    workspaceId: app.outputs.logAnalyticsWorkspaceId
    heartbeatMinutes: alertHeartbeatMinutes
  }
}

// A custom role definition lives at one scope and lists where it may be assigned; the first target hosts it.
module customRole 'modules/custom-role.bicep' = if (customBackupRole && !empty(roleSubscriptionIds)) {
  name: take('retry-role-def-${resourceToken}', 64)
  scope: subscription(!empty(roleSubscriptionIds) ? roleSubscriptionIds[0] : subscription().subscriptionId)
  params: {
    roleDefinitionName: customRoleName
    roleName: 'Backup Retry Operator (${appName})'
    assignableSubscriptionIds: roleSubscriptionIds
  }
}

// One deployment per target subscription: Backup Operator (or the custom role) and Reader, nothing else.
module targetRoles 'modules/target-roles.bicep' = [
  for subscriptionId in roleSubscriptionIds: {
    name: take('retry-roles-${resourceToken}-${subscriptionId}', 64)
    scope: subscription(subscriptionId)
    params: {
      principalId: app.outputs.runtimePrincipalId
      appName: appName
      customRoleDefinitionName: customBackupRole ? customRoleName : ''
    }
    dependsOn: [
      customRole
    ]
  }
]

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = app.outputs.functionAppName
output SERVICE_API_NAME string = app.outputs.functionAppName
output SERVICE_API_URI string = app.outputs.functionAppUri
output RETRY_PRINCIPAL_ID string = app.outputs.runtimePrincipalId
// The run store, for `retry-failed-backups runs list` on a laptop (azd env get-values).
output RETRY_RUNS_BLOB_ENDPOINT string = app.outputs.runsBlobEndpoint
output RETRY_ROLE_SUBSCRIPTIONS array = roleSubscriptionIds
output RETRY_CUSTOM_ROLE_NAME string = customBackupRole ? customRoleName : ''
