/**
 * End to end through the real kernel: a lab of network namespaces (one per node, one per pod),
 * one `netpol agent` process per lab node fed by the test API server, applying its ruleset inside
 * its node's namespace (`--netns`; the agent process itself stays in the host namespace so it
 * reaches the API server on 127.0.0.1). Real probes between lab pods must match what the engine's
 * matrix says for the state the API server holds, across creates, updates and deletes of
 * policies, pod labels and namespace labels.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { addPods, removePods, startServers } from '../../src/lab/lab-build.js'
import { planTopology } from '../../src/lab/topology.js'
import type { NetworkPolicy, Pod } from '../../src/model/types.js'
import { pod, tcp } from '../lab/fixtures.js'
import { waitFor } from './api-objects.js'
import { AgentLab, agentLabCluster, canRunAgentLab, podApiObject } from './agent-lab-fixture.js'
import { TestApiServer, type ApiObject } from '../../testing/test-api-server.js'

let lab: AgentLab
let api: TestApiServer

function policyFromYaml(yaml: string): { model: NetworkPolicy; object: ApiObject } {
  const model = loadManifestText(yaml, { file: 'test' }).state.policies[0]
  return { model, object: parseYaml(yaml) as ApiObject }
}

/** Every agent has synced a state with this many policies (and pods), applied or found unchanged. */
function converge(change: () => void, policies: number, pods?: number): Promise<void> {
  return lab.converge(
    change,
    (l) => l.policies === policies && (pods === undefined || l.pods === pods),
    `${policies} policies${pods === undefined ? '' : ` and ${pods} pods`}`,
  )
}

const probe = () => lab.probe()

