/**
 * @module From manifest documents to the objects netpol models: Lists are flattened, each object
 * dispatched on apiVersion/kind, read and validated; workloads become pods; everything else is
 * skipped. Pure: documents in, objects and diagnostics out.
 */
import type { Diagnostic } from '../model/diagnostic.js'
import type { FieldPath } from '../model/field-path.js'
import { readV1alpha1Policy, V1ALPHA1_API_VERSION, V1ALPHA1_KINDS, type V1alpha1Conversion, type V1alpha1Kind } from '../model/admin-network-policy-v1alpha1.js'
import { readClusterNetworkPolicy } from '../model/cluster-network-policy.js'
import { formatFieldPath } from '../model/field-path.js'
import { CNP_API_VERSION, CNP_KIND, describeClusterNetworkPolicy, type ClusterNetworkPolicy } from '../model/cluster-network-policy-types.js'
import { readNetworkPolicy } from '../model/network-policy.js'
import { readNode } from '../model/node.js'
import { readEndpointSlice, readService } from '../model/service.js'
import { readObjectMeta } from '../model/object-meta.js'
import { isPlainMap, ObjectReader, type PlainMap } from '../model/object-reader.js'
import { podHasFinished, readPodIps, readPodSpec } from '../model/pod-spec.js'
import {
  NAMESPACE_NAME_LABEL,
  type EndpointSlice,
  type Namespace,
  type NetworkPolicy,
  type Node,
  type OwnerRef,
  type Pod,
  type Service,
  type SourceRef,
} from '../model/types.js'
import type { ManifestDocument } from '../model/yaml-documents.js'
import type { ValidationRules } from '../model/kube-version.js'
import { readWorkloadPods, WORKLOAD_KINDS } from './workload-pods.js'
import { readControllerRef, workloadOfController } from './workload-owner.js'

/** An object of a kind netpol does not model (ConfigMap, Ingress, Route, ...). */
export interface SkippedObject {
  readonly file: string
  readonly line: number
  readonly apiVersion: string
  readonly kind: string
  readonly name: string
}

/** A namespaced object as the API server identifies it, for duplicate detection. */
export interface ObjectIdentity {
  readonly kind: string
  readonly namespace?: string
  readonly name: string
  readonly source: SourceRef
}

/** A deprecated v1alpha1 AdminNetworkPolicy or BaselineAdminNetworkPolicy, read and converted (`netpol convert`). */
export interface V1alpha1Object extends V1alpha1Conversion {
  readonly source: SourceRef
  /** What keeps it from being converted, as errors naming file:line, object and field (empty when `converted` is set). */
  readonly problemDiagnostics: readonly Diagnostic[]
}

/** What a set of documents holds, before the cluster state is assembled (duplicates, implicit namespaces). */
export interface ManifestObjects {
  readonly namespaces: Namespace[]
  readonly pods: Pod[]
  readonly policies: NetworkPolicy[]
  readonly clusterNetworkPolicies: ClusterNetworkPolicy[]
  readonly nodes: Node[]
  readonly services: Service[]
  readonly endpointSlices: EndpointSlice[]
  /** Deprecated v1alpha1 policies: validated and converted, not analysed. */
  readonly v1alpha1: V1alpha1Object[]
  /** Every object read (namespaces, pods, policies, workloads), for duplicate detection. */
  readonly identities: ObjectIdentity[]
  /** Namespaces objects live in, with the first place each is used. */
  readonly referencedNamespaces: Map<string, SourceRef>
  readonly skipped: SkippedObject[]
  readonly errors: Diagnostic[]
  readonly warnings: Diagnostic[]
  /** With `skipInvalid`: the errors of the objects left out (each object is left out whole). */
  readonly invalid: Diagnostic[]
}

export interface CollectOptions {
  /** Like kubectl's --namespace: the namespace of objects that set none; objects setting another one are an error. */
  readonly namespace?: string
  /** Pods that may still be read or made from workloads, shared by every input of one load (`--max-pods`). */
  readonly podBudget?: PodBudget
  /** The rules of the Kubernetes release to validate as (`--kube-version`); the newest by default. */
  readonly rules?: ValidationRules
  /**
   * `--skip-invalid`: an invalid object is left out (its errors go to `invalid`) and the rest is
   * read, as `kubectl apply -f dir` applies the valid objects and reports the others.
   */
  readonly skipInvalid?: boolean
}

/** `--max-pods`: what is left of it over every input of one load. */
export interface PodBudget {
  readonly limit: number
  used: number
  /** Set once the limit is crossed: later objects are still checked, but make no more pods (and no more errors about it). */
  exceeded: boolean
}

export function podBudget(limit: number): PodBudget {
  return { limit, used: 0, exceeded: false }
}

