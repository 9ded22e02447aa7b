/**
 * @module The match vocabulary of the ruleset compiler (pure): address and port sets shared by
 * content, plain comparisons for one element, named ports resolved per destination pod, address
 * ranges merged and rendered. Used by the NetworkPolicy chains (compile-ruleset.ts) and the
 * ClusterNetworkPolicy tier chains (compile-cluster-tiers.ts) alike, so both write sets the same way.
 */
import { formatIp, parseIp, rangeToCidrs, type IpFamily, type IpRange } from '../model/cidr.js'
import type { NetworkPolicyPort, Pod, Protocol } from '../model/types.js'
import type { Side } from '../model/describe.js'
import { resolveNamedPort } from '../engine/port.js'
import type { NftNameAllocator } from './nft-names.js'

export interface SetDef {
  readonly name: string
  readonly type: string
  readonly interval: boolean
  readonly elements: readonly string[]
}

export const SIDES: readonly Side[] = ['ingress', 'egress']
export const FAMILIES: readonly IpFamily[] = [4, 6]
export const SIDE_PREFIX: Record<Side, string> = { ingress: 'in', egress: 'eg' }
export const PROTO_KEYWORD: Record<Protocol, string> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' }
/** nft's comment limit is 128 bytes; NFLOG prefixes 127 + NUL. */
export const COMMENT_MAX = 120
export const LOG_PREFIX_MAX = 120
export const MAX_PORT = 65535

/** The shared deny tail of a side: records the connection in the deny log, then drops. */
export function denyChainName(side: Side): string {
  return `deny_${SIDE_PREFIX[side]}`
}

/** Where an Admin tier Pass goes: a lookup of the enforced pod's address in the Pass maps. */
export function passChainName(side: Side): string {
  return `pass_${SIDE_PREFIX[side]}`
}

/**
 * Local pod address -> the pod's chain: the lookup that ends its base chains (policy accept), so
 * an address without an entry is accepted there, as is a pod chain that returns.
 */
export function dispatchMapName(side: Side, family: IpFamily): string {
  return `${SIDE_PREFIX[side]}_v${family}`
}

/** Local pod address -> the pod's chain after the Admin tier (NetworkPolicy, then Baseline). */
export function passMapName(side: Side, family: IpFamily): string {
  return `pass_${SIDE_PREFIX[side]}_v${family}`
}

export function ipKeyword(family: IpFamily): string {
  return family === 4 ? 'ip' : 'ip6'
}

export function addrType(family: IpFamily): string {
  return family === 4 ? 'ipv4_addr' : 'ipv6_addr'
}

/** One address, one CIDR when the range is exactly a prefix, else `start-end`. */
export function renderRange(r: IpRange): string {
  if (r.start === r.end) return formatIp({ family: r.family, value: r.start })
  const size = r.end - r.start + 1n
  // A prefix: the size is a power of two and the start is aligned to it.
  if ((size & (size - 1n)) === 0n && (r.start & (size - 1n)) === 0n) return rangeToCidrs(r)[0]
  return `${formatIp({ family: r.family, value: r.start })}-${formatIp({ family: r.family, value: r.end })}`
}

/**
 * A set's content key. Element lists kept across compiles (the incremental compiler's) are the
 * same array objects, so their key is joined once, and, being the same string, hashed once.
 */
const contents = new WeakMap<readonly string[], Map<string, string>>()
function setContent(type: string, interval: boolean, elements: readonly string[]): string {
  const head = `${type}|${interval}`
  let byHead = contents.get(elements)
  if (byHead === undefined) contents.set(elements, (byHead = new Map()))
  let content = byHead.get(head)
  if (content === undefined) byHead.set(head, (content = `${head}|${elements.join(',')}`))
  return content
}

/** What registers a set and gives the name to read it by (`@name`): a SetRegistry, or one that records what it is asked. */
export interface SetAdder {
  add(prefix: string, type: string, interval: boolean, elements: readonly string[], definition?: string): string
}

/**
 * Collects a ruleset's sets. A set given a `definition` (what decides its elements: a rule's pod
 * peers, a policy's named ports) and no intervals is named by that definition, so it keeps its
 * name while pods come and go and an update can add and delete its elements in place
 * (ruleset-delta.ts). Any other set is named by its content, and identical ones (across rules and
 * policies) are emitted once.
 */