describe.skipIf(!canRunAgentLab)('agents in a lab, fed by the test API server, enforce what matrix says', () => {
  beforeAll(async () => {
    const initial = agentLabCluster()
    lab = await AgentLab.create('agt', initial)
    api = await TestApiServer.start()
    for (const n of lab.expected.namespaces) api.create('namespaces', { metadata: { name: n.name, labels: { ...n.labels } } })
    for (const p of lab.expected.pods) api.create('pods', podApiObject(p))
    const kubeconfig = join(lab.dir, 'kubeconfig')
    await writeFile(kubeconfig, api.kubeconfigYaml())
    await lab.startAgents(kubeconfig)
  }, 120_000)

  afterAll(async () => {
    await lab?.close()
    await api?.close()
  })

  it('serves /readyz and /metrics once the first ruleset is applied, and traffic flows freely without policies', async () => {
    for (const a of lab.agents) {
      const ready = await fetch(`${a.url}/readyz`)
      expect(ready.status).toBe(200)
      const metrics = await (await fetch(`${a.url}/metrics`)).text()
      expect(metrics).toMatch(/netpol_agent_last_apply_timestamp_seconds \d/)
      expect(metrics).toMatch(/netpol_agent_ruleset_bytes \d+/)
    }
    const r = await probe()
    expect(r.disagreements).toEqual([])
    expect(r.denied).toBe(0)
  })

  it('a policy created through the API becomes dropped connections in the kernel, exactly as matrix says', async () => {
    const p = policyFromYaml(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-from-a, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: a}}}]
    ports: [{port: 80}]
`)
    await converge(() => api.create('networkpolicies', p.object), 1)
    lab.expected = { ...lab.expected, policies: [p.model] }
    const r = await probe()
    expect(r.disagreements).toEqual([])
    // y/c and y/d may no longer reach x/b.
    expect(r.denied).toBe(2)

    // The agent of x/b's node logs each denied connection and counts it; allowed ones count per policy.
    const b = lab.plan.topology.pods.find((q) => q.name === 'b')!
    const c = lab.plan.topology.pods.find((q) => q.name === 'c')!
    const owner = lab.agents.find((a) => a.node === b.node)!
    await waitFor(() => owner.logs.some((l) => l.event === 'denied' && l.pod === 'x/b' && l.peer === 'y/c'), 'denied connection logged', 10_000)
    const denied = owner.logs.find((l) => l.event === 'denied' && l.peer === 'y/c')!
    expect(denied).toMatchObject({ direction: 'ingress', protocol: 'tcp', destination: `${b.ip}:80` })
    expect(String(denied.source)).toContain(c.ip)
    const metrics = await (await fetch(`${owner.url}/metrics`)).text()
    expect(metrics).toMatch(/netpol_agent_denied_connections_total\{direction="ingress",namespace="x"\} [1-9]/)
    expect(metrics).toMatch(/netpol_agent_allowed_connections_total\{direction="ingress",namespace="x",policy="b-from-a"\} [1-9]/)
    // The policy went into the kernel as an incremental update (the first apply replaced the table whole).
    const applies = owner.logs.filter((l) => l.event === 'apply')
    expect(applies[0]).toMatchObject({ applyKind: 'full' })
    expect(applies.at(-1)).toMatchObject({ applyKind: 'incremental', deltaBytes: expect.any(Number) })
    expect(metrics).toMatch(/netpol_agent_applies_total\{result="ok",kind="incremental"\} [1-9]/)
  })

  it('namespace label and pod label updates move the enforcement with them', async () => {
    const p = policyFromYaml(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-from-a, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: a}}}, {namespaceSelector: {matchLabels: {trusted: "yes"}}}]
    ports: [{port: 80}]
`)
    await converge(() => api.update('networkpolicies', p.object), 1)
    lab.expected = { ...lab.expected, policies: [p.model] }
    expect((await probe()).disagreements).toEqual([])

    // Namespace y becomes trusted: its pods may reach x/b again.
    const y = lab.expected.namespaces.find((n) => n.name === 'y')!
    const yLabels = { ...y.labels, trusted: 'yes' }
    await converge(() => api.update('namespaces', { metadata: { name: 'y', labels: yLabels } }), 1)
    lab.expected = { ...lab.expected, namespaces: lab.expected.namespaces.map((n) => (n.name === 'y' ? { ...n, labels: yLabels } : n)) }
    let r = await probe()
    expect(r.disagreements).toEqual([])
    expect(r.denied).toBe(0)

    // x/a is relabelled so the policy now selects it too (app: b): only x/b's old peers... none from x.
    const a = lab.expected.pods.find((q) => q.name === 'a')!
    const relabelled: Pod = { ...a, labels: { app: 'b' } }
    await converge(() => api.update('pods', podApiObject(relabelled)), 1)
    lab.expected = { ...lab.expected, pods: lab.expected.pods.map((q) => (q === a ? relabelled : q)) }
    r = await probe()
    expect(r.disagreements).toEqual([])
    expect(r.denied).toBeGreaterThan(0)
  })

  it('deleting the policy re-opens the connections', async () => {
    await converge(() => api.delete('networkpolicies', 'b-from-a', 'x'), 0)
    lab.expected = { ...lab.expected, policies: [] }
    const r = await probe()
    expect(r.disagreements).toEqual([])
    expect(r.denied).toBe(0)
  })

  it('a default-deny created while the agents cannot watch is enforced once they reconnect after 410 Gone', async () => {
    api.failNext(100_000, 503, (r) => r.watch)
    api.dropWatches()
    await waitFor(() => lab.agents.every((a) => a.logs.some((l) => l.event === 'api-error')), 'agents lost their watches')
    const p = policyFromYaml(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: "y"}
spec:
  podSelector: {}
  policyTypes: [Ingress]
`)
    api.create('networkpolicies', p.object)
    api.compact()
    // Still disconnected: nothing changed in the kernel.
    expect((await probe()).denied).toBe(0)
    await converge(() => api.clearFailures(), 1)
    lab.expected = { ...lab.expected, policies: [p.model] }
    const r = await probe()
    expect(r.disagreements).toEqual([])
    expect(r.denied).toBe(2 * 3) // y/c and y/d accept nobody but themselves
  })
  it('a pod created and deleted through the API (and in the lab) is enforced as matrix says', async () => {
    const input = { ...lab.expected, pods: [...lab.expected.pods, pod('x', 'e', { app: 'e' }, [tcp(80)])] }
    const next = planTopology(input, { lab: lab.lab, nodeCount: 2, previous: lab.plan.topology })
    const added = next.topology.pods.filter((p) => !lab.plan.topology.pods.some((q) => q.hash === p.hash))
    expect(added.map((p) => p.name)).toEqual(['e'])
    await addPods(next.topology, added)
    const servers = await startServers(lab.lab, lab.labDirPath, added)
    lab.plan = next
    const e = next.state.pods.find((p) => p.name === 'e')!
    await converge(() => api.create('pods', podApiObject(e)), 1, 5)
    lab.expected = { ...next.state, policies: lab.expected.policies }
    let r = await probe()
    expect(r.disagreements).toEqual([])
    // x/e may not reach the default-denied y/c and y/d; everything else is open.
    expect(r.denied).toBe(2 * 3 + 2)

    await converge(() => api.delete('pods', 'e', 'x'), 1, 4)
    await removePods(next.topology, added, servers, lab.lab)
    const remaining = next.topology.pods.filter((p) => p.name !== 'e')
    lab.plan = { ...next, topology: { ...next.topology, pods: remaining }, state: { ...next.state, pods: next.state.pods.filter((p) => p.name !== 'e') } }
    lab.expected = { ...lab.expected, pods: lab.expected.pods.filter((p) => p.name !== 'e') }
    r = await probe()
    expect(r.disagreements).toEqual([])
    expect(r.denied).toBe(2 * 3)
  })

  it('malformed watch events do not stop the agent processes: refused, reported, and the kernel keeps enforcing what matrix says', async () => {
    const lines: [string, string][] = [
      ['{"type":"ADDED"}', 'no-object'],
      ['{"type":"ERROR"}', 'bad-status'],
      ['{"type":"ADDED","object":null}', 'no-object'],
      ['{"type":"MODIFIED","object":{"spec":{}}}', 'no-metadata'],
    ]
    for (const resource of ['pods', 'networkpolicies'] as const) {
      for (const [line] of lines) {
        await waitFor(() => api.openWatchesOf(resource) === lab.agents.length, `every agent watches ${resource}`, 20_000)
        const marks = lab.agents.map((a) => a.logs.filter((l) => l.event === 'rejected').length)
        expect(api.injectWatchLine(resource, line)).toBe(lab.agents.length)
        await waitFor(() => lab.agents.every((a, i) => a.logs.filter((l) => l.event === 'rejected').length > marks[i]), `every agent refused ${line}`, 20_000)
      }
    }
    for (const a of lab.agents) {
      expect(a.child.exitCode).toBeNull()
      expect(a.logs.filter((l) => l.stderr !== undefined)).toEqual([])
      const metrics = await (await fetch(`${a.url}/metrics`)).text()
      for (const [, reason] of lines) expect(metrics).toMatch(new RegExp(`netpol_agent_rejected_objects_total\\{resource="pods",reason="${reason}"\\} [1-9]`))
      expect(metrics).toMatch(/netpol_agent_rejected_objects_total\{resource="networkpolicies",reason="no-object"\} 2/)
    }
    // Relisted and watching again: ready, and the kernel still enforces the default-deny.
    for (const a of lab.agents) {
      let status = 0
      for (let i = 0; i < 200 && status !== 200; i++) {
        status = (await fetch(`${a.url}/readyz`)).status
        if (status !== 200) await new Promise((r) => setTimeout(r, 50))
      }
      expect(status).toBe(200)
    }
    const r = await probe()
    expect(r.disagreements).toEqual([])
    expect(r.denied).toBe(2 * 3)
  })

  it('a ClusterNetworkPolicy created, given another priority and deleted through the API is enforced in the kernel as matrix says', async () => {
    const marked = (n: number) => (l: Record<string, unknown>) => l.clusterPolicies === n
    const cnp = (yaml: string) => ({ model: loadManifestText(yaml, { file: 'test' }).state.clusterNetworkPolicies![0], object: parseYaml(yaml) as ApiObject })
    const tenant = cnp(`
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: tenant-isolation}
spec:
  tier: Admin
  priority: 20
  subject: {namespaces: {matchLabels: {team: x}}}
  ingress:
  - {name: deny-from-y, action: Deny, from: [{namespaces: {matchLabels: {team: "y"}}}]}
`)
    const allowC = (priority: number) =>
      cnp(`
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: allow-c}
spec:
  tier: Admin
  priority: ${priority}
  subject: {namespaces: {matchLabels: {team: x}}}
  ingress:
  - {name: accept-c, action: Accept, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: c}}}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}
