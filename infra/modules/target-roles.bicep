// What the worker may do in one target subscription: trigger on-demand backups (Backup Operator, or the custom
// role) and see vaults and jobs in Resource Graph (Reader). Nothing broader; no Contributor.
targetScope = 'subscription'

@description('Principal (object) id of the identity the worker runs as.')
param principalId string

@description('Function app name, for the assignment descriptions.')
param appName string

@description('Name (GUID) of the custom role to grant instead of Backup Operator; empty = Backup Operator.')
param customRoleDefinitionName string = ''

var backupOperator = '00c29273-979b-4161-815c-10b084fb9324'
var reader = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
var triggerRole = empty(customRoleDefinitionName) ? backupOperator : customRoleDefinitionName

resource trigger 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, triggerRole)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', triggerRole)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: '${appName}: trigger on-demand backups in Recovery Services and Backup vaults'
  }
}

resource read 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, reader)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', reader)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: '${appName}: find failed backup jobs and their vaults with Resource Graph'
  }
}

output roleAssignmentIds array = [
  trigger.id
  read.id
]
