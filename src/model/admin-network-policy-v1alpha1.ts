/**
 * @module The deprecated `policy.networking.k8s.io/v1alpha1` AdminNetworkPolicy and
 * BaselineAdminNetworkPolicy (network-policy-api up to v0.1.8, vendored under
 * `vendor/network-policy-api/v1alpha1/`): validated against their last released CRDs, and
 * converted to the equivalent v1alpha2 ClusterNetworkPolicy (`netpol convert`).
 *
 * Conversion, field by field: ANP -> tier Admin with its priority; BANP (a singleton without
 * priority) -> tier Baseline with a chosen priority; actions Allow -> Accept, Deny and Pass as
 * they are; subjects and peers (namespaces, pods, nodes, networks, domainNames) keep their shape;
 * `ports` -> `protocols` (portNumber -> {tcp|udp|sctp: {destinationPort: {number}}}, portRange ->
 * `range`, or `number` when start == end, namedPort -> destinationNamedPort). v1alpha1 allowed 100
 * rules per direction and 100 peers and ports per rule, v1alpha2 allows 25: a rule with more
 * peers or ports becomes several consecutive rules with the same action (the same first match);
 * more than 25 rules per direction cannot be converted. The older peer shape of releases up to
 * v0.1.2 (`namespaces: {namespaceSelector}`, `pods: {namespaces: {namespaceSelector}}`, which the
 * upstream examples still use) is read as what it says; its `sameLabels`/`notSameLabels` have no
 * v1alpha2 equivalent and cannot be converted.
 */
import { CIDR_RULE, DOMAIN_NAMES_SCHEMA, LABEL_SELECTOR_SCHEMA } from './cluster-network-policy-schema.js'
import { CNP_API_VERSION, CNP_KIND } from './cluster-network-policy-types.js'
import { applyDefaults, present, timestampsAsText, validateCustomResource, type CelRule, type CrdSchema } from './crd-schema.js'
import type { FieldPath } from './field-path.js'
import { isPlainMap, type ObjectReader, type PlainMap } from './object-reader.js'

export const V1ALPHA1_API_VERSION = 'policy.networking.k8s.io/v1alpha1'
export type V1alpha1Kind = 'AdminNetworkPolicy' | 'BaselineAdminNetworkPolicy'
export const V1ALPHA1_KINDS: readonly V1alpha1Kind[] = ['AdminNetworkPolicy', 'BaselineAdminNetworkPolicy']

/** The priority a converted BaselineAdminNetworkPolicy gets unless told otherwise: after every other Baseline policy. */
export const DEFAULT_BASELINE_PRIORITY = 1000

const asMap = (v: unknown): PlainMap => (isPlainMap(v) ? v : {})
const asList = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : [])
const has = present

const NAMESPACED_POD_V1ALPHA1: CrdSchema = {
  type: 'object',
  required: ['namespaceSelector', 'podSelector'],
  properties: { namespaceSelector: LABEL_SELECTOR_SCHEMA, podSelector: LABEL_SELECTOR_SCHEMA },
}

const PORT_V1ALPHA1: CrdSchema = { type: 'integer', format: 'int32', minimum: 1, maximum: 65535 }

const PORTS_V1ALPHA1: CrdSchema = {
  type: 'array',
  minItems: 1,
  maxItems: 100,
  items: {
    type: 'object',
    minProperties: 1,
    maxProperties: 1,
    properties: {
      namedPort: { type: 'string', experimental: true },
      portNumber: { type: 'object', required: ['port', 'protocol'], properties: { port: PORT_V1ALPHA1, protocol: { type: 'string', default: 'TCP' } } },
      portRange: {
        type: 'object',
        required: ['end', 'start'],
        properties: { end: PORT_V1ALPHA1, protocol: { type: 'string', default: 'TCP' }, start: PORT_V1ALPHA1 },
      },
    },
  },
}

function namedPortRule(peers: readonly string[]): CelRule {
  const list = peers.join('/')
  return {
    rule: `!(self.to.exists(peer, ${peers.map((p) => `has(peer.${p})`).join(' || ')}) && has(self.ports) && self.ports.exists(port, has(port.namedPort)))`,
    message: `${list} peer cannot be set with namedPorts since there are no namedPorts for ${list}`,
    holds: (self) => {
      const rule = asMap(self)
      const nonPod = asList(rule.to).some((p) => peers.some((k) => has(asMap(p), k)))
      return !(nonPod && has(rule, 'ports') && asList(rule.ports).some((p) => has(asMap(p), 'namedPort')))
    },
  }
}

