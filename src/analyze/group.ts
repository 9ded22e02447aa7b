/**
 * @module Grouping pods into the units a reviewer thinks in: workloads (the Deployment a pod came
 * from), single pods, or whole namespaces. Pure; used by matrix, diff and report output so that a
 * real cluster stays readable.
 */
import { qualifiedName, type Pod, type Protocol } from '../model/types.js'
import type { MatrixResult } from './matrix.js'

export type GroupBy = 'workload' | 'pod' | 'namespace'
export const GROUP_BY_VALUES: readonly GroupBy[] = ['workload', 'pod', 'namespace']

export function isGroupBy(text: string): text is GroupBy {
  return (GROUP_BY_VALUES as readonly string[]).includes(text)
}

/** The unit a pod belongs to. `name` is what people read: `ns/frontend`, `ns/frontend-0`, `ns`. */
export interface PodGroup {
  readonly key: string
  readonly namespace: string
  readonly name: string
  /** `Deployment`, `Pod`, `Namespace`, ... */
  readonly kind: string
}

/** The group of a pod under a grouping. Pods without an owner are their own workload. */
export function podGroup(pod: Pod, by: GroupBy): PodGroup {
  if (by === 'namespace') return { key: pod.namespace, namespace: pod.namespace, name: pod.namespace, kind: 'Namespace' }
  if (by === 'workload' && pod.owner) {
    const { kind, name: ownerName } = deploymentOf(pod) ?? pod.owner
    const name = `${pod.namespace}/${ownerName}`
    return { key: `${name}[${kind}]`, namespace: pod.namespace, name, kind }
  }
  const name = qualifiedName(pod)
  return { key: `${name}[Pod]`, namespace: pod.namespace, name, kind: 'Pod' }
}

/**
 * A live pod of a Deployment is owned by a ReplicaSet named `<deployment>-<pod-template-hash>`;
 * naming the Deployment makes live pods and manifests (whose pods the loader names after the
 * Deployment) fall into the same workload.
 */
function deploymentOf(pod: Pod): { kind: string; name: string } | undefined {
  const hash = pod.labels['pod-template-hash']
  if (pod.owner?.kind !== 'ReplicaSet' || !hash || !pod.owner.name.endsWith(`-${hash}`)) return undefined
  return { kind: 'Deployment', name: pod.owner.name.slice(0, -hash.length - 1) }
}

/** `ns/name[Kind]` as the netpol-analyzer family prints workloads; namespaces print bare. */
export function groupLabel(g: PodGroup): string {
  return g.kind === 'Namespace' ? g.name : `${g.name}[${g.kind}]`
}

/** One cell of a grouped matrix: `allowed` when every pod pair of the two groups is allowed, `partial` when only some are. */
export interface GroupedConnection {
  readonly from: string
  readonly to: string
  readonly port: number
  readonly protocol: Protocol
  readonly allowed: boolean
  /** Some but not all pod pairs are allowed (replicas with different labels, or a namespace of mixed pods). */
  readonly partial: boolean
  /** Pod pairs counted in this cell (a pod to itself is left out unless it is the only pair). */
  readonly pairs: number
  readonly allowedPairs: number
}

export interface GroupedMatrix {
  readonly groupBy: GroupBy
  /** Group labels, sorted. */
  readonly groups: readonly string[]
  readonly ports: MatrixResult['ports']
  readonly connections: readonly GroupedConnection[]
}

/**
 * Folds a pod matrix into groups. A pod talking to itself is always allowed (it never leaves its
 * network namespace), so self-pairs are left out of a group's count: otherwise every workload
 * would look "partially" open to itself.
 */
export function groupMatrix(m: MatrixResult, by: GroupBy): GroupedMatrix {
  const groupOf = new Map<string, string>()
  for (const pod of m.pods) groupOf.set(qualifiedName(pod), groupLabel(podGroup(pod, by)))
  const groups = [...new Set(groupOf.values())].sort()
  const cells = new Map<string, { from: string; to: string; port: number; protocol: Protocol; pairs: number; allowed: number; selfPairs: number; selfAllowed: number }>()
  for (const c of m.connections) {
    const from = groupOf.get(c.from) ?? c.from
    const to = groupOf.get(c.to) ?? c.to
    const key = `${from}\u0000${to}\u0000${c.port}/${c.protocol}`
    let cell = cells.get(key)
    if (!cell) {
      cell = { from, to, port: c.port, protocol: c.protocol, pairs: 0, allowed: 0, selfPairs: 0, selfAllowed: 0 }
      cells.set(key, cell)
    }
    if (c.from === c.to) {
      cell.selfPairs++
      if (c.allowed) cell.selfAllowed++
    } else {
      cell.pairs++
      if (c.allowed) cell.allowed++
    }
  }
  const order = new Map(groups.map((g, i) => [g, i]))
  const portOrder = new Map(m.ports.map((p, i) => [`${p.port}/${p.protocol}`, i]))
  const connections = [...cells.values()]
    .sort(
      (a, b) =>
        (order.get(a.from) ?? 0) - (order.get(b.from) ?? 0) ||
        (order.get(a.to) ?? 0) - (order.get(b.to) ?? 0) ||
        (portOrder.get(`${a.port}/${a.protocol}`) ?? 0) - (portOrder.get(`${b.port}/${b.protocol}`) ?? 0),
    )
    .map((c): GroupedConnection => {
      const pairs = c.pairs > 0 ? c.pairs : c.selfPairs
      const allowedPairs = c.pairs > 0 ? c.allowed : c.selfAllowed
      return {
        from: c.from,
        to: c.to,
        port: c.port,
        protocol: c.protocol,
        allowed: pairs > 0 && allowedPairs === pairs,
        partial: allowedPairs > 0 && allowedPairs < pairs,
        pairs,
        allowedPairs,
      }
    })
  return { groupBy: by, groups, ports: m.ports, connections }
}
