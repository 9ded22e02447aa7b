/**
 * @module The lab's cluster DNS: which names exist (`<svc>.<ns>.svc.cluster.local` and friends)
 * and the answer to one DNS query, the way the kubernetes plugin of CoreDNS answers it. Pure: the
 * records and a query in, a response out; the wire format is dns-packet's, never written by hand.
 * The server around it (sockets, reloading the records) is dns-server.ts.
 *
 * What is answered:
 * - `<svc>.<ns>.svc.cluster.local` A: the Service's ClusterIP; for a headless Service, the
 *   addresses of its backend pods; for an ExternalName Service, a CNAME to the external name.
 * - a name that exists with another type (AAAA in this IPv4 lab, TXT, ...), and the names above
 *   Services (`<ns>.svc.cluster.local`, `svc.cluster.local`, `cluster.local`): no data (NOERROR,
 *   with the zone's SOA for negative caching); SOA of `cluster.local`: the SOA.
 * - any other name in `cluster.local`: NXDOMAIN (with the SOA). That is what makes the search
 *   path work: `backend.prod` is tried as `backend.prod.<ns>.svc.cluster.local` (NXDOMAIN), then
 *   `backend.prod.svc.cluster.local` (found).
 * - names outside the zone: REFUSED (the lab has no upstream resolver and no Internet).
 * - anything that is not a standard query: NOTIMP; a request that cannot be decoded but has a
 *   query header: FORMERR (as any DNS server does), so the client hears at once.
 */
import dnsPacket from 'dns-packet'
import { parseIp } from '../model/cidr.js'

export const CLUSTER_DOMAIN = 'cluster.local'
/** The ClusterIP of `kube-system/kube-dns`, as kubeadm configures it (the 10th address of 10.96.0.0/12). */
export const CLUSTER_DNS_IP = '10.96.0.10'
/** CoreDNS's default TTL for Service records. */
const TTL = 5
/** Without EDNS a UDP response is at most 512 bytes (RFC 1035); bigger ones are truncated, and the client retries over TCP. */
const UDP_MAX = 512
const UDP_EDNS_MAX = 4096

/** The names of the cluster, read by the DNS server from the lab's directory. */
export interface ClusterDnsRecords {
  /** Lower-case fully qualified name without the trailing dot -> IPv4 addresses (sorted). */
  readonly a: Readonly<Record<string, readonly string[]>>
  /** ExternalName Services: name -> the external name (CNAME target). */
  readonly cname: Readonly<Record<string, string>>
}

/** What cluster DNS needs to know about one Service. */
export interface DnsService {
  readonly namespace: string
  readonly name: string
  /** The Service's own address (not headless, not ExternalName). */
  readonly clusterIP?: string
  /** Headless: the addresses of its backends. */
  readonly backendIps?: readonly string[]
  readonly externalName?: string
}

export function serviceDnsName(namespace: string, name: string): string {
  return `${name}.${namespace}.svc.${CLUSTER_DOMAIN}`
}

/** The records for a set of Services. Deterministic (sorted names and addresses). */
export function clusterDnsRecords(services: readonly DnsService[]): ClusterDnsRecords {
  const a: Record<string, string[]> = {}
  const cname: Record<string, string> = {}
  for (const s of services) {
    const name = serviceDnsName(s.namespace, s.name)
    if (s.externalName !== undefined) cname[name] = s.externalName.toLowerCase().replace(/\.$/, '')
    else {
      const ips = s.clusterIP !== undefined ? [s.clusterIP] : [...(s.backendIps ?? [])]
      a[name] = [...new Set([...(a[name] ?? []), ...ips.filter((ip) => parseIp(ip)?.family === 4)])].sort()
    }
  }
  const sorted = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
  return { a: sorted(a), cname: sorted(cname) }
}

/** A DNS name as the records hold it: lower-case labels of [a-z0-9-_], at most 253 characters. */
export function isDnsName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l))
}

/**
 * `data` (parsed JSON from the lab's records file) as records, or an error naming what is wrong.
 * The file is written by the lab itself, but read back as untrusted input like the lab's state.
 */