/** The schema of the v0.1.8 CRD of `kind` (its experimental channel, a superset of the standard one). */
function v1alpha1Schema(kind: V1alpha1Kind): CrdSchema {
  const admin = kind === 'AdminNetworkPolicy'
  const action: CrdSchema = { type: 'string', enum: admin ? ['Allow', 'Deny', 'Pass'] : ['Allow', 'Deny'] }
  const name: CrdSchema = { type: 'string', maxLength: 100 }
  const selectorPeers = { namespaces: LABEL_SELECTOR_SCHEMA, pods: NAMESPACED_POD_V1ALPHA1 }
  const egressPeer: CrdSchema = {
    type: 'object',
    minProperties: 1,
    maxProperties: 1,
    properties: {
      ...(admin ? { domainNames: DOMAIN_NAMES_SCHEMA } : {}),
      namespaces: LABEL_SELECTOR_SCHEMA,
      networks: { type: 'array', minItems: 1, maxItems: 25, listType: 'set', items: { type: 'string', maxLength: 43, validations: [CIDR_RULE] } },
      nodes: { ...LABEL_SELECTOR_SCHEMA, experimental: true },
      pods: NAMESPACED_POD_V1ALPHA1,
    },
  }
  return {
    type: 'object',
    required: ['metadata', 'spec'],
    ...(admin
      ? {}
      : {
          validations: [
            {
              rule: "self.metadata.name == 'default'",
              message: 'Only one baseline admin network policy with metadata.name="default" can be created in the cluster',
              holds: (self: unknown) => asMap(asMap(self).metadata).name === 'default',
            },
          ],
        }),
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: {
        type: 'object',
        required: admin ? ['priority', 'subject'] : ['subject'],
        properties: {
          egress: {
            type: 'array',
            maxItems: 100,
            items: {
              type: 'object',
              required: ['action', 'to'],
              properties: { action, name, ports: PORTS_V1ALPHA1, to: { type: 'array', minItems: 1, maxItems: 100, items: egressPeer } },
              validations: [namedPortRule(admin ? ['networks', 'nodes', 'domainNames'] : ['networks', 'nodes'])],
            },
          },
          ingress: {
            type: 'array',
            maxItems: 100,
            items: {
              type: 'object',
              required: ['action', 'from'],
              properties: {
                action,
                from: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'object', minProperties: 1, maxProperties: 1, properties: selectorPeers } },
                name,
                ports: PORTS_V1ALPHA1,
              },
            },
          },
          ...(admin ? { priority: { type: 'integer', format: 'int32', minimum: 0, maximum: 1000 } satisfies CrdSchema } : {}),
          subject: { type: 'object', minProperties: 1, maxProperties: 1, properties: selectorPeers },
        },
      },
      status: { type: 'object' },
    },
  }
}

export const ADMIN_NETWORK_POLICY_SCHEMA = v1alpha1Schema('AdminNetworkPolicy')
export const BASELINE_ADMIN_NETWORK_POLICY_SCHEMA = v1alpha1Schema('BaselineAdminNetworkPolicy')

/** Something `netpol convert` cannot express in v1alpha2, at a field of the v1alpha1 object. */
export interface ConversionProblem {
  readonly path: FieldPath
  readonly message: string
}

export interface V1alpha1Conversion {
  readonly kind: V1alpha1Kind
  readonly name: string
  /** The equivalent ClusterNetworkPolicy as plain data (apiVersion, kind, metadata, spec); absent when a problem prevents it. */
  readonly converted?: PlainMap
  readonly problems: readonly ConversionProblem[]
}

const OLD_PEER_KEYS = ['namespaceSelector', 'sameLabels', 'notSameLabels']

/**
 * Peers written in the shape of releases up to v0.1.2, rewritten to the v0.1.3+ shape (a
 * warning each); `sameLabels`/`notSameLabels` are problems (nothing later expresses them).
 */
