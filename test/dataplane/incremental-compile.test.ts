import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileRuleset, type CompiledNodeRuleset } from '../../src/dataplane/compile-ruleset.js'
import { parseTableObjects } from '../../src/dataplane/ruleset-delta.js'
import { IncrementalCompiler, type IncrementalTuning } from '../../src/dataplane/incremental-compile.js'
import { compareQualifiedNames, NAMESPACE_NAME_LABEL, type ClusterState, type Namespace, type NetworkPolicy, type Pod } from '../../src/model/types.js'
import { clusterArb, tieredClusterArb } from './dataplane-cluster-arbitrary.js'
import { buildState } from '../cases/build-state.js'

/**
 * The incremental compiler against a fresh compileRuleset, state after state: the same script and
 * index, byte for byte. States change the way LiveStateBuilder changes them: a changed object is a
 * new object, an unchanged one stays the same object, lists stay in (namespace, name) order.
 */
type Event =
  | { readonly kind: 'policy-add'; readonly donor: number }
  | { readonly kind: 'policy-change'; readonly target: number; readonly donor: number }
  | { readonly kind: 'policy-delete'; readonly target: number }
  | { readonly kind: 'policy-invalid'; readonly target: number }
  | { readonly kind: 'pod-add'; readonly donor: number; readonly node: 'n1' | 'n2' }
  | { readonly kind: 'pod-delete'; readonly target: number }
  | { readonly kind: 'pod-relabel'; readonly target: number; readonly app: string; readonly tier: boolean }
  | { readonly kind: 'pod-ports'; readonly target: number; readonly port: number; readonly name: string }
  | { readonly kind: 'pod-readdress'; readonly target: number; readonly ip: number; readonly families: 'v4' | 'v6' | 'dual' }
  | { readonly kind: 'namespace-relabel'; readonly namespace: string; readonly team: string }
  | { readonly kind: 'namespace-delete'; readonly namespace: string }
  | { readonly kind: 'cnp-add'; readonly donor: number }
  | { readonly kind: 'cnp-change'; readonly target: number; readonly priority: number }
  | { readonly kind: 'cnp-delete'; readonly target: number }
  | { readonly kind: 'node-relabel'; readonly target: number; readonly role: string }

const NAMESPACES = ['x', 'y', 'z', 'w']
const eventArb: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ kind: fc.constant('policy-add' as const), donor: fc.nat() }),
  fc.record({ kind: fc.constant('policy-change' as const), target: fc.nat(), donor: fc.nat() }),
  fc.record({ kind: fc.constant('policy-delete' as const), target: fc.nat() }),
  fc.record({ kind: fc.constant('policy-invalid' as const), target: fc.nat() }),
  fc.record({ kind: fc.constant('pod-add' as const), donor: fc.nat(), node: fc.constantFrom('n1' as const, 'n2' as const) }),
  fc.record({ kind: fc.constant('pod-delete' as const), target: fc.nat() }),
  fc.record({ kind: fc.constant('pod-relabel' as const), target: fc.nat(), app: fc.constantFrom('a', 'b', 'c'), tier: fc.boolean() }),
  fc.record({
    kind: fc.constant('pod-ports' as const),
    target: fc.nat(),
    port: fc.constantFrom(80, 53, 9000),
    name: fc.constantFrom('http', 'dns', 'sctp-svc'),
  }),
  fc.record({
    kind: fc.constant('pod-readdress' as const),
    target: fc.nat(),
    ip: fc.nat({ max: 6 }),
    families: fc.constantFrom('v4' as const, 'v6' as const, 'dual' as const),
  }),
  fc.record({ kind: fc.constant('namespace-relabel' as const), namespace: fc.constantFrom(...NAMESPACES), team: fc.constantFrom('a', 'b', 'red') }),
  fc.record({ kind: fc.constant('namespace-delete' as const), namespace: fc.constantFrom(...NAMESPACES) }),
)

/** The events above and those of ClusterNetworkPolicies and Nodes. */
const tieredEventArb: fc.Arbitrary<Event> = fc.oneof(
  eventArb,
  fc.record({ kind: fc.constant('cnp-add' as const), donor: fc.nat() }),
  fc.record({ kind: fc.constant('cnp-change' as const), target: fc.nat(), priority: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('cnp-delete' as const), target: fc.nat() }),
  fc.record({ kind: fc.constant('node-relabel' as const), target: fc.nat(), role: fc.constantFrom('a', 'b') }),
)

