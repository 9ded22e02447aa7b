/**
 * @module The ends `netpol list --from/--to` keep: a namespace (`ns`), a pod or workload
 * (`ns/pod`, `ns/name`, `ns/<kind>/name`, as explain names them), a Service (`ns/service/name`:
 * the pods behind it), an IP address or a CIDR. A filter
 * is the set of pods it names plus, for addresses, the part of the address space outside the
 * cluster it covers. Pure.
 */
import { cidrRange, parseCidr, parseIp, type IpRange } from '../model/cidr.js'
import type { ClusterState, Pod } from '../model/types.js'
import { UsageError } from '../model/errors.js'
import { resolveEndpoint, suggestEndpointNames, workloadKindOf } from './explain.js'
import { podGroup } from './group.js'
import { parseServiceRef, resolveService, serviceSourceEndpoints } from './service-endpoint.js'

export interface EndpointFilter {
  /** As given, for messages. */
  readonly text: string
  /** Pods named by the filter (a group matches when it holds one of them). */
  readonly pods: ReadonlySet<Pod>
  /** Addresses outside the cluster the filter covers (an IP or CIDR that is not a pod's). */
  readonly range?: IpRange
}

/** Reads one `--from`/`--to` value; unknown names are a UsageError with the closest known names. */
export function parseEndpointFilter(state: ClusterState, text: string): EndpointFilter {
  const trimmed = text.trim()
  if (trimmed === '') throw new UsageError('empty endpoint: expected ns, ns/pod, ns/<kind>/name, an IP address or a CIDR')
  if (trimmed.includes('/') && /^[0-9a-fA-F:.]+\/\d+$/.test(trimmed) && (trimmed.includes('.') || trimmed.includes(':'))) {
    const parsed = parseCidr(trimmed)
    if (!parsed.ok) throw new UsageError(`${parsed.error} (in "${text}")`)
    const range = cidrRange(parsed.cidr)
    const pods = new Set(state.pods.filter((p) => p.ips.some((ip) => inRange(ip, range))))
    return { text, pods, range }
  }
  const ip = parseIp(trimmed)
  if (ip || /^\d+(\.\d+){3}$/.test(trimmed) || trimmed.includes(':')) {
    // A pod's own address names the pod (explain's rule); any other address is outside the cluster.
    const end = resolveEndpoint(state, trimmed)
    if (end.kind === 'pod') return { text, pods: new Set([end.pod]) }
    const address = parseIp(end.ip)!
    return { text, pods: new Set(), range: { family: address.family, start: address.value, end: address.value } }
  }
  const parts = trimmed.split('/')
  if (parts.length === 1) return namespaceFilter(state, text, trimmed)
  // `ns/service/name`: the pods behind the Service (its backends).
  if (parseServiceRef(trimmed)) {
    const ends = serviceSourceEndpoints(state, resolveService(state, trimmed))
    return { text, pods: new Set(ends.flatMap((e) => (e.kind === 'pod' ? [e.pod] : []))) }
  }
  if (parts.length === 3 && !['pod', 'po', 'pods'].includes(parts[1].toLowerCase())) {
    const [namespace, kindText, name] = parts
    const kind = workloadKindOf(kindText, text)
    const pods = state.pods.filter((p) => {
      const g = podGroup(p, 'workload')
      return p.namespace === namespace && g.kind === kind && g.name === `${namespace}/${name}`
    })
    if (pods.length === 0)
      throw new UsageError(
        `${kind} "${namespace}/${name}" not found or has no pods${suggestEndpointNames(state, `${namespace}/${kindText.toLowerCase()}/${name}`)}`,
      )
    return { text, pods: new Set(pods) }
  }
  if (parts.length === 2) {
    const [namespace, name] = parts
    // Every workload of that name (whatever its kind), when no pod has the name.
    if (!state.pods.some((p) => p.namespace === namespace && p.name === name)) {
      const pods = state.pods.filter(
        (p) => p.namespace === namespace && podGroup(p, 'workload').name === `${namespace}/${name}` && podGroup(p, 'workload').kind !== 'Pod',
      )
      if (pods.length > 0) return { text, pods: new Set(pods) }
    }
  }
  // `ns/pod`, `ns/pod/name`, or an error naming the closest names.
  const end = resolveEndpoint(state, trimmed)
  return { text, pods: new Set(end.kind === 'pod' ? [end.pod] : []) }
}

function namespaceFilter(state: ClusterState, text: string, name: string): EndpointFilter {
  const known = state.namespaces.some((n) => n.name === name) || state.pods.some((p) => p.namespace === name)
  if (!known) {
    const names = [...new Set([...state.namespaces.map((n) => n.name), ...state.pods.map((p) => p.namespace)])].sort()
    const listed = names.length > 0 ? `; namespaces: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''}` : ' (the input has no namespaces)'
    throw new UsageError(`namespace "${name}" not found${listed} (a pod or workload is ns/name)`)
  }
  return { text, pods: new Set(state.pods.filter((p) => p.namespace === name)) }
}

function inRange(ipText: string, range: IpRange): boolean {
  const ip = parseIp(ipText)
  return ip !== undefined && ip.family === range.family && ip.value >= range.start && ip.value <= range.end
}

/** The part of `range` inside `filter`, or undefined when they do not meet. */
export function clipRange(range: IpRange, filter: IpRange): IpRange | undefined {
  if (range.family !== filter.family) return undefined
  const start = range.start > filter.start ? range.start : filter.start
  const end = range.end < filter.end ? range.end : filter.end
  return start <= end ? { family: range.family, start, end } : undefined
}
