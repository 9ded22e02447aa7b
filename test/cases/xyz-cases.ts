/**
 * The upstream Kubernetes e2e NetworkPolicy model and scenarios, as data.
 *
 * Model (test/e2e/network/netpol in kubernetes/kubernetes): namespaces x, y, z (labelled ns=x
 * etc., plus the automatic kubernetes.io/metadata.name), pods a, b, c in each (labelled pod=a
 * etc.), each serving ports 80 and 81 over TCP, UDP and SCTP with container ports named like
 * upstream (`serve-80-tcp`, `serve-81-udp`, ...).
 *
 * Each scenario carries the upstream test's name and its policies, and its expectations are built
 * with the same truth-table statements the upstream test makes (NewReachability(default true),
 * ExpectPeer, ExpectAllIngress, ExpectAllEgress, Expect), applied in the same order, over the
 * full 9-pod model. Where the current upstream test creates only a subset of the pods, the
 * statements are extended to the missing pods the way the test's comments describe (noted per
 * case). Upstream ignores loopback; netpol's rule is that a pod reaching itself is always allowed,
 * so every self pair is expected allowed. Steps that mutate state (update a policy, relabel a
 * namespace or pod, delete policies) become one case per step. Cases marked "netpol:" have no
 * upstream counterpart (endPort) and follow the API reference.
 */
import { documents, namespaceYaml, podYaml, type Expectation, type ReachabilityCase } from './case-types.js'
import type { Protocol } from '../../src/model/types.js'

export const XYZ_NAMESPACES = ['x', 'y', 'z'] as const
export const XYZ_PODS = ['a', 'b', 'c'] as const
export const XYZ_PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP']
export const XYZ_PORTS = [80, 81] as const

/** Pod IP of ns/pod in the model: 10.1.<ns index>.<pod index>, all inside 0.0.0.0/4. */
export function xyzPodIp(ns: string, pod: string): string {
  return `10.1.${XYZ_NAMESPACES.indexOf(ns as 'x') + 1}.${XYZ_PODS.indexOf(pod as 'a') + 1}`
}

const ALL_PODS = XYZ_NAMESPACES.flatMap((ns) => XYZ_PODS.map((p) => `${ns}/${p}`))

interface ModelChanges {
  /** Extra namespace labels (upstream AddNamespaceLabel). */
  readonly namespaceLabels?: Readonly<Record<string, Readonly<Record<string, string>>>>
  /** Extra pod labels by ns/pod (upstream AddPodLabels). */
  readonly podLabels?: Readonly<Record<string, Readonly<Record<string, string>>>>
}

export function xyzManifests(policies: readonly string[], changes: ModelChanges = {}): string {
  const ports = XYZ_PORTS.flatMap((port) => XYZ_PROTOCOLS.map((protocol) => ({ port, protocol, name: `serve-${port}-${protocol.toLowerCase()}` })))
  return documents(
    ...XYZ_NAMESPACES.map((ns) => namespaceYaml(ns, { ns, ...(changes.namespaceLabels?.[ns] ?? {}) })),
    ...XYZ_NAMESPACES.flatMap((ns) => XYZ_PODS.map((p) => podYaml(ns, p, { pod: p, ...(changes.podLabels?.[`${ns}/${p}`] ?? {}) }, [xyzPodIp(ns, p)], ports))),
    ...policies,
  )
}

/** A peer of the upstream Reachability helpers: empty matches every pod. */
interface Peer {
  readonly namespace?: string
  readonly pod?: string
}

function peerHas(peer: Peer, podString: string): boolean {
  const [ns, pod] = podString.split('/')
  return (peer.namespace === undefined || peer.namespace === ns) && (peer.pod === undefined || peer.pod === pod)
}

