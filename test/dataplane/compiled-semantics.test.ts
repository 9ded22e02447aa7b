import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileRuleset } from '../../src/dataplane/compile-ruleset.js'
import { parseNftScript, type NftRuleset } from '../../src/dataplane/nft-interpreter.js'
import { simulateConnection } from '../../src/dataplane/simulate-connection.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import type { Endpoint, Traffic } from '../../src/engine/verdict.js'
import type { ClusterState, LabelSelector, NetworkPolicyPeer, NetworkPolicyPort, Pod, Protocol } from '../../src/model/types.js'
import { NAMESPACE_NAME_LABEL } from '../../src/model/types.js'
import { buildState } from '../cases/build-state.js'
import { trafficOf } from '../cases/resolve-endpoint.js'
import type { ReachabilityCase } from '../cases/case-types.js'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { loadManifests } from '../../src/cluster/load-manifests.js'

/** Every shared case table (test/cases/*-cases.ts), so new tables run through the data plane too. */
const caseTables: { file: string; cases: readonly ReachabilityCase[] }[] = []
for (const file of readdirSync(new URL('../cases/', import.meta.url))
  .filter((f) => f.endsWith('-cases.ts'))
  .sort()) {
  // The static `-cases.ts` suffix lets Vite resolve the variable import (no "invalid import" warning).
  const mod = (await import(`../cases/${file.slice(0, -'-cases.ts'.length)}-cases.ts`)) as Record<string, unknown>
  const cases = Object.values(mod).filter(
    (v): v is readonly ReachabilityCase[] => Array.isArray(v) && v.every((c) => typeof c === 'object' && c !== null && 'manifests' in c && 'expect' in c),
  )
  caseTables.push({ file, cases: cases.flat() })
}

/** Compiles one ruleset per node and parses it with the pure interpreter. */
function compileCluster(state: ClusterState): Map<string, NftRuleset> {
  const nodes = [...new Set(state.pods.map((p) => p.nodeName).filter((n): n is string => n !== undefined))].sort()
  return new Map(nodes.map((node) => [node, parseNftScript(compileRuleset(state, { nodeName: node }).script)]))
}

/**
 * Node-originated traffic to a pod on the same node is never filtered (kubelet probes; docs/dataplane.md),
 * and the evaluators allow it too (the API reference: traffic from the pod's local node).
 */
function isNodeLocalHostTraffic(t: Traffic): boolean {
  return t.from.kind === 'pod' && t.from.pod.hostNetwork && t.to.kind === 'pod' && t.from.pod.nodeName === t.to.pod.nodeName
}

function placeOnNodes(state: ClusterState, layout: 'one-node' | 'two-nodes'): ClusterState {
  return {
    ...state,
    pods: state.pods.map((p, i) => ({ ...p, nodeName: layout === 'one-node' ? 'n1' : i % 2 === 0 ? 'n1' : 'n2' })),
  }
}

