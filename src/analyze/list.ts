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
import { connectivityWalk, type ConnectivityGroup } from './connectivity.js'
import type { ClassSet } from './group-reachability.js'
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
  const connectivity = connectivityWalk(state, evaluator, options.groupBy)
  const { groups, classes } = connectivity
  const portFilters = options.ports ?? []
  const byName = portFilters.some((f) => f.kind === 'name')
  // Ends and port sets are shared between rows (a cluster has few distinct ones): each is built
  // once. Groups are in label order (ranks 0..G-1), then address ranges in address order (IPv4 first).
  const G = groups.length
  const groupEnd = groups.map(endOfGroup)
  const rangeEnds: { end: ListEnd; range: IpRange }[] = []
  const rangeIds = new Map<string, number>()
  const rangeId = (r: IpRange): number => {
    const key = `${r.family}/${r.start}/${r.end}`
    let id = rangeIds.get(key)
    if (id === undefined) {
      rangeIds.set(key, (id = rangeEnds.length))
      rangeEnds.push({ end: endOfRange(r), range: r })
    }
    return id
  }
  // An unclipped external end is a run of the walk's ranges: its id is found by the run's bounds.
  const R = connectivity.ranges.length
  const runIds = new Map<number, number>()
  const runId = (r: IpRange, first: number, last: number): number => {
    const k = first * R + last
    let id = runIds.get(k)
    if (id === undefined) runIds.set(k, (id = rangeId(r)))
    return id
  }
  const classesOf = new Map<ClassSet, PortClass[]>()
  const portClassesOf = (set: ClassSet): PortClass[] => {
    let list = classesOf.get(set)
    if (list === undefined) classesOf.set(set, (list = [...set].sort((a, b) => a - b).map((i) => classes[i])))
    return list
  }
  type PortSet = { ports: string; portRanges: PortRange[]; allPorts: boolean }
  const portSets = new Map<string | readonly PortClass[], PortSet | null>()
  const portSet = (set: ClassSet, destination: number | undefined): PortSet | null => {
    const list = portClassesOf(set)
    const key = byName ? `${destination === undefined ? '' : groups[destination].label}\u0000${list.map((c) => `${c.protocol}${c.start}`).join(',')}` : list
    let out = portSets.get(key)
    if (out === undefined) {
      let portRanges = mergeClasses(list)
      let all = set.size === classes.length
      if (portFilters.length > 0) {
        portRanges = intersect(portRanges, filterRanges(portFilters, destination === undefined ? [] : groups[destination].pods))
        all = all && isEveryPort(portRanges)
      }
      out = portRanges.length === 0 ? null : { ports: formatPortSet(portRanges), portRanges, allPorts: all }
      portSets.set(key, out)
    }
    return out
  }
  const fromOk = groups.map((g) => matchesGroup(options.from, g))
  const toOk = groups.map((g) => matchesGroup(options.to, g))
  const clipFrom = options.from !== undefined && options.from.length > 0
  const clipTo = options.to !== undefined && options.to.length > 0
  // Rows as (from, to, port set) until the order is known: an end is a group's rank, or -1 - the
  // id of a range (ranked once every range is known).
  const rowFrom: number[] = []
  const rowTo: number[] = []
  const rowSet: PortSet[] = []
  connectivity.walk({
    pair: (i1, i2, s) => {
      if (!fromOk[i1] || !toOk[i2]) return
      const set = portSet(s, i2)
      if (!set) return
      rowFrom.push(i1)
      rowTo.push(i2)
      rowSet.push(set)
    },
    external: (side, gi, range, first, last, s) => {
      if (side === 'from') {
        if (!toOk[gi]) return
        const set = portSet(s, gi)
        if (!set) return
        const parts = clipFrom ? clipToFilters(options.from, range).map(rangeId) : [runId(range, first, last)]
        for (const id of parts) {
          rowFrom.push(-1 - id)
          rowTo.push(gi)
          rowSet.push(set)
        }
      } else {
        if (!fromOk[gi]) return
        const set = portSet(s, undefined)
        if (!set) return
        const parts = clipTo ? clipToFilters(options.to, range).map(rangeId) : [runId(range, first, last)]
        for (const id of parts) {
          rowFrom.push(gi)
          rowTo.push(-1 - id)
          rowSet.push(set)
        }
      }
    },
  })
  const rangeRank = new Int32Array(rangeEnds.length)
  rangeEnds
    .map((e, id) => ({ range: e.range, id }))
    .sort((a, b) => a.range.family - b.range.family || compareBig(a.range.start, b.range.start) || compareBig(a.range.end, b.range.end))
    .forEach(({ id }, i) => (rangeRank[id] = G + i))
  const n = rowSet.length
  const rank = (x: number): number => (x >= 0 ? x : rangeRank[-1 - x]!)
  for (let k = 0; k < n; k++) {
    rowFrom[k] = rank(rowFrom[k]!)
    rowTo[k] = rank(rowTo[k]!)
  }
  // Sorted by (source rank, destination rank, position): one number each, so a typed-array sort
  // (no comparator calls) orders hundreds of thousands of rows. Stays exact below 2^53.
  const order = orderByRank(rowFrom, rowTo, G + rangeEnds.length)
  const endOfRank = (x: number): ListEnd => (x < G ? groupEnd[x]! : rangeEnds[rangeOrder[x - G]!]!.end)
  const rangeOrder = new Int32Array(rangeEnds.length)
  rangeRank.forEach((r, id) => (rangeOrder[r - G] = id))
  const connections: ListConnection[] = new Array<ListConnection>(n)
  for (let k = 0; k < n; k++) {
    const i = order[k]!
    const set = rowSet[i]!
    connections[k] = { from: endOfRank(rowFrom[i]!), to: endOfRank(rowTo[i]!), ports: set.ports, portRanges: set.portRanges, allPorts: set.allPorts }
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
