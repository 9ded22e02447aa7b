/**
 * @module `lab apply` semantics, like `kubectl apply`: objects in the new manifests replace the
 * running ones with the same kind, namespace and name; everything else stays. Pods made from a
 * workload are replaced as a group (so scaling a Deployment down removes its extra pods);
 * ClusterNetworkPolicies (cluster-scoped) by name. Pure.
 */
import type { ClusterState, Namespace, NetworkPolicy, Pod } from '../model/types.js'

const objectKey = (o: { namespace: string; name: string }): string => `${o.namespace}/${o.name}`

/** Running objects not replaced by an applied one of the same namespace and name, then the applied ones. */
function replaceByName<T extends { namespace: string; name: string }>(running: readonly T[] | undefined, applied: readonly T[] | undefined): T[] {
  const replaced = new Set((applied ?? []).map(objectKey))
  return (running ?? []).filter((o) => !replaced.has(objectKey(o))).concat(applied ?? [])
}

/** The object a pod came from: its workload object when made from a template, else the Pod itself. */
function podGroup(p: Pod): string {
  return p.template ? `${p.namespace}/${p.template.kind}/${p.template.name}` : `${p.namespace}/Pod/${p.name}`
}

/** With `prune`, the new manifests are the whole truth (like `kubectl apply --prune` of everything). */
export function mergeClusterState(running: ClusterState, applied: ClusterState, prune = false): ClusterState {
  if (prune) return applied
  const byNs = new Map<string, Namespace>(running.namespaces.map((n) => [n.name, n]))
  // A namespace the new manifests only reference (implicit) does not replace a declared one.
  for (const n of applied.namespaces) if (!n.implicit || !byNs.has(n.name)) byNs.set(n.name, n)
  const namespaces = [...byNs.values()]
  const groups = new Set(applied.pods.map(podGroup))
  const pods = running.pods.filter((p) => !groups.has(podGroup(p))).concat(applied.pods)
  const policyKey = (p: NetworkPolicy): string => `${p.namespace}/${p.name}`
  const replaced = new Set(applied.policies.map(policyKey))
  const policies = running.policies.filter((p) => !replaced.has(policyKey(p))).concat(applied.policies)
  const byName = <T extends { namespace: string; name: string }>(a: T, b: T): number => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name)
  // Cluster-scoped: replaced by name. Kept in input order (running first), which decides nothing:
  // the tiers order them by priority (and name).
  const appliedCnps = applied.clusterNetworkPolicies ?? []
  const replacedCnps = new Set(appliedCnps.map((p) => p.name))
  const clusterNetworkPolicies = (running.clusterNetworkPolicies ?? []).filter((p) => !replacedCnps.has(p.name)).concat(appliedCnps)
  const services = replaceByName(running.services, applied.services).sort(byName)
  const endpointSlices = replaceByName(running.endpointSlices, applied.endpointSlices).sort(byName)
  return {
    namespaces: namespaces.sort((a, b) => a.name.localeCompare(b.name)),
    pods: pods.sort(byName),
    policies: policies.sort(byName),
    ...(clusterNetworkPolicies.length > 0 ? { clusterNetworkPolicies } : {}),
    ...(services.length > 0 ? { services } : {}),
    ...(endpointSlices.length > 0 ? { endpointSlices } : {}),
  }
}
