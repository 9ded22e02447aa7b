/**
 * Seeded NetworkPolicies and ClusterNetworkPolicies for the validation comparison with the API
 * server (check-vs-api-server.test.ts): valid ones built at random, and each also given one
 * mutation that breaks one validation rule (a bad selector, label, port, protocol, CIDR, policy
 * type, name, priority, tier, action, peer, an unknown field, a value of the wrong type...). The
 * mutations go round in turn, so every rule is hit several times; the values within a rule and
 * the object it lands in are random. Same seed, same objects.
 */
import { createPrng, type Prng } from '../../testing/prng.js'

export type Obj = Record<string, unknown>

export interface GeneratedCase {
  /** `np-12 port-number` or `cnp-3 valid`. */
  readonly name: string
  /** The mutation applied; `valid` for none. */
  readonly mutation: string
  readonly object: Obj
}

/** The namespace of the generated NetworkPolicies (the test creates it). */
export const GENERATED_NAMESPACE = 'generated'

const LABEL_KEYS = ['app', 'tier', 'team', 'example.com/role', 'k8s.io/part-of', 'a.b-c_d']
const LABEL_VALUES = ['a', 'web', 'db-1', 'v1.2', '', 'A_b', 'x'.repeat(63)]
const BAD_LABEL_KEYS = ['a/b/c', '-x', 'x'.repeat(64), '/x', 'Example.com/x', 'x/', 'a b', `${'d'.repeat(254)}/x`]
const BAD_LABEL_VALUES = ['bad value', '-x', 'x-', 'x'.repeat(64), 'a/b', 'é']
const PORT_NAMES = ['http', 'dns-tcp', 'metrics', 'a1']
const BAD_PORT_NAMES = ['HTTP', 'a--b', '-http', 'http-', 'thisnameiswaytoolong', '80', 'a_b', '']
const CIDRS: [string, string[]][] = [
  ['10.0.0.0/8', ['10.1.0.0/16', '10.2.3.0/24']],
  ['192.168.1.0/24', ['192.168.1.128/25']],
  ['0.0.0.0/0', ['169.254.169.254/32']],
  ['2001:db8::/32', ['2001:db8:1::/48']],
  ['172.16.0.0/12', []],
  ['fd00::/8', []],
]
const BAD_CIDRS = ['10.0.0.0/33', '10.0.0.1', 'abc', '10.0.0.1/8', '010.0.0.0/8', '::ffff:10.0.0.0/104', '2001:db8::/129', '', '10.0.0.0/-1', '10.0.0.0/08']
/** Invalid names, each made unique with `i` (two objects of one name would be one object defined twice). */
const badName = (p: Prng, i: number): string =>
  p.pick([`Bad_Name${i}`, `UPPER${i}`, `${'a'.repeat(254)}${i}`, `-lead${i}`, `dot..dot${i}`, `trail${i}-`, `a b${i}`, `x.${i}.`])
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist']
const BAD_OPERATORS = ['Equals', 'in', 'Gt', '', 'exists']

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T
}

function labels(p: Prng, max = 2): Record<string, string> {
  const out: Record<string, string> = {}
  for (let i = p.int(max + 1); i > 0; i--) out[p.pick(LABEL_KEYS)] = p.pick(LABEL_VALUES)
  return out
}

function expression(p: Prng): Obj {
  const operator = p.pick(OPERATORS)
  const e: Obj = { key: p.pick(LABEL_KEYS), operator }
  if (operator === 'In' || operator === 'NotIn') e.values = p.shuffle(LABEL_VALUES).slice(0, p.range(1, 3))
  return e
}

function selector(p: Prng): Obj {
  const s: Obj = {}
  if (p.chance(0.6)) s.matchLabels = labels(p)
  if (p.chance(0.3)) s.matchExpressions = Array.from({ length: p.range(1, 2) }, () => expression(p))
  return s
}