/** The upstream truth-table statements, over the full model. */
class Reachability {
  private readonly cells = new Map<string, boolean>()
  constructor(defaultExpectation: boolean) {
    for (const f of ALL_PODS) for (const t of ALL_PODS) this.cells.set(`${f}>${t}`, defaultExpectation)
  }
  expect(from: string, to: string, connected: boolean): this {
    this.cells.set(`${from}>${to}`, connected)
    return this
  }
  expectPeer(from: Peer, to: Peer, connected: boolean): this {
    for (const f of ALL_PODS) for (const t of ALL_PODS) if (peerHas(from, f) && peerHas(to, t)) this.expect(f, t, connected)
    return this
  }
  expectAllIngress(pod: string, connected: boolean): this {
    for (const f of ALL_PODS) this.expect(f, pod, connected)
    return this
  }
  expectAllEgress(pod: string, connected: boolean): this {
    for (const t of ALL_PODS) this.expect(pod, t, connected)
    return this
  }
  table(port: number, protocol: Protocol): Expectation[] {
    const out: Expectation[] = []
    for (const from of ALL_PODS) {
      for (const to of ALL_PODS) out.push({ from, to, port, protocol, allowed: from === to ? true : this.cells.get(`${from}>${to}`)! })
    }
    return out
  }
}

const R = (defaultExpectation = true): Reachability => new Reachability(defaultExpectation)

/** One NetworkPolicy as YAML (the shape upstream's GenNetworkPolicy* helpers build). */
function policy(namespace: string, name: string, spec: string): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ${name}
  namespace: ${JSON.stringify(namespace)}
spec:
${spec
  .trim()
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}`
}

interface Scenario {
  readonly name: string
  readonly policies: readonly string[]
  readonly changes?: ModelChanges
  readonly probes: readonly { readonly port: number; readonly protocol: Protocol; readonly reachability: Reachability }[]
}

const NS_NAME = 'kubernetes.io/metadata.name'

const denyIngressX = policy(
  'x',
  'deny-ingress',
  `
podSelector: {}
policyTypes: [Ingress]
ingress: []`,
)

const denyAllX = policy(
  'x',
  'deny-all',
  `
podSelector: {}
policyTypes: [Ingress, Egress]
ingress: []
egress: []`,
)

const allowPort81FromY = policy(
  'x',
  'allow-client-a-via-ns-selector',
  `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - namespaceSelector: {matchLabels: {${NS_NAME}: "y"}}
  ports:
  - {port: 81, protocol: TCP}`,
)

const allowPort80FromY = policy(
  'x',
  'allow-client-a-via-ns-selector-80',
  `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - namespaceSelector: {matchLabels: {${NS_NAME}: "y"}}
  ports:
  - {port: 80, protocol: TCP}`,
)

const exceptAroundXB = policy(
  'x',
  'allow-client-a-via-cidr-egress-rule',
  `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Egress]
