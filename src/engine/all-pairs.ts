/**
 * @module All-pairs reachability for one port, computed on identities and expanded to pods lazily.
 *
 * For port P/proto:
 * 1. every rule's ports become "all destinations", "none", or the identities whose named port
 *    resolves to P (named ports depend on the destination only);
 * 2. egress: per policy, the union over its rules of peers ∩ port destinations; per source
 *    identity, the union over its selecting egress policies (every identity when not isolated);
 * 3. ingress: per destination identity, the union over its selecting ingress policies of the
 *    peers of rules whose ports admit P on that destination;
 * 4. allowed(S, D) = egress(S) ∋ D and ingress(D) ∋ S, via one blocked bit-matrix transpose.
 * Pod pairs inherit their identities' answer, except a pod to itself, which is always allowed.
 * Cost is about identities² / 32 word operations, independent of the number of pods.
 */
import type { Pod, Protocol } from '../model/types.js'
import { and, copySet, count, emptySet, hasBit, orInto, setBit, transpose, type Bitset } from './bitset.js'
import type { CompiledPolicy, CompiledRule, EngineIndex } from './engine-index.js'
import type { Identity } from './identity.js'
import type { TierLists } from './cluster-policy-index.js'
import { tierRows } from './tier-pairs.js'
import type { Outcome } from './verdict.js'

export interface AllPairsResult {
  readonly port: number
  readonly protocol: Protocol
  /** Identities in id order; `identities[i].pods` index `pods`' source, the state's pod list. */
  readonly identities: readonly Identity[]
  /** The state's pods (indexes used by `isAllowedIndex` and `forEachPodPair`). */
  readonly pods: readonly Pod[]
  /**
   * Destinations identity `s` may reach for certain (identity ids; a pod to itself is not included
   * here). With ClusterNetworkPolicies, `undefined` and `unknown` pairs are not in it (fail closed).
   */
  identityRow(s: number): Bitset
  identityAllowed(s: number, d: number): boolean
  /** True when the state has ClusterNetworkPolicies (then outcomes other than allowed/denied can occur). */
  readonly tiered: boolean
  /** Destinations of `s` whose outcome is `undefined` / `unknown` (empty sets without ClusterNetworkPolicies). */
  identityUndefinedRow(s: number): Bitset
  identityUnknownRow(s: number): Bitset
  /** The outcome for state.pods[from] -> state.pods[to] (a pod to itself: allowed). */
  outcomeIndex(from: number, to: number): Outcome
  /** Ordered identity pairs (s, d) that are allowed (counted on first read, like allowedPodPairs). */
  readonly allowedIdentityPairs: number
  /** Ordered pod pairs (including each pod to itself) that are allowed. */
  readonly allowedPodPairs: number
  /** pods.length²: every ordered pod pair, including each pod to itself. */
  readonly totalPodPairs: number
  /** Decision for state.pods[from] -> state.pods[to]; O(1). */
  isAllowedIndex(from: number, to: number): boolean
  /** Every ordered pod pair in state order (sources outer, destinations inner). */
  forEachPodPair(f: (from: Pod, to: Pod, allowed: boolean) => void): void
  pairs(): IterableIterator<{ from: Pod; to: Pod; allowed: boolean }>
}

type PortDest = 'all' | 'none' | Bitset

function rulePortDest(index: EngineIndex, rule: CompiledRule, port: number, protocol: Protocol, cache: Map<CompiledRule, PortDest>): PortDest {
  const cached = cache.get(rule)
  if (cached !== undefined) return cached
  let result: PortDest = 'none'
  if (rule.compiledPorts.length === 0) result = 'all'
  else {
    let named: Bitset | undefined
    for (const cp of rule.compiledPorts) {
      if (cp.protocol !== protocol) continue
      if (cp.kind === 'range') {
        if (port >= cp.lo && port <= cp.hi) {
          result = 'all'
          break
        }
      } else {
        const s = index.namedIndex.get(cp.key)?.get(port)
        if (s !== undefined) {
          if (named === undefined) named = copySet(s)
          else orInto(named, s)
        }
      }
    }
    if (result !== 'all' && named !== undefined) result = named
  }
  cache.set(rule, result)
  return result
}

