import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import type { ClusterNetworkPolicy } from '../../src/model/cluster-network-policy-types.js'
import { inputDiagnostics } from './input-diagnostics.js'

type Obj = Record<string, unknown>

/** A valid Admin policy using every kind of field; each case changes one thing. */
function base(): Obj {
  return {
    apiVersion: 'policy.networking.k8s.io/v1alpha2',
    kind: 'ClusterNetworkPolicy',
    metadata: { name: 'cnp' },
    spec: {
      tier: 'Admin',
      priority: 10,
      subject: { namespaces: { matchLabels: { team: 'a' } } },
      ingress: [
        {
          name: 'from-monitoring',
          action: 'Accept',
          from: [{ namespaces: { matchLabels: { role: 'monitoring' } } }, { pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: 'x' } } } }],
          protocols: [
            { tcp: { destinationPort: { number: 8080 } } },
            { udp: { destinationPort: { range: { start: 1000, end: 2000 } } } },
            { destinationNamedPort: 'metrics' },
          ],
        },
      ],
      egress: [
        { action: 'Deny', to: [{ networks: ['10.0.0.0/8', 'fd00::/8'] }], protocols: [{ sctp: { destinationPort: { number: 9 } } }] },
        { action: 'Pass', to: [{ pods: { podSelector: {} } }] },
        { action: 'Accept', to: [{ nodes: { matchLabels: { role: 'control-plane' } } }, { domainNames: ['*.example.com', 'kubernetes.io'] }] },
      ],
    },
  }
}

function text(o: Obj): string {
  return stringify(o)
}

/** Sets the value at a dotted path (numbers index lists); `undefined` deletes it. */
function set(o: Obj, path: string, value: unknown): Obj {
  const keys = path.split('.')
  let at: Record<string, unknown> = o
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>
  const last = keys[keys.length - 1]
  if (value === undefined) delete at[last]
  else at[last] = value
  return o
}

/** `field: message` of every error of a manifest (and [] when it is valid). */
function errorsOf(o: Obj): string[] {
  return inputDiagnostics(() => loadManifestText(text(o), { file: 'cnp.yaml' }))
    .filter((d) => d.severity === 'error')
    .map((d) => (d.field ? `${d.field}: ${d.message}` : d.message))
}

function read(o: Obj): { policy: ClusterNetworkPolicy; warnings: string[] } {
  const r = loadManifestText(text(o), { file: 'cnp.yaml' })
  expect(r.state.clusterNetworkPolicies).toHaveLength(1)
  return { policy: r.state.clusterNetworkPolicies![0], warnings: r.warnings.map((d) => `${d.field}: ${d.message}`) }
}

const NOT_CHECKED =
  'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation'

