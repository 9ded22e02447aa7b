/**
 * @module The lab's kubelet (and scheduler) for a `--control-plane` lab: one pass makes the lab
 * run what its API server holds.
 *
 * - A Pod without spec.nodeName is bound to the lab node that runs the fewest pods (then the
 *   lowest index), as a scheduler would; a Pod bound to a node the lab does not have is left alone
 *   (it stays Pending, as on a cluster without that node).
 * - A Pod bound to a lab node gets its network namespace, veth, routes and server (the same code
 *   as `lab apply`), and its address is reported in status.podIP/status.podIPs (status subresource).
 * - A Pod being deleted (deletionTimestamp) is stopped and its namespace removed, then its
 *   deletion is finished (grace period 0), as the kubelet confirms a stopped pod.
 * - Namespaces, NetworkPolicies, ClusterNetworkPolicies and Services become the lab's state (what
 *   `lab probe` compares with, and the Service translation each node does as kube-proxy would).
 *
 * The policies themselves are enforced by the nodes' `netpol agent`s, never by this pass (its data
 * plane does nothing): the agents own each node's table. Everything read from the API server is
 * untrusted: names go only into API paths (escaped) and the lab's own derived names.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import { apiListAll, type RawObject } from '../cluster/live-api.js'
import type { ClusterState } from '../model/types.js'
import type { LabContext } from './lab-context.js'
import type { LabDataplane } from './lab-dataplane.js'
import type { LabState } from './lab-state.js'
import { applyClusterState, checkLabPodCount, DEFAULT_LAB_MAX_PODS } from './lab-apply.js'
import { bindPod, finishPodDeletion, reportPodRunning } from './lab-api.js'

/** The policy half of the lab's data plane when agents enforce: nothing (the Service translation still runs). */
export const agentsEnforce: LabDataplane = {
  async applyNode() {},
  async checkNode() {},
}

interface ApiPod {
  readonly key: string
  readonly namespace: string
  readonly name: string
  readonly uid: string
  readonly nodeName?: string
  readonly hostNetwork: boolean
  readonly terminating: boolean
  /** Being deleted: its deletion waits for the kubelet's confirmation. */
  readonly deleting: boolean
  readonly podIps: readonly string[]
  /** Container names and images (for status.containerStatuses). */
  readonly containers: readonly { name: string; image: string }[]
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

function apiPod(raw: RawObject): ApiPod | undefined {
  const md = raw.metadata ?? {}
  const namespace = str(md.namespace)
  const name = str(md.name)
  if (namespace === undefined || name === undefined) return undefined
  const spec = (typeof raw.spec === 'object' && raw.spec !== null ? raw.spec : {}) as Record<string, unknown>
  const status = (typeof raw.status === 'object' && raw.status !== null ? raw.status : {}) as Record<string, unknown>
  const phase = str(status.phase)
  const ips = Array.isArray(status.podIPs) ? status.podIPs.map((e) => str((e as Record<string, unknown> | null)?.ip)).filter((ip) => ip !== undefined) : []
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    uid: str(md.uid) ?? '',
    ...(str(spec.nodeName) ? { nodeName: str(spec.nodeName) } : {}),
    hostNetwork: spec.hostNetwork === true,
    // A finished pod holds no address and runs nothing: like one being deleted.
    terminating: md.deletionTimestamp !== undefined || phase === 'Succeeded' || phase === 'Failed',
    deleting: md.deletionTimestamp !== undefined,
    podIps: ips,
    containers: (Array.isArray(spec.containers) ? spec.containers : []).flatMap((c: unknown) => {
      const o = (typeof c === 'object' && c !== null ? c : {}) as Record<string, unknown>
      const cname = str(o.name)
      return cname === undefined ? [] : [{ name: cname, image: str(o.image) ?? '' }]
    }),
  }
}

export interface KubeletPassResult {
  readonly state: LabState
  /** False when the lab already ran what the API server holds. */
  readonly changed: boolean
  readonly bound: readonly string[]
  readonly added: readonly string[]
  readonly removed: readonly string[]
  readonly reported: readonly string[]
  readonly deleted: readonly string[]
  /** Pods the lab does not run, and why (once per pass). */
  readonly skipped: readonly string[]
}

/** What the last pass applied, so an unchanged API server costs two LISTs and no kernel work. */
export interface KubeletMemory {
  lastApplied?: string
}

/**
 * One pass: bind, run, report, finish deletions. `running` is the lab's current state (ready);
 * the caller holds the lab's lock.
 */