export function computeAllPairs(
  index: EngineIndex,
  ingressOf: readonly (readonly CompiledPolicy[])[],
  egressOf: readonly (readonly CompiledPolicy[])[],
  port: number,
  protocol: Protocol,
  tiers?: TierLists,
): AllPairsResult {
  const size = index.size
  const identities = index.ids.identities
  const portCache = new Map<CompiledRule, PortDest>()

  // Egress rows.
  const egressSetOf = new Map<CompiledPolicy, Bitset>()
  const egressPolicySet = (p: CompiledPolicy): Bitset => {
    let s = egressSetOf.get(p)
    if (s !== undefined) return s
    s = emptySet(size)
    for (const r of p.egressRules) {
      const dest = rulePortDest(index, r, port, protocol, portCache)
      if (dest === 'none') continue
      if (dest === 'all') orInto(s, r.union)
      else orInto(s, and(r.union, dest))
    }
    egressSetOf.set(p, s)
    return s
  }
  const egressByList = new Map<string, Bitset>()
  const rows: Bitset[] = new Array<Bitset>(size)
  for (let s = 0; s < size; s++) {
    const list = egressOf[s]!
    if (list.length === 0) {
      rows[s] = index.all
      continue
    }
    const key = listKey(list)
    let row = egressByList.get(key)
    if (row === undefined) {
      row = emptySet(size)
      for (const p of list) orInto(row, egressPolicySet(p))
      egressByList.set(key, row)
    }
    rows[s] = row
  }

  // Ingress columns (sources allowed into each destination identity).
  const ingressBase = new Map<CompiledPolicy, { base: Bitset; named: { peers: Bitset; dest: Bitset }[] }>()
  const ingressParts = (p: CompiledPolicy): { base: Bitset; named: { peers: Bitset; dest: Bitset }[] } => {
    let parts = ingressBase.get(p)
    if (parts !== undefined) return parts
    parts = { base: emptySet(size), named: [] }
    for (const r of p.ingressRules) {
      const dest = rulePortDest(index, r, port, protocol, portCache)
      if (dest === 'none') continue
      if (dest === 'all') orInto(parts.base, r.union)
      else parts.named.push({ peers: r.union, dest })
    }
    ingressBase.set(p, parts)
    return parts
  }
  const ingressByKey = new Map<string, Bitset>()
  const cols: Bitset[] = new Array<Bitset>(size)
  for (let d = 0; d < size; d++) {
    const list = ingressOf[d]!
    if (list.length === 0) {
      cols[d] = index.all
      continue
    }
    let key = listKey(list)
    const namedHits: Bitset[] = []
    for (const p of list) {
      const parts = ingressParts(p)
      parts.named.forEach((n, i) => {
        if (hasBit(n.dest, d)) {
          namedHits.push(n.peers)
          key += `|${p.ref.namespace}/${p.ref.name}#${i}`
        }
      })
    }
    let col = ingressByKey.get(key)
    if (col === undefined) {
      col = emptySet(size)
      for (const p of list) orInto(col, ingressParts(p).base)
      for (const n of namedHits) orInto(col, n)
      ingressByKey.set(key, col)
    }
    cols[d] = col
  }

  // allowed(s, d) = rows[s] ∋ d ∧ cols[d] ∋ s: transpose cols so both are indexed by s.
  // Destinations open to every source (not isolated for ingress) are left out of the transpose
  // and added back as one mask.
  const openDestinations = emptySet(size)
  const isolatedCols: (Bitset | undefined)[] = cols.map((c, d) => {
    if (c !== index.all) return c
    setBit(openDestinations, d)
    return undefined
  })
  let allowedRows: Bitset[]
  let undefinedRows: Bitset[] | undefined
  let unknownRows: Bitset[] | undefined
  if (tiers !== undefined) {
    const t = tierRows(index, tiers, port, protocol, rows, cols, (s) => egressOf[s]!.length > 0, (d) => ingressOf[d]!.length > 0)
    allowedRows = t.allowed
    undefinedRows = t.undefinedRows
    unknownRows = t.unknownRows
  } else {
    const colsT = transpose(isolatedCols, size)
    allowedRows = new Array<Bitset>(size)
    for (let s = 0; s < size; s++) {
      const r = colsT[s]!
      const row = rows[s]!
      for (let w = 0; w < r.length; w++) r[w] = (r[w]! | openDestinations[w]!) & row[w]!
      allowedRows[s] = r
    }
  }
  const none = emptySet(size)

  // Counting visits every allowed identity pair, so it only runs when a count is asked for.
  let counts: { identityPairs: number; podPairs: number } | undefined
  const countPairs = (): { identityPairs: number; podPairs: number } => {
    if (counts !== undefined) return counts
    const podCount = new Float64Array(size)
    for (const idn of identities) podCount[idn.id] = idn.pods.length
    let identityPairs = 0
    let podPairs = 0
    for (let s = 0; s < size; s++) {
      const row = allowedRows[s]!
      identityPairs += count(row)
      let reach = 0
      for (let w = 0; w < row.length; w++) {
        let word = row[w]!
        while (word !== 0) {
          const low = word & -word
          reach += podCount[(w << 5) + 31 - Math.clz32(low)]!
          word ^= low
        }
      }
      const n = podCount[s]!
      podPairs += n * reach
      // Each pod to itself is allowed even when its identity may not reach itself.
      if (!hasBit(row, s)) podPairs += n
    }
    counts = { identityPairs, podPairs }
    return counts
  }

  const pods = index.state.pods
  const podIdentity = index.ids.podIdentity
  const isAllowedIndex = (from: number, to: number): boolean => from === to || hasBit(allowedRows[podIdentity[from]!]!, podIdentity[to]!)
  const forEachPodPair = (f: (from: Pod, to: Pod, allowed: boolean) => void): void => {
    for (let i = 0; i < pods.length; i++) {
      const row = allowedRows[podIdentity[i]!]!
      for (let j = 0; j < pods.length; j++) f(pods[i]!, pods[j]!, i === j || hasBit(row, podIdentity[j]!))
    }
  }
  const identityOutcome = (s: number, d: number): Outcome => {
    if (hasBit(allowedRows[s]!, d)) return 'allowed'
    if (undefinedRows !== undefined && hasBit(undefinedRows[s]!, d)) return 'undefined'
    if (unknownRows !== undefined && hasBit(unknownRows[s]!, d)) return 'unknown'
    return 'denied'
  }
  return {
    port,
    protocol,
    identities,
    pods,
    identityRow: (s) => allowedRows[s]!,
    identityAllowed: (s, d) => hasBit(allowedRows[s]!, d),
    tiered: tiers !== undefined,
    identityUndefinedRow: (s) => undefinedRows?.[s] ?? none,
    identityUnknownRow: (s) => unknownRows?.[s] ?? none,
    outcomeIndex: (from, to) => (from === to ? 'allowed' : identityOutcome(podIdentity[from]!, podIdentity[to]!)),
    get allowedIdentityPairs() {
      return countPairs().identityPairs
    },
    get allowedPodPairs() {
      return countPairs().podPairs
    },
    totalPodPairs: pods.length * pods.length,
    isAllowedIndex,
    forEachPodPair,
    *pairs() {
      for (let i = 0; i < pods.length; i++) {
        const row = allowedRows[podIdentity[i]!]!
        for (let j = 0; j < pods.length; j++) yield { from: pods[i]!, to: pods[j]!, allowed: i === j || hasBit(row, podIdentity[j]!) }
      }
    },
  }
}

const listKeys = new WeakMap<readonly CompiledPolicy[], string>()
const policyIds = new WeakMap<CompiledPolicy, number>()
let nextPolicyId = 0

/** A key for a list of policies (lists are shared between identities where possible). */
function listKey(list: readonly CompiledPolicy[]): string {
  let k = listKeys.get(list)
  if (k !== undefined) return k
  k = list
    .map((p) => {
      let id = policyIds.get(p)
      if (id === undefined) policyIds.set(p, (id = nextPolicyId++))
      return id
    })
    .join(',')
  listKeys.set(list, k)
  return k
}
