/**
 * ClusterNetworkPolicy tiers through the real kernel: compiled rulesets applied with nft in a
 * throwaway node namespace, real TCP connections between two pod namespaces, each probe compared
 * with the reference evaluator and with the pure interpreter (the same script).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTopology, firstLine, SERVER_SOURCE, type Topology } from '../../testing/dataplane-topology.js'
import { compileRuleset } from '../../src/dataplane/compile-ruleset.js'
import { applyRuleset, readCounters, readPolicyCounters } from '../../src/dataplane/nft.js'
import { readDenyLog } from '../../src/dataplane/deny-log.js'
import { parseNftScript } from '../../src/dataplane/nft-interpreter.js'
import { simulateConnection } from '../../src/dataplane/simulate-connection.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import type { ClusterState, Pod } from '../../src/model/types.js'
import { buildState } from '../cases/build-state.js'
import { tcpProbe } from './netns-probe.js'
import fc from 'fast-check'
import { loadManifests } from '../../src/cluster/load-manifests.js'
import { groupedClusterArb, tieredClusterArb } from './dataplane-cluster-arbitrary.js'
import { PRIORITY_GROUP_PORTS, priorityGroupState, tenantBlueCnp as cnp, TWO_TENANT_PODS as PODS } from './priority-group-fixture.js'

const NP_ALLOW_80 = `
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-80, namespace: ty}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 80}]}]
`

/** Cases: manifests on top of PODS, and the expected reachability of a -> b on 80 and 81. */
const CASES: readonly { name: string; yaml: string; expect: Record<80 | 81, boolean> }[] = [
  {
    name: 'an Admin Deny drops what a NetworkPolicy allows; the rest is the NetworkPolicy tier',
    yaml:
      NP_ALLOW_80 +
      cnp('deny-80', 'Admin', 10, `  - {name: deny-web, action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}`),
    expect: { 80: false, 81: false },
  },
  {
    name: 'an Admin Accept allows what the NetworkPolicy tier would deny',
    yaml: NP_ALLOW_80 + cnp('accept-named', 'Admin', 10, `  - {action: Accept, from: [{namespaces: {}}], protocols: [{destinationNamedPort: web}]}`),
    expect: { 80: true, 81: true },
  },
  {
    name: 'an Admin Pass skips a later Admin Deny: the NetworkPolicy tier decides',
    yaml:
      NP_ALLOW_80 +
      cnp('pass-red', 'Admin', 5, `  - {action: Pass, from: [{namespaces: {matchLabels: {tenant: red}}}]}`) +
      cnp('deny-all', 'Admin', 20, `  - {action: Deny, from: [{namespaces: {}}]}`),
    expect: { 80: true, 81: false },
  },
  {
    name: 'Accept and Deny at one Admin priority conflict (undefined): dropped',
    yaml:
      cnp('same-a', 'Admin', 7, `  - {action: Accept, from: [{namespaces: {}}]}`) +
      cnp(
        'same-b',
        'Admin',
        7,
        `  - {action: Deny, from: [{pods: {podSelector: {matchLabels: {app: a}}}}], protocols: [{tcp: {destinationPort: {number: 81}}}]}`,
      ),
    expect: { 80: true, 81: false },
  },
  {
    name: 'a Baseline Deny applies only where no NetworkPolicy isolates; a Baseline Accept before it wins',
    yaml:
      cnp(
        'baseline-accept-81',
        'Baseline',
        1,
        `  - {action: Accept, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {range: {start: 81, end: 82}}}}]}`,
      ) + cnp('baseline-deny', 'Baseline', 2, `  - {action: Deny, from: [{namespaces: {}}]}`),
    expect: { 80: false, 81: true },
  },
]

function stateOf(yaml: string): ClusterState {
  const state = buildState(PODS + yaml)
  return { ...state, pods: state.pods.map((p) => ({ ...p, nodeName: 'n1' })) }
}

