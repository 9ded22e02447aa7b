/**
 * @module `netpol list`: every allowed connection between groups of pods (workloads, pods or
 * namespaces) and address ranges outside the cluster, each with its exact set of ports, optionally
 * narrowed to some sources, destinations and ports. Built on connectivity.ts (the report's edges:
 * port classes and address ranges cut at every boundary a policy draws), so `list`, `diff` and
 * `report` agree by construction. Pure: a state and its evaluator in, the rows out (the JSON of
 * `netpol list -o json`).
 */
import { PROTOCOLS, type ClusterState, type Pod, type Protocol } from '../model/types.js'
import { formatIp, rangeToCidrs, type IpRange } from '../model/cidr.js'
import type { Evaluator } from '../engine/verdict.js'
import { UsageError } from '../model/errors.js'
import { portNameErrors } from '../model/name-validation.js'
import { computeConnectivity, type ConnectivityGroup } from './connectivity.js'
import { clipRange, type EndpointFilter } from './endpoint-filter.js'
import { rangeLabel } from './external-ranges.js'
import type { GroupBy } from './group.js'
import { formatPortSet, type PortClass } from './port-classes.js'

/** A group of pods at one end of a listed connection. */
export interface GroupListEnd {
  /** `Deployment`, `StatefulSet`, ..., `Pod`, or `Namespace`. */
  readonly kind: string
  /** The namespace; for a Namespace end, its name. */
  readonly namespace: string
  /** The workload's or pod's name (without namespace); for a Namespace end, the namespace. */
  readonly name: string
  /** `ns/name[Kind]`, or the namespace. */
  readonly label: string
}

/** Addresses outside the cluster at one end of a listed connection. */
export interface ExternalListEnd {
  readonly kind: 'External'
  /** First and last address, inclusive. */
  readonly first: string
  readonly last: string
  /** The fewest CIDRs that cover exactly the range. */
  readonly cidrs: readonly string[]
  /** One CIDR when the range is one, else `first-last`. */
  readonly label: string
}

export type ListEnd = GroupListEnd | ExternalListEnd

export function isExternalEnd(e: ListEnd): e is ExternalListEnd {
  return e.kind === 'External' && 'cidrs' in e
}

/** An inclusive range of ports of one protocol. */
export interface PortRange {
  readonly protocol: Protocol
  readonly start: number
  readonly end: number
}

export interface ListConnection {
  readonly from: ListEnd
  readonly to: ListEnd
  /** `TCP 80,443,8000-8080; UDP 53`, `all TCP`, `all ports`. */
  readonly ports: string
  /** The same set, merged: by protocol (TCP, UDP, SCTP), then port. */
  readonly portRanges: readonly PortRange[]
  /** Every port of every protocol. */
  readonly allPorts: boolean
}

export interface ListResult {
  readonly groupBy: GroupBy
  /** Ordered by source, then destination: groups by label, then address ranges in address order (IPv4 first). */
  readonly connections: readonly ListConnection[]
}

/** A `--port` value: a range of one protocol, or a container port name of the destination. */
export type PortFilter =
  | { readonly kind: 'range'; readonly protocol: Protocol; readonly start: number; readonly end: number }
  | { readonly kind: 'name'; readonly name: string; readonly protocol?: Protocol }

export interface ListOptions {
  readonly groupBy: GroupBy
  /** Keep connections whose source is in one of these (any when absent or empty). */
  readonly from?: readonly EndpointFilter[]
  readonly to?: readonly EndpointFilter[]
  /** Keep these ports only (every port when absent or empty). */
  readonly ports?: readonly PortFilter[]
}

const PORT_FILTER = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/([A-Za-z]+))?$/

/** `80`, `80/TCP`, `8000-8080/TCP`, `53/udp` (TCP by default), or a port name: `http`, `dns/UDP`. */
export function parsePortFilter(text: string): PortFilter {
  const t = text.trim()
  const protocolOf = (p: string | undefined): Protocol => {
    const up = (p ?? 'TCP').toUpperCase()
    if (!(PROTOCOLS as readonly string[]).includes(up)) throw new UsageError(`invalid port "${text}": the protocol must be one of ${PROTOCOLS.join(', ')}`)
    return up as Protocol
  }
  const m = PORT_FILTER.exec(t)
  if (m) {
    const start = Number(m[1])
    const end = m[2] === undefined ? start : Number(m[2])
    if (start < 1 || end > 65535 || start > 65535) throw new UsageError(`invalid port "${text}": ports are between 1 and 65535`)
    if (end < start) throw new UsageError(`invalid port range "${text}": the end is below the start`)
    return { kind: 'range', protocol: protocolOf(m[3]), start, end }
  }
  const slash = t.indexOf('/')
  const name = slash < 0 ? t : t.slice(0, slash)
  if (/^\d/.test(name) || portNameErrors(name).length > 0) {
    throw new UsageError(`invalid port "${text}": expected PORT, PORT-END or a port name, with an optional /PROTOCOL, e.g. 80, 8000-8080/TCP, 53/UDP, http`)
  }
  return slash < 0 ? { kind: 'name', name } : { kind: 'name', name, protocol: protocolOf(t.slice(slash + 1)) }
}