describe('ClusterNetworkPolicy: a valid policy', () => {
  it('is read with every field, in the API names', () => {
    const { policy } = read(base())
    expect(policy.name).toBe('cnp')
    expect(policy.spec.tier).toBe('Admin')
    expect(policy.spec.priority).toBe(10)
    expect(policy.spec.subject.namespaces).toEqual({ matchLabels: { team: 'a' }, matchExpressions: [] })
    const [ing] = policy.spec.ingress
    expect(ing).toMatchObject({ name: 'from-monitoring', action: 'Accept' })
    expect(ing.from[1].pods).toEqual({
      namespaceSelector: { matchLabels: {}, matchExpressions: [] },
      podSelector: { matchLabels: { app: 'x' }, matchExpressions: [] },
    })
    expect(ing.protocols.map(({ source: _s, ...p }) => p)).toEqual([
      { tcp: { destinationPort: { number: 8080 } } },
      { udp: { destinationPort: { range: { start: 1000, end: 2000 } } } },
      { destinationNamedPort: 'metrics' },
    ])
    const [deny, pass, accept] = policy.spec.egress
    expect(deny.to[0].networks).toEqual(['10.0.0.0/8', 'fd00::/8'])
    expect(deny.name).toBeUndefined()
    expect(pass.protocols).toEqual([])
    // namespaceSelector left out of `pods` selects every namespace.
    expect(pass.to[0].pods?.namespaceSelector).toEqual({ matchLabels: {}, matchExpressions: [] })
    expect(accept.to[0].nodes).toEqual({ matchLabels: { role: 'control-plane' }, matchExpressions: [] })
    expect(accept.to[1].domainNames).toEqual(['*.example.com', 'kubernetes.io'])
  })
  it('keeps the line of the object, its subject, each rule, peer and protocol entry', () => {
    const yaml = `# guardrails
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata:
  name: cnp
spec:
  tier: Baseline
  priority: 0
  subject:
    namespaces: {}
  egress:
  - action: Deny
    to:
    - namespaces: {}
    - networks: [0.0.0.0/0]
    protocols:
    - tcp:
        destinationPort: {number: 53}
`
    const p = loadManifestText(yaml, { file: 'g.yaml' }).state.clusterNetworkPolicies![0]
    expect(p.source).toEqual({ file: 'g.yaml', line: 2 })
    expect(p.spec.subject.source.line).toBe(9)
    expect(p.spec.egress[0].source.line).toBe(12)
    expect(p.spec.egress[0].to.map((x) => x.source.line)).toEqual([14, 15])
    expect(p.spec.egress[0].protocols[0].source.line).toBe(17)
  })
  it('the experimental channel fields are read with a warning naming the channel', () => {
    const { warnings } = read(base())
    expect(warnings).toEqual([
      expect.stringMatching(/^spec\.egress\[2\]\.to\[0\]\.nodes: experimental channel field/),
      expect.stringMatching(/^spec\.egress\[2\]\.to\[1\]\.domainNames: experimental channel field/),
    ])
  })
  it("an unquoted date is the string it reads as (the apiserver's YAML reader keeps it text), in names and label values", () => {
    const yaml = `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: t}
spec:
  tier: Admin
  priority: 1
  subject: {namespaces: {matchLabels: {day: 2024-01-01}}}
  ingress:
  - name: 2024-01-01
    action: Deny
    from: [{namespaces: {}}]
`
    const p = loadManifestText(yaml, { file: 't.yaml' }).state.clusterNetworkPolicies![0]
    expect(p.spec.ingress[0].name).toBe('2024-01-01')
    expect(p.spec.subject.namespaces?.matchLabels).toEqual({ day: '2024-01-01' })
  })
  it('status is dropped as the API server drops it on create, whatever it holds', () => {
    expect(errorsOf({ ...base(), status: 'nonsense' })).toEqual([])
  })
  it('every upstream v1alpha2 conformance manifest is valid', () => {
    const dir = new URL('../../vendor/network-policy-api/v1alpha2/conformance/', import.meta.url).pathname
    const files: string[] = []
    const walk = (d: string): void => {
      for (const n of readdirSync(d)) {
        if (statSync(join(d, n)).isDirectory()) walk(join(d, n))
        else files.push(join(d, n))
      }
    }
    walk(dir)
    let read = 0
    for (const f of files) {
      // Upstream templates: fill in the host network ports as the conformance suite does.
      const t = readFileSync(f, 'utf8').replace(/\{\{ index \.HostNetworkPorts (\d) \}\}/g, (_m, i: string) => String(34345 + Number(i)))
      read += loadManifestText(t, { file: f }).state.clusterNetworkPolicies?.length ?? 0
    }
    expect(read).toBeGreaterThan(20)
  })
})

