// What the on-call engineer hears from the app: three log search alerts on its own events (app-events.kql), each
// stateful (autoMitigate): it notifies once when its condition starts, never again while it holds, and resolves
// itself when it clears. They notify through one action group: emails and an optional webhook.
param location string
param tags object
param functionAppName string

@description('Resource id of the Log Analytics workspace behind Application Insights.')
param workspaceId string

@description('Email addresses to notify. With none and no webhook there is no action group: the alerts show in Azure Monitor only.')
param emails array = []

@secure()
@description('URL that receives every alert in the common alert schema (a Teams workflow, a pager); empty = none.')
param webhookUrl string = ''

// The windows a log search alert accepts (PT5M to P2D), from 30 minutes: the heartbeat is checked every 15.
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
@description('Two intervals of RETRY_SCHEDULE, in minutes: the heartbeat fires when no run ended for this long.')
param heartbeatMinutes int = 120

var appEvents = loadTextContent('app-events.kql')
var heartbeatWindow = heartbeatMinutes < 60
  ? 'PT${heartbeatMinutes}M'
  : (heartbeatMinutes < 1440 ? 'PT${heartbeatMinutes / 60}H' : 'P${heartbeatMinutes / 1440}D')
var notify = !empty(emails) || !empty(webhookUrl)

resource onCall 'Microsoft.Insights/actionGroups@2023-01-01' = if (notify) {
  name: 'ag-${functionAppName}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'retrybackup'
    enabled: true
    emailReceivers: [
      for (email, i) in emails: {
        name: 'email-${i}'
        emailAddress: email
        useCommonAlertSchema: true
      }
    ]
    webhookReceivers: empty(webhookUrl)
      ? []
      : [
          {
            name: 'webhook'
            serviceUri: webhookUrl
            useCommonAlertSchema: true
          }
        ]
  }
}

var actions = {
  actionGroups: notify ? [onCall.id] : []
}

// A run that ends logs sweep.completed; a paused tick logs sweep.paused. Neither for two intervals: the timer
// stopped, the host is down, or the app never started. The empty datatable in appEvents makes that last case a
// result of zero rows (which fires) rather than a failed query.
var heartbeatQuery = '''
appEvents
| where event in ('sweep.completed', 'sweep.paused')
| project TimeGenerated, event, runId = tostring(payload.runId)
'''

