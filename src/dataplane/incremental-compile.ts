/**
 * @module The agent's compiler: one node's ruleset, state after state, reusing what did not change.
 *
 * `IncrementalCompiler.compile(state)` returns exactly what `compileRuleset(state, options)` returns
 * (byte for byte; a property test compares them over random event sequences), but after the first
 * state it does not build an engine index of the whole cluster again. It keeps, between states:
 * - per selector peer (its selectors and, without a namespaceSelector, the policy's namespace):
 *   the addresses of the pods it matches, with a version; a pod that came or went, and a namespace
 *   whose labels changed, update only the peers they match (spec-literally, `peerMatches`);
 * - per rule of a policy object: its rendered peer elements, redone only when one of its peers'
 *   versions moved (a changed policy is a new object: its rules are done again);
 * - named ports resolved over the cluster's pods, forgotten for the names of pods that changed;
 * - the name hashes of the objects and sets of the previous ruleset.
 * Which policies isolate each local pod is asked directly of the policies of its namespace (the
 * same rule as the engine's, isolation.ts). The plan and the rendering are compileRuleset's own code
 * (compile-ruleset.ts, `PlanSource`), so the two can only differ in these answers.
 *
 * What changed is found by object identity: LiveStateBuilder hands out the same Pod, NetworkPolicy
 * and Namespace objects for objects whose resourceVersion did not change. A state after a large
 * change (a relist) is compiled in full, where the engine's index is faster than updating peer by
 * peer. The ClusterNetworkPolicy tiers are planned again for every state (compile-cluster-tiers.ts
 * asks the engine's rules per pod and peer, never its index), on top of the kept NetworkPolicy part.
 */
import type { IpRange } from '../model/cidr.js'
import { ipBlockRanges } from '../model/cidr.js'
import type { Diagnostic } from '../model/diagnostic.js'
import type { Side } from '../model/describe.js'
import { formatSelector } from '../model/label-selector.js'
import {
  compareQualifiedNames,
  NAMESPACE_NAME_LABEL,
  type ClusterState,
  type Labels,
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
  type Pod,
} from '../model/types.js'
import { createEngine, type Engine } from '../engine/engine.js'
import { policySelectsPod } from '../engine/isolation.js'
import { peerMatches } from '../engine/peer.js'
import {
  checkPolicy,
  compileRuleset,
  compileRulesetWith,
  familyElements,
  refuseUncompilable,
  type CompiledNodeRuleset,
  type CompileOptions,
  type FamilyElements,
  type PlanSource,
  type RuleMemos,
} from './compile-ruleset.js'
import { NamedPortResolution, numericPortElements, podAddresses } from './nft-match.js'
import { HashMemo } from './nft-names.js'
import { KeptObjects, sameList } from './table-objects.js'

/** When the engine's index is faster than updating peer by peer (tests lower them to reach every path). */
export interface IncrementalTuning {
  /** More pods and namespaces changed than this: a full compile. @default 250 */
  readonly maxChanges?: number
  /** Peers never seen before are resolved by a scan of every pod; past this many in one state, by the engine's index. @default 40 */
  readonly maxPeerScans?: number
}

export interface IncrementalCompileResult extends CompiledNodeRuleset {
  /** False when this state was compiled in full (the first, one after a large change or a refused state). */
  readonly incremental: boolean
}

/** The pods one selector peer matches, by address (a count: two pods may claim one address). */
interface PeerEntry {
  readonly policy: NetworkPolicy
  readonly peer: NetworkPolicyPeer
  readonly addresses: Map<string, { readonly range: IpRange; count: number }>
  /** Moves whenever the set of addresses does. */
  version: number
  /** The last round that used it (unused entries are dropped). */
  used: number
}

/** One rule's rendered peer elements and the peer versions they were made from. */
interface RuleEntry {
  readonly peers: readonly PeerEntry[]
  readonly versions: readonly number[]
  readonly elements: readonly FamilyElements[]
}

/** What the previous state looked like, for finding what changed. */
interface Previous {
  readonly pods: ReadonlySet<Pod>
  readonly namespaceLabels: ReadonlyMap<string, Labels>
  /** The state's policies, and grouped by namespace in verdict order (reused while the policies are the same objects). */
  readonly policies: readonly NetworkPolicy[]
  readonly policiesIn: ReadonlyMap<string, readonly NetworkPolicy[]>
  /** This node's pods with an address, in order (reused while no pod came or went). */
  readonly localPods: readonly Pod[]
}

