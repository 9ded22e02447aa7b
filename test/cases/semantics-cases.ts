/**
 * The NetworkPolicy semantics netpol implements, one small self-contained case per rule, as data.
 * Expectations come from the API reference and the concepts page, not from our engine; the
 * sentences each case pins are quoted in src/engine/{reference,peer,port,isolation}.ts.
 */
import { documents, namespaceYaml, podYaml, type ReachabilityCase } from './case-types.js'

const TCP80 = { port: 80, protocol: 'TCP' as const }
const TCP81 = { port: 81, protocol: 'TCP' as const }
const UDP80 = { port: 80, protocol: 'UDP' as const }

/** Namespaces x (team=blue) and y (team=green) with pods a, b (and c in x), serving 80/TCP, 81/TCP, 80/UDP. */
function twoNamespaces(...policies: string[]): string {
  const ports = [TCP80, TCP81, UDP80]
  return documents(
    namespaceYaml('x', { team: 'blue' }),
    namespaceYaml('y', { team: 'green' }),
    podYaml('x', 'a', { pod: 'a', tier: 'web' }, ['10.0.1.1'], ports),
    podYaml('x', 'b', { pod: 'b', tier: 'api' }, ['10.0.1.2'], ports),
    podYaml('x', 'c', { pod: 'c' }, ['10.0.1.3'], ports),
    podYaml('y', 'a', { pod: 'a', tier: 'web' }, ['10.0.2.1'], ports),
    podYaml('y', 'b', { pod: 'b', tier: 'api' }, ['10.0.2.2'], ports),
    ...policies,
  )
}

const e = (from: string, to: string, port: number, protocol: 'TCP' | 'UDP' | 'SCTP', allowed: boolean) => ({ from, to, port, protocol, allowed })

