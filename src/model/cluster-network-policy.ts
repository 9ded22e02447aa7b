/**
 * @module Reading a `policy.networking.k8s.io/v1alpha2` ClusterNetworkPolicy: validated as
 * kube-apiserver validates it with the released CRD installed (cluster-network-policy-schema.ts,
 * through crd-schema.ts: same field paths and messages), then made into the read-only model with
 * the line of the object, its subject, every rule, peer and protocol entry.
 *
 * Beyond the CRD, label selectors are checked as apimachinery's `LabelSelectorAsSelector` checks
 * them (an operator such as `Equals`, or a malformed label key, passes the CRD's schema but no
 * implementation can evaluate it), and an empty `destinationNamedPort` (which the schema admits,
 * and which leaves the entry with no usable field) is an error.
 */
import {
  CNP_KIND,
  type ClusterNetworkPolicy,
  type ClusterNetworkPolicyEgressPeer,
  type ClusterNetworkPolicyEgressRule,
  type ClusterNetworkPolicyIngressPeer,
  type ClusterNetworkPolicyIngressRule,
  type ClusterNetworkPolicyProtocol,
  type ClusterNetworkPolicyProtocolMatch,
  type ClusterNetworkPolicyRuleAction,
  type ClusterNetworkPolicySubject,
  type ClusterNetworkPolicyTier,
  type NamespacedPod,
  type Port,
} from './cluster-network-policy-types.js'
import { CLUSTER_NETWORK_POLICY_SCHEMA } from './cluster-network-policy-schema.js'
import { present, timestampsAsText, validateCustomResource } from './crd-schema.js'
import type { FieldPath } from './field-path.js'
import { readLabelSelector } from './labels.js'
import { portNameErrors } from './name-validation.js'
import type { ObjectMeta } from './object-meta.js'
import { isPlainMap, type ObjectReader, type PlainMap } from './object-reader.js'
import type { LabelSelector, SourceRef } from './types.js'

const asMap = (v: unknown): PlainMap => (isPlainMap(v) ? v : {})
const asList = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : [])

/**
 * Validates and reads one ClusterNetworkPolicy whose metadata is already read. Undefined when it
 * is invalid (every error recorded on `r`). `served`: read from a live cluster.
 */
export function readClusterNetworkPolicy(
  r: ObjectReader,
  obj: PlainMap,
  meta: ObjectMeta,
  options: { readonly served?: boolean } = {},
): ClusterNetworkPolicy | undefined {
  const before = r.errors.length
  if (meta.namespace !== undefined) {
    r.warn(['metadata', 'namespace'], `ignored: ${CNP_KIND} is cluster-scoped (the API server clears the namespace)`)
  }
  // The CRD has a status subresource: the apiserver drops `status` on create, unvalidated.
  const { status: _status, ...raw } = obj
  const object = timestampsAsText(r, raw) as PlainMap
  // Not shaped (a wrong type, a missing field): the model cannot be built; otherwise it is, so
  // that the checks beyond the CRD report their errors in the same run.
  if (!validateCustomResource(r, object, CLUSTER_NETWORK_POLICY_SCHEMA).shaped) return undefined
  const spec = asMap(object.spec)
  // An object the cluster serves passed its CRD: the channel question is settled.
  if (!options.served) warnExperimental(r, spec)
  const model = buildPolicy(r, spec, meta.name)
  return r.errors.length > before ? undefined : model
}

function source(r: ObjectReader, path: FieldPath): SourceRef {
  return { file: r.file, line: r.line(path) }
}

/** Fields only the experimental channel's CRD has: the standard one rejects them as unknown fields. */
function warnExperimental(r: ObjectReader, spec: PlainMap): void {
  asList(spec.egress).forEach((rule, i) => {
    asList(asMap(rule).to).forEach((peer, j) => {
      for (const key of ['nodes', 'domainNames']) {
        if (present(asMap(peer), key)) {
          r.warn(
            ['spec', 'egress', i, 'to', j, key],
            `experimental channel field: the cluster needs the experimental channel's ClusterNetworkPolicy CRD (the standard one rejects it as ` +
              `an unknown field)`,
          )
        }
      }
    })
  })
}