export function emptyManifestObjects(): ManifestObjects {
  return {
    namespaces: [],
    pods: [],
    policies: [],
    clusterNetworkPolicies: [],
    nodes: [],
    services: [],
    endpointSlices: [],
    v1alpha1: [],
    identities: [],
    referencedNamespaces: new Map(),
    skipped: [],
    errors: [],
    warnings: [],
    invalid: [],
  }
}

/** The API groups/versions netpol reads each kind from. */
const KNOWN_KINDS: Readonly<Record<string, (apiVersion: string) => boolean>> = {
  Namespace: (v) => v === 'v1',
  Node: (v) => v === 'v1',
  Pod: (v) => v === 'v1',
  Service: (v) => v === 'v1',
  EndpointSlice: (v) => v === 'discovery.k8s.io/v1',
  // extensions/v1beta1 has the same schema (served until 1.16; old tutorials and dumps use it).
  NetworkPolicy: (v) => v === 'networking.k8s.io/v1' || v === 'extensions/v1beta1',
  [CNP_KIND]: (v) => v === CNP_API_VERSION,
  AdminNetworkPolicy: (v) => v === V1ALPHA1_API_VERSION,
  BaselineAdminNetworkPolicy: (v) => v === V1ALPHA1_API_VERSION,
  ReplicationController: (v) => v === 'v1',
  Deployment: (v) => v.startsWith('apps/') || v === 'extensions/v1beta1',
  StatefulSet: (v) => v.startsWith('apps/'),
  DaemonSet: (v) => v.startsWith('apps/') || v === 'extensions/v1beta1',
  ReplicaSet: (v) => v.startsWith('apps/') || v === 'extensions/v1beta1',
  Job: (v) => v.startsWith('batch/'),
  CronJob: (v) => v.startsWith('batch/'),
}

/** The top-level fields of the other kinds netpol reads: strict decoding rejects any other. */
const OBJECT_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec', 'status']

/** Typed lists of the kinds netpol reads; other `*List` kinds may be custom kinds of their own. */
const LIST_KINDS = new Set(Object.keys(KNOWN_KINDS).map((k) => `${k}List`))

export function collectManifestObjects(documents: readonly ManifestDocument[], options: CollectOptions = {}, into = emptyManifestObjects()): ManifestObjects {
  for (const doc of documents) collectValue(doc, doc.value, [], options, into)
  return into
}

function collectValue(doc: ManifestDocument, value: unknown, base: FieldPath, options: CollectOptions, out: ManifestObjects): void {
  const r = new ObjectReader(doc, base, options.rules)
  if (!isPlainMap(value)) {
    r.error([], `a manifest must be an object (a YAML mapping), not ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}`)
    ;(options.skipInvalid ? out.invalid : out.errors).push(...r.errors)
    return
  }
  const apiVersion = r.string(value.apiVersion, ['apiVersion']) ?? ''
  const kind = r.string(value.kind, ['kind']) ?? ''
  if (apiVersion === '' || kind === '') {
    if (apiVersion === '' && value.apiVersion === undefined) r.required(['apiVersion'], 'apiVersion not set')
    if (kind === '' && value.kind === undefined) r.required(['kind'], 'kind not set')
    ;(options.skipInvalid ? out.invalid : out.errors).push(...r.errors)
    return
  }
  // `kind: List` and typed lists of the kinds netpol reads must carry their objects in an `items` list.
  if ((kind === 'List' || LIST_KINDS.has(kind)) && value.items !== undefined && value.items !== null && !Array.isArray(value.items)) {
    r.identify(kind)
    r.wrongType(['items'], value.items, 'array')
    ;(options.skipInvalid ? out.invalid : out.errors).push(...r.errors)
    return
  }
  // `kind: List` and typed lists (`PodList`, `NamespaceList`, ...) carry their objects in `items`.
  if (kind.endsWith('List') && Array.isArray(value.items)) {
    // Items of a typed list as the API serves it carry no apiVersion/kind: they are the list's.
    const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length)
    value.items.forEach((item, i) => {
      const typed = itemKind && isPlainMap(item) && item.kind === undefined && item.apiVersion === undefined ? { apiVersion, kind: itemKind, ...item } : item
      collectValue(doc, typed, [...base, 'items', i], options, out)
    })
    return
  }
  if (kind === 'List' && (value.items === undefined || value.items === null)) return
  const accepts = KNOWN_KINDS[kind]
  if (!accepts || !accepts(apiVersion)) {
    const meta = isPlainMap(value.metadata) ? value.metadata : {}
    if (kind === 'NetworkPolicy') {
      // Silently dropping something called NetworkPolicy would hide isolation the user expects.
      r.warn(
        ['apiVersion'],
        `NetworkPolicy of apiVersion ${JSON.stringify(apiVersion)} is not read: netpol models networking.k8s.io/v1 (and the same schema as ` +
          `extensions/v1beta1) only`,
      )
      out.warnings.push(...r.warnings)
    } else if (kind === CNP_KIND) {
      r.warn(['apiVersion'], `${CNP_KIND} of apiVersion ${JSON.stringify(apiVersion)} is not read: netpol models ${CNP_API_VERSION} only`)
      out.warnings.push(...r.warnings)
    }
    out.skipped.push({ file: doc.file, line: r.line([]), apiVersion, kind, name: typeof meta.name === 'string' ? meta.name : '' })
    return
  }
  if (kind === 'NetworkPolicy' && apiVersion === 'extensions/v1beta1') {
    // The API server's deprecation warning, in its words; the object is read as networking.k8s.io/v1.
    r.warn(
      ['apiVersion'],
      'extensions/v1beta1 NetworkPolicy is deprecated in v1.9+, unavailable in v1.16+; use networking.k8s.io/v1 NetworkPolicy (read here as ' +
        'networking.k8s.io/v1: same fields, same meaning)',
    )
  }
  const before = options.skipInvalid ? sizes(out) : undefined
  collectObject(r, value, kind, options, out)
  if (before !== undefined && r.errors.length > 0) {
    restore(out, before)
    out.invalid.push(...r.errors)
    return
  }
  out.errors.push(...r.errors)
  out.warnings.push(...r.warnings)
}

