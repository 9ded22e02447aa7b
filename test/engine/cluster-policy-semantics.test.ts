/**
 * ClusterNetworkPolicy semantics, one behaviour per test, each checked in the reference evaluator,
 * the fast engine's evaluate/isAllowed and its allPairs outcome.
 */
import { describe, it, expect } from 'vitest'
import { createEngine } from '../../src/engine/engine.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import { formatClusterProtocol } from '../../src/engine/cluster-policy.js'
import type { ClusterState, LabelSelector, NetworkPolicy, Pod, Protocol } from '../../src/model/types.js'
import type {
  ClusterNetworkPolicy,
  ClusterNetworkPolicyEgressPeer,
  ClusterNetworkPolicyProtocol,
  ClusterNetworkPolicyRuleAction,
} from '../../src/model/cluster-network-policy-types.js'
import type { Outcome, Verdict } from '../../src/engine/verdict.js'

const src = { file: 't.yaml', line: 1 }
const sel = (matchLabels: Record<string, string> = {}): LabelSelector => ({ matchLabels, matchExpressions: [] })
const ALL = sel()

function pod(ns: string, name: string, ip: string, extra: Partial<Pod> = {}): Pod {
  return {
    namespace: ns,
    name,
    labels: { app: name },
    ips: [ip],
    containerPorts: [
      { name: 'web', containerPort: 80, protocol: 'TCP' },
      { name: 'dns', containerPort: 53, protocol: 'UDP' },
    ],
    hostNetwork: false,
    source: src,
    ...extra,
  }
}
const PODS = [
  pod('a', 'x', '10.0.0.1'),
  pod('a', 'y', '10.0.0.2'),
  pod('b', 'x', '10.0.1.1'),
  pod('b', 'y', '10.0.1.2'),
  pod('kube-system', 'dns', '10.0.2.1'),
  pod('node', 'h', '192.168.0.10', { hostNetwork: true }),
]

interface RuleSpec {
  action: ClusterNetworkPolicyRuleAction
  peers: ClusterNetworkPolicyEgressPeer[]
  protocols?: ClusterNetworkPolicyProtocol[]
  name?: string
}
function cnp(
  name: string,
  tier: 'Admin' | 'Baseline',
  priority: number,
  subject: ClusterNetworkPolicy['spec']['subject'],
  rules: { ingress?: RuleSpec[]; egress?: RuleSpec[] },
): ClusterNetworkPolicy {
  return {
    name,
    spec: {
      tier,
      priority,
      subject,
      ingress: (rules.ingress ?? []).map((r, i) => ({
        ...(r.name ? { name: r.name } : {}),
        action: r.action,
        from: r.peers,
        protocols: r.protocols ?? [],
        source: { file: 't.yaml', line: 10 + i },
      })),
      egress: (rules.egress ?? []).map((r, i) => ({
        ...(r.name ? { name: r.name } : {}),
        action: r.action,
        to: r.peers,
        protocols: r.protocols ?? [],
        source: { file: 't.yaml', line: 20 + i },
      })),
    },
    source: src,
  }
}
const ns = (name: string) => ({ namespaces: sel({ 'kubernetes.io/metadata.name': name }), source: src })
const podsIn = (namespace: string, app: string) => ({
  pods: { namespaceSelector: sel({ 'kubernetes.io/metadata.name': namespace }), podSelector: sel({ app }) },
  source: src,
})
const everyNs = { namespaces: ALL, source: src }
const tcp = (n: number): ClusterNetworkPolicyProtocol => ({ tcp: { destinationPort: { number: n } }, source: src })

function denyAllIngressNp(namespace: string): NetworkPolicy {
  return { namespace, name: 'deny-all', podSelector: ALL, policyTypes: ['Ingress'], ingress: [], egress: [], source: src }
}
function allowFromNp(namespace: string, fromNs: string): NetworkPolicy {
  return {
    namespace,
    name: `allow-from-${fromNs}`,
    podSelector: ALL,
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ namespaceSelector: sel({ 'kubernetes.io/metadata.name': fromNs }), source: src }], ports: [], source: src }],
    egress: [],
    source: src,
  }
}