export const semanticsCases: readonly ReachabilityCase[] = [
  {
    name: 'pods not selected by any policy allow all traffic',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-a, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
`),
    expect: [e('x/a', 'x/b', 80, 'TCP', true), e('y/b', 'x/b', 81, 'TCP', true), e('y/a', 'x/c', 80, 'UDP', true), e('x/b', 'x/a', 80, 'TCP', false)],
  },
  {
    name: 'policyTypes default to Ingress only when the policy has no egress section',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-in, namespace: x}
spec:
  podSelector: {}
`),
    expect: [e('y/a', 'x/a', 80, 'TCP', false), e('x/a', 'x/b', 80, 'TCP', false), e('x/a', 'y/a', 80, 'TCP', true), e('x/b', 'y/b', 80, 'UDP', true)],
  },
  {
    name: 'policyTypes default to Ingress and Egress when the policy has egress rules',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-to-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  egress:
  - to:
    - podSelector: {matchLabels: {pod: b}}
`),
    expect: [
      e('x/a', 'x/b', 80, 'TCP', true),
      e('x/a', 'x/c', 80, 'TCP', false),
      e('x/a', 'y/b', 80, 'TCP', false),
      // Ingress is isolated too (no ingress rules): nothing reaches x/a.
      e('x/b', 'x/a', 80, 'TCP', false),
      e('y/a', 'x/a', 80, 'TCP', false),
    ],
  },
  {
    name: 'explicit policyTypes Egress alone leaves ingress open and denies egress without rules',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-out, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
`),
    expect: [e('x/a', 'x/b', 80, 'TCP', false), e('x/a', 'y/a', 81, 'TCP', false), e('x/b', 'x/a', 80, 'TCP', true), e('y/b', 'x/a', 80, 'UDP', true)],
  },
  {
    name: 'isolation with no rules denies all in both directions',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`),
    expect: [e('x/a', 'x/b', 80, 'TCP', false), e('x/a', 'y/a', 80, 'TCP', false), e('y/a', 'x/a', 80, 'TCP', false), e('y/a', 'y/b', 80, 'TCP', true)],
  },
  {
    name: 'a rule without from allows every source on its ports',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: any-source-80, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - ports:
    - port: 80
`),
    expect: [
      e('x/b', 'x/a', 80, 'TCP', true),
      e('y/b', 'x/a', 80, 'TCP', true),
      e('192.0.2.7', 'x/a', 80, 'TCP', true),
      e('y/b', 'x/a', 81, 'TCP', false),
      e('y/b', 'x/a', 80, 'UDP', false),
    ],
  },
  {
    name: 'a rule without ports allows every port and protocol from its peers',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-b-any-port, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - podSelector: {matchLabels: {pod: b}}
`),
    expect: [e('x/b', 'x/a', 80, 'TCP', true), e('x/b', 'x/a', 81, 'TCP', true), e('x/b', 'x/a', 80, 'UDP', true), e('x/c', 'x/a', 80, 'TCP', false)],
  },
  {
    name: 'an empty rule allows everything',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all, namespace: x}
spec:
  podSelector: {}
  ingress:
  - {}
  egress:
  - {}
`),
    expect: [
      e('y/a', 'x/a', 80, 'TCP', true),
      e('x/a', 'y/b', 81, 'TCP', true),
      e('192.0.2.7', 'x/b', 80, 'UDP', true),
      e('x/c', '198.51.100.1', 443, 'TCP', true),
    ],
  },
  {
    name: 'rules and peers are ORed',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ored, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - podSelector: {matchLabels: {pod: b}}
    - namespaceSelector: {matchLabels: {team: green}}
    ports:
    - port: 80
  - from:
    - podSelector: {matchLabels: {pod: c}}
    ports:
    - port: 81
`),
    expect: [
      e('x/b', 'x/a', 80, 'TCP', true),
      e('y/a', 'x/a', 80, 'TCP', true),
      e('y/b', 'x/a', 80, 'TCP', true),
      e('x/c', 'x/a', 80, 'TCP', false),
      e('x/c', 'x/a', 81, 'TCP', true),
      e('x/b', 'x/a', 81, 'TCP', false),
    ],
  },
  {
    name: 'multiple policies selecting a pod are additive',
    manifests: twoNamespaces(
      `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - podSelector: {matchLabels: {pod: b}}
`,
      `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-y, namespace: x}
spec:
  podSelector: {matchLabels: {tier: web}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: green}}
      podSelector: {matchLabels: {pod: a}}
