/**
 * @module Assembling the ClusterState from everything read: objects defined twice are errors
 * naming both places, pods made from workloads may not take an existing pod's name, and every
 * namespace used but not declared exists implicitly. Done once over all inputs, so duplicates
 * across files and namespaces declared in another file are seen.
 */
import { formatSource, type Diagnostic } from '../model/diagnostic.js'
import { NAMESPACE_NAME_LABEL, type ClusterState, type DeprecatedPolicy, type Namespace, type Pod } from '../model/types.js'
import { V1ALPHA1_API_VERSION } from '../model/admin-network-policy-v1alpha1.js'
import type { ManifestObjects, ObjectIdentity } from './manifest-objects.js'
import { settleWorkloadPods } from './workload-owner.js'

function describe(id: { kind: string; namespace?: string; name: string }): string {
  return `${id.kind} ${JSON.stringify(id.namespace === undefined ? id.name : `${id.namespace}/${id.name}`)}`
}

export interface AssembledState {
  readonly state: ClusterState
  readonly errors: readonly Diagnostic[]
}

export function assembleClusterState(parts: readonly ManifestObjects[]): AssembledState {
  const errors: Diagnostic[] = []

  // Same kind, namespace and name twice.
  const seen = new Map<string, ObjectIdentity>()
  for (const part of parts) {
    for (const id of part.identities) {
      const key = `${id.kind}\u0000${id.namespace ?? ''}\u0000${id.name}`
      const first = seen.get(key)
      if (first) {
        errors.push({
          severity: 'error',
          file: id.source.file,
          line: id.source.line,
          object: describe(id),
          message: `defined more than once: also at ${formatSource(first.source)}`,
        })
      } else {
        seen.set(key, id)
      }
    }
  }

  // Pods: one per namespace/name. A clash between a declared pod and a workload's pod (or two
  // workloads of different kinds) is an error, unless it is the duplicate already reported.
  const pods: Pod[] = []
  const podByName = new Map<string, Pod>()
  const objects = new Set<string>()
  for (const part of parts) for (const id of part.identities) if (id.namespace !== undefined) objects.add(`${id.namespace}/${id.kind}/${id.name}`)
  // Over all parts at once: a dump's Deployments and Pods may come in different files.
  for (const pod of settleWorkloadPods(
    parts.flatMap((p) => p.pods),
    objects,
  )) {
    const key = `${pod.namespace}/${pod.name}`
    const other = podByName.get(key)
    if (!other) {
      podByName.set(key, pod)
      pods.push(pod)
      continue
    }
    const sameObject = other.template?.kind === pod.template?.kind && other.template?.name === pod.template?.name
    if (sameObject) continue
    const what = (p: Pod): string =>
      p.template ? `the pod made from ${describe({ kind: p.template.kind, namespace: p.namespace, name: p.template.name })}` : 'a Pod'
    errors.push({
      severity: 'error',
      file: pod.source.file,
      line: pod.source.line,
      object: describe({ kind: 'Pod', namespace: pod.namespace, name: pod.name }),
      message: `pod name taken twice: ${what(pod)} and ${what(other)} at ${formatSource(other.source)} (workload pods are named <workload>-<index>)`,
    })
  }

  const policies = parts.flatMap((p) => p.policies)
  const clusterNetworkPolicies = parts.flatMap((p) => p.clusterNetworkPolicies)
  const nodes = parts.flatMap((p) => p.nodes)
  const services = parts.flatMap((p) => p.services)
  const endpointSlices = parts.flatMap((p) => p.endpointSlices)
  const deprecatedPolicies: DeprecatedPolicy[] = parts.flatMap((p) =>
    p.skipped
      .filter((o) => o.apiVersion === V1ALPHA1_API_VERSION && (o.kind === 'AdminNetworkPolicy' || o.kind === 'BaselineAdminNetworkPolicy'))
      .map((o) => ({ kind: o.kind as DeprecatedPolicy['kind'], name: o.name, source: { file: o.file, line: o.line } })),
  )

  // Declared namespaces win; the rest of the used ones exist implicitly.
  const namespaces = new Map<string, Namespace>()
  for (const part of parts) for (const ns of part.namespaces) if (!namespaces.has(ns.name)) namespaces.set(ns.name, ns)
  for (const part of parts) {
    for (const [name, source] of part.referencedNamespaces) {
      if (!namespaces.has(name)) namespaces.set(name, { name, labels: { [NAMESPACE_NAME_LABEL]: name }, implicit: true, source })
    }
  }
  const sortedNamespaces = [...namespaces.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))

  return {
    state: {
      namespaces: sortedNamespaces,
      pods,
      policies,
      ...(clusterNetworkPolicies.length > 0 ? { clusterNetworkPolicies } : {}),
      ...(nodes.length > 0 ? { nodes } : {}),
      ...(services.length > 0 ? { services } : {}),
      ...(endpointSlices.length > 0 ? { endpointSlices } : {}),
      ...(deprecatedPolicies.length > 0 ? { deprecatedPolicies } : {}),
    },
    errors,
  }
}
