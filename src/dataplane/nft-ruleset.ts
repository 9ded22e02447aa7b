/**
 * @module The typed model of an nft ruleset, as the interpreter reads it: tables holding counters,
 * sets and verdict maps with their elements, and chains of parsed rules (pure data).
 *
 * nft-parse.ts builds it from a script; nft-run.ts evaluates packets against it. Values are kept
 * as nft compares them: every element component is an inclusive interval of numbers.
 */

export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting'
export type CtState = 'new' | 'established' | 'related' | 'invalid' | 'untracked'

/** Protocol numbers as nft's inet_proto values. */
export const L4PROTO: Readonly<Record<string, number>> = { icmp: 1, tcp: 6, udp: 17, 'ipv6-icmp': 58, icmpv6: 58, sctp: 132 }

/** nft's ct_state values in the order the model numbers them (the index is the value). */
export const CT_STATES: readonly CtState[] = ['new', 'established', 'related', 'invalid', 'untracked']

/** The packet fields a rule may match, as written in nft (`ip saddr`, `th dport`, ...). */
export type Field = 'ip saddr' | 'ip daddr' | 'ip6 saddr' | 'ip6 daddr' | 'meta l4proto' | 'meta nfproto' | 'th sport' | 'th dport' | 'ct state' | 'icmpv6 type'

/** The nft datatype of each field: a lookup key must have the set's types in the same order. */
export const FIELD_TYPES: Readonly<Record<Field, string>> = {
  'ip saddr': 'ipv4_addr',
  'ip daddr': 'ipv4_addr',
  'ip6 saddr': 'ipv6_addr',
  'ip6 daddr': 'ipv6_addr',
  'meta l4proto': 'inet_proto',
  'meta nfproto': 'nf_proto',
  'th sport': 'inet_service',
  'th dport': 'inet_service',
  'ct state': 'ct_state',
  'icmpv6 type': 'icmpv6_type',
}

/** One component of a set element or literal: an inclusive range (exact values have lo === hi). */
export interface Interval {
  readonly lo: bigint
  readonly hi: bigint
}

export interface SetElement {
  readonly key: readonly Interval[]
  readonly verdict?: { readonly kind: 'jump' | 'goto'; readonly chain: string }
}

export interface NftSet {
  readonly name: string
  readonly types: readonly string[]
  readonly isMap: boolean
  readonly dynamic: boolean
  readonly elements: SetElement[]
}

export type Statement =
  | { kind: 'match'; fields: Field[]; negate: boolean; values: Interval[][] }
  | { kind: 'lookup'; fields: Field[]; set: string }
  | { kind: 'vmap'; fields: Field[]; map: string }
  | { kind: 'limit' }
  | { kind: 'log'; prefix: string; group?: number }
  | { kind: 'dynset'; set: string; fields: Field[] }
  | { kind: 'counter'; name?: string }
  | { kind: 'verdict'; verdict: 'accept' | 'drop' | 'return' | 'jump' | 'goto'; chain?: string }

export interface NftRule {
  readonly line: number
  readonly text: string
  readonly statements: readonly Statement[]
}

export interface NftChain {
  readonly name: string
  readonly base?: { readonly hook: Hook; readonly priority: number; readonly policy: 'accept' | 'drop' }
  readonly rules: NftRule[]
}

export interface NftTable {
  readonly family: string
  readonly name: string
  readonly sets: Map<string, NftSet>
  readonly chains: Map<string, NftChain>
  readonly counters: Map<string, { comment?: string }>
}

export interface NftRuleset {
  /** Keyed by `family name`. */
  readonly tables: Map<string, NftTable>
}