function npPort(p: Prng): Obj {
  const port: Obj = {}
  if (p.chance(0.6)) port.protocol = p.pick(['TCP', 'UDP', 'SCTP'])
  const kind = p.int(4)
  if (kind === 0) port.port = p.range(1, 65535)
  else if (kind === 1) port.port = p.pick(PORT_NAMES)
  else if (kind === 2) {
    port.port = p.range(1, 60000)
    port.endPort = (port.port as number) + p.int(5000)
  }
  return port
}

function npPeer(p: Prng): Obj {
  const kind = p.int(4)
  if (kind === 0) return { podSelector: selector(p) }
  if (kind === 1) return { namespaceSelector: selector(p) }
  if (kind === 2) return { podSelector: selector(p), namespaceSelector: selector(p) }
  const [cidr, except] = p.pick(CIDRS)
  return { ipBlock: except.length > 0 && p.chance(0.5) ? { cidr, except: except.slice(0, p.range(1, except.length)) } : { cidr } }
}

function npRule(p: Prng, dir: 'from' | 'to'): Obj {
  const rule: Obj = {}
  if (p.chance(0.7)) rule[dir] = Array.from({ length: p.range(1, 3) }, () => npPeer(p))
  if (p.chance(0.6)) rule.ports = Array.from({ length: p.range(1, 3) }, () => npPort(p))
  return rule
}

function validNetworkPolicy(p: Prng, name: string): Obj {
  const spec: Obj = { podSelector: selector(p) }
  const types = p.pick([[], ['Ingress'], ['Egress'], ['Ingress', 'Egress']])
  if (types.length > 0) spec.policyTypes = types
  if (types.length === 0 || types.includes('Ingress')) if (p.chance(0.8)) spec.ingress = Array.from({ length: p.range(1, 3) }, () => npRule(p, 'from'))
  if (types.includes('Egress')) if (p.chance(0.8)) spec.egress = Array.from({ length: p.range(1, 3) }, () => npRule(p, 'to'))
  const metadata: Obj = { name, namespace: GENERATED_NAMESPACE }
  if (p.chance(0.2)) metadata.labels = labels(p)
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata, spec }
}

/** spec.ingress[i] or spec.egress[i] of `o`, made to exist (a new rule when there is none). */
function someRule(p: Prng, o: Obj, dir?: 'ingress' | 'egress'): Obj {
  const spec = o.spec as Obj
  const d = dir ?? p.pick(['ingress', 'egress'] as const)
  if (d === 'egress' && spec.policyTypes !== undefined) spec.policyTypes = ['Ingress', 'Egress']
  if (d === 'ingress' && Array.isArray(spec.policyTypes) && !spec.policyTypes.includes('Ingress')) spec.policyTypes = ['Ingress', 'Egress']
  const list = ((spec[d] as Obj[] | undefined) ??= [])
  if (list.length === 0) list.push({})
  return p.pick(list)
}

/** A port entry of some rule, made to exist. */
function somePort(p: Prng, o: Obj): Obj {
  const rule = someRule(p, o)
  const ports = ((rule.ports as Obj[] | undefined) ??= [])
  if (ports.length === 0 || p.chance(0.3)) ports.push({ protocol: 'TCP' })
  return p.pick(ports)
}

/** A peer of some rule, made to exist. */
function somePeer(p: Prng, o: Obj): Obj {
  const dir = p.pick(['ingress', 'egress'] as const)
  const rule = someRule(p, o, dir)
  const key = dir === 'ingress' ? 'from' : 'to'
  const peers = ((rule[key] as Obj[] | undefined) ??= [])
  if (peers.length === 0 || p.chance(0.3)) peers.push({ podSelector: {} })
  return p.pick(peers)
}

/** A label selector somewhere in the policy: spec.podSelector or a peer's. */
function someSelector(p: Prng, o: Obj): Obj {
  if (p.chance(0.4)) return ((o.spec as Obj).podSelector ??= {}) as Obj
  const peer = somePeer(p, o)
  for (const k of Object.keys(peer)) delete peer[k]
  const s: Obj = {}
  peer[p.pick(['podSelector', 'namespaceSelector'])] = s
  return s
}