function sorted<T extends { namespace: string; name: string }>(list: T[]): T[] {
  return list.sort(compareQualifiedNames)
}

/** The next state (new objects only for what the event changes). */
function next(state: ClusterState, donor: ClusterState, event: Event, step: number): ClusterState {
  const pick = <T>(list: readonly T[], i: number): T | undefined => (list.length === 0 ? undefined : list[i % list.length])
  const pods = [...state.pods]
  const policies = [...state.policies]
  let namespaces = [...state.namespaces]
  let clusterNetworkPolicies = state.clusterNetworkPolicies
  let nodes = state.nodes
  switch (event.kind) {
    case 'cnp-add': {
      const d = pick(donor.clusterNetworkPolicies ?? [], event.donor)
      if (d) clusterNetworkPolicies = [...(clusterNetworkPolicies ?? []), { ...d, name: `cnp-e${step}` }]
      break
    }
    case 'cnp-change': {
      const list = [...(clusterNetworkPolicies ?? [])]
      const t = pick(list, event.target)
      if (t) list[list.indexOf(t)] = { ...t, spec: { ...t.spec, priority: event.priority } }
      clusterNetworkPolicies = list
      break
    }
    case 'cnp-delete': {
      const t = pick(clusterNetworkPolicies ?? [], event.target)
      if (t) clusterNetworkPolicies = clusterNetworkPolicies!.filter((x) => x !== t)
      break
    }
    case 'node-relabel': {
      const t = pick(nodes ?? [], event.target)
      if (t) nodes = nodes!.map((n) => (n === t ? { ...n, labels: { ...n.labels, role: event.role } } : n))
      break
    }
    case 'policy-add': {
      const d = pick(donor.policies, event.donor)
      if (d) policies.push({ ...d, name: `np-e${step}` })
      break
    }
    case 'policy-change': {
      const t = pick(policies, event.target)
      const d = pick(donor.policies, event.donor)
      if (t && d) policies[policies.indexOf(t)] = { ...d, namespace: t.namespace, name: t.name }
      break
    }
    case 'policy-delete': {
      const t = pick(policies, event.target)
      if (t) policies.splice(policies.indexOf(t), 1)
      break
    }
    case 'policy-invalid': {
      // A port no ruleset can hold: both compilers refuse the state.
      const t = pick(policies, event.target)
      if (t)
        policies[policies.indexOf(t)] = {
          ...t,
          ingress: [...t.ingress, { from: [], ports: [{ protocol: 'TCP', port: 70000, source: t.source }], source: t.source }],
        }
      break
    }
    case 'pod-add': {
      const d = pick(donor.pods, event.donor)
      if (d) {
        // Sometimes an address another pod has (two pods claiming one address), sometimes a new one.
        const ip = step % 3 === 0 ? d.ips[0] : d.ips[0]?.includes(':') ? `fd00::e${step.toString(16)}` : `10.0.${step % 2}.${(step * 41) % 250}`
        pods.push({ ...d, name: `p-e${step}`, nodeName: event.node, ips: ip === undefined ? [] : [ip] })
      }
      break
    }
    case 'pod-delete': {
      const t = pick(pods, event.target)
      if (t) pods.splice(pods.indexOf(t), 1)
      break
    }
    case 'pod-relabel': {
      const t = pick(pods, event.target)
      if (t) pods[pods.indexOf(t)] = { ...t, labels: { app: event.app, ...(event.tier ? { tier: 'web' } : {}) } }
      break
    }
    case 'pod-ports': {
      // The pod under its name with another named port (its number, name and protocol).
      const t = pick(pods, event.target)
      const protocol = event.name === 'dns' ? 'UDP' : event.name === 'sctp-svc' ? 'SCTP' : 'TCP'
      if (t) pods[pods.indexOf(t)] = { ...t, containerPorts: [{ name: event.name, containerPort: event.port, protocol }] }
      break
    }
    case 'pod-readdress': {
      // The pod under its name with other addresses (one family or both); hostNetwork pods keep the node's.
      const t = pick(pods, event.target)
      const v4 = `10.0.0.${event.ip * 37 + 3}`
      const v6 = `fd00::${(event.ip * 7 + 3).toString(16)}`
      if (t && !t.hostNetwork) pods[pods.indexOf(t)] = { ...t, ips: event.families === 'dual' ? [v4, v6] : event.families === 'v6' ? [v6] : [v4] }
      break
    }
    case 'namespace-relabel': {
      const ns: Namespace = { name: event.namespace, labels: { team: event.team, [NAMESPACE_NAME_LABEL]: event.namespace }, implicit: false }
      namespaces = [...namespaces.filter((n) => n.name !== event.namespace), ns].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      break
    }
    case 'namespace-delete':
      namespaces = namespaces.filter((n) => n.name !== event.namespace)
      break
  }
  return {
    namespaces,
    pods: sorted<Pod>(pods),
    policies: sorted<NetworkPolicy>(policies),
    ...(clusterNetworkPolicies === undefined ? {} : { clusterNetworkPolicies }),
    ...(nodes === undefined ? {} : { nodes }),
  }
}