`)
    const baseline = cnp(`
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: baseline-deny}
spec:
  tier: Baseline
  priority: 100
  subject: {namespaces: {}}
  ingress:
  - {name: deny-all, action: Deny, from: [{namespaces: {}}]}
`)
    const before = (await probe()).denied
    const set = (...policies: { model: NonNullable<typeof lab.expected.clusterNetworkPolicies>[number] }[]) =>
      (lab.expected = { ...lab.expected, clusterNetworkPolicies: policies.map((p) => p.model) })

    // Admin Deny: y's pods may no longer reach x's.
    await lab.converge(() => api.create('clusternetworkpolicies', tenant.object), marked(1), 'tenant-isolation created')
    set(tenant)
    let r = await probe()
    expect(r.disagreements).toEqual([])
    expect(r.denied).toBe(before + 4)
    expect(r.deniedPairs).toContain('y/c -> x/b')

    // An Accept for y/c at a later priority changes nothing; moved before the Deny, it decides.
    await lab.converge(() => api.create('clusternetworkpolicies', allowC(30).object), marked(2), 'allow-c created')
    set(tenant, allowC(30))
    r = await probe()
    expect(r.disagreements).toEqual([])
    expect(r.denied).toBe(before + 4)
    await lab.converge(() => api.update('clusternetworkpolicies', allowC(10).object), marked(2), 'allow-c at priority 10')
    set(tenant, allowC(10))
    r = await probe()
    expect(r.disagreements).toEqual([])
    expect(r.denied).toBe(before + 2)
    expect(r.deniedPairs).not.toContain('y/c -> x/b')
    expect(r.deniedPairs).toContain('y/d -> x/b')

    // The node enforcing x/b logs the denial with its cause.
    const b = lab.plan.topology.pods.find((q) => q.name === 'b')!
    const owner = lab.agents.find((a) => a.node === b.node)!
    await waitFor(
      () => owner.logs.some((l) => l.event === 'denied' && l.pod === 'x/b' && l.peer === 'y/d' && l.clusterPolicy !== undefined),
      'denial logged with its cause',
      10_000,
    )
    const denied = owner.logs.find((l) => l.event === 'denied' && l.pod === 'x/b' && l.peer === 'y/d' && l.clusterPolicy !== undefined)!
    expect(String(denied.msg)).toContain('denied by admin ClusterNetworkPolicy tenant-isolation rule deny-from-y (priority 20)')

    // Baseline: pods no NetworkPolicy isolates (x's) accept nothing the Admin tier did not accept.
    await lab.converge(() => api.create('clusternetworkpolicies', baseline.object), marked(3), 'baseline-deny created')
    set(tenant, allowC(10), baseline)
    r = await probe()
    expect(r.disagreements).toEqual([])
    expect(r.deniedPairs).toContain('x/a -> x/b')
    expect(r.deniedPairs).not.toContain('y/c -> x/b')

    // Enforced, so ready (only unenforced ClusterNetworkPolicies made an agent not ready).
    for (const a of lab.agents) expect((await fetch(`${a.url}/readyz`)).status).toBe(200)
    const metrics = await (await fetch(`${lab.agents[0].url}/metrics`)).text()
    expect(metrics).toMatch(/netpol_agent_cluster_network_policies\{tier="Admin"\} 2/)
    // The rule that dropped y/d -> x/b counted it on x/b's node.
    const ownerMetrics = await (await fetch(`${owner.url}/metrics`)).text()
    expect(ownerMetrics).toMatch(
      /netpol_agent_cluster_policy_rule_connections_total\{direction="ingress",tier="Admin",policy="tenant-isolation",rule="deny-from-y",action="Deny"\} [1-9]/,
    )
    expect(metrics).toMatch(/netpol_agent_cluster_network_policies\{tier="Baseline"\} 1/)

    // Deleted: back to the NetworkPolicies alone.
    await lab.converge(
      () => {
        for (const name of ['tenant-isolation', 'allow-c', 'baseline-deny']) api.delete('clusternetworkpolicies', name)
      },
      marked(0),
      'all deleted',
    )
    set()
    r = await probe()
    expect(r.disagreements).toEqual([])
    expect(r.denied).toBe(before)
  })
})