function someIpBlock(p: Prng, o: Obj): Obj {
  const peer = somePeer(p, o)
  for (const k of Object.keys(peer)) delete peer[k]
  const [cidr, except] = p.pick(CIDRS)
  const block: Obj = except.length > 0 ? { cidr, except: [...except] } : { cidr }
  peer.ipBlock = block
  return block
}

let counter = 0

type Mutation = readonly [string, (p: Prng, o: Obj) => void]

const NP_MUTATIONS: Mutation[] = [
  ['name', (p, o) => void ((o.metadata as Obj).name = badName(p, counter++))],
  ['metadata-label-key', (p, o) => void ((o.metadata as Obj).labels = { [p.pick(BAD_LABEL_KEYS)]: 'a' })],
  ['metadata-label-value', (p, o) => void ((o.metadata as Obj).labels = { app: p.pick(BAD_LABEL_VALUES) })],
  ['selector-label-key', (p, o) => void (someSelector(p, o).matchLabels = { [p.pick(BAD_LABEL_KEYS)]: 'a' })],
  ['selector-label-value', (p, o) => void (someSelector(p, o).matchLabels = { app: p.pick(BAD_LABEL_VALUES) })],
  ['selector-operator', (p, o) => void (someSelector(p, o).matchExpressions = [{ key: 'app', operator: p.pick(BAD_OPERATORS), values: ['a'] }])],
  ['selector-values-missing', (p, o) => void (someSelector(p, o).matchExpressions = [{ key: 'app', operator: p.pick(['In', 'NotIn']) }])],
  [
    'selector-values-forbidden',
    (p, o) => void (someSelector(p, o).matchExpressions = [{ key: 'app', operator: p.pick(['Exists', 'DoesNotExist']), values: ['a'] }]),
  ],
  ['selector-expression-key', (p, o) => void (someSelector(p, o).matchExpressions = [{ key: p.pick(BAD_LABEL_KEYS), operator: 'Exists' }])],
  [
    'selector-expression-value',
    (p, o) => void (someSelector(p, o).matchExpressions = [{ key: 'app', operator: 'In', values: ['a', p.pick(BAD_LABEL_VALUES)] }]),
  ],
  [
    'policy-types',
    (p, o) => void ((o.spec as Obj).policyTypes = p.pick([['Sideways'], ['ingress'], ['Ingress', 'Egress', 'Ingress'], ['Ingress', 'Ingress'], ['']])),
  ],
  ['port-number', (p, o) => void (somePort(p, o).port = p.pick([0, 65536, -1, 100000]))],
  ['port-name', (p, o) => void (somePort(p, o).port = p.pick(BAD_PORT_NAMES))],
  [
    'end-port',
    (p, o) => {
      const port = somePort(p, o)
      const k = p.int(4)
      if (k === 0) Object.assign(port, { port: 90, endPort: 80 })
      else if (k === 1) Object.assign(port, { port: p.pick(PORT_NAMES), endPort: 90 })
      else if (k === 2) {
        delete port.port
        port.endPort = 90
      } else Object.assign(port, { port: 80, endPort: 65536 })
    },
  ],
  ['protocol', (p, o) => void (somePort(p, o).protocol = p.pick(['ICMP', 'tcp', '', 'HTTP']))],
  ['cidr', (p, o) => void (someIpBlock(p, o).cidr = p.pick(BAD_CIDRS))],
  [
    'except',
    (p, o) => {
      const block = someIpBlock(p, o)
      const v4 = !String(block.cidr).includes(':')
      const k = p.int(4)
      if (k === 0) block.except = [v4 ? '203.0.113.0/24' : '2001:db9::/48']
      else if (k === 1) block.except = [block.cidr]
      else if (k === 2) block.except = [v4 ? 'fd00::/64' : '10.0.0.0/24']
      else block.except = [p.pick(BAD_CIDRS)]
    },
  ],
  [
    'peer',
    (p, o) => {
      const peer = somePeer(p, o)
      for (const k of Object.keys(peer)) delete peer[k]
      const k = p.int(3)
      if (k === 1) Object.assign(peer, { ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} })
      else if (k === 2) Object.assign(peer, { ipBlock: { cidr: '10.0.0.0/8' }, namespaceSelector: {} })
    },
  ],
  [
    'unknown-field',
    (p, o) => {
      const k = p.int(4)
      if (k === 0) (o.spec as Obj).podSelectr = {}
      else if (k === 1) someRule(p, o, 'ingress').form = []
      else if (k === 2) somePort(p, o).prot = 'TCP'
      else (o.metadata as Obj).nmae = 'x'
    },
  ],
  [
    'wrong-type',
    (p, o) => {
      const k = p.int(6)
      if (k === 0) somePort(p, o).port = true
      else if (k === 1) someSelector(p, o).matchLabels = { app: p.pick([1, true, 1.5]) }
      else if (k === 2) (o.spec as Obj).podSelector = 'all'
      else if (k === 3) (o.spec as Obj).policyTypes = 'Ingress'
      else if (k === 4) (o.spec as Obj).ingress = { from: [] }
      else somePort(p, o).endPort = '90'
    },
  ],
]

