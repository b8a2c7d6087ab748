// An Azure Monitor workbook over the app's events (app-events.kql) in its Log Analytics workspace: the runs, what each
// run did, per subscription, the items that need a person, and the errors behind them.
param location string
param tags object
param functionAppName string

@description('Resource id of the Log Analytics workspace behind Application Insights; the workbook is filed under it and queries it.')
param workspaceId string

@description('Two intervals of RETRY_SCHEDULE, in minutes: an item is "now exhausted" when a run that recent reported it so.')
param heartbeatMinutes int

var appEvents = loadTextContent('app-events.kql')
var workspace = toLower(workspaceId)

var runsQuery = '''
appEvents
| where event in ('sweep.completed', 'sweep.failed', 'sweep.paused', 'sweep.skipped')
| summarize runs = count() by event, bin(TimeGenerated, 1h)
'''

var outcomesQuery = '''
appEvents
| where event == 'sweep.completed'
| summarize triggered = sum(toint(payload.totals.triggered)), dryRun = sum(toint(payload.totals.dryRun)), alreadyInProgress = sum(toint(payload.totals.alreadyInProgress)), postponed = sum(toint(payload.totals.postponed)), deferred = sum(toint(payload.totals.deferred)), failed = sum(toint(payload.totals.failed)), exhausted = sum(toint(payload.totals.exhausted)), cancelled = sum(toint(payload.totals.cancelled)), invalidRows = sum(toint(payload.totals.invalid)) by bin(TimeGenerated, 1h)
'''

var subscriptionsQuery = '''
appEvents
| where event in ('retry.triggered', 'retry.dryRun', 'retry.alreadyInProgress', 'retry.postponed', 'retry.deferred', 'retry.failed', 'retry.exhausted', 'retry.cancelled')
| extend subscriptionId = tolower(tostring(payload.subscriptionId)), itemId = tolower(tostring(payload.itemId))
| summarize triggered = countif(event == 'retry.triggered'), dryRun = countif(event == 'retry.dryRun'), alreadyInProgress = countif(event == 'retry.alreadyInProgress'), postponed = countif(event == 'retry.postponed'), deferred = countif(event == 'retry.deferred'), failed = countif(event == 'retry.failed'), exhausted = countif(event == 'retry.exhausted'), cancelled = countif(event == 'retry.cancelled'), items = dcount(itemId), lastAction = max(TimeGenerated) by subscriptionId
| order by failed desc, exhausted desc, subscriptionId asc
'''

// "Now exhausted": the item's latest action is retry.exhausted and a run that recent reported it. The last error is
// the latest one the app itself logged for the item (a refused trigger, a failed operation); the backup job's own
// error is in the vault and in the run's report.
var exhaustedQuery = format('''
let actions = appEvents
    | where event in ('retry.triggered', 'retry.dryRun', 'retry.alreadyInProgress', 'retry.postponed', 'retry.deferred', 'retry.failed', 'retry.exhausted', 'retry.cancelled')
    | extend itemId = tolower(tostring(payload.itemId)), subscriptionId = tolower(tostring(payload.subscriptionId)), workload = tostring(payload.workload), reason = tostring(payload.reason), errorCode = tostring(payload.error.code), errorMessage = tostring(payload.error.message);
actions
| summarize arg_max(TimeGenerated, event, subscriptionId, workload, reason) by itemId
| where event == 'retry.exhausted' and TimeGenerated > ago({0}m)
| join kind=leftouter (actions | where event == 'retry.exhausted' | summarize exhaustedSince = min(TimeGenerated) by itemId) on itemId
| join kind=leftouter (actions | where isnotempty(errorCode) | summarize arg_max(TimeGenerated, errorCode, errorMessage) by itemId | project itemId, lastErrorAt = TimeGenerated, lastErrorCode = errorCode, lastErrorMessage = errorMessage) on itemId
| project itemId, subscriptionId, workload, exhaustedSince, lastSeen = TimeGenerated, reason, lastErrorCode, lastErrorMessage, lastErrorAt
| order by exhaustedSince asc
''', heartbeatMinutes)

var errorsQuery = '''
appEvents
| where event in ('retry.failed', 'retry.postponed', 'query.failed', 'sweep.failed')
| extend code = tostring(payload.error.code)
| where isnotempty(code)
| summarize occurrences = count(), items = dcount(tolower(tostring(payload.itemId))), lastSeen = max(TimeGenerated), example = take_any(tostring(payload.error.message)) by code, event
| top 20 by occurrences
'''

// Each panel queries the workspace over the workbook's time range.
var panel = {
  version: 'KqlItem/1.0'
  queryType: 0
  resourceType: 'microsoft.operationalinsights/workspaces'
  crossComponentResources: [
    workspace
  ]
  timeContextFromParameter: 'TimeRange'
}

var serializedData = {
  version: 'Notebook/1.0'
  items: [
    {
      type: 1
      name: 'about'
      content: {
        json: '## Backup retries (${functionAppName})\nWhat the app did, from its own log events in this workspace. The alerts and what to do about each are in the README, "The alerts".'
      }
    }
    {
      type: 9
      name: 'parameters'
      content: {
        version: 'KqlParameterItem/1.0'
        parameters: [
          {
            id: 'time-range'
            version: 'KqlParameterItem/1.0'
            name: 'TimeRange'
            label: 'Time range'
            type: 4
            isRequired: true
            value: {
              durationMs: 604800000
            }
            typeSettings: {
              selectableValues: [
                {
                  durationMs: 86400000
                }
                {
                  durationMs: 259200000
                }
                {
                  durationMs: 604800000
                }
                {
                  durationMs: 1209600000
                }
                {
                  durationMs: 2592000000
                }
              ]
              allowCustom: true
            }
          }
        ]
        style: 'pills'
        queryType: 0
        resourceType: 'microsoft.operationalinsights/workspaces'
      }
    }
    {
      type: 3
      name: 'runs'
      content: union(panel, {
        title: 'Runs per hour: completed, failed, paused and skipped ticks (a gap is a stop)'
        query: '${appEvents}${runsQuery}'
        size: 1
        visualization: 'barchart'
      })
    }
    {
      type: 3
      name: 'outcomes'
      content: union(panel, {
        title: 'Sweeps over time, by outcome (the totals of each run\'s sweep.completed, per hour)'
        query: '${appEvents}${outcomesQuery}'
        size: 0
        visualization: 'barchart'
      })
    }
    {
      type: 3
      name: 'subscriptions'
      content: union(panel, {
        title: 'Per subscription: items and outcomes'
        query: '${appEvents}${subscriptionsQuery}'
        size: 0
        visualization: 'table'
      })
    }
    {
      type: 3
      name: 'exhausted'
      content: union(panel, {
        title: 'Items now exhausted: a person must fix them (README "The alerts")'
        query: '${appEvents}${exhaustedQuery}'
        size: 0
        visualization: 'table'
        noDataMessage: 'No item is exhausted.'
      })
    }
    {
      type: 3
      name: 'errors'
      content: union(panel, {
        title: 'Top error codes'
        query: '${appEvents}${errorsQuery}'
        size: 0
        visualization: 'table'
      })
    }
  ]
  fallbackResourceIds: [
    workspace
  ]
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, functionAppName, 'workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Backup retries (${functionAppName})'
    category: 'workbook'
    sourceId: workspace
    version: 'Notebook/1.0'
    serializedData: string(serializedData)
  }
}