export function validateDnsRecords(data: unknown): ClusterDnsRecords {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)
  if (!isObject(data) || !isObject(data.a) || !isObject(data.cname) || Object.keys(data).length !== 2)
    throw new Error('expected an object with "a" and "cname"')
  const a: Record<string, string[]> = {}
  for (const [name, ips] of Object.entries(data.a)) {
    if (!isDnsName(name)) throw new Error(`a: ${JSON.stringify(name.slice(0, 80))} is not a DNS name`)
    if (!Array.isArray(ips) || ips.some((ip) => typeof ip !== 'string' || parseIp(ip)?.family !== 4))
      throw new Error(`a.${name}: expected a list of IPv4 addresses`)
    a[name] = ips as string[]
  }
  const cname: Record<string, string> = {}
  for (const [name, target] of Object.entries(data.cname)) {
    if (!isDnsName(name) || typeof target !== 'string' || !isDnsName(target))
      throw new Error(`cname: ${JSON.stringify(name.slice(0, 80))} is not a name with a DNS name`)
    cname[name] = target
  }
  return { a, cname }
}

const RCODE = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const
const OPCODE_MASK = 0x7800

function soa(): dnsPacket.Answer {
  return {
    type: 'SOA',
    name: CLUSTER_DOMAIN,
    ttl: TTL,
    class: 'IN',
    data: {
      mname: `ns.dns.${CLUSTER_DOMAIN}`,
      rname: `hostmaster.${CLUSTER_DOMAIN}`,
      serial: 1,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: TTL,
    },
  }
}

/**
 * The response to one request (`udp`: truncate above what the client can take over UDP), or
 * undefined when it deserves none (a response, or shorter than a DNS header).
 */
export function answerDnsQuery(request: Buffer, records: ClusterDnsRecords, udp: boolean): Buffer | undefined {
  if (request.length < 12) return undefined
  const id = request.readUInt16BE(0)
  const flags = request.readUInt16BE(2)
  if ((flags & 0x8000) !== 0) return undefined
  const rd = flags & dnsPacket.RECURSION_DESIRED
  let query: dnsPacket.DecodedPacket
  try {
    query = dnsPacket.decode(request)
  } catch {
    return dnsPacket.encode({ type: 'response', id, flags: (flags & OPCODE_MASK) | rd | RCODE.FORMERR, questions: [] })
  }
  const questions = query.questions ?? []
  if ((flags & OPCODE_MASK) !== 0) return dnsPacket.encode({ type: 'response', id, flags: (flags & OPCODE_MASK) | rd | RCODE.NOTIMP, questions })
  if (questions.length !== 1) return dnsPacket.encode({ type: 'response', id, flags: rd | RCODE.FORMERR, questions })
  const q = questions[0]
  // dns-packet's types leave out ANY (255), which it decodes to 'ANY'.
  const qtype: string = q.type
  const name = q.name.toLowerCase().replace(/\.$/, '')
  const inZone = name === CLUSTER_DOMAIN || name.endsWith(`.${CLUSTER_DOMAIN}`)
  if (!inZone || (q.class !== undefined && q.class !== 'IN' && q.class !== 'ANY'))
    return dnsPacket.encode({ type: 'response', id, flags: rd | RCODE.REFUSED, questions })

  const aa = dnsPacket.AUTHORITATIVE_ANSWER
  const answers: dnsPacket.Answer[] = []
  let rcode: number = RCODE.NOERROR
  const target = records.cname[name]
  const ips = records.a[name]
  if (target !== undefined) {
    answers.push({ type: 'CNAME', name: q.name, ttl: TTL, class: 'IN', data: target })
  } else if (ips !== undefined) {
    if (qtype === 'A' || qtype === 'ANY') for (const ip of ips) answers.push({ type: 'A', name: q.name, ttl: TTL, class: 'IN', data: ip })
  } else if (name === CLUSTER_DOMAIN) {
    if (qtype === 'SOA' || qtype === 'ANY') answers.push(soa())
  } else {
    // A name above some record (`prod.svc.cluster.local`) exists without data of its own.
    const suffix = `.${name}`
    const exists = [...Object.keys(records.a), ...Object.keys(records.cname)].some((n) => n.endsWith(suffix))
    if (!exists) rcode = RCODE.NXDOMAIN
  }
  const authorities = answers.length === 0 ? [soa()] : []
  const response: dnsPacket.Packet = { type: 'response', id, flags: aa | rd | rcode, questions, answers, authorities }
  const encoded = dnsPacket.encode(response)
  if (!udp) return encoded
  const opt = (query.additionals ?? []).find((x): x is dnsPacket.OptAnswer => x.type === 'OPT')
  const max = opt !== undefined ? Math.min(Math.max(opt.udpPayloadSize, UDP_MAX), UDP_EDNS_MAX) : UDP_MAX
  if (encoded.length <= max) return encoded
  return dnsPacket.encode({ type: 'response', id, flags: aa | rd | dnsPacket.TRUNCATED_RESPONSE | rcode, questions })
}
