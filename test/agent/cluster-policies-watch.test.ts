/**
 * The agent's informer of ClusterNetworkPolicies, against the test API server: list and watch as
 * for every other kind, a cluster without the CRD (404) said once and re-checked, a CRD that
 * appears or goes away, a forbidden LIST, and invalid objects enforced fail-closed.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { FAIL_CLOSED_RULE } from '../../src/cluster/live-objects.js'
import { parseNftScript, runHook } from '../../src/dataplane/nft-interpreter.js'
import { parseIp } from '../../src/model/cidr.js'
import { namespaceObject, podObject, policyObject, sleep, waitFor } from './api-objects.js'
import { metricValue, startAgent, type AgentHarness } from './agent-harness.js'
import { TestApiServer } from '../../testing/test-api-server.js'

const CNP_PATH = '/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies'

const guardrail = {
  apiVersion: 'policy.networking.k8s.io/v1alpha2',
  kind: 'ClusterNetworkPolicy',
  metadata: { name: 'deny-\u202ecross-tenant' },
  spec: { tier: 'Admin', priority: 10, subject: { namespaces: {} }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] },
}

describe('agent: ClusterNetworkPolicies through an informer', () => {
  let api: TestApiServer
  let h: AgentHarness | undefined

  afterEach(async () => {
    await h?.agent.stop()
    h = undefined
    await api.close()
  })

  async function cluster(options: { crd: boolean }): Promise<void> {
    api = await TestApiServer.start({ clusterNetworkPolicies: options.crd })
    api.create('namespaces', namespaceObject('prod'))
    api.create('pods', podObject('prod', 'web', { ip: '10.1.0.10', node: 'node-a', labels: { app: 'web' } }))
    api.create('networkpolicies', policyObject('prod', 'deny-all', { podSelector: {} }))
  }

  const cnpNames = (): string[] => (h!.agent.currentState().clusterNetworkPolicies ?? []).map((p) => p.name)
  const cnpRequests = (watch: boolean): number => api.requests.filter((r) => r.path === CNP_PATH && r.watch === watch).length

  it('lists once, then follows creates, updates and deletes from the watch (no polling), with bookmarks', async () => {
    await cluster({ crd: true })
    api.create('clusternetworkpolicies', guardrail)
    h = startAgent(api)
    await waitFor(() => h!.agent.status().applies >= 1 && cnpNames().length === 1, 'first sync with the ClusterNetworkPolicy')
    await waitFor(() => api.openWatchesOf('clusternetworkpolicies') === 1, 'watching')
    expect(cnpRequests(false)).toBe(1)
    const watch = api.requests.find((r) => r.path === CNP_PATH && r.watch)!
    expect(watch.query).toMatchObject({ allowWatchBookmarks: 'true' })
    expect(Number(watch.query.resourceVersion)).toBeGreaterThan(0)

    api.create('clusternetworkpolicies', { metadata: { name: 'baseline' }, spec: { tier: 'Baseline', priority: 5, subject: { namespaces: {} }, egress: [] } })
    await waitFor(() => cnpNames().includes('baseline'), 'ADDED')
    const updated = structuredClone(api.get('clusternetworkpolicies', 'baseline')!)
    ;(updated.spec as { priority: number }).priority = 3
    api.update('clusternetworkpolicies', updated)
    await waitFor(() => h!.agent.currentState().clusterNetworkPolicies?.find((p) => p.name === 'baseline')?.spec.priority === 3, 'MODIFIED')
    api.sendBookmarks()
    api.delete('clusternetworkpolicies', 'baseline')
    await waitFor(() => !cnpNames().includes('baseline'), 'DELETED')
    expect(await metricValue(h.metrics, 'netpol_agent_watch_events_total', { resource: 'clusternetworkpolicies', type: 'BOOKMARK' })).toBe(1)
    expect(cnpRequests(false)).toBe(1)
    expect(await metricValue(h.metrics, 'netpol_agent_cluster_network_policies', { tier: 'Admin' })).toBe(1)
  })

  it('relists after 410 Gone, seeing a delete that happened while it was not watching', async () => {
    await cluster({ crd: true })
    api.create('clusternetworkpolicies', guardrail)
    h = startAgent(api)
    await waitFor(() => cnpNames().length === 1 && api.openWatchesOf('clusternetworkpolicies') === 1, 'watching')
    api.failNext(1_000, 503, (r) => r.watch && r.path === CNP_PATH)
    api.dropWatches()
    await waitFor(() => h!.logs.some((l) => l.event === 'api-error' && l.resource === 'clusternetworkpolicies'), 'lost the watch')
    api.delete('clusternetworkpolicies', guardrail.metadata.name)
    api.compact()
    api.clearFailures()
    await waitFor(() => cnpNames().length === 0, 'relisted')
    expect(cnpRequests(false)).toBe(2)
  })

  it('enforces them: an Admin Accept created through the API opens what a NetworkPolicy closes, in the compiled ruleset; deleted, it closes again', async () => {
    await cluster({ crd: true })
    api.create('pods', podObject('prod', 'client', { ip: '10.1.0.11', node: 'node-b', labels: { app: 'client' } }))
    h = startAgent(api)
    await waitFor(() => h!.agent.status().ready, 'ready')
    // client (node-b) -> web (node-a, isolated by deny-all): the verdict of node-a's forward hook.
    const verdict = (): string => {
      const packet = {
        family: 4 as const,
        saddr: parseIp('10.1.0.11')!.value,
        daddr: parseIp('10.1.0.10')!.value,
        l4proto: 6,
        sport: 40000,
        dport: 80,
        ctState: 'new' as const,
      }
      return runHook(parseNftScript(h!.agent.appliedScript()!), 'forward', packet).verdict
    }
    expect(verdict()).toBe('drop')
    const accept = {
      metadata: { name: 'accept-client' },
      spec: {
        tier: 'Admin',
        priority: 1,
        subject: { namespaces: {} },
        ingress: [{ name: 'client', action: 'Accept', from: [{ pods: { podSelector: { matchLabels: { app: 'client' } } } }] }],
      },
    }
    api.create('clusternetworkpolicies', accept)
    await waitFor(() => cnpNames().length === 1 && verdict() === 'accept', 'accepted by the Admin tier')
    expect(h.agent.status().ready).toBe(true)
    expect(h.agent.status().notReady).toEqual([])
    api.delete('clusternetworkpolicies', 'accept-client')
    await waitFor(() => cnpNames().length === 0 && verdict() === 'drop', 'dropped again')
  })

  it('a cluster without the CRD (404): ready, said once in the log and in the status notes, re-checked, and watched once the CRD appears', async () => {
    await cluster({ crd: false })
    h = startAgent(api, { crdRecheckIntervalMs: 50 })
    await waitFor(() => h!.agent.status().ready, 'ready')
    await waitFor(() => cnpRequests(false) >= 3, 'asked three times')
    const status = h.agent.status()
    expect(status.ready).toBe(true)
    expect(status.synced.clusternetworkpolicies).toBe(true)
    expect(status.notes).toEqual([
      'clusternetworkpolicies: not served (CRD clusternetworkpolicies.policy.networking.k8s.io not installed): ' +
        'no Admin or Baseline tier to enforce; checked again every 0.1 s',
    ])
    expect(h.logs.filter((l) => l.event === 'crd-not-served')).toHaveLength(1)
    expect(h.logs.some((l) => l.event === 'api-error')).toBe(false)
    expect(h.agent.currentState().clusterNetworkPolicies).toEqual([])

    api.serveClusterNetworkPolicies(true)
    api.create('clusternetworkpolicies', guardrail)
    await waitFor(() => cnpNames().length === 1, 'the new CRD listed')
    await waitFor(() => api.openWatchesOf('clusternetworkpolicies') === 1, 'and watched')
    expect(h.agent.status().notes).toEqual([])
    expect(h.logs.filter((l) => l.event === 'crd-served')).toHaveLength(1)
  })

  it('a CRD removed: its objects go (DELETED events); a 404 after it was served is believed only when the next check confirms it', async () => {
    await cluster({ crd: true })
    api.create('clusternetworkpolicies', guardrail)
    h = startAgent(api, { crdRecheckIntervalMs: 300 })
    await waitFor(() => cnpNames().length === 1 && api.openWatchesOf('clusternetworkpolicies') === 1, 'watching')
    // A restarting API server may answer 404 for a served CRD for a moment: the store is kept.
    api.failNext(1, 404, (r) => r.path === CNP_PATH && !r.watch)
    api.expireWatches()
    await waitFor(() => api.requests.some((r) => r.path === CNP_PATH && r.status === 404), 'one 404')
    await sleep(100)
    expect(cnpNames()).toEqual([guardrail.metadata.name])
    expect(h.logs.some((l) => l.event === 'crd-not-served')).toBe(false)
    await waitFor(() => api.openWatchesOf('clusternetworkpolicies') === 1, 'watching again after the next check')
    expect(cnpNames()).toEqual([guardrail.metadata.name])

    // The CRD really goes: its objects are deleted (events), then every check answers 404.
    api.serveClusterNetworkPolicies(false)
    await waitFor(() => h!.logs.some((l) => l.event === 'crd-not-served'), 'not served, confirmed')
    expect(cnpNames()).toEqual([])
    await waitFor(() => h!.agent.status().ready, 'ready')
    expect(h.agent.status().notes).toHaveLength(1)
  })

  it('a forbidden LIST (403) is an API error as for every other kind: nothing applied from a view without the Admin tier, not ready', async () => {
    await cluster({ crd: true })
    api.failNext(1_000_000, 403, (r) => r.path === CNP_PATH)
    h = startAgent(api)
    await waitFor(() => h!.logs.filter((l) => l.event === 'api-error' && l.resource === 'clusternetworkpolicies').length >= 2, 'retried')
    await sleep(100)
    const status = h.agent.status()
    expect(status.applies).toBe(0)
    expect(h.dp.applied).toEqual([])
    expect(status.ready).toBe(false)
    expect(status.notReady).toEqual(['no ruleset applied yet', 'clusternetworkpolicies: no watch has been open yet'])
    api.clearFailures()
    await waitFor(() => h!.agent.status().applies === 1, 'applied once it may list')
  })

  it('an invalid ClusterNetworkPolicy is logged once and enforced fail-closed (a Deny of everything for its subject)', async () => {
    await cluster({ crd: true })
    const invalid = {
      metadata: { name: 'broken' },
      spec: { tier: 'Admin', priority: 3, subject: { namespaces: {} }, ingress: [{ action: 'Sideways', from: [] }] },
    }
    api.create('clusternetworkpolicies', invalid)
    h = startAgent(api)
    await waitFor(() => h!.logs.some((l) => l.event === 'invalid-object'), 'invalid object logged')
    await waitFor(() => cnpNames().length === 1, 'synced')
    const line = h.logs.find((l) => l.event === 'invalid-object')!
    expect(line).toMatchObject({ kind: 'ClusterNetworkPolicy', object: 'ClusterNetworkPolicy "broken"' })
    expect(String(line.msg)).toContain('enforced as a Deny of all traffic of its subject')
    const p = h.agent.currentState().clusterNetworkPolicies![0]
    expect(p.spec.ingress.map((r) => [r.name, r.action])).toEqual([[FAIL_CLOSED_RULE, 'Deny']])
    expect(p.spec.priority).toBe(3)
    expect(await metricValue(h.metrics, 'netpol_agent_invalid_objects', { kind: 'ClusterNetworkPolicy' })).toBe(1)
  })

  it('malformed input on their watch is refused as for every kind: the store keeps the last good objects and the resource is relisted', async () => {
    await cluster({ crd: true })
    api.create('clusternetworkpolicies', guardrail)
    h = startAgent(api)
    await waitFor(() => cnpNames().length === 1 && api.openWatchesOf('clusternetworkpolicies') === 1, 'watching')
    // Namespaced: a ClusterNetworkPolicy has none. And a NetworkPolicy where a ClusterNetworkPolicy was expected.
    expect(
      api.injectWatchLine(
        'clusternetworkpolicies',
        JSON.stringify({ type: 'DELETED', object: { metadata: { name: 'x', namespace: 'a', resourceVersion: '99' } } }),
      ),
    ).toBe(1)
    await waitFor(() => h!.logs.some((l) => l.event === 'rejected' && l.reason === 'bad-namespace'), 'refused')
    // Relisted and watching again on a new stream (the refused one closed: one open of two opened).
    await waitFor(() => cnpRequests(false) === 2 && cnpRequests(true) === 2 && api.openWatchesOf('clusternetworkpolicies') === 1, 'watching again')
    expect(
      api.injectWatchLine(
        'clusternetworkpolicies',
        JSON.stringify({ type: 'DELETED', object: { kind: 'NetworkPolicy', metadata: { name: guardrail.metadata.name, resourceVersion: '99' } } }),
      ),
    ).toBe(1)
    await waitFor(() => h!.logs.some((l) => l.event === 'rejected' && l.reason === 'wrong-kind'), 'refused')
    await waitFor(() => cnpRequests(false) === 3, 'relisted twice')
    expect(cnpNames()).toEqual([guardrail.metadata.name])
    expect(await metricValue(h.metrics, 'netpol_agent_rejected_objects_total', { resource: 'clusternetworkpolicies' })).toBe(2)
  })
})
