/**
 * @module The ClusterState of a live cluster, from the raw objects of its Namespaces, Pods,
 * NetworkPolicies and (when given) ClusterNetworkPolicies. Conversions are cached per object and resourceVersion, so rebuilding the state
 * after one event costs one conversion plus the assembly, not a reparse of the whole cluster.
 */
import type { Diagnostic } from '../model/diagnostic.js'
import { NAMESPACE_NAME_LABEL, type ClusterState, type Namespace, type NetworkPolicy, type Pod } from '../model/types.js'
import type { RawObject } from './live-api.js'
import type { ClusterNetworkPolicy } from '../model/cluster-network-policy-types.js'
import {
  convertClusterNetworkPolicy,
  convertNamespace,
  convertNetworkPolicy,
  convertPod,
  describeObject,
  failClosedClusterPolicy,
  failClosedPolicy,
  LIVE_FILE,
  salvagePod,
  type Converted,
} from './live-objects.js'

export type LiveKind = 'Namespace' | 'Pod' | 'NetworkPolicy' | 'ClusterNetworkPolicy'

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
   * (see failClosedPolicy, failClosedClusterPolicy).
   */
  readonly invalid: readonly InvalidObject[]
  readonly warnings: readonly Diagnostic[]
}

interface CacheEntry {
  readonly rv: string
  readonly result: Converted<unknown>
  seen: number
}

const convert: Record<LiveKind, (raw: RawObject) => Converted<unknown>> = {
  Namespace: convertNamespace,
  Pod: convertPod,
  NetworkPolicy: convertNetworkPolicy,
  ClusterNetworkPolicy: convertClusterNetworkPolicy,
}

export interface LiveStateOptions {
  /** The node the state is built for (the agent's): a pod whose nodeName cannot be read counts as on it. */
  readonly nodeName?: string
}

export class LiveStateBuilder {
  private readonly cache = new Map<string, CacheEntry>()
  private round = 0

  constructor(private readonly options: LiveStateOptions = {}) {}

  /**
   * `clusterPolicies` undefined: not read (the state has no `clusterNetworkPolicies`); given, even
   * empty: these are all of them.
   */
  build(namespaces: Iterable<RawObject>, pods: Iterable<RawObject>, policies: Iterable<RawObject>, clusterPolicies?: Iterable<RawObject>): LiveStateResult {
    this.round++
    const invalid: InvalidObject[] = []
    const warnings: Diagnostic[] = []
    const nsList: Namespace[] = []
    const podList: Pod[] = []
    const policyList: NetworkPolicy[] = []
    const clusterPolicyList: ClusterNetworkPolicy[] = []

    const each = <T>(kind: LiveKind, objects: Iterable<RawObject>, accept: (value: T) => void, onInvalid?: (raw: RawObject) => void): void => {
      for (const raw of objects) {
        const result = this.convertCached(kind, raw)
        if (result.ok) {
          if (result.value !== undefined) accept(result.value as T)
          warnings.push(...result.warnings)
        } else {
          invalid.push({
            kind,
            object: describeObject(kind, raw),
            resourceVersion: String(raw.metadata?.resourceVersion ?? ''),
            diagnostics: result.diagnostics,
          })
          onInvalid?.(raw)
        }
      }
    }
    each<Namespace>('Namespace', namespaces, (n) => nsList.push(n))
    each<Pod>(
      'Pod',
      pods,
      (p) => podList.push(p),
      (raw) => {
        const pod = salvagePod(raw, this.options.nodeName)
        if (pod) podList.push(pod)
      },
    )
    each<NetworkPolicy>(
      'NetworkPolicy',
      policies,
      (p) => policyList.push(p),
      (raw) => policyList.push(failClosedPolicy(raw)),
    )
    if (clusterPolicies !== undefined)
      each<ClusterNetworkPolicy>(
        'ClusterNetworkPolicy',
        clusterPolicies,
        (p) => clusterPolicyList.push(p),
        (raw) => clusterPolicyList.push(failClosedClusterPolicy(raw)),
      )

    // Drop cache entries of objects that are gone.
    for (const [k, e] of this.cache) if (e.seen !== this.round) this.cache.delete(k)

    // A pod or policy can arrive before its namespace's watch event: the namespace exists on the
    // server, so stand in for it with the one label every namespace has.
    const known = new Set(nsList.map((n) => n.name))
    for (const o of [...podList, ...policyList]) {
      if (known.has(o.namespace)) continue
      known.add(o.namespace)
      nsList.push({ name: o.namespace, labels: { [NAMESPACE_NAME_LABEL]: o.namespace }, implicit: true })
    }
    const byKey = <T extends { namespace?: string; name: string }>(a: T, b: T): number => {
      const ka = `${a.namespace ?? ''}/${a.name}`
      const kb = `${b.namespace ?? ''}/${b.name}`
      return ka < kb ? -1 : ka > kb ? 1 : 0
    }
    nsList.sort(byKey)
    podList.sort(byKey)
    policyList.sort(byKey)
    clusterPolicyList.sort(byKey)
    const state: ClusterState = { namespaces: nsList, pods: podList, policies: policyList }
    return { state: clusterPolicies === undefined ? state : { ...state, clusterNetworkPolicies: clusterPolicyList }, invalid, warnings }
  }

  private convertCached(kind: LiveKind, raw: RawObject): Converted<unknown> {
    const key = `${kind}/${raw.metadata?.namespace ?? ''}/${raw.metadata?.name ?? ''}`
    const rv = String(raw.metadata?.resourceVersion ?? '')
    const hit = this.cache.get(key)
    if (hit && rv !== '' && hit.rv === rv) {
      hit.seen = this.round
      return hit.result
    }
    const result = convert[kind](raw)
    this.cache.set(key, { rv, result, seen: this.round })
    return result
  }
}

export { LIVE_FILE }
