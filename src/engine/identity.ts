/**
 * @module Pod identities: pods that every policy of the state treats alike, grouped once.
 *
 * Two pods are alike for NetworkPolicy when they share the namespace (namespace selectors see its
 * labels, policies and podSelector-only peers see its name), their labels (restricted to the kept
 * keys: per-pod keys such as statefulset pod names are dropped unless a selector uses them, so
 * replicas collapse into one identity), hostNetwork, their named container ports, the ipBlocks
 * their IPs fall in (via address classes of the ipBlock index) and, for hostNetwork pods when the
 * state has Node objects, their node (ClusterNetworkPolicy `nodes` peers select nodes by label).
 *
 * Identities are ordered by namespace, so each namespace owns a contiguous id range.
 */
import type { ClusterState, ContainerPort, Labels, Node, Pod } from '../model/types.js'
import { hostNetworkPodNode } from './node-peer.js'
import type { IpBlockIndex } from './ip-index.js'

export interface Identity {
  readonly id: number
  readonly namespace: string
  /** The pod labels restricted to the kept keys. */
  readonly labels: Labels
  readonly hostNetwork: boolean
  /**
   * hostNetwork pods of a state with Node objects: the Node they run on (node-peer.ts), '' when it
   * is not known; absent otherwise. `nodes` peers of ClusterNetworkPolicies match on it.
   */
  readonly hostNode?: string
  /** `name/PROTOCOL` -> the container port numbers it resolves to. */
  readonly namedPorts: ReadonlyMap<string, readonly number[]>
  /** Ids (in the engine's ipBlock index) of the blocks containing any of the pods' IPs. */
  readonly blocks: readonly number[]
  /** Indexes into `state.pods`. */
  readonly pods: readonly number[]
}

export interface IdentityRelevance {
  /** Pod label keys identities keep (every key a selector uses, among others). */
  readonly podLabelKeys: ReadonlySet<string>
  /** `name/PROTOCOL` of the named ports identities keep. */
  readonly namedPorts: ReadonlySet<string>
  readonly blockIndex: IpBlockIndex
}

export interface IdentityIndex {
  readonly identities: readonly Identity[]
  /** state.pods index -> identity id. */
  readonly podIdentity: Int32Array
  /** Namespace -> [lo, hi) identity ids; every namespace of the state is present. */
  readonly namespaceRange: ReadonlyMap<string, { readonly lo: number; readonly hi: number }>
}

export function namedPortKey(name: string, protocol: string): string {
  return `${name}/${protocol}`
}

interface Draft {
  readonly key: string
  readonly namespace: string
  readonly labels: Labels
  readonly hostNetwork: boolean
  readonly hostNode?: string
  readonly namedPorts: Map<string, number[]>
  readonly classes: number[]
  readonly pods: number[]
}

/**
 * Per-pod facts that depend only on the labels or the container port list: cached by object (often
 * shared) and by content (replicas read from manifests have equal but separate objects). Each
 * distinct projection gets a small number, so identity keys stay short strings.
 */
interface Projection {
  readonly labelsFor: WeakMap<Labels, { labels: Labels; text: string }>
  readonly labelsByContent: Map<string, { labels: Labels; text: string }>
  readonly portsFor: WeakMap<readonly ContainerPort[], { namedPorts: Map<string, number[]>; text: string }>
  readonly portsByContent: Map<string, { namedPorts: Map<string, number[]>; text: string }>
  readonly textIds: Map<string, string>
}

/** A string that tells any two different lists of strings apart (each part prefixed by its length). */
function contentKey(parts: readonly (string | number)[]): string {
  let out = ''
  for (const p of parts) {
    const s = String(p)
    out += `${s.length}:${s}`
  }
  return out
}

function shortId(cache: Projection, text: string): string {
  let id = cache.textIds.get(text)
  if (id === undefined) cache.textIds.set(text, (id = cache.textIds.size.toString(36)))
  return id
}

function projectLabels(podLabels: Labels, rel: IdentityRelevance, cache: Projection): { labels: Labels; text: string } {
  const hit = cache.labelsFor.get(podLabels)
  if (hit !== undefined) return hit
  const entries: string[] = []
  for (const k in podLabels) entries.push(k, podLabels[k]!)
  const content = contentKey(entries)
  const same = cache.labelsByContent.get(content)
  if (same !== undefined) {
    cache.labelsFor.set(podLabels, same)
    return same
  }
  const labels: Record<string, string> = {}
  const keys = Object.keys(podLabels)
    .filter((k) => rel.podLabelKeys.has(k))
    .sort()
  for (const k of keys) labels[k] = podLabels[k]!
  const out = { labels, text: shortId(cache, `l${keys.map((k) => `${k}=${labels[k]}`).join('\u0002')}`) }
  cache.labelsFor.set(podLabels, out)
  cache.labelsByContent.set(content, out)
  return out
}

