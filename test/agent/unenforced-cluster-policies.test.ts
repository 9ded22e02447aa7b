import { afterEach, describe, expect, it } from 'vitest'
import { namespaceObject, podObject, policyObject, waitFor } from './api-objects.js'
import { isolated, startAgent, type AgentHarness } from './agent-harness.js'
import { TestApiServer } from '../../testing/test-api-server.js'

const guardrail = {
  apiVersion: 'policy.networking.k8s.io/v1alpha2',
  kind: 'ClusterNetworkPolicy',
  metadata: { name: 'deny-\u001b[31mcross-tenant' },
  spec: { tier: 'Admin', priority: 10, subject: { namespaces: {} }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] },
}

describe('agent on a cluster with ClusterNetworkPolicies (not enforced by this agent)', () => {
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

  it('keeps enforcing the NetworkPolicies, reports not ready and logs an error naming one; ready again once they are gone', async () => {
    await cluster({ crd: true })
    api.create('clusternetworkpolicies', guardrail)
    h = startAgent(api, { clusterPolicyPollIntervalMs: 50 })
    await waitFor(() => h!.agent.status().applies >= 1, 'NetworkPolicies applied')
    expect(isolated(h.agent.appliedScript(), 'in')).toEqual(['10.1.0.10'])
    await waitFor(() => h!.logs.some((l) => l.event === 'cluster-policies-not-enforced'), 'error logged')
    await waitFor(() => Object.values(h!.agent.status().connected).every(Boolean), 'watches open')
    const status = h.agent.status()
    expect(status.ready).toBe(false)
    expect(status.notReady).toEqual([
      'ClusterNetworkPolicies exist (e.g. "deny-\\x1b[31mcross-tenant") and this agent does not enforce them: only NetworkPolicies are enforced on this node',
    ])
    expect(h.logs.filter((l) => l.event === 'cluster-policies-not-enforced')).toHaveLength(1)
    api.delete('clusternetworkpolicies', guardrail.metadata.name)
    await waitFor(() => h!.agent.status().ready, 'ready once no ClusterNetworkPolicy is left')
    expect(h.logs.some((l) => l.event === 'cluster-policies-gone')).toBe(true)
  })

  it('a cluster without the CRD (404) is ready and says nothing about it', async () => {
    await cluster({ crd: false })
    h = startAgent(api, { clusterPolicyPollIntervalMs: 50 })
    await waitFor(() => h!.agent.status().ready, 'ready')
    await waitFor(() => api.requests.filter((r) => r.path.endsWith('/clusternetworkpolicies')).length >= 2, 'polled twice')
    expect(h.agent.status().ready).toBe(true)
    expect(h.logs.some((l) => String(l.event).startsWith('cluster-policies'))).toBe(false)
  })

  it('may not list them (403): warns once that it cannot tell, stays ready', async () => {
    await cluster({ crd: true })
    api.failNext(1_000_000, 403, (r) => r.path.endsWith('/clusternetworkpolicies'))
    h = startAgent(api, { clusterPolicyPollIntervalMs: 50 })
    await waitFor(() => h!.agent.status().ready, 'ready')
    await waitFor(() => api.requests.filter((r) => r.path.endsWith('/clusternetworkpolicies')).length >= 3, 'polled three times')
    expect(h.logs.filter((l) => l.event === 'cluster-policies-unknown')).toHaveLength(1)
  })
})