/** The script and index of a compile; its objects must be what parseTableObjects reads from its script (the agent's deltas start from them). */
function outcome(compile: () => CompiledNodeRuleset): { script: string; index: string } | { error: string } {
  let r: CompiledNodeRuleset
  try {
    r = compile()
  } catch (error) {
    return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }
  }
  const read = parseTableObjects(r.script)
  expect(r.objects.table).toBe(read.table)
  expect([...r.objects.objects]).toEqual([...read.objects])
  return { script: r.script, index: JSON.stringify(r.index) }
}

function checkSequence(tuning: IncrementalTuning, numRuns: number, clusters: fc.Arbitrary<ClusterState> = clusterArb, events = eventArb): void {
  fc.assert(
    fc.property(clusters, clusters, fc.array(events, { minLength: 1, maxLength: 14 }), (initial, donor, events) => {
      const compilers = { n1: new IncrementalCompiler({ nodeName: 'n1' }, tuning), n2: new IncrementalCompiler({ nodeName: 'n2' }, tuning) }
      let state: ClusterState = { ...initial, pods: sorted([...initial.pods]), policies: sorted([...initial.policies]) }
      for (let step = 0; step <= events.length; step++) {
        if (step > 0) state = next(state, donor, events[step - 1]!, step)
        for (const node of ['n1', 'n2'] as const) {
          const incremental = outcome(() => compilers[node].compile(state))
          const full = outcome(() => compileRuleset(state, { nodeName: node }))
          expect(incremental, `${node} after ${JSON.stringify(events.slice(0, step))}`).toEqual(full)
        }
      }
    }),
    { numRuns },
  )
}