function namespaceLabelMap(state: ClusterState): Map<string, Labels> {
  // The engine's rule (namespaceLabelsOf): the last declaration of a name wins.
  return new Map(state.namespaces.map((n) => [n.name, n.labels]))
}

function sameLabels(a: Labels, b: Labels): boolean {
  if (a === b) return true
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  return ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k])
}

/** Policies by namespace, in verdict order (namespace, name). */
function groupPolicies(policies: readonly NetworkPolicy[]): Map<string, NetworkPolicy[]> {
  const byNamespace = new Map<string, NetworkPolicy[]>()
  for (const policy of policies) {
    const list = byNamespace.get(policy.namespace)
    if (list === undefined) byNamespace.set(policy.namespace, [policy])
    else list.push(policy)
  }
  for (const list of byNamespace.values()) list.sort(compareQualifiedNames)
  return byNamespace
}

function peerKey(policy: NetworkPolicy, peer: NetworkPolicyPeer): string {
  const podKey = peer.podSelector === undefined ? '*' : formatSelector(peer.podSelector)
  const nsKey = peer.namespaceSelector === undefined ? `=${policy.namespace}` : formatSelector(peer.namespaceSelector)
  return `${podKey}\u0000${nsKey}`
}

export class IncrementalCompiler {
  private previous: Previous | undefined
  private round = 0
  private peers = new Map<string, PeerEntry>()
  private rules = new WeakMap<NetworkPolicy, Map<string, RuleEntry>>()
  private readonly checks = new WeakMap<NetworkPolicy, readonly Diagnostic[]>()
  private readonly portLists = new WeakMap<readonly NetworkPolicyPort[], readonly string[]>()
  private namedPorts = new NamedPortResolution([])
  private readonly hashes = new HashMemo()
  private readonly kept = new KeptObjects()
  /** Compiled rules by policy object: valid while their element arrays are the same (compileRule checks). */
  private readonly compiledRules: RuleMemos = new WeakMap()
  /** Named ports over each policy's local pods, with those pods (a resolution reads nothing else). */
  private readonly scopedNamedPorts = new WeakMap<NetworkPolicy, { readonly pods: readonly Pod[]; readonly resolution: NamedPortResolution }>()
  private podsByNamespace = new Map<string, Set<Pod>>()
  private readonly peerKeys = new WeakMap<NetworkPolicyPeer, { readonly namespace: string; readonly key: string }>()

  private readonly maxChanges: number
  private readonly maxPeerScans: number

  constructor(
    private readonly options: CompileOptions,
    tuning: IncrementalTuning = {},
  ) {
    this.maxChanges = tuning.maxChanges ?? 250
    this.maxPeerScans = tuning.maxPeerScans ?? 40
  }

  compile(state: ClusterState): IncrementalCompileResult {
    this.round++
    const podSet = new Set(state.pods)
    if (podSet.size !== state.pods.length) {
      // A state listing one Pod object twice (never built by LiveStateBuilder): identity cannot follow it.
      this.reset()
      return { ...compileRuleset(state, this.options), incremental: false }
    }
    refuseUncompilable(state.policies, (p) => this.check(p))
    // A new round of names and objects only for a state that compiles: a refused one keeps the last ruleset's.
    this.hashes.nextRound()
    this.kept.nextRound()
    let engine: Engine | undefined
    const previous = this.previous
    let incremental = previous !== undefined
    try {
      const nsLabels = namespaceLabelMap(state)
      let samePods = false
      if (previous !== undefined) {
        const changes = this.update(previous, state, podSet, nsLabels)
        incremental = changes !== 'too-many'
        samePods = changes === 'same-pods'
      }
      if (!incremental) {
        this.reset()
        engine = createEngine(state)
        this.podsByNamespace = new Map()
        for (const pod of state.pods) this.indexPod(pod)
      }
      this.namedPorts.setPods(state.pods)
      const kept = incremental && samePods ? previous : undefined
      const localPods =
        kept?.localPods ?? state.pods.filter((p) => p.nodeName === this.options.nodeName && podAddresses(p).length > 0).sort(compareQualifiedNames)
      const policiesIn =
        incremental && previous !== undefined && sameList(previous.policies, state.policies) ? previous.policiesIn : groupPolicies(state.policies)
      this.previous = { pods: podSet, namespaceLabels: nsLabels, policies: state.policies, policiesIn, localPods }
      const result = compileRulesetWith(state, this.options, this.source(state, nsLabels, engine, localPods, policiesIn), this.kept)
      for (const [k, e] of this.peers) if (e.used !== this.round) this.peers.delete(k)
      return { ...result, incremental }
    } catch (error) {
      // Whatever was kept may be half updated: the next state is compiled in full.
      this.reset()
      throw error
    }
  }

