/**
 * @module The OpenAPI schema and CEL rules of the `policy.networking.k8s.io/v1alpha2`
 * ClusterNetworkPolicy CRD (network-policy-api v0.2.0, vendored under
 * `vendor/network-policy-api/v1alpha2/crd/`), written out for `validateCustomResource`. It is the
 * experimental channel's schema (a superset of the standard one); the fields only that channel
 * has are marked `experimental`. test/model/cluster-network-policy-schema.test.ts compares it
 * with both vendored CRDs, field by field.
 */
import { parseCidr, parseIp } from './cidr.js'
import type { CelRule, CrdSchema } from './crd-schema.js'
import { isPlainMap, type PlainMap } from './object-reader.js'

const asMap = (v: unknown): PlainMap => (isPlainMap(v) ? v : {})
const asList = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : [])
const has = (m: PlainMap, k: string): boolean => m[k] !== undefined && m[k] !== null

/**
 * `isCIDR(self)` of the Kubernetes CEL library (k8s.io/apiserver/pkg/cel/library/cidr.go): Go
 * `netip.ParsePrefix` (host bits allowed), no zone, and no IPv4-mapped IPv6 address (`Is4In6`,
 * on the address as written, e.g. `::ffff:10.0.0.0/104`).
 */
export function isCidr(text: string): boolean {
  if (!parseCidr(text).ok) return false
  const address = parseIp(text.slice(0, text.lastIndexOf('/')))
  return !(address !== undefined && address.family === 6 && address.value >> 32n === 0xffffn)
}

export const LABEL_SELECTOR_SCHEMA: CrdSchema = {
  type: 'object',
  mapType: 'atomic',
  properties: {
    matchExpressions: {
      type: 'array',
      listType: 'atomic',
      items: {
        type: 'object',
        required: ['key', 'operator'],
        properties: {
          key: { type: 'string' },
          operator: { type: 'string' },
          values: { type: 'array', listType: 'atomic', items: { type: 'string' } },
        },
      },
    },
    matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
  },
}

export const NAMESPACED_POD_SCHEMA: CrdSchema = {
  type: 'object',
  required: ['podSelector'],
  properties: { namespaceSelector: LABEL_SELECTOR_SCHEMA, podSelector: LABEL_SELECTOR_SCHEMA },
}

const PORT_NUMBER: CrdSchema = { type: 'integer', format: 'int32', minimum: 1, maximum: 65535 }

export const PORT_RANGE_RULE: CelRule = {
  rule: 'self.start < self.end',
  message: 'Start port must be less than End port',
  holds: (self) => Number(asMap(self).start) < Number(asMap(self).end),
}

const PORT_SCHEMA: CrdSchema = {
  type: 'object',
  minProperties: 1,
  maxProperties: 1,
  properties: {
    number: PORT_NUMBER,
    range: { type: 'object', required: ['end', 'start'], properties: { end: PORT_NUMBER, start: PORT_NUMBER }, validations: [PORT_RANGE_RULE] },
  },
}

const PROTOCOL_MATCH_SCHEMA: CrdSchema = { type: 'object', minProperties: 1, properties: { destinationPort: PORT_SCHEMA } }

const PROTOCOL_SCHEMA: CrdSchema = {
  type: 'object',
  minProperties: 1,
  maxProperties: 1,
  properties: { destinationNamedPort: { type: 'string' }, sctp: PROTOCOL_MATCH_SCHEMA, tcp: PROTOCOL_MATCH_SCHEMA, udp: PROTOCOL_MATCH_SCHEMA },
}

const PROTOCOLS_SCHEMA: CrdSchema = { type: 'array', minItems: 1, maxItems: 25, items: PROTOCOL_SCHEMA }

export const CIDR_RULE: CelRule = { rule: 'isCIDR(self)', message: 'Invalid CIDR format provided', holds: (self) => typeof self === 'string' && isCidr(self) }

export const DOMAIN_NAME_PATTERN = String.raw`^(\*\.)?([a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$`

export const NAMED_PORT_RULE_MESSAGE =
  'networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts for networks/nodes/domainNames'

/**
 * The experimental channel's egress rule check. The standard channel's CRD has no such rule (and no
 * nodes or domainNames), so a rule that names only `networks` peers is accepted there: then it is a
 * warning, since the named port still matches the rule's pod destinations.
 */