`,
    ),
    expect: [e('x/b', 'x/a', 80, 'TCP', true), e('y/a', 'x/a', 80, 'TCP', true), e('y/b', 'x/a', 80, 'TCP', false), e('x/c', 'x/a', 80, 'TCP', false)],
  },
  {
    name: 'podSelector and namespaceSelector in one peer are ANDed',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: anded, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: green}}
      podSelector: {matchLabels: {pod: b}}
`),
    expect: [e('y/b', 'x/a', 80, 'TCP', true), e('y/a', 'x/a', 80, 'TCP', false), e('x/b', 'x/a', 80, 'TCP', false)],
  },
  {
    name: 'a podSelector alone means pods of the policy namespace',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: same-ns-b, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - podSelector: {matchLabels: {pod: b}}
`),
    expect: [e('x/b', 'x/a', 80, 'TCP', true), e('y/b', 'x/a', 80, 'TCP', false)],
  },
  {
    name: 'an empty podSelector alone means every pod of the policy namespace',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: same-ns, namespace: x}
spec:
  podSelector: {}
  ingress:
  - from:
    - podSelector: {}
`),
    expect: [e('x/b', 'x/a', 80, 'TCP', true), e('x/c', 'x/b', 81, 'TCP', true), e('y/b', 'x/a', 80, 'TCP', false), e('192.0.2.7', 'x/a', 80, 'TCP', false)],
  },
  {
    name: 'an empty namespaceSelector means every namespace',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: all-ns, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {}
`),
    expect: [e('x/b', 'x/a', 80, 'TCP', true), e('y/b', 'x/a', 80, 'TCP', true), e('192.0.2.7', 'x/a', 80, 'TCP', false)],
  },
  {
    name: 'the automatic kubernetes.io/metadata.name label selects a namespace by name',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-y-by-name, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: "y"}}
`),
    expect: [e('y/b', 'x/a', 80, 'TCP', true), e('x/b', 'x/a', 80, 'TCP', false)],
  },
  {
    name: 'NotIn and DoesNotExist match pods that lack the key',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: expressions, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - podSelector:
        matchExpressions:
        - {key: tier, operator: NotIn, values: [api]}
    ports:
    - port: 80
  - from:
    - podSelector:
        matchExpressions:
        - {key: tier, operator: DoesNotExist}
    ports:
    - port: 81
`),
    expect: [e('x/c', 'x/a', 80, 'TCP', true), e('x/b', 'x/a', 80, 'TCP', false), e('x/c', 'x/a', 81, 'TCP', true), e('x/b', 'x/a', 81, 'TCP', false)],
  },
  {
    name: 'ipBlock with except matches pod IPs (IPv4)',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-block, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - ipBlock:
        cidr: 10.0.0.0/16
        except: [10.0.2.0/25]
`),
    // y/a (10.0.2.1) and y/b (10.0.2.2) are in the except; x/b and x/c are in the cidr.
    expect: [
      e('x/b', 'x/a', 80, 'TCP', true),
      e('x/c', 'x/a', 80, 'TCP', true),
      e('y/a', 'x/a', 80, 'TCP', false),
      e('y/b', 'x/a', 80, 'TCP', false),
      e('10.0.3.9', 'x/a', 80, 'TCP', true),
      e('10.0.2.9', 'x/a', 80, 'TCP', false),
    ],
  },
  {
    name: 'egress ipBlock 0.0.0.0/0 except the metadata address allows external IPs but not the exception',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: no-metadata, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock:
        cidr: 0.0.0.0/0
        except: [169.254.169.254/32]
`),
    expect: [
      e('x/a', '8.8.8.8', 443, 'TCP', true),
      e('x/a', '169.254.169.254', 80, 'TCP', false),
      e('x/a', '169.254.169.253', 80, 'TCP', true),
      // Pods are addresses too: 0.0.0.0/0 covers their IPs.
      e('x/a', 'y/b', 80, 'TCP', true),
      e('x/b', 'x/c', 80, 'UDP', true),
    ],
  },
  {
    name: 'ipBlock with except matches pod IPs (IPv6)',
    manifests: documents(
      namespaceYaml('v6'),
      podYaml('v6', 'server', { app: 'server' }, ['fd00:10::1'], [TCP80]),
      podYaml('v6', 'near', { app: 'client' }, ['fd00:10::a'], [TCP80]),
      podYaml('v6', 'excluded', { app: 'client' }, ['fd00:10::b'], [TCP80]),
      podYaml('v6', 'far', { app: 'client' }, ['fd00:20::a'], [TCP80]),
      `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-v6-block, namespace: v6}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress:
  - from:
    - ipBlock:
        cidr: fd00:10::/64
        except: [fd00:10::b/128]
