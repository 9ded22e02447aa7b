/**
 * @module The lab's Service translation (the role kube-proxy plays in a cluster): one nft table per
 * lab node that sends a connection to a Service's ClusterIP and port to one of its backend pods
 * and that pod's targetPort, chosen at random, in the way kube-proxy's nftables mode does. Pure:
 * a list of Services with their resolved backends in, an nft script out; `applyServiceNat` runs it.
 *
 * Where it sits: `nat` chains on the prerouting hook (packets from pods, which enter their node
 * through their veth) and the output hook (the node's own processes) at priority -100 (`dstnat`).
 * Netpol's policy chains hook `forward` and `input` at priority `filter - 10` and later, so they
 * see the translated packet, with the pod's address and its targetPort, as NetworkPolicy is
 * defined. The table is the lab's infrastructure, separate from netpol's policy table, named
 * after the lab (`netpol-<lab>-services`), and lives only in the lab's node namespaces.
 *
 * As kube-proxy does: a connection to a Service port without backends, or to a port the
 * ClusterIP does not serve, is rejected (ICMP port unreachable / TCP reset) before translation;
 * a pod that reaches itself through its own Service (hairpin) is masqueraded to the node, so the
 * reply comes back through the node and is translated back.
 */
import { parseIp } from '../model/cidr.js'
import { isNftTableName } from '../dataplane/nft-names.js'
import { runNft } from '../dataplane/nft.js'

export interface ServiceNatBackend {
  /** The backend pod's address. */
  readonly ip: string
  /** The pod's port the Service port translates to (its targetPort, names resolved for this pod). */
  readonly port: number
}

export interface ServiceNatPort {
  readonly protocol: 'TCP' | 'UDP' | 'SCTP'
  readonly port: number
  readonly backends: readonly ServiceNatBackend[]
}

export interface ServiceNatService {
  /** `ns/name`, for comments only. */
  readonly service: string
  readonly clusterIP: string
  readonly ports: readonly ServiceNatPort[]
}

/** The mark a hairpin connection carries from its endpoint chain to the masquerade in postrouting. */
const MASQUERADE_MARK = '0x00004000'

export function serviceNatTableName(lab: string): string {
  const name = `netpol-${lab}-services`
  if (!isNftTableName(name)) throw new Error(`invalid lab name for an nft table: ${JSON.stringify(lab)}`)
  return name
}

function checkIpv4(ip: string, what: string): string {
  const parsed = parseIp(ip)
  if (parsed === undefined || parsed.family !== 4)
    throw new Error(`refusing to put ${JSON.stringify(ip)} in the Service NAT table: ${what} is not an IPv4 address`)
  return ip
}

function checkPort(port: number, what: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`refusing to put port ${port} in the Service NAT table: ${what} is not a port`)
  return port
}

/** Only printable ASCII without quotes or backslashes goes into an nft comment. */
function comment(text: string): string {
  return `"${text.replace(/[^\x20-\x7e]|["\\]/g, '?').slice(0, 120)}"`
}

/**
 * The script that replaces the lab's Service table in one transaction (`add table`, `delete
 * table`, the table), so a packet sees the old translation or the new one. Deterministic.
 */
