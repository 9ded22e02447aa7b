/**
 * The agent's informer of Nodes, against the test API server: the `nodes` peers of a
 * ClusterNetworkPolicy resolved from the Node objects it watches (an Accept to worker nodes opens
 * what a NetworkPolicy closes, a Deny to infra nodes drops), a status update that changes nothing
 * netpol reads is no change, and a forbidden LIST makes the nodes unknown (fail closed), said once.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { parseNftScript, runHook } from '../../src/dataplane/nft-interpreter.js'
import { parseIp } from '../../src/model/cidr.js'
import { namespaceObject, podObject, policyObject, waitFor } from './api-objects.js'
import { metricValue, startAgent, type AgentHarness } from './agent-harness.js'
import { TestApiServer } from '../../testing/test-api-server.js'

const nodeObject = (name: string, address: string, role: string): { metadata: { name: string; labels: Record<string, string> }; status: unknown } => ({
  metadata: { name, labels: { role } },
  status: {
    addresses: [{ type: 'InternalIP', address }],
    conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2026-12-06T00:00:00Z' }],
  },
})

const guard = {
  metadata: { name: 'node-access' },
  spec: {
    tier: 'Admin',
    priority: 1,
    subject: { namespaces: {} },
    egress: [
      { name: 'infra', action: 'Deny', to: [{ nodes: { matchLabels: { role: 'infra' } } }] },
      { name: 'workers', action: 'Accept', to: [{ nodes: { matchLabels: { role: 'worker' } } }] },
    ],
  },
}

describe('agent: Nodes through an informer, for the nodes peers of ClusterNetworkPolicies', () => {
  let api: TestApiServer
  let h: AgentHarness | undefined

  afterEach(async () => {
    await h?.agent.stop()
    h = undefined
    await api.close()
  })

  async function cluster(): Promise<void> {
    api = await TestApiServer.start({ clusterNetworkPolicies: true })
    api.create('namespaces', namespaceObject('prod'))
    api.create('pods', podObject('prod', 'web', { ip: '10.1.0.10', node: 'node-a', labels: { app: 'web' } }))
    api.create('networkpolicies', policyObject('prod', 'deny-egress', { podSelector: {}, policyTypes: ['Egress'] }))
    api.create('clusternetworkpolicies', guard)
    api.create('nodes', nodeObject('node-a', '10.0.0.1', 'worker'))
    api.create('nodes', nodeObject('node-b', '10.0.0.2', 'infra'))
    api.create('nodes', nodeObject('node-c', '10.0.0.3', 'worker'))
  }

  /** web -> address: the verdict of node-a's forward hook, from the ruleset the agent applied. */
  const verdict = (address: string): string =>
    runHook(parseNftScript(h!.agent.appliedScript()!), 'forward', {
      family: 4,
      saddr: parseIp('10.1.0.10')!.value,
      daddr: parseIp(address)!.value,
      l4proto: 6,
      sport: 40000,
      dport: 443,
      ctState: 'new',
    }).verdict

  it('resolves nodes peers from the watched Nodes: an Accept to workers opens, a Deny to infra drops; a relabel follows; a status-only update is no change', async () => {
    await cluster()
    h = startAgent(api)
    await waitFor(() => h!.agent.status().ready, 'ready')
    expect(h.agent.currentState().nodes?.map((n) => n.name)).toEqual(['node-a', 'node-b', 'node-c'])
    expect(verdict('10.0.0.3')).toBe('accept')
    expect(verdict('10.0.0.2')).toBe('drop')
    expect(verdict('192.0.2.1')).toBe('drop')

    // Heartbeats and conditions: nothing netpol reads changed.
    const version = h.agent.watchers.nodes.version
    const heartbeat = structuredClone(api.get('nodes', 'node-c')!)
    ;(heartbeat.status as { conditions: { lastHeartbeatTime: string }[] }).conditions[0]!.lastHeartbeatTime = '2026-12-06T00:05:00Z'
    api.update('nodes', heartbeat)
    const relabel = structuredClone(api.get('nodes', 'node-b')!)
    relabel.metadata.labels = { role: 'worker' }
    api.update('nodes', relabel)
    await waitFor(() => verdict('10.0.0.2') === 'accept', 'node-b relabelled worker')
    expect(h.agent.watchers.nodes.version).toBe(version + 1)
    expect(verdict('10.0.0.3')).toBe('accept')
  })

  it('a forbidden LIST of nodes (a ClusterRole without them): nodes unknown, so the Accept never opens; said once in the log and the status notes; ready', async () => {
    await cluster()
    api.failNext(1_000_000, 403, (r) => r.path === '/api/v1/nodes')
    h = startAgent(api)
    await waitFor(() => h!.agent.status().ready, 'ready without nodes')
    expect(h.agent.currentState().nodes).toBeUndefined()
    // Unknown, never "none": the worker Accept may not open; the NetworkPolicy's deny stands.
    expect(verdict('10.0.0.3')).toBe('drop')
    expect(verdict('10.0.0.2')).toBe('drop')
    expect(h.logs.filter((l) => l.event === 'nodes-forbidden')).toHaveLength(1)
    expect(h.agent.status().notes.join('\n')).toMatch(/nodes: the agent may not list them \(forbidden/)
    api.clearFailures()
  })

  it('one Node it cannot read makes the nodes unknown (a Node left out would be one a Deny to nodes misses)', async () => {
    await cluster()
    api.create('nodes', { metadata: { name: 'node-d', labels: { role: 'infra' } }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.999' }] } })
    h = startAgent(api)
    await waitFor(() => h!.agent.status().applies >= 1, 'applied')
    expect(h.agent.currentState().nodes).toBeUndefined()
    expect(verdict('10.0.0.3')).toBe('drop')
    expect(verdict('10.0.0.2')).toBe('drop')
    const logged = h.logs.filter((l) => l.event === 'invalid-object')
    expect(logged).toHaveLength(1)
    expect(logged[0]!.msg).toMatch(/^Node "node-d" is invalid \(the nodes are unknown: /)
    expect(await metricValue(h.metrics, 'netpol_agent_invalid_objects', { kind: 'Node' })).toBe(1)
  })
})