`,
    ),
    expect: [
      e('v6/near', 'v6/server', 80, 'TCP', true),
      e('v6/excluded', 'v6/server', 80, 'TCP', false),
      e('v6/far', 'v6/server', 80, 'TCP', false),
      e('fd00:10::99', 'v6/server', 80, 'TCP', true),
      e('10.0.0.1', 'v6/server', 80, 'TCP', false),
    ],
  },
  {
    name: 'numeric ports match exactly and the protocol defaults to TCP',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: tcp-80, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - ports:
    - port: 80
`),
    expect: [e('x/b', 'x/a', 80, 'TCP', true), e('x/b', 'x/a', 81, 'TCP', false), e('x/b', 'x/a', 80, 'UDP', false)],
  },
  {
    name: 'a port without a number allows every port of its protocol',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: all-udp, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - ports:
    - protocol: UDP
`),
    expect: [e('x/b', 'x/a', 80, 'UDP', true), e('x/b', 'x/a', 80, 'TCP', false), e('x/b', 'x/a', 81, 'TCP', false)],
  },
  {
    name: 'endPort allows the inclusive range from port to endPort',
    manifests: documents(
      namespaceYaml('r'),
      podYaml(
        'r',
        'server',
        { app: 'server' },
        ['10.1.0.1'],
        [
          { port: 7999, protocol: 'TCP' },
          { port: 8000, protocol: 'TCP' },
          { port: 8040, protocol: 'TCP' },
          { port: 8080, protocol: 'TCP' },
          { port: 8081, protocol: 'TCP' },
        ],
      ),
      podYaml('r', 'client', { app: 'client' }, ['10.1.0.2'], []),
      `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: range, namespace: r}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress:
  - ports:
    - port: 8000
      endPort: 8080
`,
    ),
    expect: [
      e('r/client', 'r/server', 7999, 'TCP', false),
      e('r/client', 'r/server', 8000, 'TCP', true),
      e('r/client', 'r/server', 8040, 'TCP', true),
      e('r/client', 'r/server', 8080, 'TCP', true),
      e('r/client', 'r/server', 8081, 'TCP', false),
    ],
  },
  {
    name: 'SCTP ports match only SCTP',
    manifests: documents(
      namespaceYaml('s'),
      podYaml(
        's',
        'server',
        { app: 'server' },
        ['10.2.0.1'],
        [
          { port: 80, protocol: 'SCTP' },
          { port: 80, protocol: 'TCP' },
        ],
      ),
      podYaml('s', 'client', { app: 'client' }, ['10.2.0.2'], []),
      `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: sctp-80, namespace: s}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress:
  - ports:
    - port: 80
      protocol: SCTP
`,
    ),
    expect: [e('s/client', 's/server', 80, 'SCTP', true), e('s/client', 's/server', 80, 'TCP', false)],
  },
  {
    name: "named ports resolve against the destination pod's own container ports",
    manifests: documents(
      namespaceYaml('named'),
      podYaml(
        'named',
        'web80',
        { app: 'web' },
        ['10.3.0.1'],
        [
          { port: 80, protocol: 'TCP', name: 'http' },
          { port: 8080, protocol: 'TCP', name: 'admin' },
        ],
      ),
      podYaml(
        'named',
        'web8080',
        { app: 'web' },
        ['10.3.0.2'],
        [
          { port: 8080, protocol: 'TCP', name: 'http' },
          { port: 80, protocol: 'TCP', name: 'other' },
        ],
      ),
      podYaml('named', 'client', { app: 'client' }, ['10.3.0.3'], []),
      `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: http-only, namespace: named}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports:
    - port: http
`,
    ),
    expect: [
      e('named/client', 'named/web80', 80, 'TCP', true),
      e('named/client', 'named/web80', 8080, 'TCP', false),
      e('named/client', 'named/web8080', 8080, 'TCP', true),
      e('named/client', 'named/web8080', 80, 'TCP', false),
    ],
  },
  {
    name: 'a named port matches only a container port of the same name and protocol',
    manifests: documents(
      namespaceYaml('d'),
      podYaml(
        'd',
        'dns',
        { app: 'dns' },
        ['10.4.0.1'],
        [
          { port: 53, protocol: 'TCP', name: 'dns-tcp' },
          { port: 53, protocol: 'UDP', name: 'dns' },
        ],
      ),
      podYaml('d', 'client', { app: 'client' }, ['10.4.0.2'], []),
      `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns-named, namespace: d}
spec:
  podSelector: {matchLabels: {app: dns}}
  ingress:
  - ports:
    - port: dns
      protocol: UDP
    - port: dns-tcp
      protocol: UDP
