/**
 * @module Building, changing and tearing down a lab's namespaces, links, rulesets and servers (IO).
 * The plans come from topology.ts and ip-script.ts; this module only carries them out, in an
 * order that never lets a pod's traffic flow before its node's ruleset is in force.
 */
import { constants } from 'node:fs'
import { open, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { ClusterState } from '../model/types.js'
import type { LabDataplane } from './lab-dataplane.js'
import type { LabPod, LabTopology } from './topology.js'
import { fabricScript, nodeScript, podLinesForNode, podScript, removedPodLinesForNode, script } from './ip-script.js'
import { deleteNetns, forgetConntrackIn, ipBatchIn, listLabNetns, netnsAdd, netnsPids, setNetnsSysctl } from './netns.js'
import { findLabProcesses, isLabKubelet, isLabProcess, startLabProcess, stopProcesses } from './lab-processes.js'
import type { PodServerSpec } from './pod-server.js'
import { applyServiceNat, serviceNatScript, serviceNatTableName } from './service-nat.js'
import { clusterDnsAddress, dnsRecordsFor, dnsServingPorts, serviceNatFor, type DnsPort } from './lab-services.js'
import { listLabEtcNetns, podResolvConf, removePodResolvConfs, writePodResolvConf } from './pod-resolv.js'
import { runNft } from '../dataplane/nft.js'

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
  const table = serviceNatTableName(t.lab)
  for (const node of t.nodes) {
    try {
      await dataplane.applyNode(state, node)
      // The Service translation (the lab's kube-proxy) after the policy: it never opens what the
      // policy closes, since the policy hooks see the translated packet.
      await applyServiceNat(node.netns, table, serviceNatFor(state))
    } catch (err) {
      if (previous !== undefined) {
        for (const n of [...done, node]) {
          await dataplane.applyNode(previous, n).catch(() => {})
          await applyServiceNat(n.netns, table, serviceNatFor(previous)).catch(() => {})
        }
      }
      throw err
    }
    done.push(node)
  }
}

/** Validates the Service table of `state` in one node without changing anything (`nft --check`). */
export async function checkServiceNat(t: LabTopology, state: ClusterState): Promise<void> {
  const node = t.nodes[0]
  const r = await runNft(['--check', '-f', '-'], { netns: node.netns, input: serviceNatScript(serviceNatTableName(t.lab), serviceNatFor(state)) })
  if (r.code !== 0) throw new Error(`nft --check (Service table) in network namespace ${node.netns} failed:\n${r.stderr.trim() || `exit code ${r.code}`}`)
}

/** The DNS records file of a lab (read by its kube-dns pods' servers). */
export function dnsRecordsPath(dir: string): string {
  return join(dir, 'dns-records.json')
}

/**
 * Cluster DNS for `state`: the records file (atomically: a new file, then rename, so the DNS
 * servers never read half of one), and every pod's resolv.conf; without cluster DNS, the pods'
 * /etc/netns directories are removed. Directories of pods the lab no longer has go too.
 */
export async function syncClusterDns(dir: string, t: LabTopology, state: ClusterState): Promise<void> {
  const tmp = join(dir, `.dns-records.json.${process.pid}.tmp`)
  await rm(tmp, { force: true })
  const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644)
  try {
    await handle.writeFile(`${JSON.stringify(dnsRecordsFor(state))}\n`)
  } finally {
    await handle.close()
  }
  await rename(tmp, dnsRecordsPath(dir))
  const nameserver = clusterDnsAddress(state)
  const current = new Set(t.pods.map((p) => p.netns))
  await removePodResolvConfs((await listLabEtcNetns(t.lab)).filter((n) => nameserver === undefined || !current.has(n)))
  if (nameserver !== undefined) await forEachLimit(t.pods, 8, (pod) => writePodResolvConf(pod.netns, podResolvConf(pod.namespace, nameserver)))
}

/** What the pod servers need to serve cluster DNS: the records file and, per `ns/name`, the ports. */
export interface DnsServing {
  readonly records: string
  readonly ports: ReadonlyMap<string, readonly DnsPort[]>
}

