// The function app and what it needs in its own resource group: Flex Consumption plan, storage reached only
// with Entra ID, Log Analytics + Application Insights with Entra-only ingestion, and the roles on those.
param location string
param tags object
param functionAppName string
param planName string
param storageAccountName string
param logAnalyticsName string
param appInsightsName string

@description('Resource id of the user-assigned identity the worker runs as; empty = the system-assigned identity.')
param userAssignedIdentityId string = ''

@description('Client id of that user-assigned identity; empty with the system-assigned identity.')
param userAssignedIdentityClientId string = ''

@description('Principal (object) id of that user-assigned identity; empty with the system-assigned identity.')
param userAssignedIdentityPrincipalId string = ''

@description('The application settings of DESIGN.md; host settings are added here.')
param appSettings object

param maximumInstanceCount int
param instanceMemoryMB int
param logRetentionDays int

@description('RETRY_RUNS_RETENTION_DAYS: the lifecycle rule deletes a run\'s blobs in the runs container after this many days.')
param runsRetentionDays int

// Run history and the run lock (src/runs/): reports, the newest-first index and the lease blob sweep.lock.
var runsContainerName = 'runs'

var useUserIdentity = !empty(userAssignedIdentityId)
var deploymentContainerName = 'app-package-${take(toLower(functionAppName), 32)}-${take(uniqueString(functionAppName), 7)}'

// Roles the runtime identity needs on the app's own resources, and nowhere else.
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f2a0aa9e2d6'
var storageQueueDataContributor = '974c5e8b-2f03-4d31-9e56-a98ea0a3a0fb'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'
var storageRoleIds = [
  storageBlobDataOwner
  storageQueueDataContributor
  storageTableDataContributor
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    dnsEndpointType: 'Standard'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }

    resource runsContainer 'containers' = {
      name: runsContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  // Run reports are kept for RETRY_RUNS_RETENTION_DAYS, then deleted by the platform (no code of ours runs).
  // https://learn.microsoft.com/azure/storage/blobs/lifecycle-management-overview
  resource lifecycle 'managementPolicies' = {
    name: 'default'
    properties: {
      policy: {
        rules: [
          {
            name: 'delete-old-runs'
            enabled: true
            type: 'Lifecycle'
            definition: {
              filters: {
                blobTypes: [
                  'blockBlob'
                ]
                prefixMatch: [
                  '${runsContainerName}/'
                ]
              }
              actions: {
                baseBlob: {
                  delete: {
                    daysAfterModificationGreaterThan: runsRetentionDays
                  }
                }
              }
            }
          }
        ]
      }
    }
  }
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logRetentionDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: true
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: useUserIdentity
    ? {
        type: 'SystemAssigned, UserAssigned'
        userAssignedIdentities: {
          '${userAssignedIdentityId}': {}
        }
      }
    : {
        type: 'SystemAssigned'
      }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: useUserIdentity
            ? {
                type: 'UserAssignedIdentity'
                userAssignedIdentityResourceId: userAssignedIdentityId
              }
            : {
                type: 'SystemAssignedIdentity'
              }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }

  // No publishing passwords: deployments authenticate with Entra ID.
  resource scmBasicAuth 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: {
      allow: false
    }
  }

  resource ftpBasicAuth 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: {
      allow: false
    }
  }
}

// The Functions host reaches its storage and Application Insights with the same identity as the worker.
var hostSettings = union(
  {
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
    AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
    AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: useUserIdentity
      ? 'ClientId=${userAssignedIdentityClientId};Authorization=AAD'
      : 'Authorization=AAD'
  },
  useUserIdentity
    ? {
        AzureWebJobsStorage__clientId: userAssignedIdentityClientId
      }
    : {}
)

resource siteAppSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(appSettings, hostSettings)
}

var runtimePrincipalId = useUserIdentity ? userAssignedIdentityPrincipalId : site.identity.principalId
// Role assignment names must be known before deployment starts, so they are seeded with resource ids.
var runtimeIdentityKey = useUserIdentity ? userAssignedIdentityId : site.id

resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoleIds: {
    name: guid(storage.id, runtimeIdentityKey, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: runtimePrincipalId
      principalType: 'ServicePrincipal'
      description: '${functionAppName}: Functions host state and deployment package, on its own storage account'
    }
  }
]

resource telemetryRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, runtimeIdentityKey, monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: runtimePrincipalId
    principalType: 'ServicePrincipal'
    description: '${functionAppName}: send telemetry to Application Insights with Entra ID'
  }
}

output functionAppName string = site.name
output runsBlobEndpoint string = storage.properties.primaryEndpoints.blob
output functionAppUri string = 'https://${site.properties.defaultHostName}'
output runtimePrincipalId string = runtimePrincipalId
output logAnalyticsWorkspaceId string = workspace.id
output appInsightsName string = appInsights.name
