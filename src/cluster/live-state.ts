/**
 * @module The ClusterState of a live cluster, from the raw objects of its Namespaces, Pods,
 * NetworkPolicies and (when given) ClusterNetworkPolicies and Nodes. Conversions are cached per object and resourceVersion, so rebuilding the state
 * after one event costs one conversion plus the assembly, not a reparse of the whole cluster.
 */
import type { Diagnostic } from '../model/diagnostic.js'
import { NAMESPACE_NAME_LABEL, type ClusterState, type Namespace, type NetworkPolicy, type Node, type Pod } from '../model/types.js'
import type { RawObject } from './live-api.js'
import type { ClusterNetworkPolicy } from '../model/cluster-network-policy-types.js'
import {
  convertClusterNetworkPolicy,
  convertNamespace,
  convertNetworkPolicy,
  convertNode,
  convertPod,
  describeObject,
  failClosedClusterPolicy,
  failClosedPolicy,
  LIVE_FILE,
  salvagePod,
  type Converted,
} from './live-objects.js'

export type LiveKind = 'Namespace' | 'Pod' | 'NetworkPolicy' | 'ClusterNetworkPolicy' | 'Node'

/** An object the loader's validation rejected. */
export interface InvalidObject {
  readonly kind: LiveKind
  /** `Kind "ns/name"`. */
  readonly object: string
  readonly resourceVersion: string
  readonly diagnostics: readonly Diagnostic[]
}

export interface LiveStateResult {
  readonly state: ClusterState
  /**
   * Invalid objects: namespaces left out (their pods and policies keep the namespace, with only its
   * name label); pods kept with what can be read (see salvagePod); policies enforced fail-closed
   * (see failClosedPolicy, failClosedClusterPolicy); one invalid Node makes the nodes unknown (a
   * Node left out would be a node a `nodes` peer in a Deny does not drop).
   */
  readonly invalid: readonly InvalidObject[]
  readonly warnings: readonly Diagnostic[]
}

interface CacheEntry {
  readonly key: string
  readonly rv: string
  readonly result: Converted<unknown>
  seen: number
  /**
   * What the state holds for the object (the converted value, or for an invalid object what
   * stands in for it), made once per version: an unchanged object is the same JS object in every
   * state, which is how the incremental compiler sees what changed.
   */
  made?: { readonly value: unknown; readonly sortKey: string }
  /** The last build whose order holds the entry. */
  placed: number
}

/** Per kind: the entries of the last build in state order (reused while few objects come and go). */
interface Ordered {
  entries: CacheEntry[]
}
const convert: Record<LiveKind, (raw: RawObject) => Converted<unknown>> = {
  Namespace: convertNamespace,
  Pod: convertPod,
  NetworkPolicy: convertNetworkPolicy,
  ClusterNetworkPolicy: convertClusterNetworkPolicy,
  Node: convertNode,
}

export interface LiveStateOptions {
  /** The node the state is built for (the agent's): a pod whose nodeName cannot be read counts as on it. */
  readonly nodeName?: string
}

/** The state's order: namespace, then name (a namespace's own key has an empty namespace). */
function sortKeyOf(value: { namespace?: string; name: string }): string {
  return `${value.namespace ?? ''}/${value.name}`
}

function bySortKey(a: CacheEntry, b: CacheEntry): number {
  const ka = a.made!.sortKey
  const kb = b.made!.sortKey
  return ka < kb ? -1 : ka > kb ? 1 : 0
}

/** Entries that are new in a build, up to this many, are placed by binary search; beyond, everything is sorted. */
const MAX_INSERTS = 64

export class LiveStateBuilder {
  private readonly cache = new Map<string, CacheEntry>()
  /** The raw objects the informers hold are the same objects until an event or a relist replaces them. */
  private byRaw = new WeakMap<RawObject, CacheEntry>()
  private readonly ordered: Record<LiveKind, Ordered> = {
    Namespace: { entries: [] },
    Pod: { entries: [] },
    NetworkPolicy: { entries: [] },
    ClusterNetworkPolicy: { entries: [] },
    Node: { entries: [] },
  }
  private round = 0

  constructor(private readonly options: LiveStateOptions = {}) {}