export const NAMED_PORT_RULE: CelRule = {
  rule:
    '!(self.to.exists(peer, has(peer.networks) || has(peer.nodes) || has(peer.domainNames)) && has(self.protocols) && ' +
    'self.protocols.exists(protocol, has(protocol.destinationNamedPort)))',
  message: NAMED_PORT_RULE_MESSAGE,
  holds: (self) => {
    const rule = asMap(self)
    const nonPod = asList(rule.to).some((p) => has(asMap(p), 'networks') || has(asMap(p), 'nodes') || has(asMap(p), 'domainNames'))
    const named = has(rule, 'protocols') && asList(rule.protocols).some((p) => has(asMap(p), 'destinationNamedPort'))
    return !(nonPod && named)
  },
  warnOnlyWhen: (self) => {
    const experimentalPeer = asList(asMap(self).to).some((p) => has(asMap(p), 'nodes') || has(asMap(p), 'domainNames'))
    return experimentalPeer
      ? undefined
      : "only the experimental channel's CRD has this rule; with the standard channel's the named port matches only the rule's pod destinations"
  },
}

/** An egress peer's `domainNames` (experimental channel), the same in v1alpha1 and v1alpha2. */
export const DOMAIN_NAMES_SCHEMA: CrdSchema = {
  type: 'array',
  experimental: true,
  minItems: 1,
  maxItems: 25,
  listType: 'set',
  items: { type: 'string', pattern: DOMAIN_NAME_PATTERN },
}

export const EGRESS_PEER_SCHEMA: CrdSchema = {
  type: 'object',
  minProperties: 1,
  maxProperties: 1,
  properties: {
    domainNames: DOMAIN_NAMES_SCHEMA,
    namespaces: LABEL_SELECTOR_SCHEMA,
    networks: {
      type: 'array',
      minItems: 1,
      maxItems: 25,
      listType: 'set',
      items: { type: 'string', maxLength: 43, validations: [CIDR_RULE] },
    },
    nodes: { ...LABEL_SELECTOR_SCHEMA, experimental: true },
    pods: NAMESPACED_POD_SCHEMA,
  },
}

export const INGRESS_PEER_SCHEMA: CrdSchema = {
  type: 'object',
  minProperties: 1,
  maxProperties: 1,
  properties: { namespaces: LABEL_SELECTOR_SCHEMA, pods: NAMESPACED_POD_SCHEMA },
}

const ACTION_SCHEMA: CrdSchema = { type: 'string', enum: ['Accept', 'Deny', 'Pass'] }
const RULE_NAME_SCHEMA: CrdSchema = { type: 'string', maxLength: 100 }

export const CLUSTER_NETWORK_POLICY_SCHEMA: CrdSchema = {
  type: 'object',
  required: ['metadata', 'spec'],
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      required: ['priority', 'subject', 'tier'],
      properties: {
        egress: {
          type: 'array',
          maxItems: 25,
          items: {
            type: 'object',
            required: ['action', 'to'],
            properties: {
              action: ACTION_SCHEMA,
              name: RULE_NAME_SCHEMA,
              protocols: PROTOCOLS_SCHEMA,
              to: { type: 'array', minItems: 1, maxItems: 25, items: EGRESS_PEER_SCHEMA },
            },
            validations: [NAMED_PORT_RULE],
          },
        },
        ingress: {
          type: 'array',
          maxItems: 25,
          items: {
            type: 'object',
            required: ['action', 'from'],
            properties: {
              action: ACTION_SCHEMA,
              from: { type: 'array', minItems: 1, maxItems: 25, items: INGRESS_PEER_SCHEMA },
              name: RULE_NAME_SCHEMA,
              protocols: PROTOCOLS_SCHEMA,
            },
          },
        },
        priority: { type: 'integer', format: 'int32', minimum: 0, maximum: 1000 },
        subject: {
          type: 'object',
          minProperties: 1,
          maxProperties: 1,
          properties: { namespaces: LABEL_SELECTOR_SCHEMA, pods: NAMESPACED_POD_SCHEMA },
        },
        tier: { type: 'string', enum: ['Admin', 'Baseline'] },
      },
    },
    // Dropped on create (the CRD has a status subresource); never validated here.
    status: { type: 'object' },
  },
}