function projectPorts(ports: readonly ContainerPort[], rel: IdentityRelevance, cache: Projection): { namedPorts: Map<string, number[]>; text: string } {
  const hit = cache.portsFor.get(ports)
  if (hit !== undefined) return hit
  const fields: (string | number)[] = []
  for (const cp of ports) fields.push(cp.name === undefined ? '' : `n${cp.name}`, cp.protocol, cp.containerPort)
  const content = contentKey(fields)
  const same = cache.portsByContent.get(content)
  if (same !== undefined) {
    cache.portsFor.set(ports, same)
    return same
  }
  const namedPorts = new Map<string, number[]>()
  for (const cp of ports) {
    if (cp.name === undefined) continue
    const k = namedPortKey(cp.name, cp.protocol)
    if (!rel.namedPorts.has(k)) continue
    const list = namedPorts.get(k) ?? []
    if (!list.includes(cp.containerPort)) list.push(cp.containerPort)
    namedPorts.set(k, list)
  }
  const text = [...namedPorts.keys()]
    .sort()
    .map(
      (k) =>
        `${k}=${namedPorts
          .get(k)!
          .sort((a, b) => a - b)
          .join(',')}`,
    )
    .join('\u0002')
  const out = { namedPorts, text: shortId(cache, `p${text}`) }
  cache.portsFor.set(ports, out)
  cache.portsByContent.set(content, out)
  return out
}

function describePod(pod: Pod, rel: IdentityRelevance, cache: Projection, nodes: readonly Node[] | undefined): Omit<Draft, 'pods'> {
  const { labels, text: labelText } = projectLabels(pod.labels, rel, cache)
  const { namedPorts, text: portText } = projectPorts(pod.containerPorts, rel, cache)
  // Address classes stand for the block sets (cheap to key on); the union is built once per identity.
  const classes: number[] = []
  if (rel.blockIndex.size > 0) {
    for (const ip of pod.ips) {
      const c = rel.blockIndex.classOf(ip)
      if (c !== 0 && !classes.includes(c)) classes.push(c)
    }
    classes.sort((a, b) => a - b)
  }
  const hostNode = pod.hostNetwork && nodes !== undefined ? (hostNetworkPodNode(pod, nodes)?.name ?? '') : undefined
  const key = `${pod.hostNetwork ? 'h' : 'p'}${labelText}:${portText}:${classes.join(',')}${hostNode === undefined ? '' : `:${JSON.stringify(hostNode)}`}`
  const hostNetwork = pod.hostNetwork
  return hostNode === undefined
    ? { key, namespace: pod.namespace, labels, hostNetwork, namedPorts, classes }
    : { key, namespace: pod.namespace, labels, hostNetwork, hostNode, namedPorts, classes }
}

export function groupPods(state: ClusterState, rel: IdentityRelevance): IdentityIndex {
  const byNamespace = new Map<string, Map<string, Draft>>()
  for (const ns of state.namespaces) byNamespace.set(ns.name, new Map())
  const cache: Projection = { labelsFor: new WeakMap(), labelsByContent: new Map(), portsFor: new WeakMap(), portsByContent: new Map(), textIds: new Map() }
  state.pods.forEach((pod, index) => {
    const d = describePod(pod, rel, cache, state.nodes)
    let groups = byNamespace.get(pod.namespace)
    if (groups === undefined) {
      groups = new Map()
      byNamespace.set(pod.namespace, groups)
    }
    const existing = groups.get(d.key)
    if (existing !== undefined) existing.pods.push(index)
    else groups.set(d.key, { ...d, pods: [index] })
  })
  const identities: Identity[] = []
  const podIdentity = new Int32Array(state.pods.length)
  const namespaceRange = new Map<string, { lo: number; hi: number }>()
  for (const [ns, groups] of byNamespace) {
    const lo = identities.length
    for (const d of groups.values()) {
      const id = identities.length
      const blocks =
        d.classes.length === 1
          ? rel.blockIndex.classBlocks(d.classes[0]!)
          : [...new Set(d.classes.flatMap((c) => rel.blockIndex.classBlocks(c)))].sort((a, b) => a - b)
      identities.push(
        d.hostNode === undefined
          ? { id, namespace: ns, labels: d.labels, hostNetwork: d.hostNetwork, namedPorts: d.namedPorts, blocks, pods: d.pods }
          : { id, namespace: ns, labels: d.labels, hostNetwork: d.hostNetwork, hostNode: d.hostNode, namedPorts: d.namedPorts, blocks, pods: d.pods },
      )
      for (const p of d.pods) podIdentity[p] = id
    }
    namespaceRange.set(ns, { lo, hi: identities.length })
  }
  return { identities, podIdentity, namespaceRange }
}
