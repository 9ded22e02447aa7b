/**
 * @module Lab topology planning: which node each pod runs on, its address, its namespace and
 * links. Pure: a cluster state (and the previous plan, for `lab apply`) in, a plan out.
 *
 * Nodes are network namespaces joined by a bridge in a lab-owned "fabric" namespace; each node
 * routes every remote pod's /32 via that pod's node, and every local pod's /32 via the pod's veth.
 * Pods keep their node and address across `lab apply`, so a label change never moves a pod.
 */
import { compareQualifiedNames, qualifiedName, type ClusterState, type ContainerPort, type Pod } from '../model/types.js'
import { UsageError } from '../model/errors.js'
import { InputError, type Diagnostic } from '../model/diagnostic.js'
import { podAddressProblem } from './pod-address.js'
import { fabricNetnsName, nodeName, nodeNetnsName, podHash, podNetnsName, podVethName } from './lab-names.js'

/** The address every pod's default route points at; each node-side veth carries it (/32). */
export const POD_GATEWAY = '169.254.1.1'
/** Node addresses on the fabric bridge: 172.31.255.<i+1>/24, only inside the lab's namespaces. */
const UNDERLAY_BASE = [172, 31, 255]
export const UNDERLAY_PREFIX = 24
const MIN_NODES = 2
const MAX_NODES = 16

export interface LabNode {
  /** Kubernetes node name, `node-<i>`. */
  readonly name: string
  readonly index: number
  readonly netns: string
  /** The node's address on the fabric. */
  readonly underlayIp: string
  /** Where addresses for pods without one in the manifests come from. */
  readonly podCidr: string
}

export interface LabPod {
  readonly namespace: string
  readonly name: string
  readonly hash: string
  readonly netns: string
  /** The node side of the pod's veth; the pod side is `eth0`. */
  readonly veth: string
  readonly node: string
  readonly ip: string
  readonly containerPorts: readonly ContainerPort[]
}

export interface LabTopology {
  readonly lab: string
  readonly fabricNetns: string
  readonly nodes: readonly LabNode[]
  /** Sorted by namespace, then name. */
  readonly pods: readonly LabPod[]
}

export interface PlanOptions {
  readonly lab: string
  readonly nodeCount: number
  /** The running lab's plan: its pods keep their node and address. */
  readonly previous?: LabTopology
}

export interface LabPlan {
  readonly topology: LabTopology
  /** The input state as the lab runs it: hostNetwork pods dropped, every pod with its lab node and address. */
  readonly state: ClusterState
  readonly warnings: readonly string[]
}

function underlayIp(index: number): string {
  return [...UNDERLAY_BASE, index + 1].join('.')
}

function podCidr(index: number): string {
  return `10.244.${index}.0/24`
}