function normalizeOldPeers(r: ObjectReader, spec: PlainMap, problems: ConversionProblem[], moved: [FieldPath, FieldPath][]): PlainMap {
  const peerList = (rule: unknown, key: 'from' | 'to', path: FieldPath): unknown =>
    Array.isArray(asMap(rule)[key]) ? asList(asMap(rule)[key]).map((peer, j) => normalizePeer(peer, [...path, key, j])) : asMap(rule)[key]
  const normalizePeer = (peer: unknown, path: FieldPath): unknown => {
    if (!isPlainMap(peer)) return peer
    const out: Record<string, unknown> = { ...peer }
    const ns = peer.namespaces
    if (isPlainMap(ns) && Object.keys(ns).some((k) => OLD_PEER_KEYS.includes(k)) && !has(ns, 'matchLabels') && !has(ns, 'matchExpressions')) {
      out.namespaces = oldNamespaces(ns, [...path, 'namespaces'])
      moved.push([
        [...path, 'namespaces'],
        [...path, 'namespaces', 'namespaceSelector'],
      ])
    }
    const pods = peer.pods
    if (isPlainMap(pods) && has(pods, 'namespaces') && !has(pods, 'namespaceSelector')) {
      const { namespaces: inner, ...rest } = pods
      out.pods = { ...rest, namespaceSelector: oldNamespaces(asMap(inner), [...path, 'pods', 'namespaces']) }
      moved.push([
        [...path, 'pods', 'namespaceSelector'],
        [...path, 'pods', 'namespaces', 'namespaceSelector'],
      ])
    }
    return out
  }
  const oldNamespaces = (ns: PlainMap, path: FieldPath): unknown => {
    for (const key of ['sameLabels', 'notSameLabels']) {
      if (has(ns, key)) {
        problems.push({
          path: [...path, key],
          message: `${key} (network-policy-api v0.1.2 and older) has no equivalent in v1alpha2: write one rule per namespace group instead`,
        })
      }
    }
    r.warn(
      path,
      'the peer shape of network-policy-api v0.1.2 and older (`namespaceSelector` inside); read as that selector (v0.1.3 and later write the ' +
        'selector itself here)',
    )
    return ns.namespaceSelector ?? {}
  }
  const rules = (key: 'ingress' | 'egress', peers: 'from' | 'to'): unknown =>
    Array.isArray(spec[key])
      ? asList(spec[key]).map((rule, i) => (isPlainMap(rule) ? { ...rule, [peers]: peerList(rule, peers, ['spec', key, i]) } : rule))
      : spec[key]
  return { ...spec, ingress: rules('ingress', 'from'), egress: rules('egress', 'to') }
}

export interface ReadV1alpha1Options {
  /** `spec.priority` of a converted BaselineAdminNetworkPolicy (0-1000). */
  readonly baselinePriority?: number
}

/**
 * Validates a v1alpha1 object against its last released CRD (errors on `r`) and converts it.
 * Undefined when it is invalid.
 */
export function readV1alpha1Policy(
  r: ObjectReader,
  obj: PlainMap,
  kind: V1alpha1Kind,
  name: string,
  options: ReadV1alpha1Options = {},
): V1alpha1Conversion | undefined {
  const problems: ConversionProblem[] = []
  const { status: _status, ...raw } = obj
  const object = timestampsAsText(r, raw) as PlainMap
  // Where each selector of an older-shape peer was written: errors inside it name that place.
  const moved: [FieldPath, FieldPath][] = []
  const normalized = { ...object, ...(isPlainMap(object.spec) ? { spec: stripNulls(normalizeOldPeers(r, object.spec, problems, moved)) } : {}) }
  const schema = kind === 'AdminNetworkPolicy' ? ADMIN_NETWORK_POLICY_SCHEMA : BASELINE_ADMIN_NETWORK_POLICY_SCHEMA
  const defaulted = applyDefaults(normalized, schema) as PlainMap
  r.pathMap = moved.length === 0 ? undefined : (path) => writtenPath(path, moved)
  let valid: boolean
  try {
    valid = validateCustomResource(r, defaulted, schema).valid
  } finally {
    r.pathMap = undefined
  }
  if (!valid) return undefined
  const converted = convert(defaulted, kind, options, problems)
  return { kind, name, ...(problems.length === 0 ? { converted } : {}), problems }
}

/** `path` of the normalized object as written: below a moved selector, under its old place. */
function writtenPath(path: FieldPath, moved: readonly [FieldPath, FieldPath][]): FieldPath {
  for (const [now, was] of moved) {
    if (path.length >= now.length && now.every((part, i) => path[i] === part)) return [...was, ...path.slice(now.length)]
  }
  return path
}

/** `ingress: undefined` left by normalizing an object without rules is no field. */
function stripNulls(map: PlainMap): PlainMap {
  return Object.fromEntries(Object.entries(map).filter(([, v]) => v !== undefined))
}

