/**
 * @module A diff when only policies changed (a policy review): only what the changed policies can
 * affect is asked, on both sides.
 *
 * Why this is exact: a verdict from pod s to pod d (or an address) is egress(s) ∧ ingress(d), and
 * egress(s) depends only on the policies that select s, ingress(d) only on those that select d.
 * When namespaces and pods are the same on both sides, a pair neither of whose pods is selected by
 * a changed policy (its old or its new version) has the same verdict on both sides; so has a
 * group-to-group or group-to-range answer whose groups hold no such pod. Such answers cannot
 * differ, so neither side computes them: only pairs with an affected group are asked, pair by
 * pair, of each side's evaluator.
 */
import { matchesSelector } from '../model/label-selector.js'
import { sameMeaning } from '../model/same-meaning.js'
import { qualifiedName, type ClusterState, type NetworkPolicy } from '../model/types.js'
import type { Evaluator } from '../engine/verdict.js'
import type { ExternalAccessPorts, PortQuery } from '../engine/engine.js'
import type { Identity } from '../engine/identity.js'
import type { ExternalRange } from './external-ranges.js'
import { portClassKeys, rangeClasses, witness, type ClassSet, type GroupEnd, type Reachability } from './group-reachability.js'
import type { PortClass } from './port-classes.js'

export { sameMeaning }

/**
 * True when both states have the same namespaces and pods (labels, addresses, ports, owners), in
 * the same order, and the same ClusterNetworkPolicies and nodes (tiers decide before and after
 * NetworkPolicies for every pod they select, so a change there is not a NetworkPolicy edit).
 */
export function samePodsAndNamespaces(a: ClusterState, b: ClusterState): boolean {
  if (a.pods.length !== b.pods.length || a.namespaces.length !== b.namespaces.length) return false
  if (!sameMeaning(a.clusterNetworkPolicies ?? [], b.clusterNetworkPolicies ?? [])) return false
  // Nodes are peers of ClusterNetworkPolicies (absent: unknown).
  if (!sameMeaning(a.nodes, b.nodes)) return false
  for (let i = 0; i < a.namespaces.length; i++) if (!sameMeaning(a.namespaces[i], b.namespaces[i])) return false
  for (let i = 0; i < a.pods.length; i++) if (!sameMeaning(a.pods[i], b.pods[i])) return false
  return true
}

/** The policies (either version) that differ in meaning between the two states. */
export function changedPolicies(a: ClusterState, b: ClusterState): NetworkPolicy[] {
  const key = (p: NetworkPolicy): string => `${p.namespace}/${p.name}`
  const before = new Map(a.policies.map((p) => [key(p), p]))
  const after = new Map(b.policies.map((p) => [key(p), p]))
  // Two policies of one name cannot be matched up: count them all as changed (exact, only slower).
  if (before.size !== a.policies.length || after.size !== b.policies.length) return [...a.policies, ...b.policies]
  const out: NetworkPolicy[] = []
  for (const [k, p] of before) {
    const q = after.get(k)
    if (!q) out.push(p)
    else if (!sameMeaning(p, q)) out.push(p, q)
  }
  for (const [k, q] of after) if (!before.has(k)) out.push(q)
  return out
}

/** The fast engine's bulk answers, which a side's range answers need (pair by pair, addresses go to the reference engine). */
export interface BulkSide extends Evaluator {
  readonly state: ClusterState
  readonly identities: readonly Identity[]
  externalAccessPorts(ip: string, ports: readonly PortQuery[]): ExternalAccessPorts
}

export function bulkSide(evaluator: Evaluator, state: ClusterState): BulkSide | undefined {
  const e = evaluator as Partial<BulkSide>
  return Array.isArray(e.identities) && typeof e.externalAccessPorts === 'function' && e.state === state ? (evaluator as BulkSide) : undefined
}

/** The share of groups a policy edit may affect for the diff to ask only about them (see below). */
const MAX_AFFECTED_SHARE = 0.02

/**
 * The groups holding a pod that a changed policy (either version) selects: 1 in the result.
 * Undefined when they are more than `maxAffectedShare` of the groups: asking their pairs one by
 * one then costs more than computing both sides in full.
 */
export function affectedGroups(groups: readonly GroupEnd[], changed: readonly NetworkPolicy[], maxAffectedShare = MAX_AFFECTED_SHARE): Uint8Array | undefined {
  const G = groups.length
  const affected = new Uint8Array(G)
  let count = 0
  groups.forEach((g, i) => {
    for (const e of g.endpoints) {
      if (e.kind !== 'pod') continue
      const pod = e.pod
      if (changed.some((p) => p.namespace === pod.namespace && matchesSelector(p.podSelector, pod.labels))) {
        affected[i] = 1
        count++
        return
      }
    }
  })
  // Affected groups are asked pair by pair against every group: past a few percent of the groups
  // that costs more than the full computation (measured at L, a deny-all added in 100 of 500
  // namespaces: 40 s pair by pair, 12 s in full), so the caller computes both sides in full instead.
  return count > Math.max(1, G * maxAffectedShare) ? undefined : affected
}