describe('ClusterNetworkPolicy tiers in the kernel (throwaway network namespaces)', () => {
  let topo: Topology
  let server: ReturnType<Topology['spawnNode']>

  beforeAll(async () => {
    topo = await createTopology(['a', 'b'])
    server = topo.spawnNode(topo.pods[1]!.netns, SERVER_SOURCE, ['80', '81'])
    expect(await firstLine(server)).toBe('ready')
  })

  afterAll(async () => {
    await topo?.destroy()
  })

  for (const c of CASES) {
    it(c.name, async () => {
      const state = stateOf(c.yaml)
      expect(state.clusterNetworkPolicies?.length ?? 0).toBeGreaterThan(0)
      const { script } = compileRuleset(state, { nodeName: 'n1' })
      await applyRuleset(script, { netns: topo.nodeNetns })
      const rulesets = new Map([['n1', parseNftScript(script)]])
      const reference = referenceEvaluator(state)
      const pod = (name: string): Pod => state.pods.find((p) => p.name === name)!
      for (const port of [80, 81] as const) {
        const t = { from: { kind: 'pod' as const, pod: pod('a') }, to: { kind: 'pod' as const, pod: pod('b') }, port, protocol: 'TCP' as const }
        expect(reference.isAllowed(t), `reference, port ${port}`).toBe(c.expect[port])
        expect(simulateConnection(rulesets, t).allowed, `interpreter, port ${port}`).toBe(c.expect[port])
        expect(await tcpProbe(topo, topo.pods[0]!.netns, '10.250.1.2', port, c.expect[port] ? 1500 : 800), `kernel, port ${port}`).toBe(
          c.expect[port] ? 'ok' : 'timeout',
        )
      }
    })
  }

  it('nft accepts the rulesets of generated clusters with every peer kind, action and shared priorities (priority groups of up to 24 too), and of examples/cluster-guardrails', async () => {
    const { state: example } = await loadManifests(['examples/cluster-guardrails'])
    const states = [
      { ...example, pods: example.pods.map((p, i) => ({ ...p, ips: p.ips.length > 0 ? p.ips : [`10.244.0.${i + 2}`], nodeName: 'n1' })) },
      ...fc.sample(tieredClusterArb, { numRuns: 25, seed: 13 }),
      ...fc.sample(groupedClusterArb, { numRuns: 15, seed: 13 }),
    ]
    let tierChains = 0
    for (const state of states) {
      for (const node of ['n1', 'n2']) {
        const { script } = compileRuleset(state, { nodeName: node })
        tierChains += (script.match(/^\tchain c(np|grp|deny|undef)_/gm) ?? []).length
        await applyRuleset(script, { netns: topo.nodeNetns, check: true })
      }
    }
    expect(tierChains).toBeGreaterThan(50)
  })

  it('the deny log names the tier, policy, rule and priority that dropped a connection, and a conflict', async () => {
    for (const [c, port, text] of [
      [CASES[0]!, 80, 'denied by admin ClusterNetworkPolicy deny-80 rule deny-web (priority 10)'],
      [
        CASES[3]!,
        81,
        'denied: admin ClusterNetworkPolicy same-a rule ingress[0] (priority 7) Accept and admin ClusterNetworkPolicy same-b rule ingress[0] (priority 7) Deny conflict (undefined)',
      ],
      [CASES[4]!, 80, 'denied by baseline ClusterNetworkPolicy baseline-deny rule ingress[0] (priority 2)'],
    ] as const) {
      const state = stateOf(c.yaml)
      await applyRuleset(compileRuleset(state, { nodeName: 'n1' }).script, { netns: topo.nodeNetns, keepDenyLog: false })
      expect(await tcpProbe(topo, topo.pods[0]!.netns, '10.250.1.2', port, 800)).toBe('timeout')
      const records = (await readDenyLog(state, { netns: topo.nodeNetns })).filter((r) => r.port === port)
      expect(records.length, c.name).toBeGreaterThan(0)
      expect(records[0]).toMatchObject({ side: 'ingress', source: 'tx/a', destination: 'ty/b' })
      expect(records[0]!.clusterPolicy?.text, c.name).toBe(text)
    }
    // Dropped by the NetworkPolicy tier: no tier cause, the isolating policies as before.
    const state = stateOf(CASES[0]!.yaml)
    await applyRuleset(compileRuleset(state, { nodeName: 'n1' }).script, { netns: topo.nodeNetns, keepDenyLog: false })
    expect(await tcpProbe(topo, topo.pods[0]!.netns, '10.250.1.2', 81, 800)).toBe('timeout')
    const np = (await readDenyLog(state, { netns: topo.nodeNetns })).find((r) => r.port === 81)
    expect(np?.clusterPolicy).toBeUndefined()
    expect(np?.policies).toEqual(['ty/allow-80'])
  })

  it('counts connections per ClusterNetworkPolicy rule and conflict', async () => {
    const state = stateOf(CASES[3]!.yaml)
    const { script, index } = compileRuleset(state, { nodeName: 'n1' })
    await applyRuleset(script, { netns: topo.nodeNetns })
    expect(await tcpProbe(topo, topo.pods[0]!.netns, '10.250.1.2', 80)).toBe('ok')
    expect(await tcpProbe(topo, topo.pods[0]!.netns, '10.250.1.2', 81, 800)).toBe('timeout')
    const counts = await readPolicyCounters(index, { netns: topo.nodeNetns })
    const byRule = new Map(counts.clusterRules.map((c) => [`${c.policy} ${c.side}[${c.ruleIndex}]`, c.packets]))
    // same-a (first by name) accepted 80 and matched 81 too, where same-b's Deny then made it a conflict.
    expect(byRule.get('same-a ingress[0]')).toBeGreaterThanOrEqual(2)
    expect(byRule.get('same-b ingress[0]')).toBeGreaterThanOrEqual(1)
    expect(counts.clusterConflicts).toHaveLength(1)
    expect(counts.clusterConflicts[0]).toMatchObject({ tier: 'Admin', priority: 7, side: 'ingress', policies: ['same-a', 'same-b'] })
    expect(counts.clusterConflicts[0]!.packets).toBeGreaterThanOrEqual(1)
  })

  it('a group of 40 policies at one priority per tier is accepted by nft and decides as the engine does, each first match counted once', async () => {
    const state = priorityGroupState(40)
    const { script, index } = compileRuleset(state, { nodeName: 'n1' })
    await applyRuleset(script, { netns: topo.nodeNetns })
    const reference = referenceEvaluator(state)
    const pod = (name: string): Pod => state.pods.find((p) => p.name === name)!
    for (const port of [80, 81] as const) {
      const t = { from: { kind: 'pod' as const, pod: pod('a') }, to: { kind: 'pod' as const, pod: pod('b') }, port, protocol: 'TCP' as const }
      const allowed = reference.isAllowed(t)
      expect(allowed, `port ${port}`).toBe(port === 80)
      expect(await tcpProbe(topo, topo.pods[0]!.netns, '10.250.1.2', port, allowed ? 1500 : 800), `kernel, port ${port}`).toBe(allowed ? 'ok' : 'timeout')
    }
    const counts = await readPolicyCounters(index, { netns: topo.nodeNetns })
    const byRule = new Map(counts.clusterRules.map((c) => [`${c.policy} ${c.side}[${c.ruleIndex}]`, c.packets]))
    // One SYN each way it was allowed (80) or retried (81): the rule that matched first counts it, no other.
    expect(byRule.get('admin-00 ingress[0]')).toBe(1)
    expect(byRule.get('admin-39 ingress[0]')).toBeGreaterThanOrEqual(1)
    expect([...byRule].filter(([k, n]) => n > 0 && k !== 'admin-00 ingress[0]' && k !== 'admin-39 ingress[0]')).toEqual([])
    expect(counts.clusterConflicts.every((c) => c.packets === 0)).toBe(true)
  })

  it('groups of 40 in the kernel decide and count on every kind of port as the interpreter does (agreement, conflict in each tier, a Pass to the next tier, nothing)', async () => {
    const k = 40
    const state = priorityGroupState(k)
    const { script } = compileRuleset(state, { nodeName: 'n1' })
    await applyRuleset(script, { netns: topo.nodeNetns })
    const rulesets = new Map([['n1', parseNftScript(script)]])
    const reference = referenceEvaluator(state)
    const pod = (name: string): Pod => state.pods.find((p) => p.name === name)!
    // Connections per named counter, as the interpreter runs them; those of dropped probes may count a retransmitted SYN too.
    const expected = new Map<string, number>()
    const retried = new Set<string>()
    const ports = [...PRIORITY_GROUP_PORTS(k).filter((p) => p < 200), 200, 201, 200 + k - 2, 200 + k - 1]
    for (const port of ports) {
      const t = { from: { kind: 'pod' as const, pod: pod('a') }, to: { kind: 'pod' as const, pod: pod('b') }, port, protocol: 'TCP' as const }
      const sim = simulateConnection(rulesets, t)
      expect(sim.allowed, `interpreter, port ${port}`).toBe(reference.isAllowed(t))
      // The server listens on 80 and 81 only: elsewhere an allowed SYN is refused by b.
      const kernel = await tcpProbe(topo, topo.pods[0]!.netns, '10.250.1.2', port, sim.allowed ? 1500 : 800)
      expect(kernel, `kernel, port ${port}`).toBe(sim.allowed ? (port === 80 || port === 81 ? 'ok' : 'error ECONNREFUSED') : 'timeout')
      for (const c of sim.visits.flatMap((v) => v.result.counters).filter((c) => !c.includes('#'))) {
        expected.set(c, (expected.get(c) ?? 0) + 1)
        if (!sim.allowed) retried.add(c)
      }
    }
    expect([...expected.keys()].filter((c) => c.startsWith('cundef_')).length).toBe(2)
    const counted = await readCounters({ netns: topo.nodeNetns })
    for (const [name, { packets }] of counted) {
      const want = expected.get(name) ?? 0
      if (retried.has(name)) expect(packets, name).toBeGreaterThanOrEqual(want)
      else expect(packets, name).toBe(want)
    }
  })
})
