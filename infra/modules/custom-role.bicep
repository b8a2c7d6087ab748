// The tighter alternative to Backup Operator: exactly the actions the worker uses (retry-operator-role.json).
// Reader is still granted next to it, for Resource Graph.
targetScope = 'subscription'

@description('Name (a GUID) of the role definition; stable across deployments.')
param roleDefinitionName string

@description('Display name; unique in the tenant.')
param roleName string

@description('Subscriptions the role may be assigned in. This subscription must be one of them.')
param assignableSubscriptionIds array

var role = loadJsonContent('retry-operator-role.json')

resource retryOperator 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: roleDefinitionName
  properties: {
    roleName: roleName
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
    assignableScopes: [for id in assignableSubscriptionIds: '/subscriptions/${id}']
  }
}

output roleDefinitionName string = retryOperator.name