resource heartbeat 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${functionAppName}-stopped-sweeping'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Backup retries stopped sweeping (${functionAppName})'
    description: 'No sweep.completed or sweep.paused event for ${heartbeatMinutes} minutes (two schedule intervals): the timer has not run a sweep. Check that the function app is running, that RETRY_SCHEDULE is what you expect, and its invocations and AppTraces for errors (README "Deploy", "The alerts").'
    severity: 1
    enabled: true
    scopes: [
      workspaceId
    ]
    evaluationFrequency: 'PT15M'
    windowSize: heartbeatWindow
    // AppTraces exists only once the app has logged; the rule must deploy before that.
    skipQueryValidation: true
    autoMitigate: true
    criteria: {
      allOf: [
        {
          query: '${appEvents}${heartbeatQuery}'
          timeAggregation: 'Count'
          operator: 'LessThan'
          threshold: 1
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: actions
  }
}

// One alert per item, when its latest action in the window is retry.exhausted. The item logs retry.exhausted on
// every run until its failure leaves the rule's look-back or a backup succeeds; the alert stays fired (and silent)
// all that time and resolves when the item stops being exhausted.
var exhaustedQuery = '''
appEvents
| where event in ('retry.triggered', 'retry.dryRun', 'retry.alreadyInProgress', 'retry.postponed', 'retry.deferred', 'retry.failed', 'retry.exhausted', 'retry.cancelled')
| extend itemId = tolower(tostring(payload.itemId)), subscriptionId = tolower(tostring(payload.subscriptionId)), workload = tostring(payload.workload), reason = tostring(payload.reason)
| summarize arg_max(TimeGenerated, event, subscriptionId, workload, reason) by itemId
| where event == 'retry.exhausted'
| project itemId, subscriptionId, workload, reason, lastSeen = TimeGenerated
'''

resource exhausted 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${functionAppName}-item-exhausted'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'A backup item ran out of retries (${functionAppName})'
    description: 'The app stopped retrying this item: its attempt budget is spent (retry.exhausted). Retrying will not fix it; a person must. Look at the item\'s failed backup jobs in its vault (the job\'s error says what is wrong), fix the cause, then run a backup. The alert resolves by itself once the item is no longer exhausted.'
    severity: 2
    enabled: true
    scopes: [
      workspaceId
    ]
    evaluationFrequency: 'PT15M'
    // Two schedule intervals: every item's latest run is inside the window.
    windowSize: heartbeatWindow
    skipQueryValidation: true
    autoMitigate: true
    criteria: {
      allOf: [
        {
          query: '${appEvents}${exhaustedQuery}'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          // Each item is its own alert; the subscription and workload follow from the item and name it in the mail.
          dimensions: [
            {
              name: 'itemId'
              operator: 'Include'
              values: [
                '*'
              ]
            }
            {
              name: 'subscriptionId'
              operator: 'Include'
              values: [
                '*'
              ]
            }
            {
              name: 'workload'
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
    actions: actions
  }
}

// One alert per run that needs a person: some trigger failed, some query failed, the run could not happen, or it lost
// its lease (another instance may have swept beside it, and what it had not sent yet was not sent). The
// counts come from the run's last lines (sweep.completed, sweep.failed), so they are final; the per-item and
// per-query errors of the same run add their codes and count the refusals (HTTP 403) that point at a missing role.
var digestQuery = '''
appEvents
| where event in ('sweep.completed', 'sweep.failed', 'query.failed', 'retry.failed', 'run.leaseLost')
| extend run = coalesce(tostring(payload.runId), tostring(payload.invocationId))
| extend failedItems = iff(event == 'sweep.completed', coalesce(toint(payload.totals.failed), 0), 0)
| extend failedQueries = iff(event == 'sweep.completed', coalesce(toint(payload.failedQueries), 0), 0)
| extend errorCode = tostring(payload.error.code)
| extend denied = toint(payload.error.status) == 403 or errorCode in ('AuthorizationFailed', 'LinkedAuthorizationFailed')
| summarize runFailed = countif(event == 'sweep.failed'), leaseLost = countif(event == 'run.leaseLost'), failedItems = max(failedItems), failedQueries = max(failedQueries), refused = countif(denied), errorCodes = make_set_if(errorCode, isnotempty(errorCode), 10), trigger = take_anyif(tostring(payload.trigger), isnotempty(tostring(payload.trigger))), endedAt = max(TimeGenerated) by run
| where runFailed > 0 or failedItems > 0 or failedQueries > 0 or leaseLost > 0
| project run, trigger, endedAt, failedItems, failedQueries, runFailed, leaseLost, refused, errorCodes
'''

resource digest 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${functionAppName}-run-failures'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'A backup retry run had failures (${functionAppName})'
    description: 'A run ended with failed triggers (totals.failed), failed queries (failedQueries), could not run at all (sweep.failed) or lost its run lease part-way (run.leaseLost: it sent nothing more, and another instance may have swept beside it). The results list the counts, the error codes and how many requests were refused (HTTP 403: the identity lacks Reader or Backup Operator on a target). Read the run\'s events by its runId (README "Logs").'
    severity: 2
    enabled: true
    scopes: [
      workspaceId
    ]
    evaluationFrequency: 'PT15M'
    // Twice the frequency: an event ingested late is still seen; the run stays one alert because it is one dimension.
    windowSize: 'PT30M'
    skipQueryValidation: true
    autoMitigate: true
    criteria: {
      allOf: [
        {
          query: '${appEvents}${digestQuery}'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            {
              name: 'run'
              operator: 'Include'
              values: [
                '*'
              ]
            }
            {
              name: 'trigger'
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
    actions: actions
  }
}
