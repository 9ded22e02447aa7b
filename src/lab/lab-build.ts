/**
 * @module Building, changing and tearing down a lab's namespaces, links, rulesets and servers (IO).
 * The plans come from topology.ts and ip-script.ts; this module only carries them out, in an
 * order that never lets a pod's traffic flow before its node's ruleset is in force.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { ClusterState } from '../model/types.js'
import type { LabDataplane } from './lab-dataplane.js'
import type { LabPod, LabTopology } from './topology.js'
import { fabricScript, nodeScript, podLinesForNode, podScript, removedPodLinesForNode, script } from './ip-script.js'
import { deleteNetns, forgetConntrackIn, ipBatchIn, listLabNetns, netnsAdd, netnsPids, setNetnsSysctl } from './netns.js'
import { findLabProcesses, isLabProcess, startLabProcess, stopProcesses } from './lab-processes.js'
import type { PodServerSpec } from './pod-server.js'

/** Runs `fn` over `items`, at most `limit` at a time (the machine may have two cores). */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const errors: unknown[] = []
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]
      try {
        await fn(item)
      } catch (err) {
        errors.push(err)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  if (errors.length > 0) throw errors[0]
}

function allNetns(t: LabTopology): string[] {
  return [t.fabricNetns, ...t.nodes.map((n) => n.netns), ...t.pods.map((p) => p.netns)]
}

/** Namespaces, fabric, node and pod links and routes, for a lab that does not exist yet. */
export async function createNetwork(t: LabTopology): Promise<void> {
  await netnsAdd(allNetns(t))
  await ipBatchIn(t.fabricNetns, fabricScript(t))
  await forEachLimit(t.nodes, 4, (node) => ipBatchIn(node.netns, nodeScript(t, node)))
  await forEachLimit(t.pods, 4, (pod) => ipBatchIn(pod.netns, podScript(pod)))
}

/** Forwarding is switched on inside node namespaces only, after their rulesets are in force. */
export async function enableForwarding(t: LabTopology): Promise<void> {
  await forEachLimit(t.nodes, 4, (node) => setNetnsSysctl(node.netns, 'net.ipv4.ip_forward', '1'))
}

/**
 * Puts `state` into force on every node, one atomic transaction per node. When a node refuses, the
 * nodes already changed go back to `previous` (when given), so the lab never runs a mix of both.
 */
export async function applyAllNodes(dataplane: LabDataplane, t: LabTopology, state: ClusterState, previous?: ClusterState): Promise<void> {
  const done: LabTopology['nodes'][number][] = []
  for (const node of t.nodes) {
    try {
      await dataplane.applyNode(state, node)
    } catch (err) {
      if (previous !== undefined) for (const n of done) await dataplane.applyNode(previous, n).catch(() => {})
      throw err
    }
    done.push(node)
  }
}

/** Adds pods to a running lab: namespaces, veths, routes on every node. */
export async function addPods(t: LabTopology, pods: readonly LabPod[]): Promise<void> {
  if (pods.length === 0) return
  await netnsAdd(pods.map((p) => p.netns))
  await forEachLimit(t.nodes, 4, (node) => ipBatchIn(node.netns, script(podLinesForNode(t, node, pods))))
  await forEachLimit(pods, 4, (pod) => ipBatchIn(pod.netns, podScript(pod)))
}

/** A pod's files in the lab directory (server log, control socket): a removed pod leaves none behind. */
export async function removePodFiles(dir: string, hashes: readonly string[]): Promise<void> {
  for (const h of hashes) {
    if (!/^[0-9a-f]{10}$/.test(h)) continue
    await rm(join(dir, `server-${h}.log`), { force: true })
    await rm(join(dir, `pod-${h}.sock`), { force: true })
  }
}

/**
 * Removes pods from a running lab: their processes, namespaces (and so veths), other nodes'
 * routes, and (given the lab directory `dir`) their files.
 */
export async function removePods(t: LabTopology, pods: readonly LabPod[], servers: Readonly<Record<string, number>>, lab: string, dir?: string): Promise<void> {
  if (pods.length === 0) return
  const pids: number[] = []
  for (const pod of pods) {
    const pid = servers[`${pod.namespace}/${pod.name}`]
    if (pid !== undefined && (await isLabProcess(lab, pid))) pids.push(pid)
    pids.push(...(await netnsPids(pod.netns)))
  }
  await stopProcesses([...new Set(pids)])
  await forEachLimit(t.nodes, 4, (node) => ipBatchIn(node.netns, script(removedPodLinesForNode(node, pods))))
  await deleteNetns(pods.map((p) => p.netns))
  const ips = pods.map((p) => p.ip)
  await forEachLimit(t.nodes, 4, (node) => forgetConntrackIn(node.netns, ips))
  if (dir !== undefined)
    await removePodFiles(
      dir,
      pods.map((p) => p.hash),
    )
}

function serverSpec(pod: LabPod): PodServerSpec {
  return {
    pod: `${pod.namespace}/${pod.name}`,
    ports: pod.containerPorts.filter((c) => c.protocol !== 'SCTP').map((c) => ({ port: c.containerPort, protocol: c.protocol as 'TCP' | 'UDP' })),
  }
}

/** The pod server's control socket (its prober), unless the path is too long for a Unix socket. */
export function controlSocketPath(dir: string, pod: LabPod): string | undefined {
  const path = join(dir, `pod-${pod.hash}.sock`)
  return Buffer.byteLength(path) < 100 ? path : undefined
}

/** Starts each pod's server inside its namespace; resolves with `ns/name` -> PID. */
export async function startServers(lab: string, dir: string, pods: readonly LabPod[]): Promise<Record<string, number>> {
  const pids: Record<string, number> = {}
  await forEachLimit(pods, 4, async (pod) => {
    const spec = Buffer.from(JSON.stringify(serverSpec(pod))).toString('base64')
    const control = controlSocketPath(dir, pod)
    pids[`${pod.namespace}/${pod.name}`] = await startLabProcess({
      lab,
      netns: pod.netns,
      script: 'pod-server-main',
      args: [`--spec=${spec}`, ...(control ? [`--control=${control}`] : [])],
      logFile: join(dir, `server-${pod.hash}.log`),
    })
  })
  return pids
}

export interface TeardownInput {
  readonly lab: string
  /** What the state file knew, if there was one. */
  readonly topology?: LabTopology
  readonly pids?: readonly number[]
}

/**
 * Removes everything of a lab: its processes (by recorded PID, by command line, by namespace),
 * then its namespaces (links, routes and nft tables go with them). Idempotent.
 */
export async function teardown(input: TeardownInput): Promise<{ netns: string[]; processes: number }> {
  const { lab } = input
  const names = new Set([...(input.topology ? allNetns(input.topology) : []), ...(await listLabNetns(lab))])
  const present = new Set(await listLabNetns(lab))
  const pids = new Set<number>()
  for (const pid of input.pids ?? []) if (await isLabProcess(lab, pid)) pids.add(pid)
  for (const pid of await findLabProcesses(lab)) pids.add(pid)
  for (const ns of names) if (present.has(ns)) for (const pid of await netnsPids(ns)) if (pid !== process.pid) pids.add(pid)
  await stopProcesses([...pids])
  const existing = [...names].filter((n) => present.has(n))
  await deleteNetns(existing)
  return { netns: existing.sort(), processes: pids.size }
}
