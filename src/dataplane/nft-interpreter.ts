/**
 * @module A pure interpreter for the subset of nft that compileRuleset emits (no kernel needed).
 *
 * `parseNftScript(text)` reads a script (add/delete table, table blocks with counters, sets, maps
 * and chains) and `runHook(ruleset, hook, packet)` runs one packet of a NEW (or other ct state)
 * connection through every base chain of that hook in priority order, with nft's semantics:
 * `accept` ends the current base chain only, `drop` is final, `jump` pushes, `goto` replaces,
 * `return`/falling off a regular chain pops, falling off a base chain applies its policy.
 * Matches carry nft's implicit dependencies (`ip saddr` only matches IPv4 packets, etc.).
 *
 * Used by the tests to prove compile+interpret equals the reference evaluator, and usable by
 * `explain --dataplane` to show which chain and rule decided. Anything outside the subset is a
 * parse error, so the interpreter can never silently ignore a rule.
 */
import { parseCidr, parseIp, type IpFamily } from '../model/cidr.js'

export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting'
export type CtState = 'new' | 'established' | 'related' | 'invalid' | 'untracked'

/** Protocol numbers as nft's inet_proto values. */
export const L4PROTO: Readonly<Record<string, number>> = { icmp: 1, tcp: 6, udp: 17, 'ipv6-icmp': 58, icmpv6: 58, sctp: 132 }
const ICMPV6_TYPES: Readonly<Record<string, number>> = {
  'nd-router-solicit': 133,
  'nd-router-advert': 134,
  'nd-neighbor-solicit': 135,
  'nd-neighbor-advert': 136,
  'nd-redirect': 137,
  'echo-request': 128,
  'echo-reply': 129,
}
const CT_STATES: readonly CtState[] = ['new', 'established', 'related', 'invalid', 'untracked']

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

type Field = 'ip saddr' | 'ip daddr' | 'ip6 saddr' | 'ip6 daddr' | 'meta l4proto' | 'meta nfproto' | 'th sport' | 'th dport' | 'ct state' | 'icmpv6 type'

/** One component of a set element or literal: an inclusive range (exact values have lo === hi). */
interface Interval {
  readonly lo: bigint
  readonly hi: bigint
}