type Sizes = { lists: Map<unknown[], number>; namespaces: Set<string> }

/** How long each list of `out` is, to take back what an invalid object added. */
function sizes(out: ManifestObjects): Sizes {
  const lists = [
    out.namespaces,
    out.pods,
    out.policies,
    out.clusterNetworkPolicies,
    out.nodes,
    out.services,
    out.endpointSlices,
    out.v1alpha1,
    out.identities,
    out.skipped,
  ] as unknown[][]
  return { lists: new Map(lists.map((l) => [l, l.length])), namespaces: new Set(out.referencedNamespaces.keys()) }
}

function restore(out: ManifestObjects, before: Sizes): void {
  for (const [list, n] of before.lists) list.length = n
  for (const ns of [...out.referencedNamespaces.keys()]) if (!before.namespaces.has(ns)) out.referencedNamespaces.delete(ns)
}

function collectObject(r: ObjectReader, obj: PlainMap, kind: string, options: CollectOptions, out: ManifestObjects): void {
  const source: SourceRef = { file: r.file, line: r.line([]) }
  if (kind === 'Namespace') {
    r.unknownFields(obj, [], OBJECT_FIELDS)
    const meta = readObjectMeta(r, obj, 'label')
    r.identify(`Namespace ${JSON.stringify(meta.name)}`)
    // The API server sets this label on every namespace and keeps it equal to the name.
    const labels = { ...meta.labels, [NAMESPACE_NAME_LABEL]: meta.name }
    out.namespaces.push({ name: meta.name, labels, implicit: false, source })
    // A nameless object is already an error; it cannot also be a duplicate.
    if (meta.name) out.identities.push({ kind, name: meta.name, source })
    return
  }
  if (kind === 'Node') {
    const meta = readObjectMeta(r, obj, 'subdomain')
    r.identify(`Node ${JSON.stringify(meta.name)}`)
    if (meta.name) out.identities.push({ kind, name: meta.name, source })
    out.nodes.push(readNode(r, obj, meta, source))
    return
  }
  if (kind === CNP_KIND) {
    // Cluster-scoped: no namespace, nothing for --namespace to check.
    const meta = readObjectMeta(r, obj, 'subdomain')
    r.identify(describeClusterNetworkPolicy(meta))
    if (meta.name) out.identities.push({ kind, name: meta.name, source })
    const policy = readClusterNetworkPolicy(r, obj, meta)
    if (policy) out.clusterNetworkPolicies.push(policy)
    return
  }
  if ((V1ALPHA1_KINDS as readonly string[]).includes(kind)) {
    collectV1alpha1(r, obj, kind as V1alpha1Kind, source, out)
    return
  }
  // A NetworkPolicy checks its own top-level fields (it has no status), as an EndpointSlice does (it has no spec).
  if (kind !== 'NetworkPolicy' && kind !== 'EndpointSlice') r.unknownFields(obj, [], OBJECT_FIELDS)
  const meta = readObjectMeta(r, obj, kind === 'Service' ? 'dns1035' : 'subdomain')
  const namespace = meta.namespace ?? options.namespace ?? 'default'
  if (meta.namespace !== undefined && options.namespace !== undefined && meta.namespace !== options.namespace) {
    r.error(
      ['metadata', 'namespace'],
      `the namespace from the provided object ${JSON.stringify(meta.namespace)} does not match the namespace ` +
        `${JSON.stringify(options.namespace)}. You must pass '--namespace=${meta.namespace}' to perform this operation.`,
    )
  }
  r.identify(`${kind} ${JSON.stringify(`${namespace}/${meta.name}`)}`)
  if (!out.referencedNamespaces.has(namespace)) out.referencedNamespaces.set(namespace, source)
  if (meta.name) out.identities.push({ kind, namespace, name: meta.name, source })

  if (kind === 'NetworkPolicy') {
    out.policies.push(readNetworkPolicy(r, obj, meta, namespace))
  } else if (kind === 'Service') {
    const service = readService(r, obj, meta, namespace, source)
    if (service) out.services.push(service)
  } else if (kind === 'EndpointSlice') {
    const slice = readEndpointSlice(r, obj, meta, namespace, source)
    if (slice) out.endpointSlices.push(slice)
  } else if (kind === 'Pod') {
    if (!takePods(r, options, 1, [])) return
    const spec = readPodSpec(r, obj.spec, ['spec'])
    const owner = workloadOfController(readControllerRef(r, isPlainMap(obj.metadata) ? obj.metadata : {}), meta.labels)
    const ips = readPodIps(r, obj.status, ['status'])
    // Checked like any pod, then left out as the live reader leaves it out (a dump's completed Job pods).
    if (podHasFinished(obj.status)) return
    out.pods.push({
      namespace,
      name: meta.name,
      labels: meta.labels,
      ips,
      containerPorts: spec.containerPorts,
      hostNetwork: spec.hostNetwork,
      ...(spec.nodeName ? { nodeName: spec.nodeName } : {}),
      ...(owner ? { owner } : {}),
      source,
    })
  } else if ((WORKLOAD_KINDS as readonly string[]).includes(kind)) {
    out.pods.push(...readWorkloadPods(r, obj, kind as OwnerRef['kind'], meta.name, namespace, source, (n, path) => takePods(r, options, n, path)))
  }
}

