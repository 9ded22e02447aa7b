/**
 * fast-check arbitraries for whole clusters: namespaces with labels, pods with labels, IPs (v4,
 * v6, none), named container ports and hostNetwork, and policies of every shape (selectors with
 * expressions, ipBlocks with except, named ports, endPort, SCTP, explicit and defaulted
 * policyTypes). Pools are small so that selectors, names and addresses collide often.
 */
import fc from 'fast-check'
import type {
  ClusterState,
  ContainerPort,
  LabelSelector,
  LabelSelectorRequirement,
  Namespace,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  Pod,
  PolicyType,
  Protocol,
} from '../../src/model/types.js'
import { NAMESPACE_NAME_LABEL } from '../../src/model/types.js'
import type { Endpoint, Traffic } from '../../src/engine/verdict.js'

const src = (line: number) => ({ file: 'gen.yaml', line })
const NS_NAMES = ['x', 'y', 'z', 'w']
const PROTOCOLS: Protocol[] = ['TCP', 'UDP', 'SCTP']
export const PORT_NUMBERS = [53, 80, 81, 443, 8080, 8443]
const PORT_NAMES = ['http', 'dns', 'metrics']

const labelsArb = (keys: readonly string[], values: readonly string[]) =>
  fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...values), { maxKeys: keys.length })

const POD_KEYS = ['app', 'tier', 'pod']
const POD_VALUES = ['a', 'b', 'c']
const NS_KEYS = ['team', 'env']
const NS_VALUES = ['a', 'b']

/** One matchExpressions entry over `keys` and `values` (In/NotIn with values, Exists/DoesNotExist without). */
export function requirementArb(keys: readonly string[], values: readonly string[]): fc.Arbitrary<LabelSelectorRequirement> {
  return fc.oneof(
    fc.record({
      key: fc.constantFrom(...keys),
      operator: fc.constantFrom<'In' | 'NotIn'>('In', 'NotIn'),
      values: fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 2 }),
    }),
    fc.record({
      key: fc.constantFrom(...keys),
      operator: fc.constantFrom<'Exists' | 'DoesNotExist'>('Exists', 'DoesNotExist'),
      values: fc.constant([] as string[]),
    }),
  )
}

function selectorArb(keys: readonly string[], values: readonly string[]): fc.Arbitrary<LabelSelector> {
  const req = requirementArb(keys, values)
  return fc.record({
    matchLabels: fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...values), { maxKeys: 2 }),
    matchExpressions: fc.array(req, { maxLength: 2 }),
  })
}

const CIDR_BLOCKS: { cidr: string; except: string[][] }[] = [
  { cidr: '10.0.0.0/16', except: [[], ['10.0.1.0/24'], ['10.0.0.0/30', '10.0.2.4/30']] },
  { cidr: '10.0.1.0/24', except: [[], ['10.0.1.4/31']] },
  { cidr: '0.0.0.0/0', except: [[], ['10.0.0.0/8'], ['169.254.169.254/32']] },
  { cidr: '192.0.2.0/24', except: [[]] },
  { cidr: 'fd00::/64', except: [[], ['fd00::8/125']] },
  { cidr: '::/0', except: [[]] },
]

const ipBlockArb = fc.constantFrom(...CIDR_BLOCKS).chain((b) => fc.constantFrom(...b.except).map((except) => ({ cidr: b.cidr, except })))

function peerArb(line: number): fc.Arbitrary<NetworkPolicyPeer> {
  return fc.oneof(
    selectorArb(POD_KEYS, POD_VALUES).map((podSelector) => ({ podSelector, source: src(line) })),
    selectorArb(NS_KEYS, NS_VALUES).map((namespaceSelector) => ({ namespaceSelector, source: src(line) })),
    fc.record({ podSelector: selectorArb(POD_KEYS, POD_VALUES), namespaceSelector: selectorArb(NS_KEYS, NS_VALUES) }).map((p) => ({ ...p, source: src(line) })),
    ipBlockArb.map((ipBlock) => ({ ipBlock, source: src(line) })),
  )
}

const portArb: fc.Arbitrary<NetworkPolicyPort> = fc
  .oneof(
    fc.record({ protocol: fc.constantFrom(...PROTOCOLS) }),
    fc.record({ protocol: fc.constantFrom(...PROTOCOLS), port: fc.constantFrom(...PORT_NUMBERS) }),
    fc.record({ protocol: fc.constantFrom(...PROTOCOLS), port: fc.constantFrom(...PORT_NAMES) }),
    fc
      .record({ protocol: fc.constantFrom(...PROTOCOLS), port: fc.constantFrom(53, 80, 8000), endPort: fc.constantFrom(81, 8080, 8443) })
      .filter((p) => p.endPort >= p.port),
  )
  .map((p) => ({ ...p, source: src(7) }))

const rulePartsArb = (line: number) => fc.record({ peers: fc.array(peerArb(line), { maxLength: 3 }), ports: fc.array(portArb, { maxLength: 3 }) })