function state(cnps: ClusterNetworkPolicy[], policies: NetworkPolicy[] = []): ClusterState {
  const namespaces = [...new Set(PODS.map((p) => p.namespace))].map((n) => ({ name: n, labels: { 'kubernetes.io/metadata.name': n }, implicit: false }))
  return { namespaces, pods: PODS, policies, clusterNetworkPolicies: cnps }
}

/** The verdict, after checking that every evaluator agrees on it. */
function verdict(s: ClusterState, from: string, to: string, port = 80, protocol: Protocol = 'TCP'): Verdict {
  const end = (t: string) => {
    const p = s.pods.find((q) => `${q.namespace}/${q.name}` === t)
    return p ? ({ kind: 'pod', pod: p } as const) : ({ kind: 'ip', ip: t } as const)
  }
  const t = { from: end(from), to: end(to), port, protocol }
  const v = referenceEvaluator(s).evaluate(t)
  const engine = createEngine(s)
  expect(engine.evaluate(t)).toEqual(v)
  expect(engine.isAllowed(t)).toBe(v.allowed)
  if (t.from.kind === 'pod' && t.to.kind === 'pod')
    expect(engine.allPairs(port, protocol).outcomeIndex(s.pods.indexOf(t.from.pod), s.pods.indexOf(t.to.pod))).toBe(
      v.outcome ?? (v.allowed ? 'allowed' : 'denied'),
    )
  return v
}
const outcome = (s: ClusterState, from: string, to: string, port = 80, protocol: Protocol = 'TCP'): Outcome | undefined =>
  verdict(s, from, to, port, protocol).outcome