export function serviceNatScript(table: string, services: readonly ServiceNatService[]): string {
  if (!isNftTableName(table)) throw new Error(`invalid nft table name ${JSON.stringify(table)}`)
  const clusterIps = new Set<string>()
  const serviceElements: string[] = []
  const noEndpointElements: string[] = []
  const chains: string[] = []
  const seen = new Set<string>()
  services.forEach((svc, i) => {
    clusterIps.add(checkIpv4(svc.clusterIP, `the ClusterIP of ${svc.service}`))
    svc.ports.forEach((p, j) => {
      const proto = p.protocol.toLowerCase()
      const key = `${svc.clusterIP} . ${proto} . ${checkPort(p.port, `port of ${svc.service}`)}`
      // Two Services cannot share a ClusterIP and port (the API server refuses); the first keeps it.
      if (seen.has(key)) return
      seen.add(key)
      if (p.backends.length === 0) {
        noEndpointElements.push(`${key} : goto reject_no_endpoints`)
        return
      }
      const svcChain = `svc_${i}_${j}`
      serviceElements.push(`${key} : goto ${svcChain}`)
      const endpoints = p.backends.map((b, k) => ({
        name: `ep_${i}_${j}_${k}`,
        ip: checkIpv4(b.ip, `a backend of ${svc.service}`),
        port: checkPort(b.port, `targetPort of ${svc.service}`),
      }))
      chains.push(`\tchain ${svcChain} {`, `\t\tcomment ${comment(`${svc.service} ${p.port}/${p.protocol}`)}`)
      if (endpoints.length === 1) chains.push(`\t\tgoto ${endpoints[0].name}`)
      else chains.push(`\t\tnumgen random mod ${endpoints.length} vmap { ${endpoints.map((e, k) => `${k} : goto ${e.name}`).join(', ')} }`)
      chains.push('\t}')
      for (const e of endpoints) {
        chains.push(
          `\tchain ${e.name} {`,
          `\t\tip saddr ${e.ip} meta mark set meta mark | ${MASQUERADE_MARK}`,
          `\t\tmeta l4proto ${proto} dnat to ${e.ip}:${e.port}`,
          '\t}',
        )
      }
    })
  })

  const out = [
    `# The Service translation of a netpol lab node (the lab's kube-proxy): ${services.length} Services. Generated; do not edit.`,
    `add table ip ${table}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    '\tset cluster_ips {',
    '\t\ttype ipv4_addr',
    ...(clusterIps.size > 0 ? [`\t\telements = { ${[...clusterIps].join(', ')} }`] : []),
    '\t}',
    '\tmap service_ips {',
    '\t\ttype ipv4_addr . inet_proto . inet_service : verdict',
    ...(serviceElements.length > 0 ? [`\t\telements = { ${serviceElements.join(', ')} }`] : []),
    '\t}',
    '\tset service_ports {',
    '\t\ttype ipv4_addr . inet_proto . inet_service',
    ...(serviceElements.length > 0 ? [`\t\telements = { ${serviceElements.map((e) => e.slice(0, e.indexOf(' : '))).join(', ')} }`] : []),
    '\t}',
    '\tmap no_endpoint_services {',
    '\t\ttype ipv4_addr . inet_proto . inet_service : verdict',
    ...(noEndpointElements.length > 0 ? [`\t\telements = { ${noEndpointElements.join(', ')} }`] : []),
    '\t}',
    // Before translation (kube-proxy's filter-prerouting-pre-dnat / filter-output-pre-dnat): a
    // Service port without backends, and a port the ClusterIP does not serve, are refused.
    '\tchain filter_prerouting {',
    '\t\ttype filter hook prerouting priority dstnat - 10; policy accept;',
    '\t\tct state new jump service_checks',
    '\t}',
    '\tchain filter_output {',
    '\t\ttype filter hook output priority -110; policy accept;',
    '\t\tct state new jump service_checks',
    '\t}',
    '\tchain service_checks {',
    '\t\tip daddr . meta l4proto . th dport vmap @no_endpoint_services',
    '\t\tip daddr . meta l4proto . th dport @service_ports return',
    '\t\tip daddr @cluster_ips goto reject_invalid_port',
    '\t}',
    '\tchain reject_no_endpoints {',
    `\t\tcomment ${comment('Service port without backends')}`,
    '\t\treject',
    '\t}',
    '\tchain reject_invalid_port {',
    `\t\tcomment ${comment('a port the ClusterIP does not serve')}`,
    '\t\treject',
    '\t}',
    '\tchain nat_prerouting {',
    '\t\ttype nat hook prerouting priority dstnat; policy accept;',
    '\t\tjump services',
    '\t}',
    '\tchain nat_output {',
    '\t\ttype nat hook output priority -100; policy accept;',
    '\t\tjump services',
    '\t}',
    '\tchain nat_postrouting {',
    '\t\ttype nat hook postrouting priority srcnat; policy accept;',
    `\t\tmeta mark & ${MASQUERADE_MARK} == ${MASQUERADE_MARK} masquerade`,
    '\t}',
    '\tchain services {',
    '\t\tip daddr . meta l4proto . th dport vmap @service_ips',
    '\t}',
    ...chains,
    '}',
  ]
  return `${out.join('\n')}\n`
}

/** Replaces the lab's Service table in one lab node namespace (one nft transaction). */
export async function applyServiceNat(netns: string, table: string, services: readonly ServiceNatService[]): Promise<void> {
  const r = await runNft(['-f', '-'], { netns, input: serviceNatScript(table, services) })
  if (r.code !== 0) throw new Error(`nft -f (Service table ${table}) in network namespace ${netns} failed:\n${r.stderr.trim() || `exit code ${r.code}`}`)
}