describe('IncrementalCompiler', () => {
  it('compiles every state of a random event sequence byte for byte as compileRuleset does', () => {
    checkSequence({}, 150)
  })

  it('does so with ClusterNetworkPolicies and Nodes too (the tiers planned again per state, the NetworkPolicy part kept), and compiles those states incrementally', () => {
    checkSequence({}, 100, tieredClusterArb, tieredEventArb)
    const [state] = fc.sample(tieredClusterArb, { numRuns: 1, seed: 5 })
    const c = new IncrementalCompiler({ nodeName: 'n1' })
    c.compile(state!)
    expect(c.compile({ ...state!, pods: [...state!.pods] }).incremental).toBe(true)
  })

  it('does so too when new peers are resolved through the engine and when every change is a full compile', () => {
    checkSequence({ maxPeerScans: 0 }, 60)
    checkSequence({ maxChanges: 0 }, 40)
  })

  it('compiles a state incrementally after the first, and still after a refused state (nothing kept was touched)', () => {
    const state: ClusterState = {
      namespaces: [{ name: 'x', labels: { [NAMESPACE_NAME_LABEL]: 'x' }, implicit: false }],
      pods: [
        {
          namespace: 'x',
          name: 'a',
          labels: { app: 'a' },
          ips: ['10.0.0.1'],
          containerPorts: [],
          hostNetwork: false,
          nodeName: 'n1',
          source: { file: 'f', line: 1 },
        },
      ],
      policies: [
        {
          namespace: 'x',
          name: 'deny',
          podSelector: { matchLabels: {}, matchExpressions: [] },
          policyTypes: ['Ingress'],
          ingress: [],
          egress: [],
          source: { file: 'f', line: 1 },
        },
      ],
    }
    const c = new IncrementalCompiler({ nodeName: 'n1' })
    expect(c.compile(state).incremental).toBe(false)
    const pod = { ...state.pods[0]!, name: 'b', ips: ['10.0.0.2'] }
    const second = { ...state, pods: [...state.pods, pod] }
    const r = c.compile(second)
    expect(r.incremental).toBe(true)
    expect(r.script).toBe(compileRuleset(second, { nodeName: 'n1' }).script)
    const bad = {
      ...second,
      policies: [
        {
          ...state.policies[0]!,
          ingress: [{ from: [], ports: [{ protocol: 'TCP' as const, port: 70000, source: { file: 'f', line: 2 } }], source: { file: 'f', line: 2 } }],
        },
      ],
    }
    expect(() => c.compile(bad)).toThrow(/70000/)
    const again = c.compile(second)
    expect(again.incremental).toBe(true)
    expect(again.script).toBe(r.script)
    // The refused state did not cost the kept objects: the same state gives the very same objects.
    for (const [key, o] of again.objects.objects) expect(o).toBe(r.objects.objects.get(key))
  })

  it('compiles a kept rule again when its set is named otherwise (a collision resolved in another order), not with the old name', () => {
    // `app=crtqp` and `app=c1ofhi` in `default` give two peer sets whose names share 40 bits of
    // SHA-256 (found by a birthday search): the set compiled first gets the name, the other `_2`.
    const peers = (app: string, ips: string[]): string =>
      ips
        .map(
          (ip, i) =>
            `apiVersion: v1\nkind: Pod\nmetadata: {name: ${app}-${i}, namespace: default, labels: {app: ${app}}}\nspec: {nodeName: n2, containers: [{name: c, image: i}]}\nstatus: {podIP: ${ip}}\n`,
        )
        .join('---\n')
    const policy = (name: string, app: string): string =>
      `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: default}\nspec:\n  podSelector: {matchLabels: {app: t}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: ${app}}}}]}]\n`
    const first = buildState(
      [
        'apiVersion: v1\nkind: Pod\nmetadata: {name: t, namespace: default, labels: {app: t}}\nspec: {nodeName: n1, containers: [{name: c, image: i}]}\nstatus: {podIP: 10.1.0.9}\n',
        peers('crtqp', ['10.2.0.1', '10.2.0.2']),
        peers('c1ofhi', ['10.2.0.3', '10.2.0.4']),
        policy('a-first', 'crtqp'),
        policy('b-second', 'c1ofhi'),
      ].join('---\n'),
    )
    const c = new IncrementalCompiler({ nodeName: 'n1' })
    const before = c.compile(first).script
    expect(before).toContain('@peer4_f0168b26ac_2 ')
    // a-first goes; b-second (the same object, the same peers) now gets the first choice.
    const second = { ...first, policies: first.policies.filter((p) => p.name !== 'a-first') }
    const r = c.compile(second)
    expect(r.incremental).toBe(true)
    expect(r.script).toBe(compileRuleset(second, { nodeName: 'n1' }).script)
    expect(r.script).toContain('ip saddr @peer4_f0168b26ac ')
    expect(r.script).not.toContain('peer4_f0168b26ac_2')
  })

  it("compiles a policy's ingress named ports over its local pods as they are now, when the policy stays and its pods change (come, go, or are replaced under their names)", () => {
    const pod = (name: string, port: number, ip: string): string =>
      `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: default, labels: {app: t}}\nspec: {nodeName: n1, containers: [{name: c, image: i, ports: [{name: http, containerPort: ${port}}]}]}\nstatus: {podIP: ${ip}}\n`
    const policy =
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: default}\nspec:\n  podSelector: {matchLabels: {app: t}}\n  ingress: [{ports: [{port: http}]}]\n'
    const first = buildState([pod('t1', 80, '10.1.0.1'), pod('t2', 8080, '10.1.0.2'), policy].join('---\n'))
    const c = new IncrementalCompiler({ nodeName: 'n1' })
    c.compile(first)
    const added = buildState(pod('t3', 9090, '10.1.0.3')).pods[0]!
    // As many pods as before, one a new object with the same name: its port, then its address changed.
    const renumbered = buildState(pod('t1', 9090, '10.1.0.1')).pods[0]!
    const moved = buildState(pod('t1', 9090, '10.1.0.7')).pods[0]!
    const replacing = (t1: Pod): ClusterState => ({ ...first, pods: first.pods.map((p) => (p.name === 't1' ? t1 : p)) })
    for (const state of [
      replacing(renumbered),
      replacing(moved),
      { ...first, pods: [...first.pods, added] },
      { ...first, pods: first.pods.filter((p) => p.name !== 't1') },
    ]) {
      const r = c.compile(state)
      expect(r.incremental).toBe(true)
      expect(r.script).toBe(compileRuleset(state, { nodeName: 'n1' }).script)
    }
  })
})