// ClusterNetworkPolicy

function cnpPeer(p: Prng, dir: 'from' | 'to'): Obj {
  const k = p.int(dir === 'to' ? 3 : 2)
  if (k === 0) return { namespaces: selector(p) }
  if (k === 1) return p.chance(0.7) ? { pods: { namespaceSelector: selector(p), podSelector: selector(p) } } : { pods: { podSelector: selector(p) } }
  const [cidr] = p.pick(CIDRS)
  return { networks: [cidr] }
}

function cnpProtocol(p: Prng): Obj {
  if (p.chance(0.2)) return { destinationNamedPort: p.pick(PORT_NAMES) }
  const destinationPort = p.chance(0.7) ? { number: p.range(1, 65535) } : { range: { start: p.range(1, 30000), end: p.range(30000, 65535) } }
  return { [p.pick(['tcp', 'udp', 'sctp'])]: { destinationPort } }
}

function cnpRule(p: Prng, tier: string, dir: 'from' | 'to'): Obj {
  const actions = tier === 'Admin' ? ['Accept', 'Deny', 'Pass'] : ['Accept', 'Deny']
  const rule: Obj = { action: p.pick(actions), [dir]: Array.from({ length: p.range(1, 3) }, () => cnpPeer(p, dir)) }
  if (p.chance(0.4)) rule.name = `rule-${p.int(1000)}`
  if (p.chance(0.5)) rule.protocols = Array.from({ length: p.range(1, 2) }, () => cnpProtocol(p))
  return rule
}

function validClusterNetworkPolicy(p: Prng, name: string): Obj {
  const tier = p.pick(['Admin', 'Baseline'])
  const subject = p.chance(0.5) ? { namespaces: selector(p) } : { pods: { namespaceSelector: selector(p), podSelector: selector(p) } }
  const spec: Obj = { tier, priority: p.range(0, 1000), subject }
  if (p.chance(0.7)) spec.ingress = Array.from({ length: p.range(1, 3) }, () => cnpRule(p, tier, 'from'))
  if (p.chance(0.7)) spec.egress = Array.from({ length: p.range(1, 3) }, () => cnpRule(p, tier, 'to'))
  return { apiVersion: 'policy.networking.k8s.io/v1alpha2', kind: 'ClusterNetworkPolicy', metadata: { name }, spec }
}

function cnpRuleOf(p: Prng, o: Obj, dir?: 'ingress' | 'egress'): { rule: Obj; dir: 'ingress' | 'egress' } {
  const spec = o.spec as Obj
  const d = dir ?? p.pick(['ingress', 'egress'] as const)
  const list = ((spec[d] as Obj[] | undefined) ??= [])
  if (list.length === 0) list.push({ action: 'Deny', [d === 'ingress' ? 'from' : 'to']: [{ namespaces: {} }] })
  return { rule: p.pick(list), dir: d }
}

function cnpPeerOf(p: Prng, o: Obj, dir?: 'ingress' | 'egress'): Obj {
  const { rule, dir: d } = cnpRuleOf(p, o, dir)
  const peers = ((rule[d === 'ingress' ? 'from' : 'to'] as Obj[] | undefined) ??= [])
  if (peers.length === 0) peers.push({ namespaces: {} })
  const peer = p.pick(peers)
  for (const k of Object.keys(peer)) delete peer[k]
  return peer
}

