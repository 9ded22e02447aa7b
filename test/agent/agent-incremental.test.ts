/**
 * How the agent applies an update: a full replace at start-up, on the resync interval and after a
 * failed apply; an incremental update (one transaction of what changed) otherwise; a refused
 * incremental update is followed by a full replace in the same sync. Logs and
 * netpol_agent_applies_total say which kind each apply was. The data plane is the recording one
 * with the real delta, applied through the interpreter to the ruleset it holds (so a delta that
 * does not fit the "kernel" is refused, as nft would).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { namespaceObject, podObject, policyObject, waitFor } from './api-objects.js'
import { isolated, metricValue, startAgent, type AgentHarness } from './agent-harness.js'
import { TestApiServer } from '../../testing/test-api-server.js'

describe('agent: full replace and incremental updates', () => {
  let api: TestApiServer
  let h: AgentHarness | undefined

  beforeEach(async () => {
    api = await TestApiServer.start()
    api.create('namespaces', namespaceObject('prod'))
    api.create('pods', podObject('prod', 'web', { ip: '10.1.0.10', node: 'node-a', labels: { app: 'web' } }))
    api.create('pods', podObject('prod', 'db', { ip: '10.1.0.11', node: 'node-a', labels: { app: 'db' } }))
  })
  afterEach(async () => {
    await h?.agent.stop()
    h = undefined
    await api.close()
  })

  const applyLogs = (): Record<string, unknown>[] => h!.logs.filter((l) => l.event === 'apply')

  it('starts with a full replace, then applies each change as an incremental update, logged and counted by kind', async () => {
    h = startAgent(api, { incremental: true })
    await waitFor(() => h!.agent.status().ready, 'first apply')
    expect(applyLogs()).toMatchObject([{ applyKind: 'full', fullReason: 'no ruleset applied yet' }])
    expect(h.dp.applied).toHaveLength(1)

    api.create('networkpolicies', policyObject('prod', 'db-ingress', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'] }))
    await waitFor(() => isolated(h!.dp.current(), 'in').length === 1, 'policy applied')
    api.create('pods', podObject('prod', 'db-2', { ip: '10.1.0.12', node: 'node-a', labels: { app: 'db' } }))
    await waitFor(() => isolated(h!.dp.current(), 'in').length === 2, 'pod applied')
    api.delete('networkpolicies', 'db-ingress', 'prod')
    await waitFor(() => isolated(h!.dp.current(), 'in').length === 0, 'delete applied')

    // One full replace; every later change went in as a delta, and the kernel holds the agent's script.
    expect(h.dp.applied).toHaveLength(1)
    expect(h.dp.deltas.length).toBeGreaterThanOrEqual(3)
    expect(h.dp.current()).toBe(h.agent.appliedScript())
    const incremental = applyLogs().slice(1)
    expect(incremental.every((l) => l.applyKind === 'incremental' && typeof l.deltaBytes === 'number')).toBe(true)
    expect(incremental.map((l) => l.msg)).toContain('ruleset updated (incremental)')
    expect(await metricValue(h.metrics, 'netpol_agent_applies_total', { result: 'ok', kind: 'full' })).toBe(1)
    expect(await metricValue(h.metrics, 'netpol_agent_applies_total', { result: 'ok', kind: 'incremental' })).toBe(h.dp.deltas.length)
  })

  it('a refused incremental update is followed by a full replace in the same sync (no backoff wait with the old ruleset)', async () => {
    h = startAgent(api, { incremental: true })
    await waitFor(() => h!.agent.status().ready, 'first apply')
    h.dp.failNextIncrementals = 1
    api.create('networkpolicies', policyObject('prod', 'deny-all', { podSelector: {}, policyTypes: ['Ingress'] }))
    await waitFor(() => isolated(h!.dp.current(), 'in').length === 2, 'policy applied')
    expect(h.logs.filter((l) => l.event === 'incremental-apply-error')).toMatchObject([{ level: 40, err: expect.stringContaining('injected') }])
    expect(applyLogs()[1]).toMatchObject({ applyKind: 'full', fullReason: 'the incremental update failed' })
    expect(h.logs.some((l) => l.event === 'apply-error')).toBe(false)
    expect(h.dp.applied).toHaveLength(2)
    expect(await metricValue(h.metrics, 'netpol_agent_applies_total', { result: 'error', kind: 'incremental' })).toBe(1)
    // Back to incremental updates afterwards.
    api.delete('networkpolicies', 'deny-all', 'prod')
    await waitFor(() => isolated(h!.dp.current(), 'in').length === 0, 'delete applied')
    expect(applyLogs().at(-1)).toMatchObject({ applyKind: 'incremental' })
  })

  it('after an apply that failed altogether, the next apply is a full replace', async () => {
    h = startAgent(api, { incremental: true, resyncIntervalMs: 0 })
    await waitFor(() => h!.agent.status().ready, 'first apply')
    h.dp.failNextIncrementals = 1
    h.dp.failNextApplies = 1
    api.create('networkpolicies', policyObject('prod', 'deny-all', { podSelector: {}, policyTypes: ['Ingress'] }))
    await waitFor(() => h!.logs.some((l) => l.event === 'apply-error'), 'apply refused')
    // The retry (after the backoff) replaces the whole ruleset, not a delta from what the agent believes is in the kernel.
    await waitFor(() => isolated(h!.dp.current(), 'in').length === 2, 'retry applied', 15_000)
    expect(applyLogs().at(-1)).toMatchObject({ applyKind: 'full', fullReason: 'the last apply failed' })
    expect(h.dp.deltas).toEqual([])
  })

  it('each resync replaces the whole ruleset, repairing a table changed by hand (drift), then updates are incremental again', async () => {
    h = startAgent(api, { incremental: true, resyncIntervalMs: 1500 })
    await waitFor(() => h!.agent.status().ready, 'first apply')
    const script = h.agent.appliedScript()!
    // Someone empties netpol's table by hand: the agent cannot see it until the resync.
    await h.dp.apply('table inet netpol {\n}\n')
    await waitFor(() => h!.dp.current() === script, 'resync repaired the table')
    expect(applyLogs()[1]).toMatchObject({ applyKind: 'full', fullReason: 'a periodic resync' })
    api.create('networkpolicies', policyObject('prod', 'deny-all', { podSelector: {}, policyTypes: ['Ingress'] }))
    await waitFor(() => isolated(h!.dp.current(), 'in').length === 2, 'policy applied')
    expect(applyLogs().at(-1)).toMatchObject({ applyKind: 'incremental' })
  })

  it('a table changed by hand makes the next incremental update fail; the full replace that follows repairs it', async () => {
    h = startAgent(api, { incremental: true })
    await waitFor(() => h!.agent.status().ready, 'first apply')
    // The dispatch maps are gone: a delta that adds entries to them cannot apply.
    await h.dp.apply('table inet netpol {\n}\n')
    api.create('networkpolicies', policyObject('prod', 'deny-all', { podSelector: {}, policyTypes: ['Ingress'] }))
    await waitFor(() => isolated(h!.dp.current(), 'in').length === 2, 'policy applied')
    expect(h.logs.filter((l) => l.event === 'incremental-apply-error')).toHaveLength(1)
    expect(h.dp.current()).toBe(h.agent.appliedScript())
    expect(applyLogs().at(-1)).toMatchObject({ applyKind: 'full', fullReason: 'the incremental update failed' })
  })
})
