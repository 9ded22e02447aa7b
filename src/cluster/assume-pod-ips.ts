/**
 * @module Addresses for pods whose manifests have none. In a real cluster every pod has an IP, so
 * an ipBlock peer such as 0.0.0.0/0 matches every pod; offline, a pod read from a Deployment has no
 * `status.podIPs` and would match no ipBlock at all. `assumePodIPs` gives each such pod one IPv4
 * address from a pod CIDR (default 10.244.0.0/16, the pod network kubeadm's flannel set-up uses),
 * and the lab gives its pods exactly these addresses, so `matrix` and `lab probe` agree.
 *
 * Stability: the address is chosen by a hash of `namespace/name`, with linear probing (forward,
 * wrapping) past addresses already held, pods taken in sorted order. What we guarantee:
 * - the same state gives the same addresses, whatever the order of its pods;
 * - addresses held by pods that came with IPs (any pod, hostNetwork included) are never handed out;
 * - adding (or removing) one pod P moves only the pods of P's collision chain: every other pod whose
 *   address changes lost its old address to P or to another pod that moved; when P's assumed
 *   address was held by nobody before, no other pod moves at all.
 * Pure: data in, data out.
 */
import { formatIp, parseCidr, parseIp, type Cidr } from '../model/cidr.js'
import type { ClusterState, Pod } from '../model/types.js'
import { UsageError } from '../model/errors.js'

/** The default pod network of kubeadm with flannel; also where the lab's pods live. */
export const DEFAULT_POD_CIDR = '10.244.0.0/16'

export interface AssumePodIPsOptions {
  /** IPv4 CIDR of at least 4 addresses (prefix /30 or shorter). */
  readonly podCidr: string
}

/**
 * Thrown for an unusable pod CIDR or when it has fewer free addresses than pods need. The CIDR
 * always comes from `--pod-cidr`, so the error is a usage error naming that flag, mapped to exit 2
 * by the CLI's one boundary (no caller translates it).
 */
export class PodCidrError extends UsageError {
  constructor(message: string) {
    super(`--pod-cidr: ${message}`)
    this.name = 'PodCidrError'
  }
}

/** Parses and checks a pod CIDR: IPv4 with at least two usable host addresses. */
export function parsePodCidr(text: string): Cidr {
  const parsed = parseCidr(text)
  if (!parsed.ok) throw new PodCidrError(`invalid pod CIDR "${text}": ${parsed.error}`)
  const { cidr } = parsed
  if (cidr.family !== 4) throw new PodCidrError(`invalid pod CIDR "${text}": must be IPv4 (the lab and assumed addresses are IPv4 only)`)
  if (cidr.prefix > 30) throw new PodCidrError(`invalid pod CIDR "${text}": too small; use /30 or a shorter prefix`)
  return cidr
}

/** Every non-hostNetwork pod without an IP gets one from `podCidr`, marked `ipsAssumed`. */
export function assumePodIPs(state: ClusterState, options: AssumePodIPsOptions): ClusterState {
  const cidr = parsePodCidr(options.podCidr)
  const needing = state.pods.filter(needsAddress)
  if (needing.length === 0) return state

  // Usable hosts: the CIDR without its network and broadcast addresses.
  const first = cidr.base + 1n
  const hostCount = (1n << BigInt(32 - cidr.prefix)) - 2n
  const taken = new Set<bigint>()
  for (const pod of state.pods) {
    for (const text of pod.ips) {
      const ip = parseIp(text)
      if (ip?.family === 4) taken.add(ip.value)
    }
  }
  const free = hostCount - BigInt([...taken].filter((v) => v >= first && v < first + hostCount).length)
  if (BigInt(needing.length) > free) {
    throw new PodCidrError(`pod CIDR ${options.podCidr} has ${free} free addresses for ${needing.length} pods without an IP; use a larger --pod-cidr`)
  }

  const assigned = new Map<Pod, string>()
  for (const pod of [...needing].sort(comparePods)) {
    let offset = BigInt(fnv1a32(`${pod.namespace}/${pod.name}`)) % hostCount
    while (taken.has(first + offset)) offset = (offset + 1n) % hostCount
    const value = first + offset
    taken.add(value)
    assigned.set(pod, formatIp({ family: 4, value }))
  }
  return {
    ...state,
    pods: state.pods.map((pod) => {
      const ip = assigned.get(pod)
      return ip === undefined ? pod : { ...pod, ips: [ip], ipsAssumed: true }
    }),
  }
}

function needsAddress(pod: Pod): boolean {
  return !pod.hostNetwork && pod.ips.length === 0
}

function comparePods(a: Pod, b: Pod): number {
  return a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}

/** 32-bit FNV-1a over the UTF-8 bytes: small, fast, and spreads similar names (web-0, web-1) apart. */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash >>> 0
}