/**
 * One side's answers for the pairs and ranges of the `affected` groups only (`groups` are this
 * side's, whose engine knows its own pod objects); asking for a pair of two unaffected groups is a
 * bug and throws. `rangeClass` is one class per range, so ranges are answered one by one.
 */
export function reachabilityOfAffected(
  engine: BulkSide,
  groups: readonly GroupEnd[],
  affected: Uint8Array,
  classes: readonly PortClass[],
  ranges: readonly ExternalRange[],
): Reachability {
  const G = groups.length
  const affectedList: number[] = []
  affected.forEach((a, i) => {
    if (a) affectedList.push(i)
  })
  // Port classes this side's policies treat alike: one representative each.
  const distinct = new Map<string, number[]>()
  portClassKeys(engine.state, classes).forEach((k, ci) => {
    let list = distinct.get(k)
    if (!list) distinct.set(k, (list = []))
    list.push(ci)
  })
  const lists = [...distinct.values()]
  const interned = new Map<string, ClassSet>()
  const intern = (members: number[]): ClassSet | undefined => {
    if (members.length === 0) return undefined
    members.sort((x, y) => x - y)
    const k = members.join(',')
    let set = interned.get(k)
    if (set === undefined) interned.set(k, (set = new Set(members)))
    return set
  }
  const setOf = (from: GroupEnd, to: GroupEnd): ClassSet | undefined => {
    const members: number[] = []
    for (const cis of lists) if (witness(engine, from, to, classes[cis[0]], true)) members.push(...cis)
    return intern(members)
  }
  const memo = new Map<number, ClassSet | null>()
  const between = (g1: number, g2: number): ClassSet | undefined => {
    const at = g1 * G + g2
    let s = memo.get(at)
    if (s === undefined) memo.set(at, (s = setOf(groups[g1], groups[g2]) ?? null))
    return s ?? undefined
  }
  // Ranges of affected groups: this side's range classes, one externalAccessPorts per class for every port key.
  const { rangeClass, representatives } = rangeClasses(engine.state, ranges)
  const RC = representatives.length
  const toSets: (ClassSet | undefined)[] = new Array(G * RC)
  const fromSets: (ClassSet | undefined)[] = new Array(G * RC)
  if (affectedList.length > 0 && RC > 0 && lists.length > 0) {
    const ports: PortQuery[] = lists.map((cis) => ({ port: classes[cis[0]].start, protocol: classes[cis[0]].protocol }))
    const identityOfPod = new Map<string, number>()
    for (const idn of engine.identities) for (const i of idn.pods) identityOfPod.set(qualifiedName(engine.state.pods[i]!), idn.id)
    const idsOf = affectedList.map((g) => [
      ...new Set(
        groups[g].endpoints.flatMap((e) => (e.kind === 'pod' && identityOfPod.has(qualifiedName(e.pod)) ? [identityOfPod.get(qualifiedName(e.pod))!] : [])),
      ),
    ])
    const words = (lists.length + 31) >>> 5
    const membersOf = (mask: Uint32Array): number[] => {
      const out: number[] = []
      lists.forEach((cis, d) => {
        if ((mask[d >>> 5] & (1 << (d & 31))) !== 0) out.push(...cis)
      })
      return out
    }
    for (let rc = 0; rc < RC; rc++) {
      const access = engine.externalAccessPorts(ranges[representatives[rc]].probe, ports)
      idsOf.forEach((ids, k) => {
        const to = new Uint32Array(words)
        const from = new Uint32Array(words)
        for (const s of ids) {
          for (let w = 0; w < words; w++) {
            to[w] |= access.egress[s * words + w]
            from[w] |= access.ingress[s * words + w]
          }
        }
        const g = affectedList[k]
        toSets[g * RC + rc] = intern(membersOf(to))
        fromSets[g * RC + rc] = intern(membersOf(from))
      })
    }
  }
  const unaffected = (): never => {
    throw new Error('a policy-edit diff asked for the answer of a group no changed policy selects')
  }
  return {
    groups,
    ranges,
    rangeClass: Int32Array.from(ranges.keys()),
    between: (g1, g2) => (affected[g1] || affected[g2] ? between(g1, g2) : unaffected()),
    toRange: (g, r) => (affected[g] ? toSets[g * RC + rangeClass[r]] : unaffected()),
    fromRange: (r, g) => (affected[g] ? fromSets[g * RC + rangeClass[r]] : unaffected()),
  }
}
