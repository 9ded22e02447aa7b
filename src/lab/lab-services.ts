/**
 * @module The lab's Services: the ClusterIP each one gets, the cluster DNS the lab adds when the
 * manifests have Services, and what the nodes' Service tables (service-nat.ts), the DNS records
 * (cluster-dns.ts) and the kube-dns pods' servers are made of. Pure: a cluster state in, plans out.
 * Which pods back a Service port, and on which port, is the engine's answer (service-backends.ts),
 * the same one `explain` and `test` use.
 *
 * ClusterIPs: from the lab's service range 10.96.0.0/12 (kubeadm's default). A Service keeps the
 * address its manifest gives (`spec.clusterIP`) when that is an IPv4 address in the range and
 * free; else the address it had in the running lab; else one chosen by a hash of its namespace
 * and name (the next free one on a collision), so the layout is the same on every run. 10.96.0.1
 * (the `kubernetes` Service in a cluster) is never handed out, and 10.96.0.10 only to
 * kube-system/kube-dns.
 *
 * Cluster DNS: when the state has Services, pods resolve them through kube-system/kube-dns. If the
 * manifests do not define that Service, the lab adds it (ClusterIP 10.96.0.10, ports 53/UDP and
 * 53/TCP, selector `k8s-app: kube-dns`), and when no pod of kube-system carries that label, a pod
 * `kube-system/coredns-0` to back it. Its pods run the DNS server on the Service's target ports;
 * they are pods like any other, so NetworkPolicies select, isolate and reach them.
 */
import { createHash } from 'node:crypto'
import { formatIp, parseIp } from '../model/cidr.js'
import { DEFAULT_SERVICE_CIDR, parseServiceCidrs } from '../model/service-cidr.js'
import type { ClusterState, Namespace, Pod, Service, SourceRef } from '../model/types.js'
import { endpointSlicesOf, selectedPods, serviceBackends } from '../engine/service-backends.js'
import { CLUSTER_DNS_IP, clusterDnsRecords, type ClusterDnsRecords, type DnsService } from './cluster-dns.js'
import type { ServiceNatService } from './service-nat.js'

/** The lab's service range: the cluster default the analysis commands assume too (`--service-cidr`). */
export const LAB_SERVICE_CIDR = DEFAULT_SERVICE_CIDR
const RANGE = parseServiceCidrs(LAB_SERVICE_CIDR)[0]
const RANGE_FIRST = Number(RANGE.base) // 10.96.0.0
const RANGE_SIZE = 2 ** (32 - RANGE.prefix)
/** Offsets never chosen by hash: the network address, 10.96.0.1 (`kubernetes`), 10.96.0.10 (kube-dns), the last address. */
const RESERVED_OFFSETS = new Set([0, 1, 10, RANGE_SIZE - 1])
export const KUBE_DNS_NAMESPACE = 'kube-system'
export const KUBE_DNS_SERVICE = 'kube-dns'
export const KUBE_DNS_LABELS = { 'k8s-app': 'kube-dns' }
export const LAB_DNS_POD = 'coredns-0'
const LAB_SOURCE: SourceRef = { file: '(added by the lab: cluster DNS)', line: 0 }

function ipv4Number(ip: string): number | undefined {
  const parsed = parseIp(ip)
  return parsed?.family === 4 ? Number(parsed.value) : undefined
}

function numberIpv4(n: number): string {
  return formatIp({ family: 4, value: BigInt(n) })
}

/** True for an IPv4 address of the lab's service range. */
export function inServiceRange(ip: string): boolean {
  const n = ipv4Number(ip)
  return n !== undefined && n >= RANGE_FIRST && n < RANGE_FIRST + RANGE_SIZE
}

function isKubeDns(s: { namespace: string; name: string }): boolean {
  return s.namespace === KUBE_DNS_NAMESPACE && s.name === KUBE_DNS_SERVICE
}

function hashOffset(namespace: string, name: string): number {
  return createHash('sha256').update(`${namespace}/${name}`).digest().readUInt32BE(0) % RANGE_SIZE
}