/** [what, change, expected errors] — each schema constraint of the CRD, broken once. */
const SCHEMA_CASES: [string, (o: Obj) => Obj, string[]][] = [
  ['spec required', (o) => set(o, 'spec', undefined), ['spec: Required value', NOT_CHECKED]],
  ['tier required', (o) => set(o, 'spec.tier', undefined), [NOT_CHECKED, 'spec.tier: Required value']],
  ['tier enum', (o) => set(o, 'spec.tier', 'admin'), [NOT_CHECKED, 'spec.tier: Unsupported value: "admin": supported values: "Admin", "Baseline"']],
  ['tier type', (o) => set(o, 'spec.tier', 1), [NOT_CHECKED, 'spec.tier: Invalid value: "integer": spec.tier in body must be of type string: "integer"']],
  ['priority required', (o) => set(o, 'spec.priority', undefined), [NOT_CHECKED, 'spec.priority: Required value']],
  ['priority minimum', (o) => set(o, 'spec.priority', -1), ['spec.priority: Invalid value: -1: spec.priority in body should be greater than or equal to 0']],
  [
    'priority maximum',
    (o) => set(o, 'spec.priority', 1001),
    ['spec.priority: Invalid value: 1001: spec.priority in body should be less than or equal to 1000'],
  ],
  [
    'priority type (a quoted number)',
    (o) => set(o, 'spec.priority', '10'),
    [NOT_CHECKED, 'spec.priority: Invalid value: "string": spec.priority in body must be of type integer: "string"'],
  ],
  [
    'priority type (a fraction)',
    (o) => set(o, 'spec.priority', 1.5),
    [NOT_CHECKED, 'spec.priority: Invalid value: "number": spec.priority in body must be of type integer: "number"'],
  ],
  ['subject required', (o) => set(o, 'spec.subject', undefined), [NOT_CHECKED, 'spec.subject: Required value']],
  ['subject minProperties', (o) => set(o, 'spec.subject', {}), ['spec.subject: Invalid value: 0: spec.subject in body should have at least 1 properties']],
  [
    'subject maxProperties',
    (o) => set(o, 'spec.subject', { namespaces: {}, pods: { podSelector: {} } }),
    [NOT_CHECKED, 'spec.subject: Too many: 2: must have at most 1 items'],
  ],
  [
    'pods.podSelector required',
    (o) => set(o, 'spec.subject', { pods: { namespaceSelector: {} } }),
    [NOT_CHECKED, 'spec.subject.pods.podSelector: Required value'],
  ],
  [
    'ingress maxItems',
    (o) =>
      set(
        o,
        'spec.ingress',
        Array.from({ length: 26 }, () => ({ action: 'Deny', from: [{ namespaces: {} }] })),
      ),
    [NOT_CHECKED, 'spec.ingress: Too many: 26: must have at most 25 items'],
  ],
  [
    'egress maxItems',
    (o) =>
      set(
        o,
        'spec.egress',
        Array.from({ length: 26 }, () => ({ action: 'Deny', to: [{ namespaces: {} }] })),
      ),
    [NOT_CHECKED, 'spec.egress: Too many: 26: must have at most 25 items'],
  ],
  ['rule action required', (o) => set(o, 'spec.ingress.0.action', undefined), [NOT_CHECKED, 'spec.ingress[0].action: Required value']],
  [
    'rule action enum (v1alpha1 Allow)',
    (o) => set(o, 'spec.egress.0.action', 'Allow'),
    [NOT_CHECKED, 'spec.egress[0].action: Unsupported value: "Allow": supported values: "Accept", "Deny", "Pass"'],
  ],
  [
    'rule name maxLength',
    (o) => set(o, 'spec.ingress.0.name', 'n'.repeat(101)),
    [NOT_CHECKED, 'spec.ingress[0].name: Too long: may not be more than 100 bytes'],
  ],
  ['rule name of 100 characters (not bytes) is fine', (o) => set(o, 'spec.ingress.0.name', 'é'.repeat(100)), []],
  ['from required', (o) => set(o, 'spec.ingress.0.from', undefined), [NOT_CHECKED, 'spec.ingress[0].from: Required value']],
  [
    'from minItems',
    (o) => set(o, 'spec.ingress.0.from', []),
    ['spec.ingress[0].from: Invalid value: 0: spec.ingress[0].from in body should have at least 1 items'],
  ],
  [
    'from maxItems',
    (o) =>
      set(
        o,
        'spec.ingress.0.from',
        Array.from({ length: 26 }, () => ({ namespaces: {} })),
      ),
    [NOT_CHECKED, 'spec.ingress[0].from: Too many: 26: must have at most 25 items'],
  ],
  ['to required', (o) => set(o, 'spec.egress.1.to', undefined), [NOT_CHECKED, 'spec.egress[1].to: Required value']],
  ['to minItems', (o) => set(o, 'spec.egress.1.to', []), ['spec.egress[1].to: Invalid value: 0: spec.egress[1].to in body should have at least 1 items']],
  [
    'ingress peer minProperties',
    (o) => set(o, 'spec.ingress.0.from', [{}]),
    ['spec.ingress[0].from[0]: Invalid value: 0: spec.ingress[0].from[0] in body should have at least 1 properties'],
  ],
  [
    'ingress peer has no networks',
    (o) => set(o, 'spec.ingress.0.from', [{ networks: ['10.0.0.0/8'] }]),
    [
      'spec.ingress[0].from[0].networks: Unknown field: strict decoding error: unknown field "spec.ingress[0].from[0].networks"',
      'spec.ingress[0].from[0]: Invalid value: 0: spec.ingress[0].from[0] in body should have at least 1 properties',
    ],
  ],
  [
    'egress peer maxProperties',
    (o) => set(o, 'spec.egress.1.to', [{ namespaces: {}, networks: ['10.0.0.0/8'] }]),
    [NOT_CHECKED, 'spec.egress[1].to[0]: Too many: 2: must have at most 1 items'],
  ],
  [
    'networks minItems',
    (o) => set(o, 'spec.egress.0.to', [{ networks: [] }]),
    ['spec.egress[0].to[0].networks: Invalid value: 0: spec.egress[0].to[0].networks in body should have at least 1 items'],
  ],
  [
    'networks maxItems',
    (o) => set(o, 'spec.egress.0.to', [{ networks: Array.from({ length: 26 }, (_, i) => `10.${i}.0.0/16`) }]),
    [NOT_CHECKED, 'spec.egress[0].to[0].networks: Too many: 26: must have at most 25 items'],
  ],
  [
    'networks is a set',
    (o) => set(o, 'spec.egress.0.to', [{ networks: ['10.0.0.0/8', '10.0.0.0/8'] }]),
    ['spec.egress[0].to[0].networks[1]: Duplicate value: "10.0.0.0/8"'],
  ],
  [
    'network maxLength',
    (o) => set(o, 'spec.egress.0.to', [{ networks: [`${'0:'.repeat(20)}0/64`] }]),
    [NOT_CHECKED, 'spec.egress[0].to[0].networks[0]: Too long: may not be more than 43 bytes'],
  ],
  [
    'domainNames pattern',
    (o) => set(o, 'spec.egress.2.to', [{ domainNames: ['foo.*.com'] }]),
    [
      'spec.egress[2].to[0].domainNames[0]: Invalid value: "foo.*.com": spec.egress[2].to[0].domainNames[0] in body should match ' +
        String.raw`'^(\*\.)?([a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$'`,
    ],
  ],
  [
    'domainNames is a set',
    (o) => set(o, 'spec.egress.2.to', [{ domainNames: ['a.io', 'a.io'] }]),
    ['spec.egress[2].to[0].domainNames[1]: Duplicate value: "a.io"'],
  ],
  [
    'domainNames minItems',
    (o) => set(o, 'spec.egress.2.to', [{ domainNames: [] }]),
    ['spec.egress[2].to[0].domainNames: Invalid value: 0: spec.egress[2].to[0].domainNames in body should have at least 1 items'],
  ],
  [
    'protocols minItems',
    (o) => set(o, 'spec.ingress.0.protocols', []),
    ['spec.ingress[0].protocols: Invalid value: 0: spec.ingress[0].protocols in body should have at least 1 items'],
  ],
  [
    'protocols maxItems',
    (o) =>
      set(
        o,
        'spec.ingress.0.protocols',
        Array.from({ length: 26 }, (_, i) => ({ tcp: { destinationPort: { number: i + 1 } } })),
      ),
    [NOT_CHECKED, 'spec.ingress[0].protocols: Too many: 26: must have at most 25 items'],
  ],
  [
    'protocol minProperties',
    (o) => set(o, 'spec.ingress.0.protocols', [{}]),
    ['spec.ingress[0].protocols[0]: Invalid value: 0: spec.ingress[0].protocols[0] in body should have at least 1 properties'],
  ],
  [
    'protocol maxProperties',
    (o) => set(o, 'spec.ingress.0.protocols', [{ tcp: { destinationPort: { number: 1 } }, udp: { destinationPort: { number: 1 } } }]),
    [NOT_CHECKED, 'spec.ingress[0].protocols[0]: Too many: 2: must have at most 1 items'],
  ],
  [
    'tcp minProperties',
    (o) => set(o, 'spec.ingress.0.protocols', [{ tcp: {} }]),
    ['spec.ingress[0].protocols[0].tcp: Invalid value: 0: spec.ingress[0].protocols[0].tcp in body should have at least 1 properties'],
  ],
  [
    'destinationPort minProperties',
    (o) => set(o, 'spec.ingress.0.protocols', [{ sctp: { destinationPort: {} } }]),
    [
      'spec.ingress[0].protocols[0].sctp.destinationPort: Invalid value: 0: spec.ingress[0].protocols[0].sctp.destinationPort in body should ' +
        'have at least 1 properties',
    ],
  ],
  [
    'destinationPort maxProperties',
    (o) => set(o, 'spec.ingress.0.protocols', [{ udp: { destinationPort: { number: 1, range: { start: 1, end: 2 } } } }]),
    [NOT_CHECKED, 'spec.ingress[0].protocols[0].udp.destinationPort: Too many: 2: must have at most 1 items'],
  ],
  [
    'port number minimum',
    (o) => set(o, 'spec.ingress.0.protocols', [{ tcp: { destinationPort: { number: 0 } } }]),
    [
      'spec.ingress[0].protocols[0].tcp.destinationPort.number: Invalid value: 0: spec.ingress[0].protocols[0].tcp.destinationPort.number in ' +
        'body should be greater than or equal to 1',
    ],
  ],
  [
    'port number maximum',
    (o) => set(o, 'spec.ingress.0.protocols', [{ tcp: { destinationPort: { number: 65536 } } }]),
    [
      'spec.ingress[0].protocols[0].tcp.destinationPort.number: Invalid value: 65536: spec.ingress[0].protocols[0].tcp.destinationPort.number ' +
        'in body should be less than or equal to 65535',
    ],
  ],
  [
    'range start required',
    (o) => set(o, 'spec.ingress.0.protocols', [{ tcp: { destinationPort: { range: { end: 2 } } } }]),
    [NOT_CHECKED, 'spec.ingress[0].protocols[0].tcp.destinationPort.range.start: Required value'],
  ],
  [
    'range end maximum',
    (o) => set(o, 'spec.ingress.0.protocols', [{ tcp: { destinationPort: { range: { start: 1, end: 70000 } } } }]),
    [
      'spec.ingress[0].protocols[0].tcp.destinationPort.range.end: Invalid value: 70000: ' +
        'spec.ingress[0].protocols[0].tcp.destinationPort.range.end in body should be less than or equal to 65535',
    ],
  ],
  [
    'selector matchExpressions item requires operator',
    (o) => set(o, 'spec.subject', { namespaces: { matchExpressions: [{ key: 'a' }] } }),
    [NOT_CHECKED, 'spec.subject.namespaces.matchExpressions[0].operator: Required value'],
  ],
  [
    'matchLabels values are strings',
    (o) => set(o, 'spec.subject', { namespaces: { matchLabels: { a: true } } }),
    [
      NOT_CHECKED,
      'spec.subject.namespaces.matchLabels.a: Invalid value: "boolean": spec.subject.namespaces.matchLabels.a in body must be of type string: "boolean"',
    ],
  ],
  [
    'an unknown field (strict decoding)',
    (o) => set(o, 'spec.ingress.0.ports', [{ port: 80 }]),
    ['spec.ingress[0].ports: Unknown field: strict decoding error: unknown field "spec.ingress[0].ports"'],
  ],
  ['a null field is pruned (absent)', (o) => set(o, 'spec.ingress.0.protocols', null), []],
]