`,
    ),
    // dns is 53/UDP: allowed over UDP; dns-tcp is a TCP port, so the UDP entry for it matches nothing.
    expect: [e('d/client', 'd/dns', 53, 'UDP', true), e('d/client', 'd/dns', 53, 'TCP', false)],
  },
  {
    name: 'an egress named port resolves against the destination pod',
    manifests: documents(
      namespaceYaml('g'),
      podYaml('g', 'client', { app: 'client' }, ['10.5.0.1'], []),
      podYaml(
        'g',
        'metrics9090',
        { app: 'srv' },
        ['10.5.0.2'],
        [
          { port: 9090, protocol: 'TCP', name: 'metrics' },
          { port: 80, protocol: 'TCP' },
        ],
      ),
      podYaml(
        'g',
        'metrics9100',
        { app: 'srv' },
        ['10.5.0.3'],
        [
          { port: 9100, protocol: 'TCP', name: 'metrics' },
          { port: 9090, protocol: 'TCP' },
        ],
      ),
      `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-metrics, namespace: g}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
  - ports:
    - port: metrics
`,
    ),
    expect: [
      e('g/client', 'g/metrics9090', 9090, 'TCP', true),
      e('g/client', 'g/metrics9090', 80, 'TCP', false),
      e('g/client', 'g/metrics9100', 9100, 'TCP', true),
      e('g/client', 'g/metrics9100', 9090, 'TCP', false),
      e('g/client', '192.0.2.1', 9090, 'TCP', false),
    ],
  },
  {
    name: 'a connection needs both the egress of the source and the ingress of the destination',
    manifests: twoNamespaces(
      `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-egress-to-y, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {team: green}}
`,
      `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: yb-from-xb, namespace: "y"}
spec:
  podSelector: {matchLabels: {pod: b}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: blue}}
      podSelector: {matchLabels: {pod: b}}
