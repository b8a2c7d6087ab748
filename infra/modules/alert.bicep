// Tells the on-call engineer about what a retry cannot fix: a trigger that failed (retry.failed), an item whose
// attempt budget is spent (retry.exhausted), and a run that could not happen (sweep.failed).
param location string
param tags object
param functionAppName string

@description('Resource id of the Log Analytics workspace behind Application Insights.')
param workspaceId string

@description('Email of the on-call engineer; empty = no action group, the alert only shows in Azure Monitor.')
param alertEmail string = ''

@allowed([
  0
  1
  2
  3
  4
])
@description('Alert severity (0 = critical, 4 = verbose).')
param severity int = 2

// The app logs pino JSON lines; Functions forwards each one as the Message of a trace. Properties covers a
// logger that sends the fields as custom dimensions instead.
var query = '''
AppTraces
| extend payload = parse_json(Message)
| extend event = tostring(coalesce(payload.event, Properties.event))
| where event in ('retry.failed', 'retry.exhausted', 'sweep.failed')
| project TimeGenerated, event, runId = tostring(payload.runId), subscriptionId = tostring(payload.subscriptionId), itemId = tostring(payload.itemId), errorCode = tostring(payload.error.code), Message
'''

resource onCall 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-${functionAppName}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'retrybackup'
    enabled: true
    emailReceivers: [
      {
        name: 'on-call'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

resource needsAPerson 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${functionAppName}-retries-need-a-person'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Backup retries need a person (${functionAppName})'
    description: 'retry-failed-backups logged retry.failed, retry.exhausted or sweep.failed: an on-demand backup could not be triggered, an item ran out of retries, or a run could not happen. Open the results for the item ids and error codes.'
    severity: severity
    enabled: true
    scopes: [
      workspaceId
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    // AppTraces exists only once the app has logged; the rule must deploy before that.
    skipQueryValidation: true
    autoMitigate: false
    criteria: {
      allOf: [
        {
          query: query
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            {
              name: 'event'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: empty(alertEmail) ? [] : [onCall.id]
    }
  }
}

output alertRuleId string = needsAPerson.id
