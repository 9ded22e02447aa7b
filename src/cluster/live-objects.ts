/**
 * @module Objects as a live API server serves them (JSON; list items without kind/apiVersion) turned
 * into the model. NetworkPolicies go through the loader's own validation and defaulting
 * (`readObjectMeta`, `readNetworkPolicy`), so a live policy means exactly what the same manifest
 * means in a file. Pods use the loader's pod spec and status readers; Namespaces its metadata
 * reader.
 */
import type { Diagnostic } from '../model/diagnostic.js'
import { readClusterNetworkPolicy } from '../model/cluster-network-policy.js'
import {
  CNP_API_VERSION,
  CNP_KIND,
  type ClusterNetworkPolicy,
  type ClusterNetworkPolicySubject,
  type ClusterNetworkPolicyTier,
} from '../model/cluster-network-policy-types.js'
import { readNetworkPolicy } from '../model/network-policy.js'
import { readNode } from '../model/node.js'
import { readEndpointSlice, readService } from '../model/service.js'
import { readObjectMeta } from '../model/object-meta.js'
import { formatIp, parseIp } from '../model/cidr.js'
import { podHasFinished, readPodIps, readPodSpec } from '../model/pod-spec.js'
import { isPlainMap, ObjectReader, type PlainMap } from '../model/object-reader.js'
import { STORED_OBJECT_RULES } from '../model/kube-version.js'
import type { ManifestDocument } from '../model/yaml-documents.js'
import { readLabelSelector } from '../model/labels.js'
import {
  NAMESPACE_NAME_LABEL,
  type EndpointSlice,
  type Namespace,
  type NetworkPolicy,
  type Node,
  type Pod,
  type PolicyType,
  type Service,
  type SourceRef,
} from '../model/types.js'
import type { RawObject } from './live-api.js'
import { readControllerRef, workloadOfController } from './workload-owner.js'

/** `file` of every object read from a live cluster (see SourceRef). */
export const LIVE_FILE = 'api'

export type Converted<T> =
  { readonly ok: true; readonly value: T; readonly warnings: readonly Diagnostic[] } | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] }

const SOURCE: SourceRef = { file: LIVE_FILE, line: 0 }

/** A document whose lines are unknown (0): the object came over the wire, not from a file. */
function liveDocument(value: unknown): ManifestDocument {
  return { file: LIVE_FILE, value, lineAt: () => 0, textAt: () => undefined }
}

function metadataOf(raw: RawObject): PlainMap {
  const m = isPlainMap(raw.metadata) ? raw.metadata : {}
  // Only what the model reads: managedFields, annotations and the rest are noise here.
  return { name: m.name, namespace: m.namespace, labels: m.labels }
}

/** `Kind "ns/name"`; names that are not plain text (control characters, quotes, huge) are escaped and cut. */
export function describeObject(kind: string, raw: RawObject): string {
  const m = isPlainMap(raw.metadata) ? raw.metadata : {}
  return m.namespace ? `${kind} "${shownName(m.namespace)}/${shownName(m.name)}"` : `${kind} "${shownName(m.name)}"`
}

function shownName(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value)
  const cut = text.length > 253 ? `${text.slice(0, 253)}...` : text
  // JSON escapes control characters, quotes and backslashes; the outer quotes are ours.
  return JSON.stringify(cut).slice(1, -1)
}

export function convertNetworkPolicy(raw: RawObject): Converted<NetworkPolicy> {
  const obj: PlainMap = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: metadataOf(raw), spec: raw.spec }
  const r = new ObjectReader(liveDocument(obj), [], STORED_OBJECT_RULES)
  r.identify(describeObject('NetworkPolicy', raw))
  const meta = readObjectMeta(r, obj, 'subdomain')
  if (!meta.namespace) r.required(['metadata', 'namespace'], 'a NetworkPolicy read from the API server always has one')
  const policy = readNetworkPolicy(r, obj, meta, meta.namespace ?? 'default')
  if (r.errors.length > 0) return { ok: false, diagnostics: r.errors }
  return { ok: true, value: policy, warnings: r.warnings }
}

