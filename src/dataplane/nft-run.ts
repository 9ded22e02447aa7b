/**
 * @module Runs a packet through a parsed ruleset (nft-ruleset.ts) with nft's semantics (pure).
 *
 * `runHook(ruleset, hook, packet)` runs one packet of a NEW (or other ct state) connection through
 * every base chain of that hook in priority order: `accept` ends the current base chain only,
 * `drop` is final, `jump` pushes, `goto` replaces, `return`/falling off a regular chain pops,
 * falling off a base chain applies its policy. Matches carry nft's implicit dependencies
 * (`ip saddr` only matches IPv4 packets, etc.).
 */
import type { IpFamily } from '../model/cidr.js'
import { CT_STATES, type CtState, type Field, type Hook, type NftChain, type NftRuleset, type NftTable, type SetElement } from './nft-ruleset.js'

export interface Packet {
  readonly family: IpFamily
  readonly saddr: bigint
  readonly daddr: bigint
  /** IP protocol number (6 tcp, 17 udp, 132 sctp, 1 icmp, 58 ipv6-icmp). */
  readonly l4proto: number
  readonly sport: number
  readonly dport: number
  readonly ctState: CtState
  readonly icmpv6Type?: number
}

/** A field of the packet, or undefined when the packet does not have it (nft's implicit dependency fails). */
function fieldValue(field: Field, p: Packet): bigint | undefined {
  switch (field) {
    case 'ip saddr':
      return p.family === 4 ? p.saddr : undefined
    case 'ip daddr':
      return p.family === 4 ? p.daddr : undefined
    case 'ip6 saddr':
      return p.family === 6 ? p.saddr : undefined
    case 'ip6 daddr':
      return p.family === 6 ? p.daddr : undefined
    case 'meta l4proto':
      return BigInt(p.l4proto)
    case 'meta nfproto':
      return p.family === 4 ? 2n : 10n
    case 'th sport':
      return BigInt(p.sport)
    case 'th dport':
      return BigInt(p.dport)
    case 'ct state':
      return BigInt(CT_STATES.indexOf(p.ctState))
    case 'icmpv6 type':
      return p.family === 6 && p.l4proto === 58 && p.icmpv6Type !== undefined ? BigInt(p.icmpv6Type) : undefined
  }
}

/** One step of a packet's walk, for explanations. */
export interface TraceStep {
  readonly table: string
  readonly chain: string
  /** Index of the rule in its chain; -1 for the base chain policy. */
  readonly rule: number
  readonly text: string
  readonly verdict?: string
}

export interface HookResult {
  readonly verdict: 'accept' | 'drop'
  /** The rules whose statements all matched, in order (the last one decided). */
  readonly trace: readonly TraceStep[]
  /** Named (or `chain#rule` for anonymous) counters that counted the packet. */
  readonly counters: readonly string[]
  readonly logs: readonly { prefix: string; group?: number }[]
  /** Elements the packet added to dynamic sets: set name and the key values. */
  readonly setAdds: readonly { set: string; key: readonly bigint[] }[]
  /** Every chain the packet entered, in order (base chains included). */
  readonly visited: readonly string[]
  /** How many rules were evaluated: the per-packet cost. */
  readonly rulesEvaluated: number
}

function elementMatches(e: SetElement, values: readonly bigint[]): boolean {
  for (let k = 0; k < values.length; k++) if (values[k] < e.key[k].lo || values[k] > e.key[k].hi) return false
  return true
}

function readFields(fields: readonly Field[], p: Packet): bigint[] | undefined {
  const values: bigint[] = []
  for (const f of fields) {
    const v = fieldValue(f, p)
    if (v === undefined) return undefined
    values.push(v)
  }
  return values
}

