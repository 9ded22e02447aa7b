/**
 * @module `lab status` and `lab list`: what is running, read from the state files and checked
 * against the kernel (namespaces present, servers alive).
 */
import type { LabState } from './lab-state.js'
import { EnvironmentError, UsageError } from '../model/errors.js'
import { isLabProcess } from './lab-processes.js'
import { listNetpolNetns } from './netns.js'
import { listLabDirs, readLabState } from './state-store.js'
import { isLabNetns } from './lab-names.js'
import { notReadyReason } from './require-lab.js'
import { formatContainerPort } from '../model/describe.js'
import { qualifiedName, type ClusterState, type Service } from '../model/types.js'
import { serviceBackends } from '../engine/service-backends.js'
import { clusterDnsAddress } from './lab-services.js'

export interface PodStatus {
  readonly pod: string
  readonly ip: string
  readonly node: string
  readonly netns: string
  readonly ports: readonly string[]
  readonly server: 'running' | 'not running' | 'no ports'
}

export interface ServiceStatus {
  /** `ns/name`. */
  readonly service: string
  readonly type: Service['type']
  /** The ClusterIP the lab gave it; `None` for a headless Service, absent for ExternalName. */
  readonly clusterIP?: string
  readonly externalName?: string
  /** `80/TCP -> 8080` (Service port -> targetPort), `dns 53/UDP -> 53`. */
  readonly ports: readonly string[]
  /** Distinct backend pods (or endpoint addresses) over all its ports. */
  readonly backends: number
}

export function serviceStatuses(cluster: ClusterState): ServiceStatus[] {
  return (cluster.services ?? []).map((s) => {
    const backends = new Set<string>()
    for (const p of s.ports) for (const b of serviceBackends(cluster, s, p).backends) backends.add(b.pod ? qualifiedName(b.pod) : (b.ip ?? ''))
    return {
      service: qualifiedName(s),
      type: s.type,
      ...(s.type === 'ExternalName' ? {} : { clusterIP: s.headless ? 'None' : (s.clusterIPs[0] ?? '') }),
      ...(s.externalName !== undefined ? { externalName: s.externalName } : {}),
      ports: s.ports.map((p) => `${p.name ? `${p.name} ` : ''}${p.port}/${p.protocol} -> ${p.targetPort}`),
      backends: backends.size,
    }
  })
}

export interface LabStatus {
  readonly name: string
  readonly phase: LabState['phase']
  /** False unless `phase` is `ready`; `notReady` then says why and what to do. */
  readonly ready: boolean
  readonly notReady?: string
  readonly createdAt: string
  readonly updatedAt: string
  readonly manifests: readonly string[]
  readonly nodes: readonly { name: string; netns: string; address: string; podCidr: string; pods: number; present: boolean }[]
  readonly pods: readonly PodStatus[]
  /** NetworkPolicies. */
  readonly policies: number
  readonly clusterNetworkPolicies: number
  readonly services: readonly ServiceStatus[]
  /** The nameserver in the pods' resolv.conf (kube-system/kube-dns), when the lab runs cluster DNS. */
  readonly clusterDns?: string
  readonly warnings: readonly string[]
  /** A `--control-plane` lab: its API server and whether each of its processes runs. */
  readonly controlPlane?: {
    readonly server: string
    /** `etcd`, `kube-apiserver`, `kubelet`, `agent <node>` -> running. */
    readonly running: Readonly<Record<string, boolean>>
  }
}

async function controlPlaneStatus(state: LabState): Promise<LabStatus['controlPlane']> {
  const cp = state.controlPlane
  if (cp === undefined) return undefined
  const runs = async (pid: number | undefined): Promise<boolean> => pid !== undefined && (await isLabProcess(state.name, pid))
  const running: Record<string, boolean> = { etcd: await runs(cp.etcd), 'kube-apiserver': await runs(cp.apiServer), kubelet: await runs(cp.kubelet) }
  for (const node of state.topology.nodes) running[`agent ${node.name}`] = await runs(cp.agents[node.name])
  return { server: `https://127.0.0.1:${cp.apiServerPort}`, running }
}

export async function labStatus(state: LabState): Promise<LabStatus> {
  const present = new Set(await listNetpolNetns())
  const pods: PodStatus[] = []
  for (const p of state.topology.pods) {
    const pid = state.servers[`${p.namespace}/${p.name}`]
    const served = p.containerPorts.filter((c) => c.protocol !== 'SCTP')
    pods.push({
      pod: qualifiedName(p),
      ip: p.ip,
      node: p.node,
      netns: p.netns,
      ports: p.containerPorts.map(formatContainerPort),
      server: served.length === 0 && pid === undefined ? 'no ports' : pid !== undefined && (await isLabProcess(state.name, pid)) ? 'running' : 'not running',
    })
  }
  const notReady = notReadyReason(state)
  return {
    name: state.name,
    phase: state.phase,
    ready: notReady === undefined,
    ...(notReady !== undefined ? { notReady } : {}),
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    manifests: state.manifests,
    nodes: state.topology.nodes.map((n) => ({
      name: n.name,
      netns: n.netns,
      address: n.underlayIp,
      podCidr: n.podCidr,
      pods: state.topology.pods.filter((p) => p.node === n.name).length,
      present: present.has(n.netns),
    })),
    pods,
    policies: state.cluster.policies.length,
    clusterNetworkPolicies: state.cluster.clusterNetworkPolicies?.length ?? 0,
    services: serviceStatuses(state.cluster),
    ...(clusterDnsAddress(state.cluster) !== undefined ? { clusterDns: clusterDnsAddress(state.cluster) } : {}),
    warnings: state.warnings,
    ...(state.controlPlane !== undefined ? { controlPlane: await controlPlaneStatus(state) } : {}),
  }
}

export interface LabListEntry {
  readonly name: string
  /**
   * `leftover`: namespaces without a state file (a killed `lab up`); `broken`: a state file that
   * cannot be used (`problem` says why). `lab down` removes both.
   */
  readonly phase: LabState['phase'] | 'leftover' | 'broken'
  readonly nodes: number
  readonly pods: number
  readonly netns: number
  readonly problem?: string
}

const LAB_NETNS = /^netpol-([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)-(?:fabric|node-\d+|p-[0-9a-f]{10})$/

export async function labList(root: string): Promise<LabListEntry[]> {
  const netns = await listNetpolNetns()
  const names = new Set(await listLabDirs(root))
  for (const n of netns) {
    const m = LAB_NETNS.exec(n)
    if (m && isLabNetns(m[1], n)) names.add(m[1])
  }
  const out: LabListEntry[] = []
  for (const name of [...names].sort()) {
    const count = netns.filter((n) => isLabNetns(name, n)).length
    let state: LabState | undefined
    let problem: string | undefined
    try {
      state = await readLabState(root, name)
    } catch (err) {
      // One lab's bad state must not hide the others: it is listed as broken, with the reason.
      if (!(err instanceof UsageError || err instanceof EnvironmentError)) throw err
      problem = err.message
    }
    if (state === undefined && count === 0 && problem === undefined) continue
    out.push({
      name,
      phase: state?.phase ?? (problem !== undefined ? 'broken' : 'leftover'),
      nodes: state?.topology.nodes.length ?? 0,
      pods: state?.topology.pods.length ?? 0,
      netns: count,
      ...(problem !== undefined ? { problem } : {}),
    })
  }
  return out
}