describe('compiled ruleset + nft interpreter agree with the reference evaluator', () => {
  it('finds the shared case tables', () => {
    expect(caseTables.map((t) => t.file)).toContain('semantics-cases.ts')
    for (const t of caseTables) expect(t.cases.length, t.file).toBeGreaterThan(0)
  })

  for (const layout of ['one-node', 'two-nodes'] as const) {
    describe(`shared case tables, ${layout}`, () => {
      for (const c of caseTables.flatMap((t) => t.cases)) {
        it(c.name, () => {
          const state = placeOnNodes(buildState(c.manifests), layout)
          const rulesets = compileCluster(state)
          for (const x of c.expect) {
            const t = trafficOf(state, x)
            const sim = simulateConnection(rulesets, t)
            const label = `${x.from} -> ${x.to} ${x.port}/${x.protocol}`
            // The case's expectation holds where it placed the pods; moved onto other nodes, the evaluators decide.
            if (isNodeLocalHostTraffic(t)) {
              expect(sim.allowed, label).toBe(true)
              expect(referenceEvaluator(state).isAllowed(t), label).toBe(true)
            } else if (t.from.kind === 'pod' && t.from.pod.hostNetwork) expect(sim.allowed, label).toBe(referenceEvaluator(state).isAllowed(t))
            else expect(sim.allowed, label).toBe(x.allowed)
          }
        })
      }
    })
  }

  describe('bundled examples (real loader), pods spread over two nodes, every pair and declared port', () => {
    const examples = readdirSync('examples', { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
    for (const example of examples) {
      it(example, async () => {
        const { state: loaded } = await loadManifests([join('examples', example)])
        if ((loaded.clusterNetworkPolicies?.length ?? 0) > 0) {
          // The data plane does not enforce ClusterNetworkPolicy yet: it refuses the state (unenforced-kinds.test.ts).
          expect(() => compileRuleset(loaded, { nodeName: 'n1' })).toThrow(/does not enforce ClusterNetworkPolicy yet/)
          return
        }
        // Offline manifests may lack pod IPs: give each pod one, like the lab does.
        const state: ClusterState = {
          ...loaded,
          pods: loaded.pods.map((p, i) => ({
            ...p,
            ips: p.ips.length > 0 ? p.ips : [`10.244.${Math.floor(i / 200)}.${(i % 200) + 2}`],
            nodeName: i % 2 === 0 ? 'n1' : 'n2',
          })),
        }
        const rulesets = compileCluster(state)
        const reference = referenceEvaluator(state)
        const ports = [
          ...new Map(
            state.pods.flatMap((p) => p.containerPorts).map((c) => [`${c.containerPort}/${c.protocol}`, { port: c.containerPort, protocol: c.protocol }]),
          ).values(),
        ]
        expect(ports.length).toBeGreaterThan(0)
        let compared = 0
        for (const a of state.pods) {
          for (const b of state.pods) {
            for (const { port, protocol } of ports) {
              const t: Traffic = { from: { kind: 'pod', pod: a }, to: { kind: 'pod', pod: b }, port, protocol }
              expect(simulateConnection(rulesets, t).allowed, `${a.namespace}/${a.name} -> ${b.namespace}/${b.name} ${port}/${protocol}`).toBe(
                reference.isAllowed(t),
              )
              compared++
            }
          }
        }
        expect(compared).toBeGreaterThan(0)
      })
    }
  })

  it('on generated clusters, the same state in any order compiles to byte-identical text (fast-check)', () => {
    fc.assert(
      fc.property(clusterArb, fc.integer({ min: 1, max: 1000 }), (state, seed) => {
        const rotate = <T>(xs: readonly T[]): T[] => xs.map((_, i) => xs[(i + seed) % xs.length])
        const shuffled: ClusterState = { namespaces: rotate(state.namespaces).reverse(), pods: rotate(state.pods), policies: rotate(state.policies).reverse() }
        for (const node of ['n1', 'n2']) expect(compileRuleset(shuffled, { nodeName: node }).script).toBe(compileRuleset(state, { nodeName: node }).script)
      }),
      { numRuns: 100 },
    )
  })

  it('on generated clusters, every pair and port (fast-check)', () => {
    fc.assert(
      fc.property(clusterArb, (state) => {
        const rulesets = compileCluster(state)
        const reference = referenceEvaluator(state)
        const endpoints: Endpoint[] = [...state.pods.map((pod) => ({ kind: 'pod' as const, pod })), ...EXTERNAL_IPS.map((ip) => ({ kind: 'ip' as const, ip }))]
        for (const from of endpoints) {
          for (const to of endpoints) {
            for (const { port, protocol } of PROBES) {
              const t: Traffic = { from, to, port, protocol }
              const sim = simulateConnection(rulesets, t)
              if (sim.note === 'the endpoints share no IP family') continue
              const expected = reference.isAllowed(t)
              if (sim.allowed !== expected) {
                const name = (e: Endpoint): string => (e.kind === 'pod' ? `${e.pod.namespace}/${e.pod.name}` : e.ip)
                throw new Error(`${name(from)} -> ${name(to)} ${port}/${protocol}: dataplane ${sim.allowed}, reference ${expected}`)
              }
            }
          }
        }
      }),
      { numRuns: 150 },
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Generated clusters: small label/port vocabularies so selectors, named ports and ipBlocks collide often.

const PROBES: readonly { port: number; protocol: Protocol }[] = [
  { port: 80, protocol: 'TCP' },
  { port: 81, protocol: 'TCP' },
  { port: 84, protocol: 'TCP' },
  { port: 8080, protocol: 'TCP' },
  { port: 53, protocol: 'UDP' },
  { port: 80, protocol: 'UDP' },
  { port: 9000, protocol: 'SCTP' },
]
const EXTERNAL_IPS = ['203.0.113.9', '10.0.0.200', 'fd00::ff']
const NODE_IPS: Record<string, { v4: string; v6: string }> = { n1: { v4: '192.168.0.1', v6: 'fd01::1' }, n2: { v4: '192.168.0.2', v6: 'fd01::2' } }
const NAMESPACES = ['x', 'y', 'z']
const src = { file: 'generated.yaml', line: 1 }

const selectorArb: fc.Arbitrary<LabelSelector> = fc.oneof(
  fc.constant({ matchLabels: {}, matchExpressions: [] }),
  fc.constantFrom('a', 'b', 'c').map((v) => ({ matchLabels: { app: v }, matchExpressions: [] })),
  fc.subarray(['a', 'b', 'c'], { minLength: 1 }).map((vs) => ({ matchLabels: {}, matchExpressions: [{ key: 'app', operator: 'In' as const, values: vs }] })),
  fc.constant({ matchLabels: {}, matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' as const, values: [] }] }),
  fc.constant({ matchLabels: {}, matchExpressions: [{ key: 'team', operator: 'NotIn' as const, values: ['red'] }] }),
)

const ipBlockArb = fc.constantFrom(
  { cidr: '10.0.0.0/24', except: [] },
  { cidr: '10.0.0.0/24', except: ['10.0.0.0/29', '10.0.0.16/28'] },
  { cidr: '10.0.0.128/25', except: [] },
  { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] },
  { cidr: '192.168.0.0/24', except: [] },
  { cidr: 'fd00::/64', except: ['fd00::/125'] },
  { cidr: '::/0', except: [] },
  { cidr: '203.0.113.0/24', except: [] },
)

const peerArb: fc.Arbitrary<NetworkPolicyPeer> = fc.oneof(
  selectorArb.map((podSelector) => ({ podSelector, source: src })),
  selectorArb.map((s) => ({ namespaceSelector: s.matchLabels.app ? { matchLabels: { team: s.matchLabels.app }, matchExpressions: [] } : s, source: src })),
  fc
    .tuple(selectorArb, fc.constantFrom('a', 'b'))
    .map(([podSelector, team]) => ({ podSelector, namespaceSelector: { matchLabels: { team }, matchExpressions: [] }, source: src })),
  ipBlockArb.map((ipBlock) => ({ ipBlock, source: src })),
)

const portArb: fc.Arbitrary<NetworkPolicyPort> = fc.oneof(
  fc.constantFrom<Protocol>('TCP', 'UDP', 'SCTP').map((protocol) => ({ protocol, source: src })),
  fc.constantFrom(80, 81, 53, 9000).chain((port) => fc.constantFrom<Protocol>('TCP', 'UDP', 'SCTP').map((protocol) => ({ protocol, port, source: src }))),
  fc.constant({ protocol: 'TCP' as Protocol, port: 81, endPort: 85, source: src }),
  fc.constant({ protocol: 'TCP' as Protocol, port: 8000, endPort: 8080, source: src }),
  fc
    .constantFrom('http', 'dns', 'sctp-svc')
    .chain((name) => fc.constantFrom<Protocol>('TCP', 'UDP', 'SCTP').map((protocol) => ({ protocol, port: name, source: src }))),
)

const ruleArb = fc.record({ peers: fc.array(peerArb, { maxLength: 2 }), ports: fc.array(portArb, { maxLength: 2 }) })

const policyArb = fc.record({
  namespace: fc.constantFrom(...NAMESPACES),
  podSelector: selectorArb,
  types: fc.constantFrom(['Ingress'], ['Egress'], ['Ingress', 'Egress']),
  ingress: fc.array(ruleArb, { maxLength: 2 }),
  egress: fc.array(ruleArb, { maxLength: 2 }),
})

const CONTAINER_PORTS = [
  { name: 'http', containerPort: 80, protocol: 'TCP' as Protocol },
  { name: 'http', containerPort: 8080, protocol: 'TCP' as Protocol },
  { name: 'dns', containerPort: 53, protocol: 'UDP' as Protocol },
  { name: 'sctp-svc', containerPort: 9000, protocol: 'SCTP' as Protocol },
  { containerPort: 81, protocol: 'TCP' as Protocol },
]

const podArb = fc.record({
  namespace: fc.constantFrom(...NAMESPACES),
  app: fc.constantFrom('a', 'b', 'c'),
  tier: fc.option(fc.constant('web'), { nil: undefined }),
  node: fc.constantFrom('n1', 'n2'),
  hostNetwork: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
  ports: fc.subarray([0, 1, 2, 3, 4]),
  v6: fc.boolean(),
})

const clusterArb: fc.Arbitrary<ClusterState> = fc
  .record({
    teams: fc.tuple(fc.constantFrom('a', 'b', 'red'), fc.constantFrom('a', 'b', 'red'), fc.constantFrom('a', 'b', 'red')),
    pods: fc.array(podArb, { minLength: 1, maxLength: 7 }),
    policies: fc.array(policyArb, { maxLength: 5 }),
  })
  .map(({ teams, pods, policies }) => {
    const hostUsed = new Set<string>()
    const outPods: Pod[] = pods.map((p, i) => {
      // At most one hostNetwork pod per node: they share the node's address.
      const hostNetwork = p.hostNetwork && !hostUsed.has(p.node)
      if (hostNetwork) hostUsed.add(p.node)
      // Pods cycle through 10.0.0.0/24 so some fall in the excepts and some outside 10.0.0.128/25.
      const ip = hostNetwork ? (p.v6 ? NODE_IPS[p.node].v6 : NODE_IPS[p.node].v4) : p.v6 ? `fd00::${(i * 7 + 3).toString(16)}` : `10.0.0.${i * 37 + 3}`
      return {
        namespace: p.namespace,
        name: `p${i}`,
        labels: { app: p.app, ...(p.tier ? { tier: p.tier } : {}) },
        ips: [ip],
        containerPorts: p.ports.map((k) => CONTAINER_PORTS[k]),
        hostNetwork,
        nodeName: p.node,
        source: src,
      }
    })
    return {
      namespaces: NAMESPACES.map((name, i) => ({ name, labels: { team: teams[i], [NAMESPACE_NAME_LABEL]: name }, implicit: false })),
      pods: outPods,
      policies: policies.map((p, i) => ({
        namespace: p.namespace,
        name: `np${i}`,
        podSelector: p.podSelector,
        policyTypes: [...p.types],
        ingress: p.ingress.map((r) => ({ from: r.peers, ports: r.ports, source: src })),
        egress: p.egress.map((r) => ({ to: r.peers, ports: r.ports, source: src })),
        source: src,
      })),
    }
  })
