// The roles for sweeping a whole management group (RETRY_MANAGEMENT_GROUPS). A subscription deployment cannot
// reach a management group, so this is a second, management-group deployment:
//   az deployment mg create --management-group-id <mg> --location <region> \
//     --template-file infra/management-group.bicep \
//     --parameters principalId=<RETRY_PRINCIPAL_ID> appName=<AZURE_FUNCTION_APP_NAME>
// Same two roles as modules/target-roles.bicep: Backup Operator (or the custom role) and Reader, nothing else.
targetScope = 'managementGroup'

@description('Principal (object) id of the identity the worker runs as (output RETRY_PRINCIPAL_ID of main.bicep).')
param principalId string

@description('Function app name (output AZURE_FUNCTION_APP_NAME of main.bicep).')
param appName string

@description('Grant the custom "Backup Retry Operator" role (only the actions the worker uses) instead of Backup Operator.')
param customBackupRole bool = false

var backupOperator = '00c29273-979b-4161-815c-10b084fb9324'
var reader = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
var role = loadJsonContent('modules/retry-operator-role.json')
var customRoleName = guid(managementGroup().id, appName, 'backup-retry-operator')

resource retryOperator 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (customBackupRole) {
  name: customRoleName
  properties: {
    roleName: 'Backup Retry Operator (${appName}, ${managementGroup().name})'
    description: role.description
    type: 'CustomRole'
    permissions: [
      {
        actions: role.actions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: [
      managementGroup().id
    ]
  }
}

var triggerRoleDefinitionId = customBackupRole
  ? extensionResourceId(managementGroup().id, 'Microsoft.Authorization/roleDefinitions', customRoleName)
  : tenantResourceId('Microsoft.Authorization/roleDefinitions', backupOperator)

resource trigger 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(managementGroup().id, principalId, customBackupRole ? customRoleName : backupOperator)
  properties: {
    roleDefinitionId: triggerRoleDefinitionId
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: '${appName}: trigger on-demand backups in Recovery Services and Backup vaults'
  }
  dependsOn: [
    retryOperator
  ]
}

resource read 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(managementGroup().id, principalId, reader)
  properties: {
    roleDefinitionId: tenantResourceId('Microsoft.Authorization/roleDefinitions', reader)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: '${appName}: find failed backup jobs and their vaults with Resource Graph'
  }
}

output roleAssignmentIds array = [
  trigger.id
  read.id
]