describe('ClusterNetworkPolicy: the CRD schema, constraint by constraint', () => {
  it.each(SCHEMA_CASES)('%s', (_what, change, expected) => {
    expect(errorsOf(change(base()))).toEqual(expected)
  })
})

/** Each CEL rule of the CRD: holding, and broken. */
const CEL_CASES: [string, (o: Obj) => Obj, string[]][] = [
  [
    'isCIDR: v4 and v6 prefixes hold, host bits allowed',
    (o) => set(o, 'spec.egress.0.to', [{ networks: ['10.1.2.3/8', '2001:db8::1/64', '::/0', '0.0.0.0/0', '::fffe:1.2.3.4/128'] }]),
    [],
  ],
  [
    'isCIDR: an IPv4-mapped IPv6 address, in either notation (the CEL library refuses Is4In6)',
    (o) => set(o, 'spec.egress.0.to', [{ networks: ['::ffff:1.2.3.4/128', '::ffff:a00:0/104'] }]),
    [
      'spec.egress[0].to[0].networks[0]: Invalid value: "string": Invalid CIDR format provided',
      'spec.egress[0].to[0].networks[1]: Invalid value: "string": Invalid CIDR format provided',
    ],
  ],
  [
    'isCIDR: an address without a prefix length',
    (o) => set(o, 'spec.egress.0.to', [{ networks: ['10.0.0.1'] }]),
    ['spec.egress[0].to[0].networks[0]: Invalid value: "string": Invalid CIDR format provided'],
  ],
  [
    'isCIDR: a leading zero',
    (o) => set(o, 'spec.egress.0.to', [{ networks: ['010.0.0.0/8'] }]),
    ['spec.egress[0].to[0].networks[0]: Invalid value: "string": Invalid CIDR format provided'],
  ],
  [
    'isCIDR: prefix length out of range',
    (o) => set(o, 'spec.egress.0.to', [{ networks: ['10.0.0.0/33'] }]),
    ['spec.egress[0].to[0].networks[0]: Invalid value: "string": Invalid CIDR format provided'],
  ],
  [
    'isCIDR: a zone',
    (o) => set(o, 'spec.egress.0.to', [{ networks: ['fe80::1%eth0/64'] }]),
    ['spec.egress[0].to[0].networks[0]: Invalid value: "string": Invalid CIDR format provided'],
  ],
  ['port range: start < end holds', (o) => set(o, 'spec.ingress.0.protocols', [{ tcp: { destinationPort: { range: { start: 1, end: 2 } } } }]), []],
  [
    'port range: start == end',
    (o) => set(o, 'spec.ingress.0.protocols', [{ tcp: { destinationPort: { range: { start: 80, end: 80 } } } }]),
    ['spec.ingress[0].protocols[0].tcp.destinationPort.range: Invalid value: "object": Start port must be less than End port'],
  ],
  [
    'port range: start > end (udp)',
    (o) => set(o, 'spec.ingress.0.protocols', [{ udp: { destinationPort: { range: { start: 90, end: 80 } } } }]),
    ['spec.ingress[0].protocols[0].udp.destinationPort.range: Invalid value: "object": Start port must be less than End port'],
  ],
  [
    'port range: start > end (sctp, egress)',
    (o) => set(o, 'spec.egress.0.protocols', [{ sctp: { destinationPort: { range: { start: 90, end: 80 } } } }]),
    ['spec.egress[0].protocols[0].sctp.destinationPort.range: Invalid value: "object": Start port must be less than End port'],
  ],
  ['named port with pod peers holds', (o) => set(o, 'spec.egress.1.protocols', [{ destinationNamedPort: 'dns' }]), []],
  [
    'named port with a nodes peer',
    (o) => set(o, 'spec.egress.2.protocols', [{ destinationNamedPort: 'dns' }]),
    [
      'spec.egress[2]: Invalid value: "object": networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts for ' +
        'networks/nodes/domainNames',
    ],
  ],
  [
    'named port with a domainNames peer',
    (o) => set(set(o, 'spec.egress.2.to', [{ domainNames: ['a.io'] }]), 'spec.egress.2.protocols', [{ destinationNamedPort: 'dns' }]),
    [
      'spec.egress[2]: Invalid value: "object": networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts for ' +
        'networks/nodes/domainNames',
    ],
  ],
  [
    'CEL rules are not run after a blocking error',
    (o) => set(set(o, 'spec.tier', 'X'), 'spec.egress.0.to', [{ networks: ['nope'] }]),
    [NOT_CHECKED, 'spec.tier: Unsupported value: "X": supported values: "Admin", "Baseline"'],
  ],
  [
    'CEL rules still run after a non-blocking error',
    (o) => set(set(o, 'spec.priority', 2000), 'spec.egress.0.to', [{ networks: ['nope'] }]),
    [
      'spec.priority: Invalid value: 2000: spec.priority in body should be less than or equal to 1000',
      'spec.egress[0].to[0].networks[0]: Invalid value: "string": Invalid CIDR format provided',
    ],
  ],
]