/** A Service as the API server serves it (spec only; status and the rest of metadata are not read). */
export function convertService(raw: RawObject): Converted<Service> {
  const obj: PlainMap = { apiVersion: 'v1', kind: 'Service', metadata: metadataOf(raw), spec: raw.spec }
  const r = new ObjectReader(liveDocument(obj), [], STORED_OBJECT_RULES)
  r.identify(describeObject('Service', raw))
  const meta = readObjectMeta(r, obj, 'dns1035')
  if (!meta.namespace) r.required(['metadata', 'namespace'], 'a Service read from the API server always has one')
  const service = readService(r, obj, meta, meta.namespace ?? 'default', SOURCE)
  if (!service || r.errors.length > 0) return { ok: false, diagnostics: r.errors }
  return { ok: true, value: service, warnings: r.warnings }
}

export function convertEndpointSlice(raw: RawObject): Converted<EndpointSlice> {
  const obj: PlainMap = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: metadataOf(raw),
    addressType: raw.addressType,
    endpoints: raw.endpoints,
    ports: raw.ports,
  }
  const r = new ObjectReader(liveDocument(obj), [], STORED_OBJECT_RULES)
  r.identify(describeObject('EndpointSlice', raw))
  const meta = readObjectMeta(r, obj, 'subdomain')
  if (!meta.namespace) r.required(['metadata', 'namespace'], 'an EndpointSlice read from the API server always has one')
  const slice = readEndpointSlice(r, obj, meta, meta.namespace ?? 'default', SOURCE)
  if (!slice || r.errors.length > 0) return { ok: false, diagnostics: r.errors }
  return { ok: true, value: slice, warnings: r.warnings }
}

/** What netpol reads of a Node (name, labels, addresses), with its resourceVersion: an agent keeps only this of each. */
export function nodeFieldsRead(raw: RawObject): RawObject {
  const m = raw.metadata ?? {}
  return {
    metadata: { name: m.name, labels: m.labels, resourceVersion: m.resourceVersion },
    status: { addresses: isPlainMap(raw.status) ? raw.status.addresses : undefined },
  }
}

export function convertNode(raw: RawObject): Converted<Node> {
  const obj: PlainMap = { apiVersion: 'v1', kind: 'Node', metadata: metadataOf(raw), status: isPlainMap(raw.status) ? { addresses: raw.status.addresses } : {} }
  const r = new ObjectReader(liveDocument(obj), [])
  r.identify(describeObject('Node', raw))
  const meta = readObjectMeta(r, obj, 'subdomain')
  const node = readNode(r, obj, meta, SOURCE)
  if (r.errors.length > 0) return { ok: false, diagnostics: r.errors }
  return { ok: true, value: node, warnings: r.warnings }
}

export function convertClusterNetworkPolicy(raw: RawObject): Converted<ClusterNetworkPolicy> {
  const obj: PlainMap = { apiVersion: CNP_API_VERSION, kind: CNP_KIND, metadata: metadataOf(raw), spec: raw.spec }
  const r = new ObjectReader(liveDocument(obj), [])
  r.identify(describeObject(CNP_KIND, raw))
  const meta = readObjectMeta(r, obj, 'subdomain')
  const policy = readClusterNetworkPolicy(r, obj, meta, { served: true })
  if (!policy || r.errors.length > 0) return { ok: false, diagnostics: r.errors }
  return { ok: true, value: policy, warnings: r.warnings }
}

/**
 * What the agent enforces for a policy it cannot read: every pod the policy would select is
 * isolated with no rule allowing anything, for the policy types it declares (both when unreadable).
 * Skipping the policy instead would open traffic its author meant to close.
 */
export function failClosedPolicy(raw: RawObject): NetworkPolicy {
  const m = isPlainMap(raw.metadata) ? raw.metadata : {}
  const spec = isPlainMap(raw.spec) ? raw.spec : {}
  const r = new ObjectReader(liveDocument({ spec }), [])
  let podSelector = readLabelSelector(r, spec.podSelector, ['spec', 'podSelector'])
  if (r.errors.length > 0) podSelector = { matchLabels: {}, matchExpressions: [] }
  // Only a list of nothing but valid types narrows it: one unreadable entry may have been either.
  const types = Array.isArray(spec.policyTypes) ? spec.policyTypes : []
  const readable = types.length > 0 && types.every((t) => t === 'Ingress' || t === 'Egress')
  const policyTypes: PolicyType[] = readable ? [...new Set(types as PolicyType[])] : ['Ingress', 'Egress']
  return {
    namespace: typeof m.namespace === 'string' ? m.namespace : 'default',
    name: typeof m.name === 'string' ? m.name : '',
    podSelector,
    policyTypes,
    ingress: [],
    egress: [],
    source: SOURCE,
  }
}

/** The name of the one rule of a fail-closed ClusterNetworkPolicy (shown in deny logs and counters). */
export const FAIL_CLOSED_RULE = 'invalid-policy-fail-closed'

