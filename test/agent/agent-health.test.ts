import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { Agent } from '../../src/agent/agent.js'
import { createAgentMetrics } from '../../src/agent/agent-metrics.js'
import { recordingDataplane } from './recording-dataplane.js'
import { namespaceObject, podObject, policyObject, sleep, waitFor } from './api-objects.js'
import { isolated, metricValue, startAgent, type AgentHarness } from './agent-harness.js'
import { TestApiServer } from '../../testing/test-api-server.js'

describe('agent readiness and liveness', () => {
  let api: TestApiServer
  let h: AgentHarness | undefined

  beforeEach(async () => {
    api = await TestApiServer.start()
    api.create('namespaces', namespaceObject('prod'))
    api.create('pods', podObject('prod', 'web', { ip: '10.1.0.10', node: 'node-a', labels: { app: 'web' } }))
  })
  afterEach(async () => {
    await h?.agent.stop()
    h = undefined
    await api.close()
  })

  const watchesOpen = (): boolean => Object.values(h!.agent.status().connected).every(Boolean)

  it('with a plain-http kubeconfig (no insecure-skip-tls-verify, as for kubectl proxy) both LIST and WATCH work', async () => {
    h = startAgent(api, { kubeconfigYaml: api.kubeconfigYaml(undefined, { skipTlsVerify: false }) })
    await waitFor(() => h!.agent.status().ready, 'ready')
    expect(watchesOpen()).toBe(true)
    api.create('networkpolicies', policyObject('prod', 'deny-all', { podSelector: {} }))
    await waitFor(() => isolated(h!.agent.appliedScript(), 'in').length === 1, 'watch event applied')
  })

  it('LIST works but every WATCH is refused: the listed state is applied, /readyz says not ready and why, until the watches open', async () => {
    api.failNext(1_000_000, 403, (r) => r.watch)
    h = startAgent(api, { readyGraceMs: 50 })
    await waitFor(() => h!.agent.status().applies === 1, 'listed state applied')
    await waitFor(() => h!.logs.filter((l) => l.event === 'api-error').length >= 6, 'several refused watches')
    const s = h.agent.status()
    expect(s.ready).toBe(false)
    expect(s.live).toBe(true)
    expect(s.notReady).toEqual([
      'namespaces: no watch has been open yet',
      'pods: no watch has been open yet',
      'networkpolicies: no watch has been open yet',
      'clusternetworkpolicies: no watch has been open yet',
      'nodes: no watch has been open yet',
    ])
    expect(await metricValue(h.metrics, 'netpol_agent_ready')).toBe(0)
    api.clearFailures()
    await waitFor(() => h!.agent.status().ready, 'ready once the watches are open')
    expect(await metricValue(h.metrics, 'netpol_agent_ready')).toBe(1)
  })

  it('a watch down longer than the grace period makes the agent not ready (the ruleset stays); reconnecting makes it ready again', async () => {
    h = startAgent(api, { readyGraceMs: 150 })
    await waitFor(() => h!.agent.status().ready, 'ready')
    const applies = h.dp.applied.length
    api.failNext(1_000_000, 503, (r) => r.watch && r.path === '/api/v1/pods')
    api.dropWatches()
    // The other watches reconnect at once (on a busy machine, maybe after the grace period too); pods' stays down.
    const podsOnly = (notReady: readonly string[]): boolean => notReady.length === 1 && /^pods: no live watch for \d+(\.\d)? s$/.test(notReady[0])
    await waitFor(() => podsOnly(h!.agent.status().notReady), 'not ready after the grace period, for pods alone')
    expect(h.agent.status().ready).toBe(false)
    expect(h.dp.applied.length).toBe(applies)
    api.clearFailures()
    await waitFor(() => h!.agent.status().ready, 'ready again')
  })

  it('changes that cannot be applied (nft refuses) for longer than the grace period: not ready, still live', async () => {
    h = startAgent(api, { readyGraceMs: 150 })
    await waitFor(() => h!.agent.status().ready, 'ready')
    h.dp.failNextApplies = 1_000_000
    api.create('networkpolicies', policyObject('prod', 'deny-all', { podSelector: {} }))
    await waitFor(() => !h!.agent.status().ready, 'not ready while the change is not applied')
    const s = h.agent.status()
    expect(s.live).toBe(true)
    expect(s.notReady).toEqual([expect.stringMatching(/^changes waiting \d+(\.\d)? s to be applied \(last error: netlink: Error: .*Operation not permitted/)])
    h.dp.failNextApplies = 0
    await waitFor(() => h!.agent.status().ready, 'ready once applied')
    expect(isolated(h.agent.appliedScript(), 'in')).toEqual(['10.1.0.10'])
  })

  it('liveness fails only when a sync is stuck (nft never returns), and recovers when it finishes', async () => {
    h = startAgent(api, { stuckAfterMs: 150 })
    await waitFor(() => h!.agent.status().ready, 'ready')
    expect(h.agent.status().live).toBe(true)
    h.dp.hold = true
    api.create('networkpolicies', policyObject('prod', 'deny-all', { podSelector: {} }))
    await waitFor(() => !h!.agent.status().live, 'stuck sync detected')
    h.dp.release()
    await waitFor(() => h!.agent.status().live && isolated(h!.agent.appliedScript(), 'in').length === 1, 'live again')
  })

  it('a sync that throws (the compiler refuses its input) is logged and retried; the agent stays up and the ruleset stays', async () => {
    h = startAgent(api, { readyGraceMs: 60_000 })
    await waitFor(() => h!.agent.status().ready, 'ready')
    const applied = h.agent.appliedScript()
    h.dp.failNextCompiles = 2
    api.create('networkpolicies', policyObject('prod', 'deny-all', { podSelector: {} }))
    await waitFor(() => h!.logs.some((l) => l.event === 'sync-error'), 'sync error logged')
    expect(h.agent.appliedScript()).toBe(applied)
    expect(h.logs.find((l) => l.event === 'sync-error')).toMatchObject({ err: 'duplicate nft name pol_in_x_0123456789 (injected)', rulesetKept: true })
    await waitFor(() => isolated(h!.agent.appliedScript(), 'in').length === 1, 'retried and applied')
    expect(await metricValue(h.metrics, 'netpol_agent_sync_errors_total')).toBe(2)
  })

  it('a resync interval beyond the timer limit (2,147,484 s) does not fire every millisecond', async () => {
    h = startAgent(api, { resyncIntervalMs: 2_147_484_000 })
    await waitFor(() => h!.agent.status().applies === 1, 'first apply')
    await sleep(300)
    expect(h.agent.status().applies).toBe(1)
  })

  it('refuses durations that are not finite numbers >= 0', () => {
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
      expect(() => new Agent({ ...startArgs(api), resyncIntervalMs: bad })).toThrow(/resyncIntervalMs must be a finite number >= 0/)
      expect(() => new Agent({ ...startArgs(api), minSyncIntervalMs: bad })).toThrow(/minSyncIntervalMs/)
    }
  })
})

function startArgs(api: TestApiServer): ConstructorParameters<typeof Agent>[0] {
  return {
    nodeName: 'node-a',
    kubeConfig: api.kubeConfig(),
    dataplane: recordingDataplane('node-a'),
    logger: pino({ level: 'silent' }),
    metrics: createAgentMetrics({ defaultMetrics: false }),
  }
}