export class SetRegistry implements SetAdder {
  /** By exact content (type, flags, elements). */
  private readonly byContent = new Map<string, SetDef>()
  /** By prefix, type and definition; more than one only when broken input gives two definitions one text (two policies with one name). */
  private readonly byDefinition = new Map<string, { readonly content: string; readonly set: SetDef }[]>()
  private readonly all: SetDef[] = []
  constructor(private readonly names: NftNameAllocator) {}
  get sets(): readonly SetDef[] {
    return this.all
  }
  /** `@name` of the set holding `elements`. */
  add(prefix: string, type: string, interval: boolean, elements: readonly string[], definition?: string): string {
    const content = setContent(type, interval, elements)
    if (definition !== undefined && !interval) {
      const key = `${prefix}|${type}|${definition}`
      let list = this.byDefinition.get(key)
      if (list === undefined) this.byDefinition.set(key, (list = []))
      // The same definition with other elements is another object: it gets a name of its own (`_2`), never these elements.
      let hit = list.find((e) => e.content === content)
      if (hit === undefined) {
        hit = { content, set: { name: this.names.allocate(prefix, '', key), type, interval, elements } }
        list.push(hit)
        this.all.push(hit.set)
      }
      return `@${hit.set.name}`
    }
    let set = this.byContent.get(content)
    if (!set) {
      set = { name: this.names.allocate(prefix, '', content), type, interval, elements }
      this.byContent.set(content, set)
      this.all.push(set)
    }
    return `@${set.name}`
  }
}

/**
 * `<expr> <value>` for a one-element match (a plain comparison: no set object, which keeps the
 * kernel's per-table set list short at thousands of policies), else `<expr> @set`.
 */
export function setMatch(
  sets: SetAdder,
  exprs: readonly string[],
  prefix: string,
  type: string,
  interval: boolean,
  elements: readonly string[],
  definition?: string,
): string {
  if (elements.length === 1) {
    const parts = elements[0].split(' . ')
    return exprs
      .map((e, i) => (e === 'th dport' && parts[i] === `0-${MAX_PORT}` ? '' : `${e} ${parts[i]}`))
      .filter((t) => t !== '')
      .join(' ')
  }
  return `${exprs.join(' . ')} ${sets.add(prefix, type, interval, elements, definition)}`
}

/** Numeric port entries of a rule (`port` absent = whole protocol), merged per protocol (values checked by checkPolicy). */
export function numericPortElements(ports: readonly NetworkPolicyPort[]): string[] {
  const byProto = new Map<string, { start: number; end: number }[]>()
  for (const p of ports) {
    if (typeof p.port === 'string') continue
    const proto = PROTO_KEYWORD[p.protocol]
    const { port, endPort } = p
    const start = port ?? 0
    const end = port === undefined ? MAX_PORT : Math.max(endPort ?? port, port)
    const list = byProto.get(proto) ?? []
    list.push({ start, end })
    byProto.set(proto, list)
  }
  const out: string[] = []
  for (const proto of [...byProto.keys()].sort()) {
    const ranges = byProto.get(proto)!.sort((a, b) => a.start - b.start)
    const merged: { start: number; end: number }[] = []
    for (const r of ranges) {
      const last = merged[merged.length - 1]
      if (last && r.start <= last.end + 1) last.end = Math.max(last.end, r.end)
      else merged.push({ ...r })
    }
    for (const r of merged) out.push(`${proto} . ${r.start === r.end ? r.start : `${r.start}-${r.end}`}`)
  }
  return out
}

/** The parsed IPs of a pod, by family (invalid texts are ignored; validation reports them). */
export function podAddresses(pod: Pod): { family: IpFamily; value: bigint }[] {
  const out: { family: IpFamily; value: bigint }[] = []
  for (const text of pod.ips) {
    const ip = parseIp(text)
    if (ip) out.push(ip)
  }
  return out
}

/** One resolved named port: the destination pod address and the number the name means there. */
export interface NamedPortTarget {
  readonly family: IpFamily
  readonly address: bigint
  readonly protocol: Protocol
  readonly port: number
}

/**
 * Named ports resolved (by the engine, on each destination pod) over a set of destination pods:
 * each (name, protocol) once, and each rule's combination of names turned into its elements once
 * (a cluster-wide name like `http` can stand for thousands of pods). Kept across compiles by the
 * incremental compiler, which tells it the names whose pods changed (`forget`).
 */
export class NamedPortResolution {
  private readonly targets = new Map<string, NamedPortTarget[]>()
  private readonly lists = new Map<string, { names: readonly string[]; elements: readonly string[] }>()
  constructor(private pods: readonly Pod[]) {}

  /** The destination pods from now on (the caller forgets the names whose resolution this changes). */
  setPods(pods: readonly Pod[]): void {
    this.pods = pods
  }

  /** Drops what was resolved for these `PROTOCOL/name` keys (a pod declaring one came, went or changed). */
  forget(keys: ReadonlySet<string>): void {
    if (keys.size === 0) return
    for (const k of keys) this.targets.delete(k)
    for (const [k, l] of this.lists) if (l.names.some((n) => keys.has(n))) this.lists.delete(k)
  }

