/**
 * @module The denied-connection log: reading the records the ruleset writes when it drops a new connection.
 *
 * Mechanism (why not NFLOG or the kernel log): the pod chains' deny tail adds every dropped new
 * TCP/UDP/SCTP connection to a dynamic nft set of the node's own table
 * (`denied_<in|eg>_v<4|6>`, key `saddr . daddr . l4proto . sport . dport`, per-element counter,
 * timeout 1h by default). That works in any network namespace with no daemon, no netlink listener
 * (Node has no NFLOG socket) and no host setting (`log prefix` to the kernel log only works outside
 * the initial namespace with the host sysctl `nf_log_all_netns`, which we never change). Records
 * survive in the kernel until read, so `lab logs` can be run any time; `applyRuleset` carries them
 * over table replacements. The element's remaining lifetime gives the time the connection was first
 * denied (to the millisecond); its counter gives the attempts (SYN retransmissions count).
 * A rate-limited `log group` (NFLOG) is also emitted for ulogd/`tcpdump -i nflog:N` users.
 *
 * Usage: `await readDenyLog(state, { netns, node })` for one node, or `createDenyLogFollower` for
 * `logs -f`-style polling that returns only new records. Names come from the cluster state given;
 * with ClusterNetworkPolicies, so does the cause (`clusterPolicy`): the kernel records the
 * connection, the engine says which tier and rule drops it (the same answer the ruleset was compiled from).
 */
import { formatIp, parseIp, type IpFamily } from '../model/cidr.js'
import { qualifiedName, type ClusterState, type Pod, type Protocol } from '../model/types.js'
import { denySetName } from './compile-ruleset.js'
import { endpointName, type Side } from '../model/describe.js'
import { extractElements, listDenySets } from './nft.js'
import { policySelectsPod } from '../engine/isolation.js'
import { createEngine, type Engine } from '../engine/engine.js'
import type { DirectionVerdict, Endpoint, TierRuleMatch, TierVerdict } from '../engine/verdict.js'
import { formatClusterRule, sideOf } from '../model/describe.js'
import type { ClusterNetworkPolicyRuleAction, ClusterNetworkPolicyTier } from '../model/cluster-network-policy-types.js'

/** One element of a deny-log set, as nft lists it. */
export interface RawDenyRecord {
  readonly side: Side
  readonly family: IpFamily
  readonly sourceIp: string
  readonly destinationIp: string
  readonly protocol: Protocol
  readonly sourcePort: number
  readonly destinationPort: number
  /** Dropped packets of this connection attempt (incl. retransmissions), kept when applyRuleset carries the record over. */
  readonly packets: number
  /** When the connection was first denied (ms since the epoch). */
  readonly firstSeenMs: number
}

/** A denied connection with its endpoints named from the cluster state. */
export interface DeniedConnection {
  /** ISO 8601 time the connection was first denied. */
  readonly time: string
  readonly node?: string
  /** The side that denied it: `egress` of the source pod or `ingress` of the destination pod. */
  readonly side: Side
  /** `ns/pod` when the address belongs to a pod of the state, else the IP. */
  readonly source: string
  readonly sourceIp: string
  readonly sourcePort: number
  readonly destination: string
  readonly destinationIp: string
  readonly port: number
  readonly protocol: Protocol
  /** `ns/name` of every policy isolating the enforcing pod on that side (none of them allowed the connection). */
  readonly policies: readonly string[]
  readonly packets: number
  /**
   * Only when the state has ClusterNetworkPolicies and one of their tiers decided the side (re-evaluated
   * with the engine from the state given): the tier, the outcome, the rules that decided, and one
   * line, e.g. `denied by admin ClusterNetworkPolicy tenant-isolation rule deny-cross-tenant (priority 10)`.
   */
  readonly clusterPolicy?: DenyCause
}

/** Which ClusterNetworkPolicy rules dropped a connection, and why. */
export interface DenyCause {
  readonly tier: ClusterNetworkPolicyTier
  /** `denied`: a Deny; `undefined`: rules of one priority disagree; `unknown`: a domainNames/nodes peer may match (the data plane drops). */
  readonly outcome: 'denied' | 'undefined' | 'unknown'
  readonly rules: readonly { policy: string; priority: number; ruleIndex: number; ruleName?: string; action: ClusterNetworkPolicyRuleAction }[]
  readonly text: string
}

const PROTOCOLS: Readonly<Record<string, Protocol>> = { tcp: 'TCP', udp: 'UDP', sctp: 'SCTP', '6': 'TCP', '17': 'UDP', '132': 'SCTP' }