  private reset(): void {
    this.previous = undefined
    this.peers = new Map()
    this.rules = new WeakMap()
    this.namedPorts = new NamedPortResolution([])
    this.podsByNamespace = new Map()
  }

  private check(policy: NetworkPolicy): readonly Diagnostic[] {
    let d = this.checks.get(policy)
    if (d === undefined) this.checks.set(policy, (d = checkPolicy(policy)))
    return d
  }

  private indexPod(pod: Pod): void {
    let set = this.podsByNamespace.get(pod.namespace)
    if (set === undefined) this.podsByNamespace.set(pod.namespace, (set = new Set()))
    set.add(pod)
  }

  /**
   * Brings the peers and named ports from the previous state to this one: 'too-many' (nothing
   * useful kept) when so much changed that a full compile is faster; 'same-pods' when no pod came
   * or went.
   */
  private update(
    previous: Previous,
    state: ClusterState,
    current: ReadonlySet<Pod>,
    nsLabels: ReadonlyMap<string, Labels>,
  ): 'too-many' | 'same-pods' | 'changed' {
    const added = state.pods.filter((p) => !previous.pods.has(p))
    const removed = [...previous.pods].filter((p) => !current.has(p))
    const namespaces = new Set([...previous.namespaceLabels.keys(), ...nsLabels.keys()])
    const relabelled = [...namespaces].filter((ns) => {
      const before = previous.namespaceLabels.get(ns)
      const after = nsLabels.get(ns)
      return before !== after && !sameLabels(before ?? { [NAMESPACE_NAME_LABEL]: ns }, after ?? { [NAMESPACE_NAME_LABEL]: ns })
    })
    if (added.length + removed.length + relabelled.length > this.maxChanges) return 'too-many'
    if (added.length + removed.length + relabelled.length === 0) return 'same-pods'

    const labelsIn =
      (labels: ReadonlyMap<string, Labels>) =>
      (ns: string): Labels =>
        labels.get(ns) ?? { [NAMESPACE_NAME_LABEL]: ns }
    const before = labelsIn(previous.namespaceLabels)
    const after = labelsIn(nsLabels)
    const entries = [...this.peers.values()]
    // Removed pods leave with the labels their namespace had; pods that stayed follow their
    // namespace's new labels; added pods come with the new ones.
    for (const pod of removed) {
      this.podsByNamespace.get(pod.namespace)?.delete(pod)
      for (const e of entries) if (peerMatches(e.policy, e.peer, { kind: 'pod', pod }, before)) this.count(e, pod, -1)
    }
    for (const ns of relabelled) {
      const pods = this.podsByNamespace.get(ns)
      if (pods === undefined || pods.size === 0) continue
      for (const e of entries) {
        if (e.peer.namespaceSelector === undefined) continue
        for (const pod of pods) {
          const was = peerMatches(e.policy, e.peer, { kind: 'pod', pod }, before)
          const is = peerMatches(e.policy, e.peer, { kind: 'pod', pod }, after)
          if (was !== is) this.count(e, pod, is ? 1 : -1)
        }
      }
    }
    for (const pod of added) {
      this.indexPod(pod)
      for (const e of entries) if (peerMatches(e.policy, e.peer, { kind: 'pod', pod }, after)) this.count(e, pod, 1)
    }
    const names = new Set<string>()
    for (const pod of [...added, ...removed]) for (const cp of pod.containerPorts) if (cp.name !== undefined) names.add(`${cp.protocol}/${cp.name}`)
    this.namedPorts.forget(names)
    return added.length + removed.length === 0 ? 'same-pods' : 'changed'
  }