describe('ClusterNetworkPolicy: the CRD CEL rules', () => {
  it.each(CEL_CASES)('%s', (_what, change, expected) => {
    expect(errorsOf(change(base()))).toEqual(expected)
  })
  it('named port with only a networks peer is accepted by the standard channel: a warning, not an error', () => {
    const { warnings } = read(
      set(set(base(), 'spec.egress', [{ action: 'Deny', to: [{ networks: ['10.0.0.0/8'] }, { pods: { podSelector: {} } }] }]), 'spec.egress.0.protocols', [
        { destinationNamedPort: 'dns' },
      ]),
    )
    expect(warnings).toEqual([
      expect.stringMatching(
        /^spec\.egress\[0\]: Invalid value: "object": networks\/nodes\/domainNames peer cannot .*only the experimental channel's CRD has this rule/,
      ),
    ])
  })
})

describe('ClusterNetworkPolicy: beyond the CRD', () => {
  it('a selector operator the schema admits but no implementation can evaluate is an error', () => {
    expect(errorsOf(set(base(), 'spec.subject', { namespaces: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] } }))).toEqual([
      'spec.subject.namespaces.matchExpressions[0].operator: Invalid value: "Equals": not a valid selector operator',
    ])
  })
  it('an empty destinationNamedPort is an error; a name no container port can have is a warning', () => {
    expect(errorsOf(set(base(), 'spec.ingress.0.protocols', [{ destinationNamedPort: '' }]))).toEqual([
      expect.stringMatching(/^spec\.ingress\[0\]\.protocols\[0\]\.destinationNamedPort: Invalid value: "": an empty port name/),
    ])
    const { warnings } = read(
      set(set(base(), 'spec.egress', [{ action: 'Deny', to: [{ namespaces: {} }] }]), 'spec.ingress.0.protocols', [{ destinationNamedPort: 'Web_Port' }]),
    )
    expect(warnings).toEqual([expect.stringMatching(/^spec\.ingress\[0\]\.protocols\[0\]\.destinationNamedPort: never matches/)])
  })
  it('metadata.namespace is ignored with a warning (cluster-scoped)', () => {
    const { warnings } = read(set(set(base(), 'spec.egress', [{ action: 'Deny', to: [{ namespaces: {} }] }]), 'metadata', { name: 'cnp', namespace: 'x' }))
    expect(warnings).toEqual([expect.stringMatching(/^metadata\.namespace: ignored: ClusterNetworkPolicy is cluster-scoped/)])
  })
  it('errors name the file, line and object', () => {
    const [d] = inputDiagnostics(() => loadManifestText(text(set(base(), 'spec.priority', 5000)), { file: 'cnp.yaml' }))
    expect(d).toMatchObject({ file: 'cnp.yaml', object: 'ClusterNetworkPolicy "cnp"', field: 'spec.priority' })
    expect(text(set(base(), 'spec.priority', 5000)).split('\n')[d.line - 1]).toMatch(/priority: 5000/)
  })
  it('a name is required and two policies of one name are an error', () => {
    expect(errorsOf(set(base(), 'metadata', {}))).toEqual(['metadata.name: Required value: name or generateName is required'])
    const two = `${text(base())}---\n${text(base())}`
    expect(inputDiagnostics(() => loadManifestText(two, { file: 'x.yaml' })).map((d) => d.message)).toEqual([
      expect.stringMatching(/^defined more than once: also at x\.yaml:1/),
    ])
  })
  it('another apiVersion of the kind is not read, with a warning', () => {
    const r = loadManifestText(text(set(base(), 'apiVersion', 'policy.networking.k8s.io/v1alpha1')), { file: 'x.yaml' })
    expect(r.state.clusterNetworkPolicies).toBeUndefined()
    expect(r.warnings.map((d) => d.message)).toEqual([expect.stringMatching(/is not read: netpol models policy\.networking\.k8s\.io\/v1alpha2 only/)])
  })
})