export function planNodes(lab: string, nodeCount: number): LabNode[] {
  if (!Number.isInteger(nodeCount) || nodeCount < MIN_NODES || nodeCount > MAX_NODES) {
    throw new UsageError(`invalid node count ${nodeCount}: a lab has ${MIN_NODES} to ${MAX_NODES} nodes`)
  }
  return Array.from({ length: nodeCount }, (_, i) => ({
    name: nodeName(i),
    index: i,
    netns: nodeNetnsName(lab, i),
    underlayIp: underlayIp(i),
    podCidr: podCidr(i),
  }))
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

function isIpv4(text: string): boolean {
  const m = IPV4.exec(text)
  return m !== null && m.slice(1).every((o) => Number(o) <= 255 && String(Number(o)) === o)
}

/** Addresses a pod must not take: the gateway and the fabric's subnet (the lab's own, so it picks another). */
export function isLabReserved(ip: string): boolean {
  return ip === POD_GATEWAY || ip.startsWith(`${UNDERLAY_BASE.join('.')}.`)
}

/**
 * Pods whose IPv4 addresses the kernel cannot give a pod (broadcast, multicast, loopback, ...):
 * every one of them, as input errors naming the pod, where it came from and the field.
 */
function checkPodAddresses(pods: readonly Pod[]): void {
  const problems: Diagnostic[] = []
  for (const pod of pods) {
    if (pod.hostNetwork) continue
    for (const ip of pod.ips) {
      if (!isIpv4(ip)) continue
      const problem = podAddressProblem(ip)
      if (problem === undefined) continue
      problems.push({
        severity: 'error',
        file: pod.source.file,
        line: pod.source.line,
        object: `Pod "${qualifiedName(pod)}"`,
        field: pod.ipsAssumed ? '--pod-cidr' : 'status.podIPs',
        message:
          `${ip} ${problem}: the lab cannot give it to a ` +
          `pod${pod.ipsAssumed ? ' (choose another --pod-cidr)' : ' (use a unicast address, or leave it out and the lab picks one)'}`,
      })
    }
  }
  if (problems.length > 0) throw new InputError(problems)
}

export function planTopology(input: ClusterState, options: PlanOptions): LabPlan {
  const { lab, previous } = options
  const nodes = planNodes(lab, options.nodeCount)
  checkPodAddresses(input.pods)
  const warnings: string[] = []
  if (input.nodes !== undefined && input.nodes.length > 0) {
    warnings.push(
      `${input.nodes.length} Node object(s): the lab does not run them (its nodes are node-0, node-1, ...), so \`nodes\` peers of ClusterNetworkPolicies stay unresolved`,
    )
  }
  const pods = [...input.pods].filter((p) => {
    if (!p.hostNetwork) return true
    warnings.push(`pod ${qualifiedName(p)} uses hostNetwork: the lab does not run it (policies cannot select it)`)
    return false
  })
  pods.sort(compareQualifiedNames)

  // A running pod keeps its node and address, unless the manifests now give it another address
  // (then it is a new pod of the same name, like a recreated pod in a cluster).
  const before = new Map(
    (previous?.pods ?? [])
      .filter((old) => {
        const now = pods.find((p) => p.namespace === old.namespace && p.name === old.name)
        const wanted = now?.ips.find(isIpv4)
        return now !== undefined && (wanted === undefined || wanted === old.ip)
      })
      .map((p) => [`${p.namespace}/${p.name}`, p]),
  )
  const nodeIndexByName = new Map(nodes.map((n) => [n.name, n.index]))
  const nodeOf = new Map<string, number>()
  const load = nodes.map(() => 0)
  // Pass 1: pods that keep their node (running before) or name a lab node themselves.
  for (const pod of pods) {
    const key = qualifiedName(pod)
    const old = before.get(key)
    const fixed = old !== undefined ? nodeIndexByName.get(old.node) : pod.nodeName !== undefined ? nodeIndexByName.get(pod.nodeName) : undefined
    if (fixed !== undefined) {
      nodeOf.set(key, fixed)
      load[fixed]++
    }
  }
  // Pass 2: everyone else goes to the least loaded node (lowest index first): round-robin from empty.
  for (const pod of pods) {
    const key = qualifiedName(pod)
    if (nodeOf.has(key)) continue
    let best = 0
    for (let i = 1; i < load.length; i++) if (load[i] < load[best]) best = i
    nodeOf.set(key, best)
    load[best]++
    if (pod.nodeName !== undefined) {
      warnings.push(`pod ${key}: spec.nodeName "${pod.nodeName}" is not a lab node; it runs on ${nodes[best].name}`)
    }
  }

  // Addresses: kept from before, else the manifest's IPv4 address, else allocated from the node's pod CIDR.
  const taken = new Set<string>()
  const ipOf = new Map<string, string>()
  const claim = (key: string, ip: string): void => {
    taken.add(ip)
    ipOf.set(key, ip)
  }
  for (const pod of pods) {
    const old = before.get(qualifiedName(pod))
    if (old !== undefined) claim(qualifiedName(pod), old.ip)
  }
  for (const pod of pods) {
    const key = qualifiedName(pod)
    if (ipOf.has(key)) continue
    const wanted = pod.ips.find(isIpv4)
    if (wanted === undefined) {
      if (pod.ips.length > 0) warnings.push(`pod ${key}: the lab is IPv4 only; ${pod.ips.join(', ')} replaced by an IPv4 address`)
      continue
    }
    if (taken.has(wanted) || isLabReserved(wanted)) {
      warnings.push(`pod ${key}: address ${wanted} is ${taken.has(wanted) ? 'used by another pod' : 'reserved by the lab'}; allocating another`)
      continue
    }
    claim(key, wanted)
  }
  for (const pod of pods) {
    const key = qualifiedName(pod)
    if (ipOf.has(key)) continue
    const node = nodeOf.get(key)!
    let ip: string | undefined
    for (let host = 2; host <= 254 && ip === undefined; host++) {
      const candidate = `10.244.${node}.${host}`
      if (!taken.has(candidate)) ip = candidate
    }
    if (ip === undefined) throw new UsageError(`lab node ${nodes[node].name} has no free address left in ${podCidr(node)} for pod ${key}`)
    claim(key, ip)
  }

  const labPods: LabPod[] = []
  const hashes = new Map<string, string>()
  const statePods: Pod[] = []
  for (const pod of pods) {
    const key = qualifiedName(pod)
    const hash = podHash(pod.namespace, pod.name)
    const clash = hashes.get(hash)
    if (clash !== undefined) throw new UsageError(`pods ${clash} and ${key} hash to the same lab name ${hash}; rename one of them`)
    hashes.set(hash, key)
    const node = nodes[nodeOf.get(key)!]
    const ip = ipOf.get(key)!
    labPods.push({
      namespace: pod.namespace,
      name: pod.name,
      hash,
      netns: podNetnsName(lab, hash),
      veth: podVethName(hash),
      node: node.name,
      ip,
      containerPorts: pod.containerPorts,
    })
    statePods.push({ ...pod, ips: [ip], nodeName: node.name })
  }

  return {
    topology: { lab, fabricNetns: fabricNetnsName(lab), nodes, pods: labPods },
    // ClusterNetworkPolicies are enforced like NetworkPolicies. Node objects are not carried: the
    // lab's nodes are its own (node-0, ...), so `nodes` peers stay unresolved, as offline.
    state: {
      namespaces: input.namespaces,
      pods: statePods,
      policies: input.policies,
      ...(input.clusterNetworkPolicies !== undefined && input.clusterNetworkPolicies.length > 0
        ? { clusterNetworkPolicies: input.clusterNetworkPolicies }
        : {}),
      ...(input.services !== undefined ? { services: input.services } : {}),
      ...(input.endpointSlices !== undefined ? { endpointSlices: input.endpointSlices } : {}),
    },
    warnings,
  }
}

/**
 * What changes between two plans: pods new or gone, pods recreated (same name, new address or
 * node: removed, then added again), and pods whose servers need a restart (ports changed).
 */
export interface TopologyChange {
  readonly added: readonly LabPod[]
  readonly removed: readonly LabPod[]
  readonly portsChanged: readonly LabPod[]
}

export function diffTopology(before: LabTopology, after: LabTopology): TopologyChange {
  const key = (p: LabPod): string => `${p.namespace}/${p.name}`
  const old = new Map(before.pods.map((p) => [key(p), p]))
  const now = new Map(after.pods.map((p) => [key(p), p]))
  const same = (a: LabPod, b: LabPod): boolean => a.ip === b.ip && a.node === b.node
  return {
    added: after.pods.filter((p) => {
      const o = old.get(key(p))
      return o === undefined || !same(o, p)
    }),
    removed: before.pods.filter((p) => {
      const n = now.get(key(p))
      return n === undefined || !same(n, p)
    }),
    portsChanged: after.pods.filter((p) => {
      const o = old.get(key(p))
      return o !== undefined && same(o, p) && JSON.stringify(o.containerPorts) !== JSON.stringify(p.containerPorts)
    }),
  }
}