/** `1h2m3s456ms`, `3600s`, `1d` -> milliseconds. */
export function parseNftDuration(text: string): number {
  const re = /(\d+)(ms|d|h|m|s)/g
  let total = 0
  let matched = ''
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    matched += m[0]
    const n = Number(m[1])
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : m[2] === 'h' ? n * 3_600_000 : n * 86_400_000
  }
  if (matched !== text) throw new Error(`not an nft duration: ${text}`)
  return total
}

/**
 * Parses `nft list set inet <table> <denied set>` text. `listedAtMs` is when the listing was
 * taken: first-seen = listedAt - (timeout - expires).
 */
export function parseDenySetListing(listing: string, side: Side, family: IpFamily, listedAtMs: number): RawDenyRecord[] {
  const timeoutMatch = /^\s*timeout\s+(\S+)\s*$/m.exec(listing)
  const setTimeout = timeoutMatch ? parseNftDuration(timeoutMatch[1]) : 0
  const out: RawDenyRecord[] = []
  for (const element of extractElements(listing)) {
    const words = element.split(' ')
    // saddr . daddr . proto . sport . dport [counter packets N bytes M] [timeout T] [expires E]
    const key = words.slice(0, 9)
    if (key.length !== 9 || key[1] !== '.' || key[3] !== '.' || key[5] !== '.' || key[7] !== '.') continue
    const src = parseIp(key[0])
    const dst = parseIp(key[2])
    const protocol = PROTOCOLS[key[4]]
    if (!src || !dst || !protocol) continue
    const rest = words.slice(9)
    const field = (name: string): string | undefined => {
      const i = rest.indexOf(name)
      return i >= 0 ? rest[i + 1] : undefined
    }
    const packets = Number(field('packets') ?? 0)
    const timeout = field('timeout') !== undefined ? parseNftDuration(field('timeout')!) : setTimeout
    const expires = field('expires') !== undefined ? parseNftDuration(field('expires')!) : timeout
    out.push({
      side,
      family,
      sourceIp: formatIp(src),
      destinationIp: formatIp(dst),
      protocol,
      sourcePort: Number(key[6]),
      destinationPort: Number(key[8]),
      packets,
      firstSeenMs: listedAtMs - Math.max(0, timeout - expires),
    })
  }
  return out
}

/** The matches of a tier at the priority that decided it (the last one its trace reached), certain ones only. */
function decidingMatches(tier: TierVerdict): TierRuleMatch[] {
  const certain = tier.matches.filter((m) => m.maybe === undefined)
  const last = certain[certain.length - 1]
  return last === undefined ? [] : certain.filter((m) => m.policy.priority === last.policy.priority)
}

/**
 * Why the tiers dropped a side, from the engine's verdict of that side (undefined when NetworkPolicy
 * or nothing decided it, or the side is allowed now: the state changed since the drop).
 */
export function denyCause(v: DirectionVerdict): DenyCause | undefined {
  const t = v.tiers
  if (t === undefined || t.outcome === 'allowed') return undefined
  const side = sideOf(v.direction)
  const rule = (m: TierRuleMatch) => ({
    policy: m.policy.name,
    priority: m.policy.priority,
    ruleIndex: m.ruleIndex,
    ...(m.ruleName === undefined ? {} : { ruleName: m.ruleName }),
    action: m.action,
  })
  const named = (m: TierRuleMatch): string => formatClusterRule({ tier: m.policy.tier, side, ...rule(m) })
  if (t.outcome === 'unknown') {
    const maybes = [...t.admin.matches, ...(t.baseline?.matches ?? [])].filter((m) => m.maybe !== undefined)
    if (maybes.length === 0) return undefined
    const first = maybes[0]!
    return {
      tier: first.policy.tier,
      outcome: 'unknown',
      rules: maybes.map(rule),
      text: `denied: ${named(first)} may match (${first.maybe} peer; netpol cannot resolve it, so it drops)`,
    }
  }
  const tier = t.decidedBy === 'Admin' ? t.admin : t.decidedBy === 'Baseline' ? t.baseline : undefined
  if (tier === undefined) return undefined
  const deciding = decidingMatches(tier)
  if (deciding.length === 0) return undefined
  if (t.outcome === 'undefined') {
    return {
      tier: tier.tier,
      outcome: 'undefined',
      rules: deciding.map(rule),
      text: `denied: ${deciding.map((m) => `${named(m)} ${m.action}`).join(' and ')} conflict (undefined)`,
    }
  }
  const deny = deciding.find((m) => m.action === 'Deny')
  if (deny === undefined) return undefined
  return { tier: tier.tier, outcome: 'denied', rules: [rule(deny)], text: `denied by ${named(deny)}` }
}