const PROTOCOL_KEYS: Readonly<Record<string, 'tcp' | 'udp' | 'sctp'>> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' }
const MAX_V1ALPHA2 = 25

function convert(obj: PlainMap, kind: V1alpha1Kind, options: ReadV1alpha1Options, problems: ConversionProblem[]): PlainMap {
  const spec = asMap(obj.spec)
  const meta = asMap(obj.metadata)
  const metadata: Record<string, unknown> = { name: meta.name }
  if (isPlainMap(meta.labels) && Object.keys(meta.labels).length > 0) metadata.labels = meta.labels
  if (isPlainMap(meta.annotations)) {
    // kubectl's record of the v1alpha1 object would be wrong on the new one.
    const { 'kubectl.kubernetes.io/last-applied-configuration': _applied, ...rest } = meta.annotations
    if (Object.keys(rest).length > 0) metadata.annotations = rest
  }
  const out: Record<string, unknown> = {
    tier: kind === 'AdminNetworkPolicy' ? 'Admin' : 'Baseline',
    priority: kind === 'AdminNetworkPolicy' ? spec.priority : (options.baselinePriority ?? DEFAULT_BASELINE_PRIORITY),
    subject: spec.subject,
  }
  for (const [direction, peersKey] of [
    ['ingress', 'from'],
    ['egress', 'to'],
  ] as const) {
    if (!has(spec, direction)) continue
    const rules: PlainMap[] = []
    asList(spec[direction]).forEach((raw, i) => rules.push(...convertRule(asMap(raw), peersKey, [`spec`, direction, i], problems)))
    if (rules.length > MAX_V1ALPHA2) {
      const once = rules.length !== asList(spec[direction]).length ? ' once rules with more than 25 peers or ports are split' : ''
      problems.push({
        path: ['spec', direction],
        message:
          `${rules.length} ${direction} rules${once}: a v1alpha2 ClusterNetworkPolicy has at most ${MAX_V1ALPHA2}; split the policy by ` +
          `hand (policies of one priority have no defined order)`,
      })
    }
    out[direction] = rules
  }
  return { apiVersion: CNP_API_VERSION, kind: CNP_KIND, metadata, spec: out }
}

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < list.length; i += MAX_V1ALPHA2) out.push(list.slice(i, i + MAX_V1ALPHA2))
  return out
}

/** One v1alpha1 rule as one or more v1alpha2 rules (more when it has more than 25 peers or ports). */
function convertRule(rule: PlainMap, peersKey: 'from' | 'to', path: FieldPath, problems: ConversionProblem[]): PlainMap[] {
  const action = rule.action === 'Allow' ? 'Accept' : rule.action
  const peers = asList(rule[peersKey])
  const protocols = has(rule, 'ports') ? asList(rule.ports).map((p, k) => convertPort(asMap(p), [...path, 'ports', k], problems)) : undefined
  const out: PlainMap[] = []
  for (const peerChunk of chunks(peers)) {
    for (const protocolChunk of protocols ? chunks(protocols) : [undefined]) {
      out.push({
        ...(has(rule, 'name') ? { name: rule.name } : {}),
        action,
        [peersKey]: peerChunk,
        ...(protocolChunk ? { protocols: protocolChunk } : {}),
      })
    }
  }
  return out
}

function convertPort(port: PlainMap, path: FieldPath, problems: ConversionProblem[]): PlainMap {
  if (has(port, 'namedPort')) return { destinationNamedPort: port.namedPort }
  const which = has(port, 'portNumber') ? 'portNumber' : 'portRange'
  const body = asMap(port[which])
  const protocol = String(body.protocol)
  const key = PROTOCOL_KEYS[protocol]
  if (!key) {
    problems.push({
      path: [...path, which, 'protocol'],
      message: `Unsupported value: ${JSON.stringify(protocol)}: supported values: "SCTP", "TCP", "UDP" (v1alpha2 has a field for each)`,
    })
    return {}
  }
  if (which === 'portNumber') return { [key]: { destinationPort: { number: body.port } } }
  const start = Number(body.start)
  const end = Number(body.end)
  if (start === end) return { [key]: { destinationPort: { number: start } } }
  if (start > end) {
    problems.push({
      path: [...path, which],
      message: `start ${start} is greater than end ${end}: the range has no port, and v1alpha2 requires start < end; fix or remove it`,
    })
    return {}
  }
  return { [key]: { destinationPort: { range: { start, end } } } }
}