/**
 * A v1alpha1 policy: validated against its last CRD, converted, and reported as deprecated (it is
 * not analysed: its CRD no longer ships). What cannot be converted is a warning here (an error
 * for `netpol convert`). It is listed with the skipped objects, which it is for the analysis.
 */
function collectV1alpha1(r: ObjectReader, obj: PlainMap, kind: V1alpha1Kind, source: SourceRef, out: ManifestObjects): void {
  const meta = readObjectMeta(r, obj, 'subdomain')
  r.identify(`${kind} ${JSON.stringify(meta.name)}`)
  if (meta.name) out.identities.push({ kind, name: meta.name, source })
  r.warn(
    [],
    `deprecated: ${kind} (${V1ALPHA1_API_VERSION}) is replaced by ClusterNetworkPolicy (${CNP_API_VERSION}; tier ` +
      `${kind === 'AdminNetworkPolicy' ? 'Admin' : 'Baseline'}) and its CRD no longer ships; netpol does not analyse it: \`netpol convert ` +
      `${r.file === '-' ? '-' : 'FILE'}\` prints the equivalent ClusterNetworkPolicy`,
  )
  const conversion = readV1alpha1Policy(r, obj, kind, meta.name)
  if (conversion) {
    const problemDiagnostics: Diagnostic[] = conversion.problems.map((p) => ({
      severity: 'error',
      file: r.file,
      line: r.line(p.path),
      ...(r.object ? { object: r.object } : {}),
      ...(p.path.length > 0 ? { field: formatFieldPath(p.path) } : {}),
      message: `cannot convert to ${CNP_KIND}: ${p.message}`,
    }))
    for (const d of problemDiagnostics) r.warnings.push({ ...d, severity: 'warning' })
    out.v1alpha1.push({ ...conversion, source, problemDiagnostics })
  }
  out.skipped.push({ file: r.file, line: source.line, apiVersion: V1ALPHA1_API_VERSION, kind, name: meta.name })
}

/**
 * Takes `n` pods from the --max-pods budget; false (with an error at `path`, once per load) when
 * that would cross the limit, and then no pod is made: a huge `replicas` never gets materialised.
 */
function takePods(r: ObjectReader, options: CollectOptions, n: number, path: FieldPath): boolean {
  const budget = options.podBudget
  if (!budget) return true
  if (budget.exceeded) return false
  if (budget.used + n <= budget.limit) {
    budget.used += n
    return true
  }
  budget.exceeded = true
  const what = path.length > 0 ? `Invalid value: ${n}: ` : ''
  const before = budget.used > 0 ? ` (${budget.used} before this object)` : ''
  r.error(path, `${what}the input would have more than --max-pods=${budget.limit} pods${before}; raise --max-pods if this is meant`)
  return false
}