/** Names the endpoints and the isolating policies of raw records from the cluster state (pure). */
function resolveDenyRecords(records: readonly RawDenyRecord[], state: ClusterState, node?: string): DeniedConnection[] {
  const byIp = new Map<string, Pod>()
  // Prefer non-hostNetwork pods: a hostNetwork pod shares its node's address.
  const pods = [...state.pods].sort((a, b) => Number(a.hostNetwork) - Number(b.hostNetwork) || qualifiedName(a).localeCompare(qualifiedName(b)))
  for (const pod of pods) {
    for (const text of pod.ips) {
      const ip = parseIp(text)
      if (ip && !byIp.has(formatIp(ip))) byIp.set(formatIp(ip), pod)
    }
  }
  const policies = [...state.policies].sort((a, b) => qualifiedName(a).localeCompare(qualifiedName(b)))
  // The tiers' answer is the engine's (one engine for all records, only when there are tiers).
  let engine: Engine | undefined
  return records
    .map((r) => {
      const source = byIp.get(r.sourceIp)
      const destination = byIp.get(r.destinationIp)
      const enforced = r.side === 'egress' ? source : destination
      const type = r.side === 'egress' ? 'Egress' : 'Ingress'
      const isolating = enforced ? policies.filter((p) => policySelectsPod(p, enforced, type)).map(qualifiedName) : []
      let cause: DenyCause | undefined
      if ((state.clusterNetworkPolicies ?? []).length > 0) {
        engine ??= createEngine(state)
        const from: Endpoint = source ? { kind: 'pod', pod: source } : { kind: 'ip', ip: r.sourceIp }
        const to: Endpoint = destination ? { kind: 'pod', pod: destination } : { kind: 'ip', ip: r.destinationIp }
        const verdict = engine.evaluate({ from, to, port: r.destinationPort, protocol: r.protocol })
        cause = denyCause(r.side === 'egress' ? verdict.egress : verdict.ingress)
      }
      return {
        time: new Date(r.firstSeenMs).toISOString(),
        ...(node === undefined ? {} : { node }),
        side: r.side,
        source: endpointName(source ? { kind: 'pod', pod: source } : { kind: 'ip', ip: r.sourceIp }),
        sourceIp: r.sourceIp,
        sourcePort: r.sourcePort,
        destination: endpointName(destination ? { kind: 'pod', pod: destination } : { kind: 'ip', ip: r.destinationIp }),
        destinationIp: r.destinationIp,
        port: r.destinationPort,
        protocol: r.protocol,
        policies: isolating,
        packets: r.packets,
        ...(cause === undefined ? {} : { clusterPolicy: cause }),
      }
    })
    .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.source.localeCompare(b.source) || a.sourcePort - b.sourcePort))
}

export interface DenyLogTarget {
  readonly netns?: string
  /** @default 'netpol' */
  readonly tableName?: string
}

/** Reads the raw records of one node's table (empty when the table is not there). */
export async function readRawDenyLog(target: DenyLogTarget = {}): Promise<RawDenyRecord[]> {
  const { listings, listedAtMs } = await listDenySets(target)
  const out: RawDenyRecord[] = []
  for (const side of ['ingress', 'egress'] as const) {
    for (const family of [4, 6] as const) {
      const listing = listings.get(denySetName(side, family))
      if (listing !== undefined) out.push(...parseDenySetListing(listing, side, family, listedAtMs))
    }
  }
  return out
}

/** Every denied connection recorded on one node, named from `state`, oldest first. */
export async function readDenyLog(state: ClusterState, target: DenyLogTarget & { node?: string } = {}): Promise<DeniedConnection[]> {
  return resolveDenyRecords(await readRawDenyLog(target), state, target.node)
}

function recordKey(r: RawDenyRecord, node: string | undefined): string {
  return `${node ?? ''}|${r.side}|${r.sourceIp}|${r.sourcePort}|${r.destinationIp}|${r.destinationPort}|${r.protocol}`
}

/**
 * For `logs -f`: each `poll` reads every node's deny sets and returns only records not returned
 * before (a record that expires and reappears is new again).
 */
export function createDenyLogFollower(nodes: readonly (DenyLogTarget & { node?: string })[]): {
  poll(state: ClusterState): Promise<DeniedConnection[]>
} {
  let seen = new Set<string>()
  return {
    async poll(state) {
      const next = new Set<string>()
      const fresh: DeniedConnection[] = []
      for (const target of nodes) {
        const raw = await readRawDenyLog(target)
        const unseen = raw.filter((r) => {
          const key = recordKey(r, target.node)
          next.add(key)
          return !seen.has(key)
        })
        fresh.push(...resolveDenyRecords(unseen, state, target.node))
      }
      seen = next
      return fresh.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0))
    },
  }
}