  /**
   * `clusterPolicies` undefined: not read (the state has no `clusterNetworkPolicies`); given, even
   * empty: these are all of them. The same for `nodes` (`nodes` in the state: unknown when absent).
   */
  build(
    namespaces: Iterable<RawObject>,
    pods: Iterable<RawObject>,
    policies: Iterable<RawObject>,
    clusterPolicies?: Iterable<RawObject>,
    nodes?: Iterable<RawObject>,
  ): LiveStateResult {
    this.round++
    const invalid: InvalidObject[] = []
    const warnings: Diagnostic[] = []

    /** The values of one kind in state order; `standIn` makes what the state holds for an invalid object (undefined: left out). */
    const each = <T extends { namespace?: string; name: string }>(
      kind: LiveKind,
      objects: Iterable<RawObject>,
      standIn?: (raw: RawObject) => T | undefined,
    ): T[] => {
      const fresh: CacheEntry[] = []
      for (const raw of objects) {
        const entry = this.convertCached(kind, raw)
        const result = entry.result
        if (result.ok) warnings.push(...result.warnings)
        else {
          invalid.push({
            kind,
            object: describeObject(kind, raw),
            resourceVersion: String(raw.metadata?.resourceVersion ?? ''),
            diagnostics: result.diagnostics,
          })
        }
        if (entry.made === undefined) {
          const value = result.ok ? (result.value as T | undefined) : standIn?.(raw)
          entry.made = { value, sortKey: value === undefined ? '' : sortKeyOf(value) }
        }
        // Not in the last build's order (new, or back after a while), or listed twice: placed below.
        if (entry.placed !== this.round - 1 || entry.seen === this.round) fresh.push(entry)
        entry.seen = this.round
      }
      const kept = this.ordered[kind].entries.filter((e) => e.seen === this.round)
      let order: CacheEntry[]
      if (fresh.length <= MAX_INSERTS) {
        order = kept
        for (const e of fresh) {
          // Stable: after entries with the same key.
          let lo = 0
          let hi = order.length
          while (lo < hi) {
            const mid = (lo + hi) >>> 1
            if (bySortKey(order[mid]!, e) <= 0) lo = mid + 1
            else hi = mid
          }
          order.splice(lo, 0, e)
        }
      } else {
        order = [...kept, ...fresh].sort(bySortKey)
      }
      for (const e of order) e.placed = this.round
      this.ordered[kind].entries = order
      const out: T[] = []
      for (const e of order) if (e.made!.value !== undefined) out.push(e.made!.value as T)
      return out
    }
    const nsList = each<Namespace>('Namespace', namespaces)
    const podList = each<Pod>('Pod', pods, (raw) => salvagePod(raw, this.options.nodeName))
    const policyList = each<NetworkPolicy>('NetworkPolicy', policies, failClosedPolicy)
    const clusterPolicyList = clusterPolicies === undefined ? [] : each<ClusterNetworkPolicy>('ClusterNetworkPolicy', clusterPolicies, failClosedClusterPolicy)
    // Read last: whatever `invalid` gains from here is a Node.
    const invalidBeforeNodes = invalid.length
    const nodeList = nodes === undefined ? undefined : each<Node>('Node', nodes)
    const nodesKnown = nodeList !== undefined && invalid.length === invalidBeforeNodes

    // Drop cache entries of objects that are gone.
    for (const [k, e] of this.cache) if (e.seen !== this.round) this.cache.delete(k)

    // A pod or policy can arrive before its namespace's watch event: the namespace exists on the
    // server, so stand in for it with the one label every namespace has.
    const known = new Set(nsList.map((n) => n.name))
    let implicit = false
    for (const list of [podList, policyList]) {
      for (const o of list) {
        if (known.has(o.namespace)) continue
        known.add(o.namespace)
        nsList.push({ name: o.namespace, labels: { [NAMESPACE_NAME_LABEL]: o.namespace }, implicit: true })
        implicit = true
      }
    }
    if (implicit) nsList.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const state: ClusterState = {
      namespaces: nsList,
      pods: podList,
      policies: policyList,
      ...(clusterPolicies === undefined ? {} : { clusterNetworkPolicies: clusterPolicyList }),
      ...(nodesKnown ? { nodes: nodeList } : {}),
    }
    return { state, invalid, warnings }
  }

  private convertCached(kind: LiveKind, raw: RawObject): CacheEntry {
    const same = this.byRaw.get(raw)
    if (same !== undefined && this.cache.get(same.key) === same) return same
    const key = `${kind}/${raw.metadata?.namespace ?? ''}/${raw.metadata?.name ?? ''}`
    const rv = String(raw.metadata?.resourceVersion ?? '')
    const hit = this.cache.get(key)
    if (hit && rv !== '' && hit.rv === rv) {
      this.byRaw.set(raw, hit)
      return hit
    }
    const entry: CacheEntry = { key, rv, result: convert[kind](raw), seen: 0, placed: -1 }
    this.cache.set(key, entry)
    // A raw object without a resourceVersion is converted again each time (it could change in place).
    if (rv !== '') this.byRaw.set(raw, entry)
    return entry
  }
}

export { LIVE_FILE }
