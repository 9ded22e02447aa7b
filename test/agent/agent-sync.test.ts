import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Agent } from '../../src/agent/agent.js'
import { createAgentMetrics } from '../../src/agent/agent-metrics.js'
import { namespaceObject, podObject, policyObject, sleep, waitFor } from './api-objects.js'
import { recordingDataplane, type RecordingDataplane } from './recording-dataplane.js'
import { TestApiServer } from '../../testing/test-api-server.js'

/** Local pod IPs in a dispatch map of the compiled script: the pods isolated on that side. */
function isolated(script: string | undefined, side: 'in' | 'eg'): string[] {
  if (!script) return []
  const m = new RegExp(`map ${side}_v4 \\{[^}]*?elements = \\{ ([^}]*) \\}`).exec(script)
  if (!m) return []
  return m[1]
    .split(',')
    .map((e) => e.trim().split(' ')[0])
    .sort()
}

interface Harness {
  api: TestApiServer
  agent: Agent
  dp: RecordingDataplane
  logs: Record<string, unknown>[]
}

describe('agent sync: informers -> state -> ruleset', () => {
  let h: Harness

  beforeEach(async () => {
    const api = await TestApiServer.start()
    api.create('namespaces', namespaceObject('prod', { team: 'a' }))
    api.create('namespaces', namespaceObject('dev'))
    api.create('pods', podObject('prod', 'web', { ip: '10.1.0.10', node: 'node-a', labels: { app: 'web' } }))
    api.create('pods', podObject('prod', 'db', { ip: '10.1.0.11', node: 'node-a', labels: { app: 'db' }, ports: [{ containerPort: 5432 }] }))
    api.create('pods', podObject('prod', 'remote', { ip: '10.2.0.10', node: 'node-b', labels: { app: 'db' } }))
    api.create('pods', podObject('dev', 'client', { ip: '10.2.0.11', node: 'node-b', labels: { app: 'client' } }))
    const logs: Record<string, unknown>[] = []
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>)
        cb()
      },
    })
    const dp = recordingDataplane('node-a')
    const agent = new Agent({
      nodeName: 'node-a',
      kubeConfig: api.kubeConfig(),
      dataplane: dp,
      logger: pino({ level: 'debug' }, sink),
      metrics: createAgentMetrics({ defaultMetrics: false }),
      minSyncIntervalMs: 50,
      resyncIntervalMs: 0,
      watch: { backoffInitialMs: 20, backoffMaxMs: 100 },
    })
    agent.start()
    h = { api, agent, dp, logs }
    await waitFor(() => agent.status().ready, 'first apply')
  })

  afterEach(async () => {
    await h.agent.stop()
    await h.api.close()
  })

  it('applies once after the first full sync, with every object and no isolation yet', () => {
    expect(h.dp.applied).toHaveLength(1)
    const state = h.agent.currentState()
    expect(state.pods.map((p) => `${p.namespace}/${p.name}`)).toEqual(['dev/client', 'prod/db', 'prod/remote', 'prod/web'])
    expect(state.namespaces.find((n) => n.name === 'prod')?.labels.team).toBe('a')
    expect(isolated(h.agent.appliedScript(), 'in')).toEqual([])
    // Startup and apply are structured log lines.
    expect(h.logs.some((l) => l.event === 'start' && l.node === 'node-a')).toBe(true)
    const apply = h.logs.find((l) => l.event === 'apply')!
    expect(apply).toMatchObject({ pods: 4, localPods: 2, policies: 0 })
    expect(typeof apply.durationMs).toBe('number')
    expect(apply.rulesetBytes).toBe(Buffer.byteLength(h.dp.applied[0]))
  })

  it('a policy created, updated and deleted through the API changes the applied ruleset each time, only for local pods', async () => {
    h.api.create('networkpolicies', policyObject('prod', 'db-ingress', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'] }))
    await waitFor(() => isolated(h.agent.appliedScript(), 'in').length > 0, 'policy applied')
    // Only prod/db is on node-a; prod/remote (node-b) is selected too but not enforced here.
    expect(isolated(h.agent.appliedScript(), 'in')).toEqual(['10.1.0.11'])
    expect(isolated(h.agent.appliedScript(), 'eg')).toEqual([])

    h.api.update('networkpolicies', policyObject('prod', 'db-ingress', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }))
    await waitFor(() => isolated(h.agent.appliedScript(), 'eg').length > 0, 'update applied')
    expect(isolated(h.agent.appliedScript(), 'in')).toEqual(['10.1.0.10', '10.1.0.11'])
    expect(isolated(h.agent.appliedScript(), 'eg')).toEqual(['10.1.0.10', '10.1.0.11'])

    h.api.delete('networkpolicies', 'db-ingress', 'prod')
    await waitFor(() => isolated(h.agent.appliedScript(), 'in').length === 0, 'delete applied')
    expect(h.agent.appliedScript()).toBe(h.dp.applied[0])
  })

  it('namespace label changes re-resolve namespaceSelectors', async () => {
    h.api.create(
      'networkpolicies',
      policyObject('prod', 'from-team-b', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'b' } } }] }],
      }),
    )
    await waitFor(() => isolated(h.agent.appliedScript(), 'in').length === 1, 'policy applied')
    const before = h.agent.appliedScript()!
    expect(before).not.toContain('10.2.0.11')
    h.api.update('namespaces', namespaceObject('dev', { team: 'b' }))
    await waitFor(() => h.agent.appliedScript()!.includes('10.2.0.11'), 'dev/client becomes an allowed peer')
  })

  it('coalesces a burst of events into few applies, and skips applies when the ruleset does not change', async () => {
    const applies = h.dp.applied.length
    // 30 pods on another node without any policy: the state changes, node-a's ruleset does not.
    for (let i = 0; i < 30; i++) h.api.create('pods', podObject('dev', `burst-${i}`, { ip: `10.2.1.${i + 1}`, node: 'node-b' }))
    await waitFor(() => h.agent.currentState().pods.length === 34, 'burst seen')
    await sleep(100)
    expect(h.dp.applied.length).toBe(applies)
    expect(h.dp.compiled.length - 1).toBeLessThan(30)
    // A burst that does change the ruleset: at most two applies (one may start before the rest arrive).
    for (let i = 0; i < 30; i++) h.api.create('networkpolicies', policyObject('prod', `deny-${i}`, { podSelector: { matchLabels: { app: 'web' } } }))
    await waitFor(() => h.agent.currentState().policies.length === 30 && isolated(h.agent.appliedScript(), 'in').length === 1, 'burst applied')
    await sleep(100)
    expect(h.dp.applied.length - applies).toBeLessThanOrEqual(2)
  })

  it('hostNetwork pods on the node are neither selected nor enforced', async () => {
    h.api.create('pods', podObject('prod', 'node-exporter', { ip: '192.168.0.5', node: 'node-a', hostNetwork: true }))
    h.api.create('networkpolicies', policyObject('prod', 'deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }))
    await waitFor(() => isolated(h.agent.appliedScript(), 'in').length > 0, 'policy applied')
    expect(isolated(h.agent.appliedScript(), 'in')).toEqual(['10.1.0.10', '10.1.0.11'])
    expect(h.agent.appliedScript()).not.toMatch(/192\.168\.0\.5 : goto/)
  })

  it('an invalid policy from the API is logged and enforced fail-closed for the pods it selects', async () => {
    h.api.create(
      'networkpolicies',
      policyObject('prod', 'broken', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] }),
    )
    await waitFor(() => isolated(h.agent.appliedScript(), 'in').length > 0, 'fail-closed policy applied')
    expect(isolated(h.agent.appliedScript(), 'in')).toEqual(['10.1.0.10'])
    // Isolated for both sides: nothing is known about what the broken policy would allow.
    expect(isolated(h.agent.appliedScript(), 'eg')).toEqual(['10.1.0.10'])
    const err = h.logs.find((l) => l.event === 'invalid-object')!
    expect(err.object).toBe('NetworkPolicy "prod/broken"')
    expect(String((err.errors as string[])[0])).toContain('spec.ingress[0].from[0].ipBlock.cidr')
  })

  it('an invalid pod is logged and fails closed: its valid address stays isolated by the deny-all that selects it', async () => {
    // One invalid podIPs entry next to a valid one: dropping the whole pod would take 10.1.0.99
    // out of the isolation map although the deny-all selects it.
    const bad = podObject('prod', 'bad-ip', { ip: '10.1.0.99', node: 'node-a' })
    ;(bad.status as Record<string, unknown>).podIPs = [{ ip: '10.1.0.99' }, { ip: '10.1.0.999' }]
    h.api.create('pods', bad)
    h.api.create('networkpolicies', policyObject('prod', 'deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }))
    await waitFor(() => isolated(h.agent.appliedScript(), 'in').length > 0, 'applied')
    expect(isolated(h.agent.appliedScript(), 'in')).toEqual(['10.1.0.10', '10.1.0.11', '10.1.0.99'])
    expect(isolated(h.agent.appliedScript(), 'eg')).toEqual(['10.1.0.10', '10.1.0.11', '10.1.0.99'])
    expect(h.agent.currentState().pods.find((p) => p.name === 'bad-ip')?.ips).toEqual(['10.1.0.99'])
    const err = h.logs.find((l) => l.event === 'invalid-object' && l.object === 'Pod "prod/bad-ip"')!
    expect(String((err.errors as string[])[0])).toContain('status.podIPs[1].ip')
    expect(String(err.msg)).toContain('enforced with the parts that can be read')
  })

  it('an invalid pod whose nodeName cannot be read is isolated on this node too; its labels still select exactly', async () => {
    const bad = podObject('prod', 'odd', { ip: '10.3.0.7', labels: { app: 'db' } })
    ;(bad.spec as Record<string, unknown>).nodeName = 42
    h.api.create('pods', bad)
    h.api.create('networkpolicies', policyObject('prod', 'db-ingress', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'] }))
    await waitFor(() => isolated(h.agent.appliedScript(), 'in').length > 0, 'applied')
    expect(isolated(h.agent.appliedScript(), 'in')).toEqual(['10.1.0.11', '10.3.0.7'])
    expect(isolated(h.agent.appliedScript(), 'eg')).toEqual([])
  })

  it('keeps the applied ruleset while the API is unreachable, and resumes without reapplying', async () => {
    h.api.create('networkpolicies', policyObject('prod', 'deny-all', { podSelector: {} }))
    await waitFor(() => isolated(h.agent.appliedScript(), 'in').length === 2, 'applied')
    const applies = h.dp.applied.length
    const compiles = h.dp.compiled.length
    h.api.failNext(10_000, 503)
    h.api.dropWatches()
    await waitFor(() => h.logs.filter((l) => l.event === 'api-error').length >= 6, 'API errors reported')
    expect(h.dp.applied.length).toBe(applies)
    expect(h.agent.status().ready).toBe(true)
    expect(h.logs.find((l) => l.event === 'api-error')?.rulesetKept).toBe(true)
    h.api.clearFailures()
    await waitFor(() => Object.values(h.agent.status().connected).every(Boolean), 'reconnected')
    await sleep(100)
    // Reconnecting resumed the watches: nothing changed, nothing was recompiled or reapplied.
    expect(h.dp.applied.length).toBe(applies)
    expect(h.dp.compiled.length).toBe(compiles)
  })

  it('after an expired resourceVersion, relists and applies the final state in one step (no partial state)', async () => {
    h.api.create('networkpolicies', policyObject('prod', 'deny-web', { podSelector: { matchLabels: { app: 'web' } } }))
    await waitFor(() => isolated(h.agent.appliedScript(), 'in').length === 1, 'applied')
    const applies = h.dp.applied.length
    const compiles = h.dp.compiled.length
    h.api.failNext(10_000, 503, (r) => r.watch)
    h.api.dropWatches()
    await waitFor(() => h.logs.filter((l) => l.event === 'api-error').length >= 3, 'watches down')
    // While the agent cannot watch: the policy moves to the db pod, a pod goes, another comes; history is compacted.
    h.api.delete('networkpolicies', 'deny-web', 'prod')
    h.api.create('networkpolicies', policyObject('prod', 'deny-db', { podSelector: { matchLabels: { app: 'db' } } }))
    h.api.delete('pods', 'web', 'prod')
    h.api.create('pods', podObject('prod', 'web2', { ip: '10.1.0.12', node: 'node-a', labels: { app: 'web' } }))
    h.api.compact()
    h.api.clearFailures()
    await waitFor(() => isolated(h.agent.appliedScript(), 'in').join() === '10.1.0.11', 'final state applied')
    await sleep(150)
    expect(h.api.requests.filter((r) => !r.watch && r.path === '/apis/networking.k8s.io/v1/networkpolicies').length).toBe(2)
    // Each resource's relist replaced its store in one step: no compiled state ever held both the
    // old and the new pod (resources relist independently, as with any informer, so up to one
    // apply per resource may happen; the last is the final state).
    const after = h.dp.applied.slice(applies)
    expect(after.length).toBeGreaterThanOrEqual(1)
    expect(after.length).toBeLessThanOrEqual(3)
    for (const state of h.dp.compiled.slice(compiles)) {
      const names = state.pods.map((p) => p.name).sort()
      expect(names.includes('web') && names.includes('web2')).toBe(false)
    }
    expect(h.agent.currentState().pods.map((p) => p.name)).toContain('web2')
  })

  it('a failed apply keeps the previous ruleset, is reported, and is retried', async () => {
    h.dp.failNextApplies = 1
    h.api.create('networkpolicies', policyObject('prod', 'deny-all', { podSelector: {} }))
    await waitFor(() => h.logs.some((l) => l.event === 'apply-error'), 'apply error logged')
    expect(h.agent.status().lastError).toContain('Operation not permitted')
    await waitFor(() => isolated(h.agent.appliedScript(), 'in').length === 2, 'retried apply')
    expect(h.agent.status().applyErrors).toBe(1)
    expect(h.agent.status().lastError).toBeUndefined()
  })
})