/**
 * What the agent enforces for a ClusterNetworkPolicy it cannot read: the most closed policy its
 * readable parts allow, as failClosedPolicy does for a NetworkPolicy. It keeps its tier and
 * priority (Admin and 0 when unreadable: evaluated first) and its subject (every pod when
 * unreadable), and for each direction it has rules in (both when unreadable), one rule denying
 * everything: ingress from every pod (ingress peers can only name pods), egress to every address.
 * The real policy could only decide at that tier and priority, for those pods and directions, so
 * nothing it would deny passes; skipping it instead would open what its Deny rules close.
 */
export function failClosedClusterPolicy(raw: RawObject): ClusterNetworkPolicy {
  const m = isPlainMap(raw.metadata) ? raw.metadata : {}
  const spec = isPlainMap(raw.spec) ? raw.spec : {}
  const tier: ClusterNetworkPolicyTier = spec.tier === 'Baseline' ? 'Baseline' : 'Admin'
  const priority = typeof spec.priority === 'number' && Number.isInteger(spec.priority) && spec.priority >= 0 && spec.priority <= 1000 ? spec.priority : 0
  // A direction is left out only when it certainly has no rule: absent, or an empty list.
  const has = (rules: unknown): boolean => rules !== undefined && rules !== null && !(Array.isArray(rules) && rules.length === 0)
  const all = { matchLabels: {}, matchExpressions: [] }
  const rule = { name: FAIL_CLOSED_RULE, action: 'Deny' as const, protocols: [], source: SOURCE }
  return {
    name: typeof m.name === 'string' ? m.name : '',
    spec: {
      tier,
      priority,
      subject: readableSubject(spec.subject) ?? { namespaces: all, source: SOURCE },
      ingress: has(spec.ingress) ? [{ ...rule, from: [{ namespaces: all, source: SOURCE }] }] : [],
      egress: has(spec.egress) ? [{ ...rule, to: [{ networks: ['0.0.0.0/0', '::/0'], source: SOURCE }] }] : [],
    },
    source: SOURCE,
  }
}

/** The subject when it reads cleanly (exactly one of namespaces, pods; valid selectors); undefined otherwise. */
function readableSubject(value: unknown): ClusterNetworkPolicySubject | undefined {
  if (!isPlainMap(value)) return undefined
  const keys = Object.keys(value).filter((k) => value[k] !== undefined && value[k] !== null)
  if (keys.length !== 1) return undefined
  const r = new ObjectReader(liveDocument({ subject: value }), [])
  let subject: ClusterNetworkPolicySubject | undefined
  if (keys[0] === 'namespaces') {
    subject = { namespaces: readLabelSelector(r, value.namespaces, ['subject', 'namespaces']), source: SOURCE }
  } else if (keys[0] === 'pods' && isPlainMap(value.pods)) {
    const pods = value.pods
    const podKeys = Object.keys(pods).filter((k) => k !== 'namespaceSelector' && k !== 'podSelector')
    if (podKeys.length > 0 || pods.podSelector === undefined) return undefined
    subject = {
      pods: {
        namespaceSelector: readLabelSelector(r, pods.namespaceSelector ?? {}, ['subject', 'pods', 'namespaceSelector']),
        podSelector: readLabelSelector(r, pods.podSelector, ['subject', 'pods', 'podSelector']),
      },
      source: SOURCE,
    }
  }
  return subject && r.errors.length === 0 ? subject : undefined
}

export function convertNamespace(raw: RawObject): Converted<Namespace> {
  const obj: PlainMap = { metadata: metadataOf(raw) }
  const r = new ObjectReader(liveDocument(obj), [])
  r.identify(describeObject('Namespace', raw))
  const meta = readObjectMeta(r, obj, 'label')
  if (r.errors.length > 0) return { ok: false, diagnostics: r.errors }
  return {
    ok: true,
    value: { name: meta.name, labels: { ...meta.labels, [NAMESPACE_NAME_LABEL]: meta.name }, implicit: false, source: SOURCE },
    warnings: r.warnings,
  }
}

/**
 * A pod, or `undefined` for a pod that no longer holds its address: phase Succeeded or Failed
 * (the IP goes back to the pool and may already belong to another pod).
 */