function buildPolicy(r: ObjectReader, spec: PlainMap, name: string): ClusterNetworkPolicy {
  const subject = readSubject(r, asMap(spec.subject), ['spec', 'subject'])
  const ingress: ClusterNetworkPolicyIngressRule[] = asList(spec.ingress).map((raw, i) => {
    const path: FieldPath = ['spec', 'ingress', i]
    const rule = asMap(raw)
    return {
      ...ruleName(rule),
      action: rule.action as ClusterNetworkPolicyRuleAction,
      from: asList(rule.from).map((p, j) => readIngressPeer(r, asMap(p), [...path, 'from', j])),
      protocols: readProtocols(r, rule.protocols, [...path, 'protocols']),
      source: source(r, path),
    }
  })
  const egress: ClusterNetworkPolicyEgressRule[] = asList(spec.egress).map((raw, i) => {
    const path: FieldPath = ['spec', 'egress', i]
    const rule = asMap(raw)
    return {
      ...ruleName(rule),
      action: rule.action as ClusterNetworkPolicyRuleAction,
      to: asList(rule.to).map((p, j) => readEgressPeer(r, asMap(p), [...path, 'to', j])),
      protocols: readProtocols(r, rule.protocols, [...path, 'protocols']),
      source: source(r, path),
    }
  })
  return {
    name,
    spec: { tier: spec.tier as ClusterNetworkPolicyTier, priority: Number(spec.priority), subject, ingress, egress },
    source: source(r, []),
  }
}

function ruleName(rule: PlainMap): { name?: string } {
  return typeof rule.name === 'string' && rule.name !== '' ? { name: rule.name } : {}
}

function selector(r: ObjectReader, map: PlainMap, key: string, path: FieldPath): LabelSelector | undefined {
  return present(map, key) ? readLabelSelector(r, map[key], [...path, key]) : undefined
}

function readNamespacedPod(r: ObjectReader, map: PlainMap, path: FieldPath): NamespacedPod {
  return {
    namespaceSelector: readLabelSelector(r, map.namespaceSelector ?? {}, [...path, 'namespaceSelector']),
    podSelector: readLabelSelector(r, map.podSelector, [...path, 'podSelector']),
  }
}

function readSubject(r: ObjectReader, map: PlainMap, path: FieldPath): ClusterNetworkPolicySubject {
  const namespaces = selector(r, map, 'namespaces', path)
  return {
    ...(namespaces ? { namespaces } : {}),
    ...(present(map, 'pods') ? { pods: readNamespacedPod(r, asMap(map.pods), [...path, 'pods']) } : {}),
    source: source(r, path),
  }
}

function readIngressPeer(r: ObjectReader, map: PlainMap, path: FieldPath): ClusterNetworkPolicyIngressPeer {
  const namespaces = selector(r, map, 'namespaces', path)
  return {
    ...(namespaces ? { namespaces } : {}),
    ...(present(map, 'pods') ? { pods: readNamespacedPod(r, asMap(map.pods), [...path, 'pods']) } : {}),
    source: source(r, path),
  }
}

function readEgressPeer(r: ObjectReader, map: PlainMap, path: FieldPath): ClusterNetworkPolicyEgressPeer {
  const namespaces = selector(r, map, 'namespaces', path)
  const nodes = selector(r, map, 'nodes', path)
  const strings = (key: string): readonly string[] | undefined => (present(map, key) ? asList(map[key]).map(String) : undefined)
  const networks = strings('networks')
  const domainNames = strings('domainNames')
  return {
    ...(namespaces ? { namespaces } : {}),
    ...(present(map, 'pods') ? { pods: readNamespacedPod(r, asMap(map.pods), [...path, 'pods']) } : {}),
    ...(nodes ? { nodes } : {}),
    ...(networks ? { networks } : {}),
    ...(domainNames ? { domainNames } : {}),
    source: source(r, path),
  }
}

function readPort(map: PlainMap): Port {
  if (present(map, 'number')) return { number: Number(map.number) }
  const range = asMap(map.range)
  return { range: { start: Number(range.start), end: Number(range.end) } }
}

function readProtocols(r: ObjectReader, value: unknown, path: FieldPath): ClusterNetworkPolicyProtocol[] {
  return asList(value).map((raw, i) => {
    const at: FieldPath = [...path, i]
    const map = asMap(raw)
    const match = (key: 'tcp' | 'udp' | 'sctp'): { [K in typeof key]?: ClusterNetworkPolicyProtocolMatch } =>
      present(map, key) ? { [key]: { destinationPort: readPort(asMap(asMap(map[key]).destinationPort)) } } : {}
    const out: ClusterNetworkPolicyProtocol = { ...match('tcp'), ...match('udp'), ...match('sctp'), source: source(r, at) }
    if (!present(map, 'destinationNamedPort')) return out
    const name = String(map.destinationNamedPort)
    const namePath = [...at, 'destinationNamedPort']
    if (name === '') {
      r.invalid(
        namePath,
        name,
        'an empty port name sets no field of the entry; implementations read it as a protocol they do not know (give the name, or use tcp/udp/sctp)',
      )
    } else {
      const errs = portNameErrors(name)
      if (errs.length > 0) r.warn(namePath, `never matches: no container port can have this name (${errs.join('; ')})`)
    }
    return { ...out, destinationNamedPort: name }
  })
}