  /** Adds (+1) or takes away (-1) a pod's addresses in a peer's set. */
  private count(entry: PeerEntry, pod: Pod, delta: 1 | -1): void {
    for (const ip of podAddresses(pod)) {
      const key = `${ip.family}/${ip.value}`
      const hit = entry.addresses.get(key)
      if (delta === 1) {
        if (hit !== undefined) hit.count++
        else {
          entry.addresses.set(key, { range: { family: ip.family, start: ip.value, end: ip.value }, count: 1 })
          entry.version++
        }
      } else if (hit !== undefined && --hit.count === 0) {
        entry.addresses.delete(key)
        entry.version++
      }
    }
  }

  private source(
    state: ClusterState,
    nsLabels: ReadonlyMap<string, Labels>,
    engine: Engine | undefined,
    localPods: readonly Pod[],
    policiesIn: ReadonlyMap<string, readonly NetworkPolicy[]>,
  ): PlanSource {
    const labelsOf = (ns: string): Labels => nsLabels.get(ns) ?? { [NAMESPACE_NAME_LABEL]: ns }
    let scans = 0
    const entryFor = (policy: NetworkPolicy, peer: NetworkPolicyPeer): PeerEntry => {
      let known = this.peerKeys.get(peer)
      // A peer object is read with its policy's namespace (the same object in two namespaces is two peers).
      if (known === undefined || known.namespace !== policy.namespace)
        this.peerKeys.set(peer, (known = { namespace: policy.namespace, key: peerKey(policy, peer) }))
      const key = known.key
      let e = this.peers.get(key)
      if (e === undefined) {
        e = { policy, peer, addresses: new Map(), version: 0, used: this.round }
        // A peer not seen before: the engine's index when there is one (or many such peers), else a scan.
        if (engine === undefined && ++scans > this.maxPeerScans) engine = createEngine(state)
        const pods =
          engine !== undefined ? engine.peerPods(policy, peer) : state.pods.filter((pod) => peerMatches(policy, peer, { kind: 'pod', pod }, labelsOf))
        for (const pod of pods) this.count(e, pod, 1)
        this.peers.set(key, e)
      }
      e.used = this.round
      return e
    }
    return {
      pods: state.pods,
      localPods,
      clusterNamedPorts: this.namedPorts,
      hashes: this.hashes,
      rules: this.compiledRules,
      scopedNamedPorts: (policy, pods) => {
        const kept = this.scopedNamedPorts.get(policy)
        if (kept !== undefined && sameList(kept.pods, pods)) return kept.resolution
        const resolution = new NamedPortResolution(pods)
        this.scopedNamedPorts.set(policy, { pods, resolution })
        return resolution
      },
      isolating: (pod, side) => {
        const direction = side === 'ingress' ? 'Ingress' : 'Egress'
        return (policiesIn.get(pod.namespace) ?? []).filter((p) => policySelectsPod(p, pod, direction))
      },
      peerElements: (policy, side, ruleIndex, peers) => this.ruleElements(policy, side, ruleIndex, peers, entryFor),
      portElements: (ports) => {
        let list = this.portLists.get(ports)
        if (list === undefined) this.portLists.set(ports, (list = numericPortElements(ports)))
        return list
      },
    }
  }

  private ruleElements(
    policy: NetworkPolicy,
    side: Side,
    ruleIndex: number,
    peers: readonly NetworkPolicyPeer[],
    entryFor: (policy: NetworkPolicy, peer: NetworkPolicyPeer) => PeerEntry,
  ): readonly FamilyElements[] {
    const entries = peers.filter((p) => p.ipBlock === undefined).map((p) => entryFor(policy, p))
    let byRule = this.rules.get(policy)
    if (byRule === undefined) this.rules.set(policy, (byRule = new Map()))
    const key = `${side}/${ruleIndex}`
    const kept = byRule.get(key)
    if (kept !== undefined && kept.peers.length === entries.length && kept.peers.every((e, i) => e === entries[i] && e.version === kept.versions[i]))
      return kept.elements
    const blocks: IpRange[] = []
    const addresses: IpRange[] = []
    for (const peer of peers) if (peer.ipBlock) blocks.push(...ipBlockRanges(peer.ipBlock))
    for (const e of entries) for (const a of e.addresses.values()) addresses.push(a.range)
    const elements = familyElements(blocks, addresses)
    byRule.set(key, { peers: entries, versions: entries.map((e) => e.version), elements })
    return elements
  }
}