`,
    ),
    expect: [
      e('x/a', 'y/a', 80, 'TCP', true),
      // Egress allows x/a -> y/b but y/b's ingress only admits x/b.
      e('x/a', 'y/b', 80, 'TCP', false),
      e('x/b', 'y/b', 80, 'TCP', true),
      // Ingress of x/b is open but x/a's egress only allows namespace y.
      e('x/a', 'x/b', 80, 'TCP', false),
    ],
  },
  {
    name: 'a pod connecting to itself is always allowed',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`),
    expect: [e('x/a', 'x/a', 80, 'TCP', true), e('x/b', 'x/b', 81, 'TCP', true), e('x/a', 'x/b', 80, 'TCP', false)],
  },
  {
    name: 'hostNetwork pods are neither isolated nor matched by selectors, only by ipBlock',
    manifests: documents(
      namespaceYaml('h'),
      podYaml('h', 'server', { app: 'server' }, ['10.6.0.1'], [TCP80, TCP81]),
      podYaml('h', 'agent', { app: 'server' }, ['192.168.0.10'], [TCP80], { hostNetwork: true }),
      podYaml('h', 'client', { app: 'client' }, ['10.6.0.2'], [TCP80]),
      podYaml('h', 'node-client', { app: 'client' }, ['192.168.0.11'], [TCP80], { hostNetwork: true }),
      `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: h}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`,
      `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: server-from-clients, namespace: h}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: client}}
    ports:
    - port: 80
  - from:
    - ipBlock: {cidr: 192.168.0.11/32}
    ports:
    - port: 81
`,
    ),
    expect: [
      // The hostNetwork "server" is not isolated by deny-all: anything may reach it, and it may send.
      e('192.0.2.5', 'h/agent', 80, 'TCP', true),
      e('h/agent', '192.0.2.5', 80, 'TCP', true),
      // h/client's own egress is denied by deny-all.
      e('h/client', 'h/server', 80, 'TCP', false),
      // The hostNetwork client is not matched by podSelector app=client ...
      e('h/node-client', 'h/server', 80, 'TCP', false),
      // ... but its IP is matched by ipBlock.
      e('h/node-client', 'h/server', 81, 'TCP', true),
    ],
  },
  {
    // API reference, NetworkPolicySpec.ingress: traffic is allowed to a pod "if the traffic source is the pod's local node".
    name: "traffic from a pod's own node (a hostNetwork pod on it) is always allowed; from another or an unknown node the policies decide",
    manifests: documents(
      namespaceYaml('nodes'),
      podYaml('nodes', 'db', { app: 'db' }, ['10.7.0.1'], [TCP80], { nodeName: 'node-1' }),
      podYaml('nodes', 'db-unscheduled', { app: 'db' }, ['10.7.0.2'], [TCP80]),
      podYaml('nodes', 'agent-1', { app: 'agent' }, ['192.168.0.1'], [TCP80], { hostNetwork: true, nodeName: 'node-1' }),
      podYaml('nodes', 'agent-2', { app: 'agent' }, ['192.168.0.2'], [TCP80], { hostNetwork: true, nodeName: 'node-2' }),
      podYaml('nodes', 'agent-x', { app: 'agent' }, ['192.168.0.3'], [TCP80], { hostNetwork: true }),
      podYaml('nodes', 'web', { app: 'web' }, ['10.7.0.3'], [TCP80], { nodeName: 'node-1' }),
      `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: nodes}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`,
    ),
    expect: [
      e('nodes/agent-1', 'nodes/db', 80, 'TCP', true),
      e('nodes/agent-1', 'nodes/db', 81, 'TCP', true),
      e('nodes/agent-2', 'nodes/db', 80, 'TCP', false),
      e('nodes/agent-x', 'nodes/db', 80, 'TCP', false),
      e('nodes/agent-1', 'nodes/db-unscheduled', 80, 'TCP', false),
      // Only ingress has the node exception; a pod's egress to its node is the policies' to decide.
      e('nodes/web', 'nodes/agent-1', 80, 'TCP', false),
      // A pod on the same node is no node.
      e('nodes/web', 'nodes/db', 80, 'TCP', false),
    ],
  },
  {
    name: 'external addresses are never isolated, only the pod side is enforced',
    manifests: twoNamespaces(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-world, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - ipBlock: {cidr: 203.0.113.0/24}
`),
    expect: [e('203.0.113.9', 'x/a', 80, 'TCP', true), e('198.51.100.9', 'x/a', 80, 'TCP', false), e('x/a', '198.51.100.9', 80, 'TCP', true)],
  },
  {
    name: 'egress to DNS in kube-system over UDP and TCP 53 only',
    manifests: documents(
      namespaceYaml('app'),
      namespaceYaml('kube-system'),
      podYaml('app', 'web', { app: 'web' }, ['10.7.0.1'], [TCP80]),
      podYaml('app', 'db', { app: 'db' }, ['10.7.0.2'], [TCP80]),
      podYaml(
        'kube-system',
        'coredns',
        { 'k8s-app': 'kube-dns' },
        ['10.7.1.1'],
        [
          { port: 53, protocol: 'UDP', name: 'dns' },
          { port: 53, protocol: 'TCP', name: 'dns-tcp' },
          { port: 9153, protocol: 'TCP', name: 'metrics' },
        ],
      ),
      `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns-only, namespace: app}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports:
    - {port: 53, protocol: UDP}
    - {port: 53, protocol: TCP}
`,
    ),
    expect: [
      e('app/web', 'kube-system/coredns', 53, 'UDP', true),
      e('app/web', 'kube-system/coredns', 53, 'TCP', true),
      e('app/web', 'kube-system/coredns', 9153, 'TCP', false),
      e('app/web', 'app/db', 80, 'TCP', false),
      e('kube-system/coredns', 'app/web', 80, 'TCP', true),
    ],
  },
]
