/**
 * @module Putting a lab back in order after a `lab apply` that did not finish (killed with
 * SIGKILL, or failed half-way): the state says `applying`, with the cluster last fully in force
 * (`cluster`, `topology`) and the one the apply was moving to (`pending`). The kernel may hold
 * anything in between: pods half removed, new pods' namespaces (orphans), some nodes on the new
 * rulesets. Reconciling goes back to the last state in force, whatever got done:
 *
 * 1. every pod the apply could have touched (removed, added or recreated), and every pod
 *    namespace of the lab that the last state does not know, loses its processes, namespace,
 *    veth, routes and conntrack entries (each step tolerates "already gone");
 * 2. the touched pods of the last state are built again, from scratch;
 * 3. every node gets the last state's ruleset again (one transaction per node);
 * 4. servers start where they are missing, and restart where the apply changed ports.
 *
 * Every step is idempotent, so a reconcile that is itself killed is simply run again.
 */
import type { LabContext } from './lab-context.js'
import type { LabState } from './lab-state.js'
import type { LabPod } from './topology.js'
import { diffTopology } from './topology.js'
import { addPods, applyAllNodes, dnsServing, dnsServingChanged, forEachLimit, removePodFiles, startServers, syncClusterDns } from './lab-build.js'
import { deleteNetns, forgetConntrackIn, ipBatchInBestEffort, listLabNetns, netnsPids } from './netns.js'
import { isLabProcess, stopProcesses } from './lab-processes.js'
import { labDir, writeLabState } from './state-store.js'
import { podVethName } from './lab-names.js'
import { removePodResolvConfs } from './pod-resolv.js'

const key = (p: { namespace: string; name: string }): string => `${p.namespace}/${p.name}`

/** True when the state records a `lab apply` that did not finish. */
export function needsReconcile(state: LabState): boolean {
  return state.phase === 'applying' || state.phase === 'failed'
}

/** Returns the lab's state after putting it back to its last state in force (written as `ready`). */
export async function reconcileLab(ctx: LabContext, state: LabState): Promise<LabState> {
  const lab = state.name
  const old = state.topology
  const pending = state.pending?.topology
  // Without a record of what the apply was doing (older versions' `failed`), every pod counts as touched.
  const change = pending !== undefined ? diffTopology(old, pending) : { removed: old.pods, added: [], portsChanged: [] }
  const oldByKey = new Map(old.pods.map((p) => [key(p), p]))
  const rebuild = change.removed
  const known = new Set(old.pods.map((p) => p.netns))
  const touched = new Map<string, LabPod | undefined>()
  for (const p of [...change.removed, ...change.added]) touched.set(p.netns, p)
  // Orphans: pod namespaces in the kernel that the last state does not have (by name only).
  for (const netns of await listLabNetns(lab)) if (/-p-[0-9a-f]{10}$/.test(netns) && !known.has(netns)) touched.set(netns, touched.get(netns))
  const rebuilt = new Set(rebuild.map(key))
  // Servers whose DNS ports the apply may have changed count as changed ports.
  const portsChanged = new Set([
    ...change.portsChanged.map(key),
    ...(state.pending !== undefined ? dnsServingChanged(state.cluster, state.pending.cluster) : []),
  ])

  // 1. Processes, namespaces (their veths go with them), other nodes' routes, conntrack.
  const pids = new Set<number>()
  for (const [pod, pid] of Object.entries(state.servers)) {
    const p = oldByKey.get(pod) ?? pending?.pods.find((x) => key(x) === pod)
    if (p !== undefined && touched.has(p.netns) && (await isLabProcess(lab, pid))) pids.add(pid)
  }
  for (const netns of touched.keys()) for (const pid of await netnsPids(netns)) if (pid !== process.pid) pids.add(pid)
  await stopProcesses([...pids])
  await deleteNetns([...touched.keys()])
  await removePodResolvConfs([...touched.keys()])
  const hashes = [...touched.keys()].map((n) => n.slice(-10))
  const ips = [...new Set([...touched.values()].flatMap((p) => (p ? [p.ip] : [])))]
  await forEachLimit(old.nodes, 4, async (node) => {
    await ipBatchInBestEffort(node.netns, [...hashes.map((h) => `link del ${podVethName(h)}`), ...ips.map((ip) => `route del ${ip}/32`)])
    await forgetConntrackIn(node.netns, ips)
  })
  await removePodFiles(labDir(ctx.root, lab), hashes)

  // 2.-3. The touched pods of the last state again, then every node's last ruleset.
  await addPods(old, rebuild)
  await applyAllNodes(ctx.dataplane, old, state.cluster)
  await syncClusterDns(labDir(ctx.root, lab), old, state.cluster)

  // 4. Servers: fresh for rebuilt pods; for the others, restarted when the apply changed their
  // ports, started when they are not running.
  const servers: Record<string, number> = {}
  const stale: number[] = []
  const start: LabPod[] = [...rebuild]
  for (const p of old.pods.filter((x) => !rebuilt.has(key(x)))) {
    const pid = state.servers[key(p)]
    const running = pid !== undefined && (await isLabProcess(lab, pid))
    if (running && !portsChanged.has(key(p))) servers[key(p)] = pid
    else {
      if (running) stale.push(pid)
      start.push(p)
    }
  }
  await stopProcesses(stale)
  Object.assign(servers, await startServers(lab, labDir(ctx.root, lab), start, dnsServing(labDir(ctx.root, lab), state.cluster)))

  const { pending: _dropped, ...rest } = state
  const repaired: LabState = { ...rest, phase: 'ready', updatedAt: new Date().toISOString(), servers }
  await writeLabState(ctx.root, repaired)
  return repaired
}