export function policyArb(namespaces: readonly string[], name: string): fc.Arbitrary<NetworkPolicy> {
  return fc
    .record({
      namespace: fc.constantFrom(...namespaces),
      podSelector: selectorArb(POD_KEYS, POD_VALUES),
      ingress: fc.array(rulePartsArb(10), { maxLength: 3 }),
      egress: fc.array(rulePartsArb(20), { maxLength: 3 }),
      explicitTypes: fc.option(fc.subarray<PolicyType>(['Ingress', 'Egress'], { minLength: 1 })),
    })
    .map((r) => ({
      namespace: r.namespace,
      name,
      podSelector: r.podSelector,
      policyTypes: r.explicitTypes ?? (r.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress']),
      ingress: r.ingress.map((x, i) => ({ from: x.peers, ports: x.ports, source: src(30 + i) })),
      egress: r.egress.map((x, i) => ({ to: x.peers, ports: x.ports, source: src(40 + i) })),
      source: src(1),
    }))
}

const ipv4Arb = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 7 })).map(([a, b]) => `10.0.${a}.${b}`)
const ipv6Arb = fc.integer({ min: 0, max: 15 }).map((n) => `fd00::${n.toString(16)}`)
const podIpsArb = fc.oneof(
  fc.tuple(ipv4Arb).map(([a]) => [a]),
  fc.tuple(ipv4Arb, ipv6Arb).map(([a, b]) => [a, b]),
  fc.tuple(ipv6Arb).map(([a]) => [a]),
  fc.constant([] as string[]),
)

const containerPortArb: fc.Arbitrary<ContainerPort> = fc
  .record({
    name: fc.option(fc.constantFrom(...PORT_NAMES), { nil: undefined }),
    containerPort: fc.constantFrom(...PORT_NUMBERS),
    protocol: fc.constantFrom(...PROTOCOLS),
  })
  .map((p) =>
    p.name === undefined ? { containerPort: p.containerPort, protocol: p.protocol } : { name: p.name, containerPort: p.containerPort, protocol: p.protocol },
  )

export const clusterArb: fc.Arbitrary<ClusterState> = clusterArbOf({ maxPods: 9, maxPolicies: 5 })

/** Clusters of up to `maxPods` pods and `maxPolicies` policies. */
export function clusterArbOf(limits: { minPods?: number; maxPods: number; maxPolicies: number }): fc.Arbitrary<ClusterState> {
  return fc
    .uniqueArray(fc.constantFrom(...NS_NAMES), { minLength: 1, maxLength: 4 })
    .chain((nsNames) =>
      fc.record({
        namespaces: fc.tuple(
          ...nsNames.map((n) =>
            labelsArb(NS_KEYS, NS_VALUES).map((labels): Namespace => ({ name: n, labels: { ...labels, [NAMESPACE_NAME_LABEL]: n }, implicit: false })),
          ),
        ),
        pods: fc.array(
          fc.record({
            namespace: fc.constantFrom(...nsNames),
            labels: labelsArb(POD_KEYS, POD_VALUES),
            ips: podIpsArb,
            containerPorts: fc.uniqueArray(containerPortArb, { maxLength: 3, selector: (p) => p.name ?? `#${p.containerPort}/${p.protocol}` }),
            hostNetwork: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
            // 0: the node is unknown (no spec.nodeName); node traffic depends on the pods sharing one.
            node: fc.integer({ min: 0, max: 2 }),
          }),
          { minLength: limits.minPods ?? 0, maxLength: limits.maxPods },
        ),
        policies: fc
          .array(fc.constant(null), { maxLength: limits.maxPolicies })
          .chain((slots) => fc.tuple(...slots.map((_, i) => policyArb(nsNames, `np-${i}`)))),
      }),
    )
    .map(({ namespaces, pods, policies }) => ({
      namespaces,
      pods: pods.map(({ node, ...p }, i): Pod => ({ ...p, ...(node > 0 ? { nodeName: `node-${node}` } : {}), name: `p${i}`, source: src(100 + i) })),
      policies,
    }))
}

/** Traffic between pods of the state and a few outside addresses. */
export function trafficArb(state: ClusterState): fc.Arbitrary<Traffic> {
  const externals = ['10.0.1.5', '10.0.2.5', '192.0.2.9', '169.254.169.254', '8.8.8.8', 'fd00::3', 'fd00::9', '2001:db8::1']
  const endpoints: fc.Arbitrary<Endpoint> =
    state.pods.length === 0
      ? fc.constantFrom(...externals).map((ip): Endpoint => ({ kind: 'ip', ip }))
      : fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...state.pods).map((pod): Endpoint => ({ kind: 'pod', pod })) },
          { weight: 1, arbitrary: fc.constantFrom(...externals).map((ip): Endpoint => ({ kind: 'ip', ip })) },
        )
  return fc.record({ from: endpoints, to: endpoints, port: fc.constantFrom(...PORT_NUMBERS, 81, 8000, 9999), protocol: fc.constantFrom(...PROTOCOLS) })
}