/** Runs a packet through every base chain of `hook` (all tables), lowest priority first. */
export function runHook(ruleset: NftRuleset, hook: Hook, packet: Packet): HookResult {
  const trace: TraceStep[] = []
  const counters: string[] = []
  const logs: { prefix: string; group?: number }[] = []
  const setAdds: { set: string; key: bigint[] }[] = []
  const visited: string[] = []
  let rulesEvaluated = 0
  const bases: { table: NftTable; chain: NftChain }[] = []
  for (const table of ruleset.tables.values()) {
    for (const chain of table.chains.values()) if (chain.base?.hook === hook) bases.push({ table, chain })
  }
  bases.sort((a, b) => a.chain.base!.priority - b.chain.base!.priority)

  for (const { table, chain: baseChain } of bases) {
    const tableName = `${table.family} ${table.name}`
    // Each frame: chain and the next rule index to run.
    const stack: { chain: NftChain; rule: number }[] = []
    let current: { chain: NftChain; rule: number } | undefined = { chain: baseChain, rule: 0 }
    visited.push(baseChain.name)
    let verdict: 'accept' | 'drop' | undefined
    let depth = 0
    while (current && verdict === undefined) {
      if (++depth > 100_000) throw new Error('nft interpreter: runaway evaluation')
      const frame: { chain: NftChain; rule: number } = current
      if (frame.rule >= frame.chain.rules.length) {
        // Fell off a regular chain: back to the caller; off the base chain (or a goto target
        // reached from it): the base chain's policy.
        current = stack.pop()
        if (!current) {
          verdict = baseChain.base!.policy
          trace.push({ table: tableName, chain: frame.chain.name, rule: -1, text: `policy ${verdict}`, verdict })
        }
        continue
      }
      const ruleIndex = frame.rule++
      const rule = frame.chain.rules[ruleIndex]
      rulesEvaluated++
      let matched = true
      let next: { kind: 'verdict'; verdict: 'accept' | 'drop' | 'return' | 'jump' | 'goto'; chain?: string } | undefined
      for (const s of rule.statements) {
        if (s.kind === 'match') {
          const v = fieldValue(s.fields[0], packet)
          if (v === undefined) {
            matched = false
            break
          }
          const inSet = s.values.some((iv) => v >= iv[0].lo && v <= iv[0].hi)
          if (inSet === s.negate) {
            matched = false
            break
          }
        } else if (s.kind === 'lookup') {
          const values = readFields(s.fields, packet)
          const set = table.sets.get(s.set)!
          if (!values || !set.elements.some((e) => elementMatches(e, values))) {
            matched = false
            break
          }
        } else if (s.kind === 'vmap') {
          const values = readFields(s.fields, packet)
          const map = table.sets.get(s.map)!
          const hit = values ? map.elements.find((e) => elementMatches(e, values)) : undefined
          if (!hit || !hit.verdict) {
            matched = false
            break
          }
          next = { kind: 'verdict', verdict: hit.verdict.kind, chain: hit.verdict.chain }
          break
        } else if (s.kind === 'limit') {
          // Under the limit: the interpreter models one connection at a time.
        } else if (s.kind === 'log') {
          logs.push({ prefix: s.prefix, ...(s.group === undefined ? {} : { group: s.group }) })
        } else if (s.kind === 'dynset') {
          const values = readFields(s.fields, packet)
          if (!values) {
            matched = false
            break
          }
          setAdds.push({ set: s.set, key: values })
        } else if (s.kind === 'counter') {
          counters.push(s.name ?? `${frame.chain.name}#${ruleIndex}`)
        } else {
          next = s
          break
        }
      }
      if (!matched) continue
      trace.push({
        table: tableName,
        chain: frame.chain.name,
        rule: ruleIndex,
        text: rule.text,
        ...(next ? { verdict: next.verdict + (next.chain ? ` ${next.chain}` : '') } : {}),
      })
      if (!next) continue
      switch (next.verdict) {
        case 'accept':
        case 'drop':
          verdict = next.verdict
          break
        case 'return':
          current = stack.pop()
          if (!current) verdict = baseChain.base!.policy
          break
        case 'jump':
          stack.push(frame)
          current = { chain: table.chains.get(next.chain!)!, rule: 0 }
          visited.push(next.chain!)
          break
        case 'goto':
          current = { chain: table.chains.get(next.chain!)!, rule: 0 }
          visited.push(next.chain!)
          break
      }
    }
    if (verdict === 'drop') return { verdict: 'drop', trace, counters, logs, setAdds, visited, rulesEvaluated }
  }
  return { verdict: 'accept', trace, counters, logs, setAdds, visited, rulesEvaluated }
}