function cnpProtocolOf(p: Prng, o: Obj): Obj {
  const { rule } = cnpRuleOf(p, o)
  const list = ((rule.protocols as Obj[] | undefined) ??= [])
  if (list.length === 0 || p.chance(0.3)) {
    const fresh: Obj = {}
    list.push(fresh)
    return fresh
  }
  const protocol = p.pick(list)
  for (const k of Object.keys(protocol)) delete protocol[k]
  return protocol
}

function cnpSelector(p: Prng, o: Obj): Obj {
  if (p.chance(0.3)) {
    const s: Obj = {}
    ;(o.spec as Obj).subject = { namespaces: s }
    return s
  }
  const peer = cnpPeerOf(p, o)
  const s: Obj = {}
  if (p.chance(0.5)) peer.namespaces = s
  else peer.pods = { namespaceSelector: {}, podSelector: s }
  return s
}

const CNP_MUTATIONS: Mutation[] = [
  ['name', (p, o) => void ((o.metadata as Obj).name = badName(p, counter++))],
  ['priority', (p, o) => void ((o.spec as Obj).priority = p.pick([-1, 1001, 100000, '5', 1.5]))],
  ['priority-missing', (_p, o) => void delete (o.spec as Obj).priority],
  ['tier', (p, o) => void ((o.spec as Obj).tier = p.pick(['Middle', 'admin', '', 'Developer']))],
  ['tier-missing', (_p, o) => void delete (o.spec as Obj).tier],
  [
    'subject',
    (p, o) => {
      const k = p.int(4)
      const spec = o.spec as Obj
      if (k === 0) delete spec.subject
      else if (k === 1) spec.subject = {}
      else if (k === 2) spec.subject = { namespaces: {}, pods: { namespaceSelector: {}, podSelector: {} } }
      else spec.subject = { pods: { namespaceSelector: {} } }
    },
  ],
  [
    'action',
    (p, o) => {
      const { rule } = cnpRuleOf(p, o)
      if (p.chance(0.3)) delete rule.action
      else rule.action = p.pick(['Allow', 'accept', '', 'Drop'])
    },
  ],
  // Valid (lint warns): the CRD and netpol both accept it.
  [
    'pass-in-baseline',
    (p, o) => {
      ;(o.spec as Obj).tier = 'Baseline'
      cnpRuleOf(p, o).rule.action = 'Pass'
    },
  ],
  [
    'peers',
    (p, o) => {
      const { rule, dir } = cnpRuleOf(p, o)
      const key = dir === 'ingress' ? 'from' : 'to'
      const k = p.int(3)
      if (k === 0) rule[key] = []
      else if (k === 1) delete rule[key]
      else rule[key] = Array.from({ length: 26 }, () => ({ namespaces: {} }))
    },
  ],
  [
    'peer',
    (p, o) => {
      const dir = p.pick(['ingress', 'egress'] as const)
      const peer = cnpPeerOf(p, o, dir)
      const k = p.int(3)
      if (k === 1) Object.assign(peer, { namespaces: {}, pods: { namespaceSelector: {}, podSelector: {} } })
      else if (k === 2) peer.networks = ['10.0.0.0/8']
      if (k === 2 && dir === 'egress') peer.namespaces = {}
    },
  ],
  [
    'networks',
    (p, o) => {
      const peer = cnpPeerOf(p, o, 'egress')
      const k = p.int(3)
      if (k === 0) peer.networks = [p.pick(BAD_CIDRS)]
      else if (k === 1) peer.networks = []
      else peer.networks = Array.from({ length: 26 }, (_, i) => `10.${i}.0.0/16`)
    },
  ],
  [
    'port',
    (p, o) => {
      const protocol = cnpProtocolOf(p, o)
      const proto = p.pick(['tcp', 'udp', 'sctp'])
      const k = p.int(5)
      if (k === 0) protocol[proto] = { destinationPort: { number: p.pick([0, 65536, -1]) } }
      else if (k === 1) protocol[proto] = { destinationPort: { range: { start: 90, end: 80 } } }
      else if (k === 2) protocol[proto] = { destinationPort: { range: { start: 0, end: p.pick([80, 65536]) } } }
      else if (k === 3) protocol[proto] = { destinationPort: { number: 80, range: { start: 80, end: 90 } } }
      else protocol[proto] = {}
    },
  ],
  [
    'protocol',
    (p, o) => {
      const protocol = cnpProtocolOf(p, o)
      const k = p.int(3)
      if (k === 1) Object.assign(protocol, { tcp: { destinationPort: { number: 80 } }, udp: { destinationPort: { number: 80 } } })
      else if (k === 2) protocol.icmp = { destinationPort: { number: 80 } }
    },
  ],
  // The CRD checks no syntax of a port name (both accept these), but netpol refuses an empty one.
  ['named-port', (p, o) => void (cnpProtocolOf(p, o).destinationNamedPort = p.pick([...BAD_PORT_NAMES.filter((n) => n !== ''), 'x'.repeat(16)]))],
  ['named-port-empty', (p, o) => void (cnpProtocolOf(p, o).destinationNamedPort = '')],
  ['rule-name', (p, o) => void (cnpRuleOf(p, o).rule.name = p.pick(['x'.repeat(101), 'a'.repeat(200)]))],
  [
    'rules',
    (p, o) => {
      const d = p.pick(['ingress', 'egress'])
      ;(o.spec as Obj)[d] = Array.from({ length: 101 }, () => ({ action: 'Deny', [d === 'ingress' ? 'from' : 'to']: [{ namespaces: {} }] }))
    },
  ],
  ['selector-label-value', (p, o) => void (cnpSelector(p, o).matchLabels = { app: p.pick(BAD_LABEL_VALUES) })],
  ['selector-label-key', (p, o) => void (cnpSelector(p, o).matchLabels = { [p.pick(BAD_LABEL_KEYS)]: 'a' })],
  ['selector-operator', (p, o) => void (cnpSelector(p, o).matchExpressions = [{ key: 'app', operator: p.pick(BAD_OPERATORS), values: ['a'] }])],
  ['selector-values-missing', (p, o) => void (cnpSelector(p, o).matchExpressions = [{ key: 'app', operator: p.pick(['In', 'NotIn']) }])],
  ['selector-values-forbidden', (p, o) => void (cnpSelector(p, o).matchExpressions = [{ key: 'app', operator: 'Exists', values: ['a'] }])],
  [
    'unknown-field',
    (p, o) => {
      const k = p.int(3)
      if (k === 0) (o.spec as Obj).subjct = {}
      else if (k === 1) cnpRuleOf(p, o).rule.form = []
      else (o.metadata as Obj).nmae = 'x'
    },
  ],
  [
    'wrong-type',
    (p, o) => {
      const k = p.int(3)
      if (k === 0) (o.spec as Obj).tier = 1
      else if (k === 1) (o.spec as Obj).subject = 'all'
      else cnpRuleOf(p, o).rule.action = true
    },
  ],
]

/**
 * `count` NetworkPolicies and `count` ClusterNetworkPolicies: every fourth valid, the others each
 * with one mutation (in turn).
 */
export function generatePolicies(seed: number, count: number): GeneratedCase[] {
  const p = createPrng(seed)
  counter = 0
  const out: GeneratedCase[] = []
  const make = (prefix: string, valid: (p: Prng, name: string) => Obj, mutations: readonly Mutation[]): void => {
    let m = 0
    for (let i = 0; i < count; i++) {
      const name = `${prefix}-${i}`
      const object = valid(p, name)
      if (i % 4 === 0) {
        out.push({ name: `${name} valid`, mutation: 'valid', object })
        continue
      }
      const [mutation, apply] = mutations[m++ % mutations.length]
      const broken = clone(object)
      apply(p, broken)
      out.push({ name: `${name} ${mutation}`, mutation, object: broken })
    }
  }
  make('np', validNetworkPolicy, NP_MUTATIONS)
  make('cnp', validClusterNetworkPolicy, CNP_MUTATIONS)
  return out
}