export function convertPod(raw: RawObject): Converted<Pod | undefined> {
  const spec = isPlainMap(raw.spec) ? raw.spec : {}
  const status = isPlainMap(raw.status) ? raw.status : {}
  if (podHasFinished(status)) return { ok: true, value: undefined, warnings: [] }
  const obj: PlainMap = { metadata: metadataOf(raw), spec, status }
  const r = new ObjectReader(liveDocument(obj), [])
  r.identify(describeObject('Pod', raw))
  const meta = readObjectMeta(r, obj, 'subdomain')
  if (!meta.namespace) r.required(['metadata', 'namespace'], 'a Pod read from the API server always has one')

  const ips = readPodIps(r, obj.status, ['status'])
  const { containerPorts, hostNetwork, nodeName } = readPodSpec(r, obj.spec, ['spec'])
  // Validated by the API server already: a reader of its own, so a field a newer API adds to
  // ownerReferences does not reject the pod.
  const owner = workloadOfController(readControllerRef(new ObjectReader(liveDocument(raw), []), isPlainMap(raw.metadata) ? raw.metadata : {}), meta.labels)
  if (r.errors.length > 0) return { ok: false, diagnostics: r.errors }
  return {
    ok: true,
    value: {
      namespace: meta.namespace ?? 'default',
      name: meta.name,
      labels: meta.labels,
      ips,
      containerPorts,
      hostNetwork,
      ...(nodeName ? { nodeName } : {}),
      ...(owner ? { owner } : {}),
      source: SOURCE,
    },
    warnings: r.warnings,
  }
}

/**
 * Stands in for a label whose value is not a string: the key is there (so Exists and NotIn see
 * it, DoesNotExist does not), with a value no selector can name (label values never hold U+0000).
 */
export const UNREADABLE_LABEL_VALUE = '\u0000unreadable'

/**
 * What the agent enforces for a pod it cannot read, instead of dropping it (which would take its
 * addresses out of the isolation maps although policies select it): the pod with every part that
 * can be read. Addresses that parse stay (with the policies that select the pod, by its labels);
 * invalid podIPs entries are left out; labels are kept as written (selectors compare strings, so
 * even labels the API server would refuse select exactly), a non-string label value counts as
 * present with a value no selector names; only valid container ports are kept (a named port of an
 * invalid one then matches no rule: closed); hostNetwork counts only when it is literally true
 * (else the pod is selectable and isolated). A pod whose nodeName cannot be read is treated as
 * running on `localNode`, so this node isolates its addresses too. Terminated pods (Succeeded,
 * Failed) are left out as always: their addresses are free.
 */
export function salvagePod(raw: RawObject, localNode?: string): Pod | undefined {
  const m = isPlainMap(raw.metadata) ? raw.metadata : {}
  const spec = isPlainMap(raw.spec) ? raw.spec : {}
  const status = isPlainMap(raw.status) ? raw.status : {}
  if (podHasFinished(status)) return undefined
  if (typeof m.name !== 'string' || typeof m.namespace !== 'string' || m.name === '' || m.namespace === '') return undefined
  // A reader whose errors are discarded: it keeps what is valid and skips the rest.
  const r = new ObjectReader(liveDocument({ spec, status }), [])
  // Every address that parses, from podIPs and podIP alike: more addresses isolated, never fewer.
  const ips: string[] = []
  const addIp = (text: unknown): void => {
    const ip = typeof text === 'string' ? parseIp(text) : undefined
    if (ip && !ips.includes(formatIp(ip))) ips.push(formatIp(ip))
  }
  if (Array.isArray(status.podIPs)) for (const entry of status.podIPs) if (isPlainMap(entry)) addIp(entry.ip)
  addIp(status.podIP)
  const { containerPorts } = readPodSpec(r, spec, ['spec'])
  const labels: Record<string, string> = {}
  if (isPlainMap(m.labels)) {
    for (const [k, v] of Object.entries(m.labels)) {
      if (k === '__proto__') continue
      labels[k] = typeof v === 'string' ? v : v === null ? '' : UNREADABLE_LABEL_VALUE
    }
  }
  const nodeName = typeof spec.nodeName === 'string' ? spec.nodeName : spec.nodeName === undefined || spec.nodeName === null ? undefined : localNode
  const owner = workloadOfController(readControllerRef(new ObjectReader(liveDocument(raw), []), m), labels)
  return {
    namespace: m.namespace,
    name: m.name,
    labels,
    ips,
    containerPorts,
    hostNetwork: spec.hostNetwork === true,
    ...(nodeName ? { nodeName } : {}),
    ...(owner ? { owner } : {}),
    source: SOURCE,
  }
}