function endOfGroup(g: ConnectivityGroup): ListEnd {
  if (g.kind === 'Namespace') return { kind: 'Namespace', namespace: g.namespace, name: g.namespace, label: g.label }
  return { kind: g.kind, namespace: g.namespace, name: g.name.slice(g.namespace.length + 1), label: g.label }
}

function endOfRange(r: IpRange): ListEnd {
  const first = formatIp({ family: r.family, value: r.start })
  const last = formatIp({ family: r.family, value: r.end })
  return { kind: 'External', first, last, cidrs: rangeToCidrs(r), label: rangeLabel(r) }
}

/** Merged ranges of a class set, by protocol then port. */
function mergeClasses(classes: readonly PortClass[]): PortRange[] {
  const out: PortRange[] = []
  for (const protocol of PROTOCOLS) {
    for (const c of classes.filter((x) => x.protocol === protocol).sort((a, b) => a.start - b.start)) {
      const last = out[out.length - 1]
      if (last && last.protocol === protocol && last.end + 1 >= c.start) out[out.length - 1] = { protocol, start: last.start, end: Math.max(last.end, c.end) }
      else out.push({ protocol, start: c.start, end: c.end })
    }
  }
  return out
}

/** The port ranges a filter keeps for a destination (named ports resolve in the destination's pods). */
function filterRanges(filters: readonly PortFilter[], destinationPods: readonly Pod[]): PortRange[] {
  const out: PortRange[] = []
  for (const f of filters) {
    if (f.kind === 'range') {
      out.push({ protocol: f.protocol, start: f.start, end: f.end })
      continue
    }
    for (const pod of destinationPods) {
      for (const c of pod.containerPorts) {
        if (c.name === f.name && (f.protocol === undefined || c.protocol === f.protocol))
          out.push({ protocol: c.protocol, start: c.containerPort, end: c.containerPort })
      }
    }
  }
  return out
}

function intersect(a: readonly PortRange[], b: readonly PortRange[]): PortRange[] {
  const out: PortRange[] = []
  for (const x of a) {
    for (const y of b) {
      if (x.protocol !== y.protocol) continue
      const start = Math.max(x.start, y.start)
      const end = Math.min(x.end, y.end)
      if (start <= end) out.push({ protocol: x.protocol, start, end })
    }
  }
  return mergeClasses(out)
}

function matchesGroup(filters: readonly EndpointFilter[] | undefined, g: ConnectivityGroup): boolean {
  if (!filters || filters.length === 0) return true
  return filters.some((f) => f.pods.size > 0 && g.pods.some((p) => f.pods.has(p)))
}

/** The parts of an external range the filters keep (the whole range with no filter), in address order. */
function clipToFilters(filters: readonly EndpointFilter[] | undefined, r: IpRange): IpRange[] {
  if (!filters || filters.length === 0) return [r]
  const parts = filters
    .flatMap((f) => (f.range ? [clipRange(r, f.range)] : []))
    .filter((x): x is IpRange => x !== undefined)
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
  const merged: IpRange[] = []
  for (const p of parts) {
    const last = merged[merged.length - 1]
    if (last && p.start <= last.end + 1n) merged[merged.length - 1] = { ...last, end: p.end > last.end ? p.end : last.end }
    else merged.push(p)
  }
  return merged
}