export async function kubeletPass(ctx: LabContext, running: LabState, kc: KubeConfig, memory: KubeletMemory = {}): Promise<KubeletPassResult> {
  const nodes = running.topology.nodes
  const nodeNames = new Set(nodes.map((n) => n.name))
  const listed = (await apiListAll(kc, '/api/v1/pods')).items.map(apiPod).filter((p) => p !== undefined)

  // The scheduler's part: unbound pods go to the emptiest lab node.
  const load = new Map(nodes.map((n) => [n.name, 0]))
  for (const p of listed) if (p.nodeName !== undefined && load.has(p.nodeName) && !p.terminating) load.set(p.nodeName, load.get(p.nodeName)! + 1)
  const bound: string[] = []
  for (const p of listed) {
    if (p.nodeName !== undefined || p.terminating || p.hostNetwork) continue
    const target = [...load.entries()].sort((a, b) => a[1] - b[1])[0]![0]
    try {
      await bindPod(kc, p.namespace, p.name, p.uid, target)
      load.set(target, load.get(target)! + 1)
      bound.push(`${p.key} -> ${target}`)
    } catch (err) {
      ctx.warn(`cannot bind pod ${p.key} to ${target}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  // Loaded here: the Kubernetes client costs about 0.35 s of every netpol command's start-up.
  const { loadLiveCluster } = await import('../cluster/live-source.js')
  const live = await loadLiveCluster({ kubeConfig: kc, allNamespaces: true })
  const byKey = new Map(listed.map((p) => [p.key, p]))
  const skipped: string[] = []
  const runs = (pod: { namespace: string; name: string; nodeName?: string; hostNetwork?: boolean }): boolean => {
    const p = byKey.get(`${pod.namespace}/${pod.name}`)
    // Seen by the second read only (created in between): the next pass takes it.
    if (p === undefined || p.terminating) return false
    if (pod.hostNetwork) return false
    if (pod.nodeName === undefined || !nodeNames.has(pod.nodeName)) {
      skipped.push(`${pod.namespace}/${pod.name}: bound to node ${JSON.stringify(pod.nodeName ?? '')}, which is not a lab node`)
      return false
    }
    return true
  }
  // The API server's own Service (default/kubernetes) points at the API server, not at a lab pod.
  const apiServerService = (o: { namespace: string; name?: string; serviceName?: string }): boolean =>
    o.namespace === 'default' && (o.name === 'kubernetes' || o.serviceName === 'kubernetes')
  const desired: ClusterState = {
    ...live.state,
    pods: live.state.pods.filter(runs),
    ...(live.state.services ? { services: live.state.services.filter((s) => !apiServerService(s)) } : {}),
    ...(live.state.endpointSlices
      ? { endpointSlices: live.state.endpointSlices.filter((e) => !apiServerService({ namespace: e.namespace, serviceName: e.serviceName })) }
      : {}),
  }
  checkLabPodCount(desired, DEFAULT_LAB_MAX_PODS)

  let state = running
  let added: readonly string[] = []
  let removed: readonly string[] = []
  const text = JSON.stringify(desired)
  const changed = text !== memory.lastApplied
  if (changed) {
    const r = await applyClusterState({ ...ctx, dataplane: agentsEnforce }, running, desired)
    state = r.state
    added = r.added
    removed = r.removed
    memory.lastApplied = text
  }

  // The kubelet's part: report each running pod's address where the API server does not have it.
  const reported: string[] = []
  const underlay = new Map(nodes.map((n) => [n.name, n.underlayIp]))
  for (const pod of state.topology.pods) {
    const p = byKey.get(`${pod.namespace}/${pod.name}`)
    if (p === undefined || p.terminating || (p.podIps.length === 1 && p.podIps[0] === pod.ip)) continue
    await reportPodRunning(kc, pod.namespace, pod.name, pod.ip, underlay.get(pod.node) ?? '', p.containers)
    reported.push(`${p.key} ${pod.ip}`)
  }
  // Deletions finish once the pod no longer runs in the lab.
  const deleted: string[] = []
  const runningKeys = new Set(state.topology.pods.map((p) => `${p.namespace}/${p.name}`))
  for (const p of listed) {
    if (!p.deleting || runningKeys.has(p.key) || p.uid === '') continue
    if (p.nodeName === undefined || !nodeNames.has(p.nodeName)) continue
    await finishPodDeletion(kc, p.namespace, p.name, p.uid)
    deleted.push(p.key)
  }
  return { state, changed, bound, added, removed, reported, deleted, skipped }
}
