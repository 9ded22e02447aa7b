/**
 * @module Objects as a live API server serves them (JSON; list items without kind/apiVersion) turned
 * into the model. NetworkPolicies go through the loader's own validation and defaulting
 * (`readObjectMeta`, `readNetworkPolicy`), so a live policy means exactly what the same manifest
 * means in a file. Pods use the loader's pod spec and status readers; Namespaces its metadata
 * reader.
 */
import type { Diagnostic } from '../model/diagnostic.js'
import { readNetworkPolicy } from '../model/network-policy.js'
import { readObjectMeta } from '../model/object-meta.js'
import { podHasFinished, readPodIps, readPodSpec } from '../model/pod-spec.js'
import { isPlainMap, ObjectReader, type PlainMap } from '../model/object-reader.js'
import type { ManifestDocument } from '../model/yaml-documents.js'
import { readLabelSelector } from '../model/labels.js'
import {
  NAMESPACE_NAME_LABEL,
  type Namespace,
  type NetworkPolicy,
  type Pod,
  type PolicyType,
  type SourceRef,
} from '../model/types.js'
import type { RawObject } from './live-api.js'
import { readControllerRef, workloadOfController } from './workload-owner.js'

/** `file` of every object read from a live cluster (see SourceRef). */
export const LIVE_FILE = 'api'

export type Converted<T> =
  | { readonly ok: true; readonly value: T; readonly warnings: readonly Diagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] }

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

export function describeObject(kind: string, raw: RawObject): string {
  const m = isPlainMap(raw.metadata) ? raw.metadata : {}
  return m.namespace ? `${kind} "${String(m.namespace)}/${String(m.name)}"` : `${kind} "${String(m.name)}"`
}

export function convertNetworkPolicy(raw: RawObject): Converted<NetworkPolicy> {
  const obj: PlainMap = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: metadataOf(raw), spec: raw.spec }
  const r = new ObjectReader(liveDocument(obj), [])
  r.identify(describeObject('NetworkPolicy', raw))
  const meta = readObjectMeta(r, obj, 'subdomain')
  if (!meta.namespace) r.required(['metadata', 'namespace'], 'a NetworkPolicy read from the API server always has one')
  const policy = readNetworkPolicy(r, obj, meta, meta.namespace ?? 'default')
  if (r.errors.length > 0) return { ok: false, diagnostics: r.errors }
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
  const declared = Array.isArray(spec.policyTypes) ? spec.policyTypes.filter((t): t is PolicyType => t === 'Ingress' || t === 'Egress') : []
  const policyTypes: PolicyType[] = declared.length > 0 ? [...new Set(declared)] : ['Ingress', 'Egress']
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