egress:
- to:
  - ipBlock:
      cidr: 0.0.0.0/4
      except: [${xyzPodIp('x', 'b')}/32]`,
)

const scenarios: Scenario[] = [
  {
    name: "should support a 'default-deny-ingress' policy",
    policies: [denyIngressX],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectPeer({}, { namespace: 'x' }, false) }],
  },
  {
    name: "should support a 'default-deny-all' policy",
    policies: [denyAllX],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectPeer({}, { namespace: 'x' }, false).expectPeer({ namespace: 'x' }, {}, false) }],
  },
  {
    name: 'should enforce policy to allow traffic from pods within server namespace based on PodSelector',
    policies: [
      policy(
        'x',
        'x-a-allows-x-b',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - podSelector: {matchLabels: {pod: b}}`,
      ),
    ],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectAllIngress('x/a', false).expect('x/b', 'x/a', true) }],
  },
  {
    // Upstream creates x/a, x/b, y/a; deny-all covers x/c like x/b.
    name: 'should enforce policy to allow ingress traffic for a target',
    policies: [
      policy(
        'x',
        'deny-all',
        `
podSelector: {}
policyTypes: [Ingress]
ingress: []`,
      ),
      policy(
        'x',
        'allow-all-to-a',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - podSelector: {}
    namespaceSelector: {}`,
      ),
    ],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectPeer({}, { namespace: 'x' }, false).expectAllIngress('x/a', true) }],
  },
  {
    name: 'should enforce policy to allow ingress traffic from pods in all namespaces',
    policies: [
      policy(
        'x',
        'allow-from-another-ns',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - namespaceSelector: {matchLabels: {}}`,
      ),
    ],
    probes: [{ port: 80, protocol: 'TCP', reachability: R() }],
  },
  {
    name: 'should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector',
    policies: [
      policy(
        'x',
        'allow-client-a-via-ns-selector',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - namespaceSelector: {matchLabels: {${NS_NAME}: "y"}}`,
      ),
    ],
    probes: [
      {
        port: 80,
        protocol: 'TCP',
        reachability: R()
          .expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false)
          .expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false),
      },
    ],
  },
  {
    name: 'should enforce policy based on PodSelector with MatchExpressions',
    policies: [
      policy(
        'x',
        'x-a-allows-x-b',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - podSelector:
      matchExpressions:
      - {key: pod, operator: In, values: [b]}`,
      ),
    ],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectAllIngress('x/a', false).expect('x/b', 'x/a', true) }],
  },
  {
    name: 'should enforce policy based on NamespaceSelector with MatchExpressions',
    policies: [
      policy(
        'x',
        'allow-ns-y-match-selector',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - namespaceSelector:
      matchExpressions:
      - {key: ${NS_NAME}, operator: In, values: ["y"]}`,
      ),
    ],
    probes: [
      {
        port: 80,
        protocol: 'TCP',
        reachability: R()
          .expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false)
          .expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false),
      },
    ],
  },
  {
    name: 'should enforce policy based on PodSelector or NamespaceSelector',
    policies: [
      policy(
        'x',
        'allow-ns-y-match-selector',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - namespaceSelector:
      matchExpressions:
      - {key: ${NS_NAME}, operator: NotIn, values: ["x"]}
  - podSelector: {matchLabels: {pod: b}}`,
      ),
    ],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expect('x/a', 'x/a', false).expect('x/c', 'x/a', false) }],
  },
  {
    name: 'should enforce policy based on PodSelector and NamespaceSelector',
    policies: [
      policy(
        'x',
        'allow-ns-y-podselector-and-nsselector',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - namespaceSelector:
      matchExpressions:
      - {key: ${NS_NAME}, operator: NotIn, values: ["x"]}
    podSelector: {matchLabels: {pod: b}}`,
      ),
    ],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectAllIngress('x/a', false).expect('y/b', 'x/a', true).expect('z/b', 'x/a', true) }],
  },
  {
    // Upstream creates x/a, x/b, y/a, y/b, y/c; z/a (not b or c) is denied like y/a.
    name: 'should enforce policy based on Multiple PodSelectors and NamespaceSelectors',
    policies: [
      policy(
        'x',
        'allow-ns-y-z-pod-b-c',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - namespaceSelector:
      matchExpressions:
      - {key: ${NS_NAME}, operator: NotIn, values: ["x"]}
    podSelector:
      matchExpressions:
      - {key: pod, operator: In, values: [b, c]}`,
      ),
    ],
    probes: [
      {
        port: 80,
        protocol: 'TCP',
        reachability: R().expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).expect('y/a', 'x/a', false).expect('z/a', 'x/a', false),
      },
    ],
  },
  {
    name: 'should enforce policy based on any PodSelectors',
    policies: [
      policy(
        'x',
        'allow-ns-x-pod-b-c',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - podSelector: {matchLabels: {pod: b}}
  - podSelector: {matchLabels: {pod: c}}`,
      ),
    ],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectAllIngress('x/a', false).expect('x/b', 'x/a', true).expect('x/c', 'x/a', true) }],
  },
  {
    name: 'should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector',
    policies: [
      policy(
        'x',
        'allow-ns-y-pod-a-via-namespace-pod-selector',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - namespaceSelector: {matchLabels: {${NS_NAME}: "y"}}
    podSelector: {matchLabels: {pod: a}}`,
      ),
    ],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectAllIngress('x/a', false).expect('y/a', 'x/a', true) }],
  },
  {
    name: 'should enforce policy based on Ports',
    policies: [allowPort81FromY],
    probes: [
      {
        port: 81,
        protocol: 'TCP',
        reachability: R()
          .expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false)
          .expectPeer({ namespace: 'y' }, { namespace: 'x', pod: 'a' }, true)
          .expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false),
      },
    ],
  },
  {
    name: 'should enforce multiple, stacked policies with overlapping podSelectors (port 81 policy only)',
    policies: [allowPort81FromY],
    probes: [
      {
        port: 81,
        protocol: 'TCP',
        reachability: R()
          .expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false)
          .expectPeer({ namespace: 'y' }, { namespace: 'x', pod: 'a' }, true)
          .expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false),
      },
      { port: 80, protocol: 'TCP', reachability: R().expectAllIngress('x/a', false) },
    ],
  },
  {
    name: 'should enforce multiple, stacked policies with overlapping podSelectors (port 80 policy added)',
    policies: [allowPort81FromY, allowPort80FromY],
    probes: [
      {
        port: 80,
        protocol: 'TCP',
        reachability: R()
          .expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false)
          .expectPeer({ namespace: 'y' }, { namespace: 'x', pod: 'a' }, true)
          .expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false),
      },
    ],
  },
  {
    name: 'should support allow-all policy',
    policies: [
      policy(
        'x',
        'allow-all',
        `
podSelector: {matchLabels: {}}
policyTypes: [Ingress]
ingress:
- {}`,
      ),
    ],
    probes: [
      { port: 80, protocol: 'TCP', reachability: R() },
      { port: 81, protocol: 'TCP', reachability: R() },
    ],
  },
  {
    name: 'should allow ingress access on one named port',
    policies: [
      policy(
        'x',
        'allow-all',
        `
podSelector: {matchLabels: {}}
policyTypes: [Ingress]
ingress:
- ports:
  - port: serve-81-tcp`,
      ),
    ],
    probes: [
      { port: 81, protocol: 'TCP', reachability: R() },
      { port: 80, protocol: 'TCP', reachability: R().expectPeer({}, { namespace: 'x' }, false) },
    ],
  },
  {
    name: 'should allow ingress access from namespace on one named port',
    policies: [
      policy(
        'x',
        'allow-client-a-via-ns-selector-80',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - namespaceSelector: {matchLabels: {${NS_NAME}: "y"}}
  ports:
  - {port: serve-80-tcp, protocol: TCP}`,
      ),
    ],
    probes: [
      {
        port: 80,
        protocol: 'TCP',
        reachability: R()
          .expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false)
          .expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false),
      },
      { port: 81, protocol: 'TCP', reachability: R().expectAllIngress('x/a', false) },
    ],
  },
  {
    name: 'should allow egress access on one named port',
    policies: [
      policy(
        'x',
        'allow-egress',
        `
podSelector: {matchLabels: {}}
policyTypes: [Egress]
egress:
- ports:
  - port: serve-80-tcp`,
      ),
    ],
    probes: [
      { port: 80, protocol: 'TCP', reachability: R() },
      { port: 81, protocol: 'TCP', reachability: R().expectPeer({ namespace: 'x' }, {}, false) },
    ],
  },
  {
    name: 'should enforce updated policy (allow all)',
    policies: [
      policy(
        'x',
        'allow-all-mutate-to-deny-all',
        `
podSelector: {matchLabels: {}}
policyTypes: [Ingress]
ingress:
- {}`,
      ),
    ],
    probes: [{ port: 81, protocol: 'TCP', reachability: R() }],
  },
  {
    name: 'should enforce updated policy (updated to deny all)',
    policies: [
      policy(
        'x',
        'allow-all-mutate-to-deny-all',
        `
podSelector: {matchLabels: {}}
policyTypes: [Ingress]
ingress: []`,
      ),
    ],
    probes: [{ port: 81, protocol: 'TCP', reachability: R().expectPeer({}, { namespace: 'x' }, false) }],
  },
  {
    name: 'should allow ingress access from updated namespace (before the label)',
    policies: [
      policy(
        'x',
        'allow-client-a-via-ns-selector',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - namespaceSelector: {matchLabels: {ns2: updated}}`,
      ),
    ],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectAllIngress('x/a', false) }],
  },
  {
    name: 'should allow ingress access from updated namespace (namespace y labelled ns2=updated)',
    policies: [
      policy(
        'x',
        'allow-client-a-via-ns-selector',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - namespaceSelector: {matchLabels: {ns2: updated}}`,
      ),
    ],
    changes: { namespaceLabels: { y: { ns2: 'updated' } } },
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectAllIngress('x/a', false).expectPeer({ namespace: 'y' }, {}, true) }],
  },
  {
    name: 'should allow ingress access from updated pod (before the label)',
    policies: [
      policy(
        'x',
        'allow-client-a-via-pod-selector',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - podSelector: {matchLabels: {pod: b, pod2: updated}}`,
      ),
    ],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectAllIngress('x/a', false) }],
  },
  {
    name: 'should allow ingress access from updated pod (x/b labelled pod2=updated)',
    policies: [
      policy(
        'x',
        'allow-client-a-via-pod-selector',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - podSelector: {matchLabels: {pod: b, pod2: updated}}`,
      ),
    ],
    changes: { podLabels: { 'x/b': { pod2: 'updated' } } },
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectAllIngress('x/a', false).expect('x/b', 'x/a', true) }],
  },
  {
    name: 'should deny ingress from pods on other namespaces',
    policies: [
      policy(
        'x',
        'deny-empty-policy',
        `
podSelector: {}
policyTypes: [Ingress]
ingress:
- from:
  - podSelector: {matchLabels: {}}`,
      ),
    ],
    probes: [
      {
        port: 80,
        protocol: 'TCP',
        reachability: R().expectPeer({ namespace: 'y' }, { namespace: 'x' }, false).expectPeer({ namespace: 'z' }, { namespace: 'x' }, false),
      },
    ],
  },
  {
    name: 'should deny ingress access to updated pod (before the label)',
    policies: [
      policy(
        'x',
        'deny-ingress-via-label-selector',
        `
podSelector: {matchLabels: {target: isolated}}
policyTypes: [Ingress]
ingress: []`,
      ),
    ],
    probes: [{ port: 80, protocol: 'TCP', reachability: R() }],
  },
  {
    name: 'should deny ingress access to updated pod (x/a labelled target=isolated)',
    policies: [
      policy(
        'x',
        'deny-ingress-via-label-selector',
        `
podSelector: {matchLabels: {target: isolated}}
policyTypes: [Ingress]
ingress: []`,
      ),
    ],
    changes: { podLabels: { 'x/a': { target: 'isolated' } } },
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectAllIngress('x/a', false) }],
  },
  {
    name: 'should deny egress from pods based on PodSelector',
    policies: [
      policy(
        'x',
        'deny-egress-pod-a',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Egress]
egress: []`,
      ),
    ],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectAllEgress('x/a', false) }],
  },
  {
    name: 'should deny egress from all pods in a namespace',
    policies: [
      policy(
        'x',
        'deny-egress-ns-x',
        `
podSelector: {}
policyTypes: [Egress]
egress: []`,
      ),
    ],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectPeer({ namespace: 'x' }, {}, false) }],
  },
  {
    name: 'should work with Ingress, Egress specified together',
    policies: [
      policy(
        'x',
        'allow-client-a-via-pod-selector',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Egress, Ingress]
ingress:
- from:
  - podSelector: {matchLabels: {pod: b}}
egress:
- ports:
  - port: 80`,
      ),
    ],
    probes: [
      { port: 80, protocol: 'TCP', reachability: R().expectAllIngress('x/a', false).expect('x/b', 'x/a', true) },
      { port: 81, protocol: 'TCP', reachability: R().expectAllIngress('x/a', false).expectAllEgress('x/a', false).expect('x/b', 'x/a', true) },
    ],
  },
  {
    name: 'should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)',
    policies: [
      policy(
        'x',
        'allow-to-ns-y-pod-a',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Egress]
egress:
- to:
  - namespaceSelector: {matchLabels: {${NS_NAME}: "y"}}
    podSelector: {matchLabels: {pod: a}}`,
      ),
      policy(
        'y',
        'allow-from-xa-on-ya-match-selector',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - namespaceSelector: {matchLabels: {${NS_NAME}: "x"}}
    podSelector: {matchLabels: {pod: a}}`,
      ),
      policy(
        'y',
        'allow-from-xa-on-yb-match-selector',
        `
podSelector: {matchLabels: {pod: b}}
policyTypes: [Ingress]
ingress:
- from:
  - namespaceSelector: {matchLabels: {${NS_NAME}: "x"}}
    podSelector: {matchLabels: {pod: a}}`,
      ),
    ],
    probes: [
      {
        port: 80,
        protocol: 'TCP',
        reachability: R()
          .expectPeer({ namespace: 'x', pod: 'a' }, {}, false)
          .expectPeer({}, { namespace: 'y', pod: 'a' }, false)
          .expectPeer({ namespace: 'x', pod: 'a' }, { namespace: 'y', pod: 'a' }, true)
          .expectPeer({}, { namespace: 'y', pod: 'b' }, false),
      },
    ],
  },
  {
    name: 'should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector and NamespaceSelector',
    policies: [
      policy(
        'x',
        'allow-to-ns-y-pod-a',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Egress]
egress:
- to:
  - namespaceSelector: {matchLabels: {${NS_NAME}: "y"}}
    podSelector: {matchLabels: {pod: a}}`,
      ),
    ],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectAllEgress('x/a', false).expect('x/a', 'y/a', true) }],
  },
  {
    name: 'should enforce ingress policy allowing any port traffic to a server on a specific protocol',
    policies: [
      policy(
        'x',
        'allow-ingress-by-proto',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- ports:
  - protocol: TCP`,
      ),
    ],
    probes: [
      { port: 80, protocol: 'TCP', reachability: R() },
      { port: 80, protocol: 'UDP', reachability: R().expectPeer({}, { namespace: 'x', pod: 'a' }, false) },
    ],
  },
  {
    name: 'should enforce multiple ingress policies with ingress allow-all policy taking precedence (port 80 only)',
    policies: [
      policy(
        'x',
        'allow-ingress-port-80',
        `
podSelector: {matchLabels: {}}
policyTypes: [Ingress]
ingress:
- ports:
  - port: 80`,
      ),
    ],
    probes: [{ port: 81, protocol: 'TCP', reachability: R().expectPeer({}, { namespace: 'x' }, false) }],
  },
  {
    name: 'should enforce multiple ingress policies with ingress allow-all policy taking precedence (allow-all added)',
    policies: [
      policy(
        'x',
        'allow-ingress-port-80',
        `
podSelector: {matchLabels: {}}
policyTypes: [Ingress]
ingress:
- ports:
  - port: 80`,
      ),
      policy(
        'x',
        'allow-ingress',
        `
podSelector: {matchLabels: {}}
policyTypes: [Ingress]
ingress:
- {}`,
      ),
    ],
    probes: [{ port: 81, protocol: 'TCP', reachability: R() }],
  },
  {
    name: 'should enforce multiple egress policies with egress allow-all policy taking precedence (port 80 only)',
    policies: [
      policy(
        'x',
        'allow-egress-port-80',
        `
podSelector: {matchLabels: {}}
policyTypes: [Egress]
egress:
- ports:
  - port: 80`,
      ),
    ],
    probes: [{ port: 81, protocol: 'TCP', reachability: R().expectPeer({ namespace: 'x' }, {}, false) }],
  },
  {
    name: 'should enforce multiple egress policies with egress allow-all policy taking precedence (allow-all added)',
    policies: [
      policy(
        'x',
        'allow-egress-port-80',
        `
podSelector: {matchLabels: {}}
policyTypes: [Egress]
egress:
- ports:
  - port: 80`,
      ),
      policy(
        'x',
        'allow-egress',
        `
podSelector: {matchLabels: {}}
policyTypes: [Egress]
egress:
- {}`,
      ),
    ],
    probes: [{ port: 81, protocol: 'TCP', reachability: R() }],
  },
  {
    name: 'should stop enforcing policies after they are deleted (while present)',
    policies: [denyAllX],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectPeer({ namespace: 'x' }, {}, false).expectPeer({}, { namespace: 'x' }, false) }],
  },
  {
    name: 'should stop enforcing policies after they are deleted (deleted)',
    policies: [],
    probes: [{ port: 80, protocol: 'TCP', reachability: R() }],
  },
  {
    name: 'should allow egress access to server in CIDR block',
    policies: [
      policy(
        'x',
        'allow-client-a-via-cidr-egress-rule',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Egress]
egress:
- to:
  - ipBlock: {cidr: ${xyzPodIp('y', 'b')}/32}`,
      ),
    ],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectAllEgress('x/a', false).expect('x/a', 'y/b', true) }],
  },
  {
    // makeLargeCIDRForIP: the /4 around x/b's address, i.e. 0.0.0.0/4 here (every model pod is in it).
    name: 'should enforce except clause while egress access to server in CIDR block',
    policies: [exceptAroundXB],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expect('x/a', 'x/b', false) }],
  },
  {
    name: 'should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed (except only)',
    policies: [exceptAroundXB],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expect('x/a', 'x/b', false) }],
  },
  {
    // UpdatePolicy replaces the policy of the same name with one allowing only x/b's /32.
    name: 'should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed (updated to the /32)',
    policies: [
      policy(
        'x',
        'allow-client-a-via-cidr-egress-rule',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Egress]
egress:
- to:
  - ipBlock: {cidr: ${xyzPodIp('x', 'b')}/32}`,
      ),
    ],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectAllEgress('x/a', false).expect('x/a', 'x/b', true) }],
  },
  {
    name: 'should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector (egress allow)',
    policies: [
      policy(
        'x',
        'allow-egress-for-target',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Egress]
egress:
- {}`,
      ),
    ],
    probes: [{ port: 80, protocol: 'TCP', reachability: R() }],
  },
  {
    name: 'should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector (ingress deny added)',
    policies: [
      policy(
        'x',
        'allow-egress-for-target',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Egress]
egress:
- {}`,
      ),
      policy(
        'x',
        'deny-ingress-via-label-selector',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress: []`,
      ),
    ],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectAllIngress('x/a', false) }],
  },
  {
    name: "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin doesn't support SCTP",
    policies: [
      denyIngressX,
      policy(
        'x',
        'allow-only-sctp-ingress-on-port-81',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- ports:
  - {port: 81, protocol: SCTP}`,
      ),
    ],
    probes: [{ port: 81, protocol: 'TCP', reachability: R().expectPeer({}, { namespace: 'x' }, false) }],
  },
  {
    name: "should properly isolate pods that are selected by a policy allowing SCTP, even if the plugin doesn't support SCTP",
    policies: [
      policy(
        'x',
        'allow-only-sctp-ingress-on-port-80',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- ports:
  - {port: 80, protocol: SCTP}`,
      ),
    ],
    probes: [{ port: 81, protocol: 'TCP', reachability: R().expectAllIngress('x/a', false) }],
  },
  {
    name: 'should not allow access by TCP when a policy specifies only UDP',
    policies: [
      policy(
        'x',
        'allow-only-udp-ingress-on-port-81',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- ports:
  - {port: 81, protocol: UDP}`,
      ),
    ],
    probes: [{ port: 81, protocol: 'TCP', reachability: R().expectAllIngress('x/a', false) }],
  },
  {
    name: 'should enforce policy to allow traffic based on NamespaceSelector with MatchLabels using default ns label',
    policies: [
      policy(
        'x',
        'allow-client-a-via-ns-selector-for-immutable-ns-label',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - namespaceSelector: {matchLabels: {${NS_NAME}: "y"}}`,
      ),
    ],
    probes: [
      {
        port: 80,
        protocol: 'TCP',
        reachability: R()
          .expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false)
          .expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false),
      },
    ],
  },
  {
    name: 'should enforce policy based on NamespaceSelector with MatchExpressions using default ns label',
    policies: [
      policy(
        'x',
        'allow-ns-y-match-selector-for-immutable-ns-label',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Egress]
egress:
- to:
  - namespaceSelector:
      matchExpressions:
      - {key: ${NS_NAME}, operator: NotIn, values: ["y"]}`,
      ),
    ],
    probes: [{ port: 80, protocol: 'TCP', reachability: R().expectPeer({ namespace: 'x', pod: 'a' }, { namespace: 'y' }, false) }],
  },
  ...(['UDP', 'SCTP'] as const).flatMap((protocol): Scenario[] => [
    {
      name: `${protocol}: should support a 'default-deny-ingress' policy`,
      policies: [
        policy(
          'x',
          'deny-all',
          `
podSelector: {}
policyTypes: [Ingress]
ingress: []`,
        ),
      ],
      probes: [{ port: 80, protocol, reachability: R().expectPeer({}, { namespace: 'x' }, false) }],
    },
    {
      name: `${protocol}: should enforce policy based on Ports`,
      policies: [
        policy(
          'x',
          'allow-ingress-on-port-81-ns-x',
          `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - namespaceSelector: {matchLabels: {${NS_NAME}: "y"}}
  ports:
  - {port: 81, protocol: ${protocol}}`,
        ),
      ],
      probes: [
        {
          port: 81,
          protocol,
          reachability: R()
            .expectPeer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false)
            .expectPeer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false),
        },
      ],
    },
    {
      name: `${protocol}: should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector`,
      policies: [
        policy(
          'x',
          'allow-ns-y-pod-a-via-namespace-pod-selector',
          `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - namespaceSelector: {matchLabels: {${NS_NAME}: "y"}}
    podSelector: {matchLabels: {pod: a}}`,
        ),
      ],
      probes: [{ port: 80, protocol, reachability: R().expectAllIngress('x/a', false).expect('y/a', 'x/a', true) }],
    },
  ]),
  {
    name: 'netpol: endPort allows the range 80-81 from namespace y only',
    policies: [
      policy(
        'x',
        'allow-80-81-from-y',
        `
podSelector: {matchLabels: {pod: a}}
policyTypes: [Ingress]
ingress:
- from:
  - namespaceSelector: {matchLabels: {ns: "y"}}
  ports:
  - {port: 80, endPort: 81, protocol: TCP}`,
      ),
    ],
    probes: [
      { port: 80, protocol: 'TCP', reachability: R().expectAllIngress('x/a', false).expectPeer({ namespace: 'y' }, { namespace: 'x', pod: 'a' }, true) },
      { port: 81, protocol: 'TCP', reachability: R().expectAllIngress('x/a', false).expectPeer({ namespace: 'y' }, { namespace: 'x', pod: 'a' }, true) },
      { port: 80, protocol: 'UDP', reachability: R().expectAllIngress('x/a', false) },
    ],
  },
  {
    name: 'netpol: egress endPort range that ends below the probed port',
    policies: [
      policy(
        'x',
        'egress-79-80',
        `
podSelector: {}
policyTypes: [Egress]
egress:
- ports:
  - {port: 79, endPort: 80, protocol: TCP}`,
      ),
    ],
    probes: [
      { port: 80, protocol: 'TCP', reachability: R() },
      { port: 81, protocol: 'TCP', reachability: R().expectPeer({ namespace: 'x' }, {}, false) },
    ],
  },
  {
    name: 'netpol: named UDP port does not open the TCP port of the same number',
    policies: [
      policy(
        'y',
        'udp-81-by-name',
        `
podSelector: {}
policyTypes: [Ingress]
ingress:
- ports:
  - {port: serve-81-udp, protocol: UDP}`,
      ),
    ],
    probes: [
      { port: 81, protocol: 'UDP', reachability: R() },
      { port: 81, protocol: 'TCP', reachability: R().expectPeer({}, { namespace: 'y' }, false) },
      { port: 81, protocol: 'SCTP', reachability: R().expectPeer({}, { namespace: 'y' }, false) },
    ],
  },
]

export const xyzCases: readonly ReachabilityCase[] = scenarios.map((s) => ({
  name: s.name,
  manifests: xyzManifests(s.policies, s.changes),
  expect: s.probes.flatMap((p) => p.reachability.table(p.port, p.protocol)),
}))