/** Every allowed connection, grouped, filtered and ordered as the options say. */
export function listConnections(state: ClusterState, evaluator: Evaluator, options: ListOptions): ListResult {
  const connectivity = computeConnectivity(state, evaluator, options.groupBy)
  const portFilters = options.ports ?? []
  const byName = portFilters.some((f) => f.kind === 'name')
  // Ends and port sets are shared between rows (a cluster has few distinct ones): each is built once.
  const groupRank = new Map<string, number>()
  const groupEnd = new Map<string, ListEnd>()
  const groups = new Map<string, ConnectivityGroup>()
  connectivity.groups.forEach((g) => groups.set(g.label, g))
  // Groups in label order, then address ranges in address order (IPv4 first).
  const sortedGroups = [...connectivity.groups].sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
  sortedGroups.forEach((g, i) => {
    groupRank.set(g.label, i)
    groupEnd.set(g.label, endOfGroup(g))
  })
  const rangeEnds = new Map<string, { end: ListEnd; range: IpRange }>()
  const rangeEnd = (r: IpRange): string => {
    const key = `${r.family}/${r.start}/${r.end}`
    if (!rangeEnds.has(key)) rangeEnds.set(key, { end: endOfRange(r), range: r })
    return key
  }
  const portSets = new Map<string | readonly PortClass[], { ports: string; portRanges: PortRange[]; allPorts: boolean } | null>()
  const portSet = (classes: readonly PortClass[], allPorts: boolean, destination: string | undefined) => {
    const key = byName ? `${destination ?? ''}\u0000${classes.map((c) => `${c.protocol}${c.start}`).join(',')}` : classes
    let set = portSets.get(key)
    if (set === undefined) {
      let portRanges = mergeClasses(classes)
      let all = allPorts
      if (portFilters.length > 0) {
        portRanges = intersect(portRanges, filterRanges(portFilters, destination === undefined ? [] : groups.get(destination)!.pods))
        all = all && isEveryPort(portRanges)
      }
      set = portRanges.length === 0 ? null : { ports: formatPortSet(portRanges), portRanges, allPorts: all }
      portSets.set(key, set)
    }
    return set
  }
  // Rows as (from, to, port set) until the order is known; ends are a group label or a range key.
  const rows: { from: string; fromRange: boolean; to: string; toRange: boolean; set: NonNullable<ReturnType<typeof portSet>> }[] = []
  for (const e of connectivity.edges) {
    if (e.external === 'from') {
      const to = groups.get(e.to)!
      if (!matchesGroup(options.to, to)) continue
      const set = portSet(e.classes, e.allPorts, e.to)
      if (!set) continue
      for (const r of clipToFilters(options.from, e.range!)) rows.push({ from: rangeEnd(r), fromRange: true, to: e.to, toRange: false, set })
    } else if (e.external === 'to') {
      const from = groups.get(e.from)!
      if (!matchesGroup(options.from, from)) continue
      const set = portSet(e.classes, e.allPorts, undefined)
      if (!set) continue
      for (const r of clipToFilters(options.to, e.range!)) rows.push({ from: e.from, fromRange: false, to: rangeEnd(r), toRange: true, set })
    } else {
      if (!matchesGroup(options.from, groups.get(e.from)!) || !matchesGroup(options.to, groups.get(e.to)!)) continue
      const set = portSet(e.classes, e.allPorts, e.to)
      if (set) rows.push({ from: e.from, fromRange: false, to: e.to, toRange: false, set })
    }
  }
  const rangeRank = new Map<string, number>()
  const sortedRanges = [...rangeEnds.entries()].sort(
    ([, a], [, b]) => a.range.family - b.range.family || compareBig(a.range.start, b.range.start) || compareBig(a.range.end, b.range.end),
  )
  sortedRanges.forEach(([key], i) => rangeRank.set(key, groupRank.size + i))
  const rank = (name: string, isRange: boolean): number => (isRange ? rangeRank.get(name)! : groupRank.get(name)!)
  // Sorted by (source rank, destination rank, position): one number each, so a typed-array sort
  // (no comparator calls) orders hundreds of thousands of rows. Stays exact below 2^53.
  const n = rows.length
  const order = orderByRank(
    rows.map((r) => rank(r.from, r.fromRange)),
    rows.map((r) => rank(r.to, r.toRange)),
    groupRank.size + rangeRank.size,
  )
  const end = (name: string, isRange: boolean): ListEnd => (isRange ? rangeEnds.get(name)!.end : groupEnd.get(name)!)
  const connections: ListConnection[] = new Array<ListConnection>(n)
  for (let k = 0; k < n; k++) {
    const r = rows[order[k]!]!
    connections[k] = { from: end(r.from, r.fromRange), to: end(r.to, r.toRange), ports: r.set.ports, portRanges: r.set.portRanges, allPorts: r.set.allPorts }
  }
  return { groupBy: options.groupBy, connections }
}

/**
 * Positions of rows sorted by (source rank, destination rank, position), ranks below `ends`. As one
 * number per row and a typed-array sort (no comparator calls: hundreds of thousands of rows at
 * 10,000 pods) while the numbers stay exact below `limit`; else by a comparator.
 */
export function orderByRank(from: readonly number[], to: readonly number[], ends: number, limit = Number.MAX_SAFE_INTEGER): ArrayLike<number> {
  const n = from.length
  if (ends * ends * Math.max(1, n) < limit) {
    const keys = new Float64Array(n)
    for (let i = 0; i < n; i++) keys[i] = (from[i]! * ends + to[i]!) * n + i
    keys.sort()
    for (let k = 0; k < n; k++) keys[k] = keys[k]! % n
    return keys
  }
  return [...from.keys()].sort((x, y) => from[x]! - from[y]! || to[x]! - to[y]! || x - y)
}

function isEveryPort(ranges: readonly PortRange[]): boolean {
  return PROTOCOLS.every((p) => ranges.some((r) => r.protocol === p && r.start === 1 && r.end === 65535))
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0
}