describe('ClusterNetworkPolicy tiers', () => {
  it('an Admin Deny denies what a NetworkPolicy allows', () => {
    const s = state([cnp('deny-b', 'Admin', 10, ns('a'), { ingress: [{ action: 'Deny', peers: [ns('b')] }] })], [allowFromNp('a', 'b')])
    const v = verdict(s, 'b/x', 'a/x')
    expect(v.outcome).toBe('denied')
    expect(v.ingress.tiers?.decidedBy).toBe('Admin')
    expect(v.ingress.tiers?.admin.matches).toMatchObject([{ policy: { name: 'deny-b', priority: 10 }, ruleIndex: 0, action: 'Deny' }])
    expect(v.ingress.isolated).toBe(true)
  })

  it('an Admin Accept allows what NetworkPolicy isolation denies', () => {
    const s = state([cnp('accept-b', 'Admin', 10, ns('a'), { ingress: [{ action: 'Accept', peers: [ns('b')] }] })], [denyAllIngressNp('a')])
    expect(outcome(s, 'b/x', 'a/x')).toBe('allowed')
    expect(outcome(s, 'kube-system/dns', 'a/x')).toBe('denied')
  })

  it('an Admin Accept of egress still needs the destination ingress to allow', () => {
    const s = state([cnp('accept-egress', 'Admin', 1, ns('b'), { egress: [{ action: 'Accept', peers: [ns('a')] }] })], [denyAllIngressNp('a')])
    const v = verdict(s, 'b/x', 'a/x')
    expect(v.egress.tiers?.outcome).toBe('allowed')
    expect(v.outcome).toBe('denied')
  })

  it('Pass skips the rest of the Admin tier and NetworkPolicy decides', () => {
    const s = state(
      [
        cnp('pass', 'Admin', 1, ns('a'), { ingress: [{ action: 'Pass', peers: [ns('b')] }] }),
        cnp('deny', 'Admin', 2, ns('a'), { ingress: [{ action: 'Deny', peers: [everyNs] }] }),
      ],
      [allowFromNp('a', 'b')],
    )
    expect(outcome(s, 'b/x', 'a/x')).toBe('allowed')
    expect(verdict(s, 'b/x', 'a/x').ingress.tiers?.decidedBy).toBe('NetworkPolicy')
    expect(outcome(s, 'kube-system/dns', 'a/x')).toBe('denied')
  })

  it('Pass with no NetworkPolicy falls to the Baseline tier', () => {
    const s = state([
      cnp('pass', 'Admin', 1, ns('a'), { ingress: [{ action: 'Pass', peers: [ns('b')] }] }),
      cnp('base-deny', 'Baseline', 1, ns('a'), { ingress: [{ action: 'Deny', peers: [everyNs] }] }),
    ])
    const v = verdict(s, 'b/x', 'a/x')
    expect(v.outcome).toBe('denied')
    expect(v.ingress.tiers?.decidedBy).toBe('Baseline')
  })

  it('the Baseline tier is not consulted for pods a NetworkPolicy isolates', () => {
    const s = state([cnp('base-deny', 'Baseline', 1, ns('a'), { ingress: [{ action: 'Deny', peers: [everyNs] }] })], [allowFromNp('a', 'b')])
    const v = verdict(s, 'b/x', 'a/x')
    expect(v.outcome).toBe('allowed')
    expect(v.ingress.tiers?.baseline).toBeUndefined()
    expect(outcome(s, 'b/x', 'a/x')).toBe('allowed')
  })

  it('Baseline Pass falls through to the default allow', () => {
    const s = state([
      cnp('base', 'Baseline', 1, ns('a'), {
        ingress: [
          { action: 'Pass', peers: [ns('b')] },
          { action: 'Deny', peers: [everyNs] },
        ],
      }),
    ])
    expect(outcome(s, 'b/x', 'a/x')).toBe('allowed')
    expect(outcome(s, 'kube-system/dns', 'a/x')).toBe('denied')
  })

  it('lower priority numbers are evaluated first; rules in order, first match wins', () => {
    const s = state([
      cnp('late-accept', 'Admin', 20, ns('a'), { ingress: [{ action: 'Accept', peers: [everyNs] }] }),
      cnp('early-deny', 'Admin', 10, ns('a'), {
        ingress: [
          { action: 'Deny', peers: [ns('b')] },
          { action: 'Accept', peers: [ns('b')] },
        ],
      }),
    ])
    expect(outcome(s, 'b/x', 'a/x')).toBe('denied')
    expect(outcome(s, 'kube-system/dns', 'a/x')).toBe('allowed')
  })

  it('two policies of one tier and priority matching with different actions: undefined, naming both', () => {
    const s = state([
      cnp('one', 'Admin', 5, ns('a'), { ingress: [{ action: 'Accept', peers: [ns('b')] }] }),
      cnp('two', 'Admin', 5, ns('a'), { ingress: [{ action: 'Deny', peers: [everyNs] }] }),
    ])
    const v = verdict(s, 'b/x', 'a/x')
    expect(v.outcome).toBe('undefined')
    expect(v.allowed).toBe(false)
    expect(v.ingress.tiers?.admin.matches.map((m) => m.policy.name)).toEqual(['one', 'two'])
    // Only one of them matches traffic from kube-system: no conflict.
    expect(outcome(s, 'kube-system/dns', 'a/x')).toBe('denied')
  })

  it('same priority, same action: decided, not undefined', () => {
    const s = state([
      cnp('one', 'Admin', 5, ns('a'), { ingress: [{ action: 'Deny', peers: [ns('b')] }] }),
      cnp('two', 'Admin', 5, ns('a'), { ingress: [{ action: 'Deny', peers: [everyNs] }] }),
    ])
    expect(outcome(s, 'b/x', 'a/x')).toBe('denied')
  })

  it('subjects never select hostNetwork pods, and namespaces/pods peers never match them', () => {
    const s = state([cnp('deny-all', 'Admin', 1, everyNs, { ingress: [{ action: 'Deny', peers: [everyNs] }], egress: [{ action: 'Deny', peers: [everyNs] }] })])
    expect(outcome(s, 'node/h', 'a/x')).toBe('allowed')
    expect(outcome(s, 'a/x', 'node/h')).toBe('allowed')
    expect(outcome(s, 'a/x', 'b/x')).toBe('denied')
  })

  it('networks match pod addresses (v4 and v6) and addresses outside the cluster', () => {
    const s = state([cnp('deny-net', 'Admin', 1, ns('a'), { egress: [{ action: 'Deny', peers: [{ networks: ['10.0.1.0/24', 'fd00::/64'], source: src }] }] })])
    expect(outcome(s, 'a/x', 'b/x')).toBe('denied')
    expect(outcome(s, 'a/x', 'kube-system/dns')).toBe('allowed')
    expect(outcome(s, 'a/x', '10.0.1.77')).toBe('denied')
    expect(outcome(s, 'a/x', 'fd00::5')).toBe('denied')
    expect(outcome(s, 'a/x', '8.8.8.8')).toBe('allowed')
  })

  it('protocols: numbers, ranges, named ports resolved on the destination pod', () => {
    const s = state([
      cnp('deny', 'Admin', 1, ns('a'), {
        egress: [
          { action: 'Accept', peers: [everyNs], protocols: [{ destinationNamedPort: 'dns', source: src }] },
          { action: 'Accept', peers: [everyNs], protocols: [tcp(443), { udp: { destinationPort: { range: { start: 1000, end: 2000 } } }, source: src }] },
          { action: 'Deny', peers: [everyNs] },
        ],
      }),
    ])
    expect(outcome(s, 'a/x', 'kube-system/dns', 53, 'UDP')).toBe('allowed')
    expect(outcome(s, 'a/x', 'kube-system/dns', 53, 'TCP')).toBe('denied')
    expect(outcome(s, 'a/x', 'b/x', 443)).toBe('allowed')
    expect(outcome(s, 'a/x', 'b/x', 1500, 'UDP')).toBe('allowed')
    expect(outcome(s, 'a/x', 'b/x', 1500, 'TCP')).toBe('denied')
    expect(outcome(s, 'a/x', 'b/x', 80)).toBe('denied')
  })

  it('domainNames: an Accept that cannot be proven offline makes a denied connection unknown, never allowed', () => {
    const s = state([
      cnp('egress', 'Admin', 1, ns('a'), {
        egress: [
          { action: 'Accept', peers: [{ domainNames: ['example.com'], source: src }] },
          { action: 'Deny', peers: [{ networks: ['0.0.0.0/0'], source: src }] },
        ],
      }),
    ])
    const v = verdict(s, 'a/x', '93.184.216.34', 443)
    expect(v.outcome).toBe('unknown')
    expect(v.allowed).toBe(false)
    expect(v.egress.tiers?.admin.matches[0]).toMatchObject({ maybe: 'domainNames', action: 'Accept' })
    // Nothing would deny: the possible Accept changes nothing.
    expect(outcome(s, 'a/x', 'fd00::1', 443)).toBe('allowed')
  })

  it('nodes: may match hostNetwork pods and outside addresses, never ordinary pods', () => {
    const s = state([cnp('nodes', 'Admin', 1, ns('a'), { egress: [{ action: 'Deny', peers: [{ nodes: ALL, source: src }] }] })])
    expect(outcome(s, 'a/x', 'node/h')).toBe('unknown')
    expect(outcome(s, 'a/x', '192.168.0.99')).toBe('unknown')
    expect(outcome(s, 'a/x', 'b/x')).toBe('allowed')
  })

  it('nodes with Node objects in the input: matches the addresses and hostNetwork pods of the nodes whose labels match', () => {
    const node = (name: string, role: string, addresses: string[]) => ({ name, labels: { role }, addresses, source: src })
    const cnps = [cnp('nodes', 'Admin', 1, ns('a'), { egress: [{ action: 'Deny', peers: [{ nodes: sel({ role: 'control-plane' }), source: src }] }] })]
    const nodes = [node('cp-1', 'control-plane', ['192.168.0.10', '192.168.0.11']), node('w-1', 'worker', ['192.168.0.20'])]
    const s: ClusterState = { ...state(cnps), nodes }
    // node/h has the address 192.168.0.10: it runs on cp-1.
    expect(outcome(s, 'a/x', 'node/h')).toBe('denied')
    expect(outcome(s, 'a/x', '192.168.0.11')).toBe('denied')
    expect(outcome(s, 'a/x', '192.168.0.20')).toBe('allowed')
    expect(outcome(s, 'a/x', '192.168.0.99')).toBe('allowed')
    expect(outcome(s, 'a/x', 'b/x')).toBe('allowed')
    // spec.nodeName names the node when it is known, whatever the pod's address says.
    const onWorker = { ...s, pods: s.pods.map((p) => (p.hostNetwork ? { ...p, nodeName: 'w-1' } : p)) }
    expect(outcome(onWorker, 'a/x', 'node/h')).toBe('allowed')
    // A hostNetwork pod whose node is not known may be on a selected node: unknown; if no node is selected, it is not.
    const lost = { ...s, pods: s.pods.map((p) => (p.hostNetwork ? { ...p, ips: ['192.168.9.9'] } : p)) }
    expect(outcome(lost, 'a/x', 'node/h')).toBe('unknown')
    expect(outcome({ ...lost, nodes: [node('w-1', 'worker', ['192.168.0.20'])] }, 'a/x', 'node/h')).toBe('allowed')
    // The trace names the rule as a certain match.
    expect(verdict(s, 'a/x', '192.168.0.10').egress.tiers?.admin.matches[0]).toMatchObject({ action: 'Deny', peerIndex: 0 })
    expect(verdict(s, 'a/x', '192.168.0.10').egress.tiers?.admin.matches[0]?.maybe).toBeUndefined()
  })

  it('a pod connecting to itself is not subject to ClusterNetworkPolicy', () => {
    const s = state([cnp('deny-all', 'Admin', 1, everyNs, { ingress: [{ action: 'Deny', peers: [everyNs] }] })])
    const v = verdict(s, 'a/x', 'a/x')
    expect(v.outcome).toBe('allowed')
    expect(v.loopback).toBe(true)
  })

  it('pods peers select by namespace AND pod labels', () => {
    const s = state([cnp('deny', 'Admin', 1, ns('a'), { ingress: [{ action: 'Deny', peers: [podsIn('b', 'y')] }] })])
    expect(outcome(s, 'b/y', 'a/x')).toBe('denied')
    expect(outcome(s, 'b/x', 'a/x')).toBe('allowed')
  })

  it('states without ClusterNetworkPolicies keep their verdicts exactly (no outcome, no tiers)', () => {
    const s: ClusterState = { ...state([]), clusterNetworkPolicies: [] }
    const v = verdict(s, 'b/x', 'a/x')
    expect(v.outcome).toBeUndefined()
    expect(v.ingress.tiers).toBeUndefined()
  })
})

describe('protocol entries in words', () => {
  it('read like NetworkPolicy ports (PORT/PROTOCOL, ranges), a named port by its name', () => {
    expect(formatClusterProtocol({ tcp: { destinationPort: { number: 80 } }, source: src })).toBe('80/TCP')
    expect(formatClusterProtocol({ udp: { destinationPort: { range: { start: 5000, end: 5100 } } }, source: src })).toBe('5000-5100/UDP')
    expect(formatClusterProtocol({ destinationNamedPort: 'dns', source: src })).toBe('named port dns')
  })
})
