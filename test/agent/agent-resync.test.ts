import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { namespaceObject, podObject, policyObject, waitFor } from './api-objects.js'
import { isolated, startAgent, type AgentHarness } from './agent-harness.js'
import { TestApiServer } from '../../testing/test-api-server.js'

describe('agent resync', () => {
  let api: TestApiServer
  let h: AgentHarness | undefined

  beforeEach(async () => {
    api = await TestApiServer.start()
    api.create('namespaces', namespaceObject('prod'))
    api.create('pods', podObject('prod', 'web', { ip: '10.1.0.10', node: 'node-a', labels: { app: 'web' } }))
    api.create('networkpolicies', policyObject('prod', 'deny-all', { podSelector: {} }))
  })
  afterEach(async () => {
    await h?.agent.stop()
    h = undefined
    await api.close()
  })

  it('re-applies the unchanged ruleset at each resync, and retries a refused re-apply as a re-apply (a table deleted by hand is restored)', async () => {
    h = startAgent(api, { resyncIntervalMs: 1500 })
    await waitFor(() => h!.agent.status().ready && h!.dp.applied.length === 1, 'first apply')
    const script = h.agent.appliedScript()
    expect(isolated(script, 'in')).toEqual(['10.1.0.10'])
    // Nothing changes: the resync applies the same script again.
    await waitFor(() => h!.dp.applied.length === 2, 'resync applied')
    expect(h.dp.applied[1]).toBe(script)
    // The next resync's apply is refused; its retry must apply again, not find the state "unchanged".
    h.dp.failNextApplies = 1
    await waitFor(() => h!.logs.some((l) => l.event === 'apply-error'), 'resync apply refused')
    const after = h.logs.findIndex((l) => l.event === 'apply-error')
    await waitFor(() => h!.logs.slice(after).some((l) => l.event === 'apply' || l.event === 'sync'), 'retry')
    expect(h.logs.slice(after).find((l) => l.event === 'apply' || l.event === 'sync')?.event).toBe('apply')
    expect(h.dp.applied[2]).toBe(script)
  })
})