  /** Every (pod IP, number) the name means, over every pod that declares it. */
  private resolve(name: string, protocol: Protocol): NamedPortTarget[] {
    const key = `${protocol}/${name}`
    let hit = this.targets.get(key)
    if (!hit) {
      hit = []
      for (const pod of this.pods) {
        for (const port of resolveNamedPort(pod, name, protocol)) {
          for (const ip of podAddresses(pod)) hit.push({ family: ip.family, address: ip.value, protocol, port })
        }
      }
      this.targets.set(key, hit)
    }
    return hit
  }

  /** `address . proto . port` elements of the named ports of a rule for one family, sorted (the same array while nothing changed). */
  elements(ports: readonly NetworkPolicyPort[], family: IpFamily): readonly string[] {
    const names = [...new Set(ports.filter((p) => typeof p.port === 'string').map((p) => `${p.protocol}/${p.port}`))].sort()
    const key = `${family}|${names.join(',')}`
    const cached = this.lists.get(key)
    if (cached !== undefined) return cached.elements
    const seen = new Map<string, { address: bigint; proto: string; port: number }>()
    for (const p of ports) {
      if (typeof p.port !== 'string') continue
      for (const t of this.resolve(p.port, p.protocol)) {
        // A container port outside 1..65535 (the API server never has one) can match no packet.
        if (t.family !== family || !Number.isInteger(t.port) || t.port < 1 || t.port > MAX_PORT || !Object.hasOwn(PROTO_KEYWORD, t.protocol)) continue
        const proto = PROTO_KEYWORD[t.protocol]
        seen.set(`${t.address}|${proto}|${t.port}`, { address: t.address, proto, port: t.port })
      }
    }
    const elements = [...seen.values()]
      .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.proto < b.proto ? -1 : a.proto > b.proto ? 1 : a.port - b.port))
      .map((e) => `${formatIp({ family, value: e.address })} . ${e.proto} . ${e.port}`)
    this.lists.set(key, { names, elements })
    return elements
  }
}

/**
 * The match texts of named ports over a set of destination pods, for one compiled ruleset (the
 * sets they name belong to that ruleset's registry): each rule's combination of names once.
 */
export class NamedPorts {
  private readonly texts = new Map<string, string>()
  private readonly resolution: NamedPortResolution
  /** `scope`: what decides the destination pods (e.g. a policy's local pods): its sets are then named by it and the port names (see SetRegistry). */
  constructor(
    pods: readonly Pod[] | NamedPortResolution,
    private readonly scope?: string,
  ) {
    this.resolution = pods instanceof NamedPortResolution ? pods : new NamedPortResolution(pods)
  }

  /** `ip daddr . meta l4proto . th dport @set` (or a plain comparison) for the named ports of a rule; '' when none resolves. */
  match(ports: readonly NetworkPolicyPort[], family: IpFamily, sets: SetRegistry): string {
    const names = [...new Set(ports.filter((p) => typeof p.port === 'string').map((p) => `${p.protocol}/${p.port}`))].sort()
    const key = `${family}|${names.join(',')}`
    const cached = this.texts.get(key)
    if (cached !== undefined) return cached
    const elements = this.resolution.elements(ports, family)
    // Named ports resolve against the destination pod, whose address is the packet's daddr on both sides.
    const exprs = [`${ipKeyword(family)} daddr`, 'meta l4proto', 'th dport']
    const definition = this.scope === undefined ? undefined : `${this.scope}|${names.join(',')}`
    const text =
      elements.length === 0 ? '' : setMatch(sets, exprs, `named${family}`, `${addrType(family)} . inet_proto . inet_service`, false, elements, definition)
    this.texts.set(key, text)
    return text
  }
}

/** Sorts and merges overlapping or adjacent ranges of one family. */
export function mergeRanges(ranges: readonly IpRange[]): IpRange[] {
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
  const out: IpRange[] = []
  for (const r of sorted) {
    const last = out[out.length - 1]
    if (last && r.start <= last.end + 1n) {
      if (r.end > last.end) out[out.length - 1] = { family: last.family, start: last.start, end: r.end }
    } else {
      out.push(r)
    }
  }
  return out
}

/** A family-tagged match text ('' matches everything), for one side of a rule's peer x port product. */
export interface FamilyMatch {
  readonly family?: IpFamily
  readonly text: string
}

/** Every peer match joined with every port match of a compatible family: one rule line each. */
export function crossMatches(peers: readonly FamilyMatch[], ports: readonly FamilyMatch[]): string[] {
  const out: string[] = []
  for (const peer of peers) {
    for (const port of ports) {
      if (peer.family !== undefined && port.family !== undefined && peer.family !== port.family) continue
      out.push([peer.text, port.text].filter((t) => t !== '').join(' '))
    }
  }
  return out
}