export function dnsServing(dir: string, state: ClusterState): DnsServing {
  return { records: dnsRecordsPath(dir), ports: dnsServingPorts(state) }
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
  await removePodResolvConfs(pods.map((p) => p.netns))
  const ips = pods.map((p) => p.ip)
  await forEachLimit(t.nodes, 4, (node) => forgetConntrackIn(node.netns, ips))
  if (dir !== undefined)
    await removePodFiles(
      dir,
      pods.map((p) => p.hash),
    )
}

function serverSpec(pod: LabPod, dns?: DnsServing): PodServerSpec {
  const dnsPorts = dns?.ports.get(`${pod.namespace}/${pod.name}`) ?? []
  const isDns = (port: number, protocol: string): boolean => dnsPorts.some((d) => d.port === port && d.protocol === protocol)
  const ports = pod.containerPorts
    .filter((c) => c.protocol !== 'SCTP' && !isDns(c.containerPort, c.protocol))
    .map((c) => ({ port: c.containerPort, protocol: c.protocol as 'TCP' | 'UDP' }))
  return {
    pod: `${pod.namespace}/${pod.name}`,
    ports: [...ports, ...dnsPorts.map((d) => ({ port: d.port, protocol: d.protocol, dns: true }))],
    ...(dns !== undefined && dnsPorts.length > 0 ? { dnsRecords: dns.records } : {}),
  }
}

/** Pods whose DNS serving ports differ between two states (their servers restart on `lab apply`). */
export function dnsServingChanged(before: ClusterState, after: ClusterState): Set<string> {
  const a = dnsServingPorts(before)
  const b = dnsServingPorts(after)
  const text = (m: Map<string, DnsPort[]>, k: string): string =>
    JSON.stringify([...(m.get(k) ?? [])].sort((x, y) => x.port - y.port || x.protocol.localeCompare(y.protocol)))
  return new Set([...a.keys(), ...b.keys()].filter((k) => text(a, k) !== text(b, k)))
}

/** The pod server's control socket (its prober), unless the path is too long for a Unix socket. */
export function controlSocketPath(dir: string, pod: LabPod): string | undefined {
  const path = join(dir, `pod-${pod.hash}.sock`)
  return Buffer.byteLength(path) < 100 ? path : undefined
}

/** Starts each pod's server inside its namespace (the kube-dns pods' with DNS); resolves with `ns/name` -> PID. */
export async function startServers(lab: string, dir: string, pods: readonly LabPod[], dns?: DnsServing): Promise<Record<string, number>> {
  const pids: Record<string, number> = {}
  await forEachLimit(pods, 4, async (pod) => {
    const spec = Buffer.from(JSON.stringify(serverSpec(pod, dns))).toString('base64')
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
  // The lab's kubelet first: it would otherwise make pods while they are being removed.
  const kubelets = new Set<number>()
  for (const pid of [...(input.pids ?? []), ...(await findLabProcesses(lab))]) if (await isLabKubelet(lab, pid)) kubelets.add(pid)
  await stopProcesses([...kubelets])
  const names = new Set([...(input.topology ? allNetns(input.topology) : []), ...(await listLabNetns(lab))])
  const present = new Set(await listLabNetns(lab))
  const pids = new Set<number>()
  for (const pid of input.pids ?? []) if (await isLabProcess(lab, pid)) pids.add(pid)
  for (const pid of await findLabProcesses(lab)) pids.add(pid)
  for (const ns of names) if (present.has(ns)) for (const pid of await netnsPids(ns)) if (pid !== process.pid) pids.add(pid)
  await stopProcesses([...pids])
  const existing = [...names].filter((n) => present.has(n))
  await deleteNetns(existing)
  // The pods' resolv.conf directories, by the lab's names only (also those a killed command left).
  await removePodResolvConfs([...new Set([...(input.topology?.pods.map((p) => p.netns) ?? []), ...(await listLabEtcNetns(lab))])])
  return { netns: existing.sort(), processes: pids.size + kubelets.size }
}