/** The state with cluster DNS added when it has Services (see the module comment), and what was added. */
function addClusterDns(input: ClusterState): { state: ClusterState; added: string[] } {
  const services = input.services ?? []
  if (services.length === 0 || services.some(isKubeDns)) return { state: input, added: [] }
  const added: string[] = [`Service ${KUBE_DNS_NAMESPACE}/${KUBE_DNS_SERVICE} (${CLUSTER_DNS_IP})`]
  const dns: Service = {
    namespace: KUBE_DNS_NAMESPACE,
    name: KUBE_DNS_SERVICE,
    labels: { ...KUBE_DNS_LABELS },
    type: 'ClusterIP',
    selector: { ...KUBE_DNS_LABELS },
    clusterIPs: [CLUSTER_DNS_IP],
    headless: false,
    externalIPs: [],
    ports: [
      { name: 'dns', protocol: 'UDP', port: 53, targetPort: 53, source: LAB_SOURCE },
      { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 53, source: LAB_SOURCE },
    ],
    source: LAB_SOURCE,
  }
  let pods = input.pods
  if (!pods.some((p) => p.namespace === KUBE_DNS_NAMESPACE && p.labels['k8s-app'] === KUBE_DNS_LABELS['k8s-app'] && !p.hostNetwork)) {
    const pod: Pod = {
      namespace: KUBE_DNS_NAMESPACE,
      name: LAB_DNS_POD,
      labels: { ...KUBE_DNS_LABELS },
      ips: [],
      containerPorts: [
        { name: 'dns', containerPort: 53, protocol: 'UDP' },
        { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
      ],
      hostNetwork: false,
      source: LAB_SOURCE,
    }
    pods = [...pods, pod]
    added.push(`pod ${KUBE_DNS_NAMESPACE}/${LAB_DNS_POD}`)
  }
  let namespaces = input.namespaces
  if (!namespaces.some((n) => n.name === KUBE_DNS_NAMESPACE)) {
    const ns: Namespace = { name: KUBE_DNS_NAMESPACE, labels: { 'kubernetes.io/metadata.name': KUBE_DNS_NAMESPACE }, implicit: true }
    namespaces = [...namespaces, ns]
  }
  return { state: { ...input, namespaces, pods, services: [...services, dns] }, added }
}

export interface ServicePlan {
  /** The state as the lab runs it: cluster DNS added if needed, every Service that has one with its lab ClusterIP (IPv4). */
  readonly state: ClusterState
  readonly warnings: readonly string[]
}

/**
 * Cluster DNS and ClusterIPs for `input`; `previous` is the running lab's state, whose Services
 * keep their addresses.
 */
export function planServices(input: ClusterState, previous?: ClusterState): ServicePlan {
  const warnings: string[] = []
  const { state, added } = addClusterDns(input)
  if (added.length > 0)
    warnings.push(`cluster DNS: the manifests have Services but no ${KUBE_DNS_NAMESPACE}/${KUBE_DNS_SERVICE}; the lab adds ${added.join(' and ')}`)
  const services = state.services ?? []
  if (services.length === 0) return { state, warnings }
  const key = (s: { namespace: string; name: string }): string => `${s.namespace}/${s.name}`
  const wantsIp = (s: Service): boolean => s.type !== 'ExternalName' && !s.headless
  const taken = new Map<number, string>()
  const chosen = new Map<string, number>()
  const claim = (s: Service, n: number): void => {
    taken.set(n, key(s))
    chosen.set(key(s), n)
  }
  // 1. Addresses the manifests give, when usable.
  for (const s of services.filter(wantsIp)) {
    const written = s.clusterIPs.find((ip) => ipv4Number(ip) !== undefined)
    if (written === undefined) continue
    const n = ipv4Number(written)!
    const problem = !inServiceRange(written)
      ? `is not in the lab's service range ${LAB_SERVICE_CIDR}`
      : taken.has(n)
        ? `is taken by Service ${taken.get(n)}`
        : n === RANGE_FIRST + 10 && !isKubeDns(s)
          ? `is kept for ${KUBE_DNS_NAMESPACE}/${KUBE_DNS_SERVICE}`
          : n === RANGE_FIRST || n === RANGE_FIRST + RANGE_SIZE - 1 || n === RANGE_FIRST + 1
            ? 'is reserved in the service range'
            : undefined
    if (problem === undefined) claim(s, n)
    else warnings.push(`Service ${key(s)}: spec.clusterIP ${written} ${problem}; the lab gives it another address`)
  }
  // 2. kube-dns gets its well-known address; 3. the running lab's addresses; 4. by hash.
  for (const s of services.filter((x) => wantsIp(x) && isKubeDns(x) && !chosen.has(key(x)))) if (!taken.has(RANGE_FIRST + 10)) claim(s, RANGE_FIRST + 10)
  const before = new Map((previous?.services ?? []).map((s) => [key(s), s.clusterIPs.map(ipv4Number).find((n) => n !== undefined)]))
  for (const s of services.filter((x) => wantsIp(x) && !chosen.has(key(x)))) {
    const n = before.get(key(s))
    if (n !== undefined && inServiceRange(numberIpv4(n)) && !taken.has(n) && !RESERVED_OFFSETS.has(n - RANGE_FIRST)) claim(s, n)
  }
  for (const s of services.filter((x) => wantsIp(x) && !chosen.has(key(x)))) {
    let offset = hashOffset(s.namespace, s.name)
    while (RESERVED_OFFSETS.has(offset) || taken.has(RANGE_FIRST + offset)) offset = (offset + 1) % RANGE_SIZE
    claim(s, RANGE_FIRST + offset)
  }
  const withIps = services.map((s) => {
    const n = chosen.get(key(s))
    return { ...s, clusterIPs: n !== undefined ? [numberIpv4(n)] : [] }
  })
  return { state: { ...state, services: withIps }, warnings }
}

/** The IPv4 address of a pod, as the lab runs it. */
function podIpv4(pod: Pod): string | undefined {
  return pod.ips.find((ip) => parseIp(ip)?.family === 4)
}

/** What every node's Service table holds: each Service port with a ClusterIP, and its backends' addresses and ports. */
export function serviceNatFor(state: ClusterState): ServiceNatService[] {
  const out: ServiceNatService[] = []
  for (const s of state.services ?? []) {
    const clusterIP = s.clusterIPs.find((ip) => parseIp(ip)?.family === 4)
    if (clusterIP === undefined || s.type === 'ExternalName' || s.headless) continue
    out.push({
      service: `${s.namespace}/${s.name}`,
      clusterIP,
      ports: s.ports.map((p) => ({
        protocol: p.protocol,
        port: p.port,
        backends: serviceBackends(state, s, p).backends.flatMap((b) => {
          const ip = b.pod !== undefined ? podIpv4(b.pod) : b.ip !== undefined && parseIp(b.ip)?.family === 4 ? b.ip : undefined
          return ip !== undefined ? [{ ip, port: b.port }] : []
        }),
      })),
    })
  }
  return out
}

/** The cluster DNS records of the state's Services. */
export function dnsRecordsFor(state: ClusterState): ClusterDnsRecords {
  const services: DnsService[] = (state.services ?? []).map((s) => {
    if (s.type === 'ExternalName' && s.externalName !== undefined) return { namespace: s.namespace, name: s.name, externalName: s.externalName }
    if (s.headless) {
      const ips = s.selector
        ? selectedPods(state, s).flatMap((p) => podIpv4(p) ?? [])
        : endpointSlicesOf(state, s).flatMap((slice) =>
            slice.addressType === 'IPv4' ? slice.endpoints.filter((e) => e.ready).flatMap((e) => e.addresses) : [],
          )
      return { namespace: s.namespace, name: s.name, backendIps: ips }
    }
    return { namespace: s.namespace, name: s.name, clusterIP: s.clusterIPs.find((ip) => parseIp(ip)?.family === 4) }
  })
  return clusterDnsRecords(services)
}

/** The address pods' resolv.conf names: kube-system/kube-dns's ClusterIP; undefined when the lab has no cluster DNS. */
export function clusterDnsAddress(state: ClusterState): string | undefined {
  const dns = (state.services ?? []).find(isKubeDns)
  return dns?.clusterIPs.find((ip) => parseIp(ip)?.family === 4)
}

export interface DnsPort {
  readonly port: number
  readonly protocol: 'TCP' | 'UDP'
}

/** `ns/name` -> the ports on which that pod serves cluster DNS: kube-dns's target ports on its backends. */
export function dnsServingPorts(state: ClusterState): Map<string, DnsPort[]> {
  const out = new Map<string, DnsPort[]>()
  const dns = (state.services ?? []).find(isKubeDns)
  if (dns === undefined) return out
  for (const p of dns.ports) {
    if (p.protocol === 'SCTP') continue
    for (const b of serviceBackends(state, dns, p).backends) {
      if (b.pod === undefined) continue
      const k = `${b.pod.namespace}/${b.pod.name}`
      const list = out.get(k) ?? []
      if (!list.some((x) => x.port === b.port && x.protocol === p.protocol)) list.push({ port: b.port, protocol: p.protocol as 'TCP' | 'UDP' })
      out.set(k, list)
    }
  }
  return out
}