interface SetElement {
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

type Statement =
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

export class NftParseError extends Error {
  constructor(message: string, readonly line: number) {
    super(`line ${line}: ${message}`)
    this.name = 'NftParseError'
  }
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

interface Token {
  readonly text: string
  readonly line: number
  readonly quoted: boolean
}

function tokenize(script: string): Token[] {
  const out: Token[] = []
  let line = 1
  let i = 0
  while (i < script.length) {
    const c = script[i]
    if (c === '\n') {
      out.push({ text: '\n', line, quoted: false })
      line++
      i++
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++
    } else if (c === '#') {
      while (i < script.length && script[i] !== '\n') i++
    } else if (c === '"') {
      const end = script.indexOf('"', i + 1)
      if (end < 0) throw new NftParseError('unterminated string', line)
      out.push({ text: script.slice(i + 1, end), line, quoted: true })
      i = end + 1
    } else if ('{};,@'.includes(c)) {
      out.push({ text: c, line, quoted: false })
      i++
    } else {
      // Words end at whitespace and punctuation; `.` (concatenation) and `:` (map data) are only
      // operators when written alone, so IPv6 addresses and ranges stay one word.
      let j = i
      while (j < script.length && !' \t\r\n{};,"#@'.includes(script[j])) j++
      out.push({ text: script.slice(i, j), line, quoted: false })
      i = j
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Values

function parseValue(type: string, text: string, line: number): Interval {
  const dash = findRangeDash(type, text)
  if (dash > 0) {
    const lo = parseValue(type, text.slice(0, dash), line)
    const hi = parseValue(type, text.slice(dash + 1), line)
    return { lo: lo.lo, hi: hi.hi }
  }
  switch (type) {
    case 'ipv4_addr':
    case 'ipv6_addr': {
      const family = type === 'ipv4_addr' ? 4 : 6
      if (text.includes('/')) {
        const c = parseCidr(text)
        if (!c.ok || c.cidr.family !== family) throw new NftParseError(`bad ${type} prefix ${text}`, line)
        const bits = family === 4 ? 32 : 128
        return { lo: c.cidr.base, hi: c.cidr.base | ((1n << BigInt(bits - c.cidr.prefix)) - 1n) }
      }
      const ip = parseIp(text)
      if (!ip || ip.family !== family) throw new NftParseError(`bad ${type} ${text}`, line)
      return { lo: ip.value, hi: ip.value }
    }
    case 'inet_proto': {
      const n = L4PROTO[text] ?? (/^[0-9]+$/.test(text) ? Number(text) : undefined)
      if (n === undefined) throw new NftParseError(`unknown protocol ${text}`, line)
      return { lo: BigInt(n), hi: BigInt(n) }
    }
    case 'inet_service': {
      if (!/^[0-9]+$/.test(text) || Number(text) > 65535) throw new NftParseError(`bad port ${text}`, line)
      return { lo: BigInt(text), hi: BigInt(text) }
    }
    case 'nf_proto': {
      const n = text === 'ipv4' ? 2 : text === 'ipv6' ? 10 : undefined
      if (n === undefined) throw new NftParseError(`unknown nfproto ${text}`, line)
      return { lo: BigInt(n), hi: BigInt(n) }
    }
    case 'ct_state': {
      const n = CT_STATES.indexOf(text as CtState)
      if (n < 0) throw new NftParseError(`unknown ct state ${text}`, line)
      return { lo: BigInt(n), hi: BigInt(n) }
    }
    case 'icmpv6_type': {
      const n = ICMPV6_TYPES[text]
      if (n === undefined) throw new NftParseError(`unknown icmpv6 type ${text}`, line)
      return { lo: BigInt(n), hi: BigInt(n) }
    }
    default:
      throw new NftParseError(`unsupported type ${type}`, line)
  }
}

/** Position of the `-` of a range `a-b`, or -1 (names like `ipv6-icmp`, `nd-redirect` have dashes too). */
function findRangeDash(type: string, text: string): number {
  if (type === 'inet_service') return text.indexOf('-')
  if (type === 'ipv4_addr' || type === 'ipv6_addr') return text.indexOf('-')
  return -1
}

const FIELD_TYPES: Readonly<Record<Field, string>> = {
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

// ---------------------------------------------------------------------------------------------
// Parser

class Parser {
  private pos = 0
  constructor(private readonly tokens: Token[]) {}

  peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset]
  }
  line(): number {
    return this.peek()?.line ?? this.tokens[this.tokens.length - 1]?.line ?? 1
  }
  next(): Token {
    const t = this.tokens[this.pos++]
    if (!t) throw new NftParseError('unexpected end of script', this.line())
    return t
  }
  expect(text: string): Token {
    const t = this.next()
    if (t.text !== text || t.quoted) throw new NftParseError(`expected '${text}', found '${t.text}'`, t.line)
    return t
  }
  word(): string {
    const t = this.next()
    if (t.quoted || '{};,@:\n'.includes(t.text)) throw new NftParseError(`expected a word, found '${t.text === '\n' ? 'newline' : t.text}'`, t.line)
    return t.text
  }
  skipSeparators(): void {
    while (this.peek() && (this.peek()!.text === '\n' || this.peek()!.text === ';') && !this.peek()!.quoted) this.pos++
  }
  atEnd(): boolean {
    return this.pos >= this.tokens.length
  }
  /** Tokens up to the end of the current statement line (newline or `;` outside braces). */
  lineTokens(): Token[] {
    const out: Token[] = []
    let depth = 0
    while (!this.atEnd()) {
      const t = this.peek()!
      if (!t.quoted && depth === 0 && (t.text === '\n' || t.text === ';' || t.text === '}')) break
      if (!t.quoted && t.text === '{') depth++
      if (!t.quoted && t.text === '}') depth--
      out.push(this.next())
    }
    return out
  }
}

export function parseNftScript(script: string): NftRuleset {
  const p = new Parser(tokenize(script))
  const tables = new Map<string, NftTable>()
  const getTable = (family: string, name: string): NftTable => {
    const key = `${family} ${name}`
    let t = tables.get(key)
    if (!t) {
      t = { family, name, sets: new Map(), chains: new Map(), counters: new Map() }
      tables.set(key, t)
    }
    return t
  }
  for (;;) {
    p.skipSeparators()
    if (p.atEnd()) break
    const line = p.line()
    const cmd = p.word()
    if (cmd === 'add' || cmd === 'delete') {
      const what = p.word()
      if (what !== 'table') throw new NftParseError(`unsupported command '${cmd} ${what}'`, line)
      const family = p.word()
      const name = p.word()
      if (cmd === 'add') getTable(family, name)
      else if (!tables.delete(`${family} ${name}`)) throw new NftParseError(`No such file or directory: table ${family} ${name}`, line)
    } else if (cmd === 'table') {
      const family = p.word()
      const name = p.word()
      parseTableBody(p, getTable(family, name))
    } else {
      throw new NftParseError(`unsupported command '${cmd}'`, line)
    }
  }
  for (const t of tables.values()) checkReferences(t)
  return { tables }
}

function parseTableBody(p: Parser, table: NftTable): void {
  p.expect('{')
  for (;;) {
    p.skipSeparators()
    const line = p.line()
    const t = p.next()
    if (t.text === '}') return
    const name = p.word()
    switch (t.text) {
      case 'counter': {
        p.expect('{')
        let comment: string | undefined
        for (;;) {
          p.skipSeparators()
          const k = p.next()
          if (k.text === '}') break
          if (k.text === 'comment') comment = p.next().text
          else throw new NftParseError(`unsupported counter property '${k.text}'`, k.line)
        }
        // Declared again: nft keeps the existing counter (and its comment).
        if (!table.counters.has(name)) table.counters.set(name, comment === undefined ? {} : { comment })
        break
      }
      case 'set':
      case 'map':
        mergeSet(table, parseSetBody(p, name, t.text === 'map'), line)
        break
      case 'chain':
        mergeChain(table, parseChainBody(p, name), line)
        break
      default:
        throw new NftParseError(`unsupported table object '${t.text}'`, line)
    }
  }
}

/**
 * A name declared twice in one script is ONE object to nft, not two: a second `chain x { ... }`
 * appends its rules to the first, a second `set s { ... }` of the same type adds its elements.
 * The interpreter does the same, so a script that merges two objects behaves here as in the kernel.
 */
function mergeChain(table: NftTable, chain: NftChain, line: number): void {
  const existing = table.chains.get(chain.name)
  if (!existing) {
    table.chains.set(chain.name, chain)
    return
  }
  if (chain.base && existing.base && JSON.stringify(chain.base) !== JSON.stringify(existing.base)) {
    throw new NftParseError(`chain ${chain.name} declared again with a different hook, priority or policy`, line)
  }
  existing.rules.push(...chain.rules)
  if (chain.base && !existing.base) table.chains.set(chain.name, { ...existing, base: chain.base })
}

function mergeSet(table: NftTable, set: NftSet, line: number): void {
  const existing = table.sets.get(set.name)
  if (!existing) {
    table.sets.set(set.name, set)
    return
  }
  if (existing.isMap !== set.isMap || existing.types.join(' . ') !== set.types.join(' . ')) {
    throw new NftParseError(`set ${set.name} declared again with a different type: File exists`, line)
  }
  existing.elements.push(...set.elements)
}

function parseSetBody(p: Parser, name: string, isMap: boolean): NftSet {
  p.expect('{')
  let types: string[] = []
  let dynamic = false
  let rawElements: Token[] = []
  let elementsLine = 0
  for (;;) {
    p.skipSeparators()
    const k = p.next()
    if (k.text === '}') break
    const rest = p.lineTokens()
    switch (k.text) {
      case 'type': {
        const words = rest.map((r) => r.text)
        const colon = words.indexOf(':')
        const keyWords = colon >= 0 ? words.slice(0, colon) : words
        types = keyWords.filter((w) => w !== '.')
        if (isMap && (colon < 0 || words[colon + 1] !== 'verdict')) throw new NftParseError('only verdict maps are supported', k.line)
        for (const ty of types) parseValueTypeCheck(ty, k.line)
        break
      }
      case 'flags':
        dynamic = rest.some((r) => r.text === 'dynamic')
        break
      case 'elements':
        if (rest[0]?.text !== '=') throw new NftParseError("expected 'elements = { ... }'", k.line)
        rawElements = rest.slice(1)
        elementsLine = k.line
        break
      case 'size':
      case 'timeout':
      case 'counter':
      case 'comment':
      case 'policy':
        break
      default:
        throw new NftParseError(`unsupported set property '${k.text}'`, k.line)
    }
  }
  if (types.length === 0) throw new NftParseError(`set ${name} has no type`, p.line())
  const elements = rawElements.length > 0 ? parseElements(rawElements, types, isMap, elementsLine) : []
  return { name, types, isMap, dynamic, elements }
}

function parseValueTypeCheck(type: string, line: number): void {
  if (!['ipv4_addr', 'ipv6_addr', 'inet_proto', 'inet_service'].includes(type)) throw new NftParseError(`unsupported set type ${type}`, line)
}

function parseElements(tokens: Token[], types: readonly string[], isMap: boolean, line: number): SetElement[] {
  if (tokens[0]?.text !== '{' || tokens[tokens.length - 1]?.text !== '}') throw new NftParseError('elements must be in { }', line)
  const inner = tokens.slice(1, -1).filter((t) => t.text !== '\n')
  const out: SetElement[] = []
  let current: Token[] = []
  const flush = (): void => {
    if (current.length === 0) return
    const words = current.map((t) => t.text)
    const colon = isMap ? words.indexOf(':') : -1
    const keyWords = (colon >= 0 ? words.slice(0, colon) : words).filter((w) => w !== '.')
    if (keyWords.length !== types.length) throw new NftParseError(`element '${words.join(' ')}' does not fit type ${types.join(' . ')}`, current[0].line)
    const key = keyWords.map((w, i) => parseValue(types[i], w, current[0].line))
    if (isMap) {
      const kind = words[colon + 1]
      const chain = words[colon + 2]
      if (colon < 0 || (kind !== 'goto' && kind !== 'jump') || !chain) throw new NftParseError(`bad map element '${words.join(' ')}'`, current[0].line)
      out.push({ key, verdict: { kind, chain } })
    } else {
      out.push({ key })
    }
    current = []
  }
  for (const t of inner) {
    if (t.text === ',') flush()
    else current.push(t)
  }
  flush()
  return out
}

const PRIORITY_NAMES: Readonly<Record<string, number>> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 }

function parseChainBody(p: Parser, name: string): NftChain {
  p.expect('{')
  const rules: NftRule[] = []
  let base: NftChain['base']
  for (;;) {
    p.skipSeparators()
    if (p.peek()?.text === '}' && !p.peek()?.quoted) {
      p.next()
      break
    }
    const line = p.line()
    const first = p.peek()!
    if (first.text === 'type' && !first.quoted) {
      // type filter hook H priority P; policy X;
      const head = p.lineTokens().map((t) => t.text)
      const hook = head[head.indexOf('hook') + 1] as Hook
      const prioWords = head.slice(head.indexOf('priority') + 1)
      let priority = PRIORITY_NAMES[prioWords[0]] ?? Number(prioWords[0])
      if (prioWords[1] === '-' || prioWords[1] === '+') priority += (prioWords[1] === '-' ? -1 : 1) * Number(prioWords[2])
      if (!Number.isFinite(priority)) throw new NftParseError(`bad priority '${prioWords.join(' ')}'`, line)
      p.skipSeparators()
      let policy: 'accept' | 'drop' = 'accept'
      if (p.peek()?.text === 'policy') {
        p.next()
        policy = p.word() as 'accept' | 'drop'
      }
      base = { hook, priority, policy }
      continue
    }
    if (first.text === 'comment' && !first.quoted) {
      p.lineTokens()
      continue
    }
    const tokens = p.lineTokens()
    rules.push({ line, text: tokens.map((t) => (t.quoted ? `"${t.text}"` : t.text)).join(' '), statements: parseRule(tokens, line) })
  }
  return { name, ...(base ? { base } : {}), rules }
}

const FIELD_STARTS: Readonly<Record<string, readonly string[]>> = {
  ip: ['saddr', 'daddr'],
  ip6: ['saddr', 'daddr'],
  meta: ['l4proto', 'nfproto'],
  th: ['sport', 'dport'],
  ct: ['state'],
  icmpv6: ['type'],
}

function parseRule(tokens: Token[], line: number): Statement[] {
  const out: Statement[] = []
  let i = 0
  const word = (): string => {
    const t = tokens[i++]
    if (!t) throw new NftParseError('unexpected end of rule', line)
    return t.text
  }
  const readFields = (): Field[] => {
    const fields: Field[] = []
    for (;;) {
      const a = word()
      const b = word()
      if (!FIELD_STARTS[a]?.includes(b)) throw new NftParseError(`unsupported expression '${a} ${b}'`, line)
      fields.push(`${a} ${b}` as Field)
      if (tokens[i]?.text === '.' && !tokens[i]?.quoted) {
        i++
        continue
      }
      return fields
    }
  }
  while (i < tokens.length) {
    const t = tokens[i]
    if (t.quoted) throw new NftParseError(`unexpected string "${t.text}"`, line)
    if (FIELD_STARTS[t.text] && FIELD_STARTS[t.text].includes(tokens[i + 1]?.text ?? '')) {
      const fields = readFields()
      const nextTok = tokens[i]
      if (nextTok?.text === '@') {
        i++
        out.push({ kind: 'lookup', fields, set: word() })
      } else if (nextTok?.text === 'vmap') {
        i++
        if (word() !== '@') throw new NftParseError('only named verdict maps are supported', line)
        out.push({ kind: 'vmap', fields, map: word() })
      } else {
        if (fields.length !== 1) throw new NftParseError('anonymous concatenated sets are not supported', line)
        let negate = false
        if (nextTok?.text === '!=') {
          negate = true
          i++
        }
        const type = FIELD_TYPES[fields[0]]
        const values: Interval[][] = []
        if (tokens[i]?.text === '{') {
          i++
          while (tokens[i] && tokens[i].text !== '}') {
            if (tokens[i].text !== ',') values.push([parseValue(type, tokens[i].text, line)])
            i++
          }
          i++
        } else {
          // `ct state established,related` (comma list without braces) or a single value.
          values.push([parseValue(type, word(), line)])
          while (tokens[i]?.text === ',') {
            i++
            values.push([parseValue(type, word(), line)])
          }
        }
        out.push({ kind: 'match', fields, negate, values })
      }
      continue
    }
    switch (word()) {
      case 'limit': {
        // limit rate N/unit [burst N packets]
        if (word() !== 'rate') throw new NftParseError('expected limit rate', line)
        word()
        if (tokens[i]?.text === 'burst') {
          i++
          word()
          word()
        }
        out.push({ kind: 'limit' })
        break
      }
      case 'log': {
        let prefix = ''
        let group: number | undefined
        while (tokens[i] && (tokens[i].text === 'prefix' || tokens[i].text === 'group')) {
          const k = word()
          if (k === 'prefix') prefix = tokens[i++].text
          else group = Number(word())
        }
        out.push({ kind: 'log', prefix, ...(group === undefined ? {} : { group }) })
        break
      }
      case 'add':
      case 'update': {
        if (word() !== '@') throw new NftParseError('expected @set', line)
        const set = word()
        if (word() !== '{') throw new NftParseError('expected { key }', line)
        const fields = readFields()
        if (word() !== '}') throw new NftParseError('expected }', line)
        out.push({ kind: 'dynset', set, fields })
        break
      }
      case 'counter': {
        if (tokens[i]?.text === 'name') {
          i++
          out.push({ kind: 'counter', name: tokens[i++].text })
        } else {
          out.push({ kind: 'counter' })
        }
        break
      }
      case 'accept':
        out.push({ kind: 'verdict', verdict: 'accept' })
        break
      case 'drop':
        out.push({ kind: 'verdict', verdict: 'drop' })
        break
      case 'return':
        out.push({ kind: 'verdict', verdict: 'return' })
        break
      case 'jump':
      case 'goto': {
        const verdict = tokens[i - 1].text as 'jump' | 'goto'
        out.push({ kind: 'verdict', verdict, chain: word() })
        break
      }
      default:
        throw new NftParseError(`unsupported statement '${tokens[i - 1].text}'`, line)
    }
  }
  return out
}

function checkReferences(t: NftTable): void {
  for (const chain of t.chains.values()) {
    for (const rule of chain.rules) {
      for (const s of rule.statements) {
        const setName = s.kind === 'lookup' || s.kind === 'dynset' ? s.set : s.kind === 'vmap' ? s.map : undefined
        if (setName !== undefined) {
          const set = t.sets.get(setName)
          if (!set) throw new NftParseError(`set '${setName}' does not exist`, rule.line)
          const fields = s.kind === 'lookup' || s.kind === 'dynset' || s.kind === 'vmap' ? s.fields : []
          const fieldTypes = fields.map((f) => FIELD_TYPES[f])
          if (fieldTypes.join(' . ') !== set.types.join(' . ')) {
            throw new NftParseError(`datatype mismatch: ${fieldTypes.join(' . ')} vs set ${setName} ${set.types.join(' . ')}`, rule.line)
          }
          if (s.kind === 'vmap') {
            for (const e of set.elements) if (e.verdict && !t.chains.has(e.verdict.chain)) throw new NftParseError(`chain '${e.verdict.chain}' does not exist`, rule.line)
          }
        }
        if (s.kind === 'counter' && s.name !== undefined && !t.counters.has(s.name)) throw new NftParseError(`counter '${s.name}' does not exist`, rule.line)
        if (s.kind === 'verdict' && s.chain !== undefined && !t.chains.has(s.chain)) throw new NftParseError(`chain '${s.chain}' does not exist`, rule.line)
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

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
      trace.push({ table: tableName, chain: frame.chain.name, rule: ruleIndex, text: rule.text, ...(next ? { verdict: next.verdict + (next.chain ? ` ${next.chain}` : '') } : {}) })
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
