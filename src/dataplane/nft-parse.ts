/**
 * @module Reads an nft script into the typed ruleset model (nft-ruleset.ts), for the subset of nft
 * that compileRuleset emits (pure, no kernel needed).
 *
 * `parseNftScript(text)` understands `add`/`delete table` and table blocks with counters, sets,
 * verdict maps and chains. A name declared twice is merged as nft merges it; then every reference
 * (set, map, counter, chain) is checked. Anything outside the subset is an NftParseError naming
 * the line, so a rule can never be silently ignored.
 */
import { parseCidr, parseIp } from '../model/cidr.js'
import { deepestJumpLevel, MAX_JUMP_LEVEL } from './jump-depth.js'
import {
  CT_STATES,
  FIELD_TYPES,
  L4PROTO,
  type CtState,
  type Field,
  type Hook,
  type Interval,
  type NftChain,
  type NftRule,
  type NftRuleset,
  type NftSet,
  type NftTable,
  type SetElement,
  type Statement,
} from './nft-ruleset.js'

const ICMPV6_TYPES: Readonly<Record<string, number>> = {
  'nd-router-solicit': 133,
  'nd-router-advert': 134,
  'nd-neighbor-solicit': 135,
  'nd-neighbor-advert': 136,
  'nd-redirect': 137,
  'echo-request': 128,
  'echo-reply': 129,
}

export class NftParseError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
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

/**
 * The ruleset a script builds; with `base`, the ruleset after the script is applied to `base`
 * (a copy: `base` is not changed). Besides table blocks and `add`/`delete table`, a script may hold
 * the commands of an incremental update (ruleset-delta.ts): `flush chain|set|map`, `delete chain|set|map|counter`,
 * `add element`, `delete element` and `add rule`, each checked as the kernel checks it at that
 * point of the transaction (an object still in use cannot be deleted, a missing one cannot be
 * changed or referenced).
 */
export function parseNftScript(script: string, base?: NftRuleset): NftRuleset {
  const p = new Parser(tokenize(script))
  const tables = base === undefined ? new Map<string, NftTable>() : cloneTables(base)
  const getTable = (family: string, name: string): NftTable => {
    const key = `${family} ${name}`
    let t = tables.get(key)
    if (!t) {
      t = { family, name, sets: new Map(), chains: new Map(), counters: new Map() }
      tables.set(key, t)
    }
    return t
  }
  const existingTable = (family: string, name: string, line: number): NftTable => {
    const t = tables.get(`${family} ${name}`)
    if (!t) throw new NftParseError(`No such file or directory: table ${family} ${name}`, line)
    return t
  }
  for (;;) {
    p.skipSeparators()
    if (p.atEnd()) break
    const line = p.line()
    const cmd = p.word()
    if (cmd === 'add' || cmd === 'delete' || cmd === 'flush' || cmd === 'insert') {
      const what = p.word()
      if (cmd === 'insert' && what !== 'rule') throw new NftParseError(`unsupported command 'insert ${what}'`, line)
      if (cmd === 'flush' && what !== 'chain' && what !== 'set' && what !== 'map') throw new NftParseError(`unsupported command 'flush ${what}'`, line)
      const family = p.word()
      const name = p.word()
      if (what === 'table') {
        if (cmd === 'add') getTable(family, name)
        else if (!tables.delete(`${family} ${name}`)) throw new NftParseError(`No such file or directory: table ${family} ${name}`, line)
      } else if ((cmd === 'delete' || cmd === 'flush') && (what === 'chain' || what === 'set' || what === 'map' || what === 'counter')) {
        deleteOrFlush(existingTable(family, name, line), cmd, what, p.word(), line)
      } else if ((cmd === 'add' || cmd === 'delete') && what === 'element') {
        changeElements(p, existingTable(family, name, line), cmd, line)
      } else if ((cmd === 'add' || cmd === 'insert') && what === 'rule') {
        const table = existingTable(family, name, line)
        const chainName = p.word()
        const chain = table.chains.get(chainName)
        if (!chain) throw new NftParseError(`No such file or directory: chain ${chainName}`, line)
        const tokens = p.lineTokens()
        const rule: NftRule = { line, text: tokens.map((t) => (t.quoted ? `"${t.text}"` : t.text)).join(' '), statements: parseRule(tokens, line) }
        checkRuleReferences(table, rule)
        // `insert` without a position puts the rule at the head of the chain.
        if (cmd === 'insert') chain.rules.unshift(rule)
        else chain.rules.push(rule)
      } else {
        throw new NftParseError(`unsupported command '${cmd} ${what}'`, line)
      }
    } else if (cmd === 'table') {
      const family = p.word()
      const name = p.word()
      parseTableBody(p, getTable(family, name))
    } else {
      throw new NftParseError(`unsupported command '${cmd}'`, line)
    }
  }
  for (const t of tables.values()) {
    checkReferences(t)
    checkJumpDepth(t, p.line())
  }
  return { tables }
}

/** A copy of the tables whose objects can be changed without changing `base`. */
function cloneTables(base: NftRuleset): Map<string, NftTable> {
  const out = new Map<string, NftTable>()
  for (const [key, t] of base.tables) {
    out.set(key, {
      family: t.family,
      name: t.name,
      counters: new Map([...t.counters].map(([n, c]) => [n, { ...c }])),
      sets: new Map([...t.sets].map(([n, s]) => [n, { ...s, elements: [...s.elements] }])),
      chains: new Map([...t.chains].map(([n, c]) => [n, { ...c, rules: [...c.rules] }])),
    })
  }
  return out
}

/** The objects a rule uses: sets and maps, named counters, chains it jumps to. */
function ruleUses(rule: NftRule): { sets: string[]; counters: string[]; chains: string[] } {
  const uses = { sets: [] as string[], counters: [] as string[], chains: [] as string[] }
  for (const s of rule.statements) {
    if (s.kind === 'lookup' || s.kind === 'dynset') uses.sets.push(s.set)
    else if (s.kind === 'vmap') uses.sets.push(s.map)
    else if (s.kind === 'counter' && s.name !== undefined) uses.counters.push(s.name)
    else if (s.kind === 'verdict' && s.chain !== undefined) uses.chains.push(s.chain)
  }
  return uses
}

/** An added rule may only use objects that exist at that point of the transaction. */
function checkRuleReferences(table: NftTable, rule: NftRule): void {
  const uses = ruleUses(rule)
  for (const s of uses.sets) if (!table.sets.has(s)) throw new NftParseError(`set '${s}' does not exist`, rule.line)
  for (const c of uses.counters) if (!table.counters.has(c)) throw new NftParseError(`counter '${c}' does not exist`, rule.line)
  for (const c of uses.chains) if (!table.chains.has(c)) throw new NftParseError(`chain '${c}' does not exist`, rule.line)
}

/** `flush chain|set|map`, `delete chain|set|map|counter`: the object must exist, and nothing may still use what is deleted. */
function deleteOrFlush(table: NftTable, cmd: 'delete' | 'flush', what: string, name: string, line: number): void {
  if (what === 'chain') {
    const chain = table.chains.get(name)
    if (!chain) throw new NftParseError(`No such file or directory: chain ${name}`, line)
    if (cmd === 'flush') {
      chain.rules.length = 0
      return
    }
    if (chain.rules.length > 0) throw new NftParseError(`Device or resource busy: chain ${name} still has rules`, line)
    const usedByRule = [...table.chains.values()].some((c) => c.rules.some((r) => ruleUses(r).chains.includes(name)))
    const usedByMap = [...table.sets.values()].some((s) => s.elements.some((e) => e.verdict?.chain === name))
    if (usedByRule || usedByMap) throw new NftParseError(`Device or resource busy: chain ${name} is still a jump or map target`, line)
    table.chains.delete(name)
    return
  }
  if (what === 'counter') {
    if (cmd === 'flush') throw new NftParseError(`unsupported command 'flush counter'`, line)
    if (!table.counters.has(name)) throw new NftParseError(`No such file or directory: counter ${name}`, line)
    if ([...table.chains.values()].some((c) => c.rules.some((r) => ruleUses(r).counters.includes(name)))) {
      throw new NftParseError(`Device or resource busy: counter ${name} is still used by a rule`, line)
    }
    table.counters.delete(name)
    return
  }
  const set = table.sets.get(name)
  if (!set || set.isMap !== (what === 'map')) throw new NftParseError(`No such file or directory: ${what} ${name}`, line)
  if (cmd === 'flush') {
    set.elements.length = 0
    return
  }
  if ([...table.chains.values()].some((c) => c.rules.some((r) => ruleUses(r).sets.includes(name)))) {
    throw new NftParseError(`Device or resource busy: ${what} ${name} is still used by a rule`, line)
  }
  table.sets.delete(name)
}

/** `add element` / `delete element` `<set> { ... }`: a deleted key must be there; an added key must be new (or the same element). */
function changeElements(p: Parser, table: NftTable, cmd: 'add' | 'delete', line: number): void {
  const name = p.word()
  const set = table.sets.get(name)
  if (!set) throw new NftParseError(`No such file or directory: set ${name}`, line)
  const tokens = p.lineTokens()
  const sameKey = (a: SetElement, b: SetElement): boolean =>
    a.key.length === b.key.length && a.key.every((k, i) => k.lo === b.key[i].lo && k.hi === b.key[i].hi)
  // A delete names keys only: parse them as elements of a plain set of the same types.
  const elements = parseElements(tokens, set.types, cmd === 'add' && set.isMap, line)
  for (const e of elements) {
    const at = set.elements.findIndex((x) => sameKey(x, e))
    if (cmd === 'delete') {
      if (at < 0) throw new NftParseError(`No such file or directory: element not in ${name}`, line)
      set.elements.splice(at, 1)
      continue
    }
    if (e.verdict && !table.chains.has(e.verdict.chain)) throw new NftParseError(`chain '${e.verdict.chain}' does not exist`, line)
    if (at >= 0) {
      const old = set.elements[at]
      if (old.verdict?.kind !== e.verdict?.kind || old.verdict?.chain !== e.verdict?.chain) throw new NftParseError(`File exists: element in ${name}`, line)
      continue
    }
    set.elements.push(e)
  }
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
            for (const e of set.elements)
              if (e.verdict && !t.chains.has(e.verdict.chain)) throw new NftParseError(`chain '${e.verdict.chain}' does not exist`, rule.line)
          }
        }
        if (s.kind === 'counter' && s.name !== undefined && !t.counters.has(s.name)) throw new NftParseError(`counter '${s.name}' does not exist`, rule.line)
        if (s.kind === 'verdict' && s.chain !== undefined && !t.chains.has(s.chain)) throw new NftParseError(`chain '${s.chain}' does not exist`, rule.line)
      }
    }
  }
}

/** The kernel refuses the whole transaction when the jumps go too deep (jump-depth.ts); nft names no line. */
function checkJumpDepth(t: NftTable, line: number): void {
  const targets = function* (name: string): Iterable<string> {
    for (const rule of t.chains.get(name)?.rules ?? []) {
      for (const s of rule.statements) {
        if (s.kind === 'verdict' && s.chain !== undefined) yield s.chain
        if (s.kind === 'vmap') for (const e of t.sets.get(s.map)?.elements ?? []) if (e.verdict) yield e.verdict.chain
      }
    }
  }
  const bases = [...t.chains.values()].filter((c) => c.base !== undefined).map((c) => c.name)
  const deepest = deepestJumpLevel(bases, targets)
  if (deepest === Infinity) throw new NftParseError(`Too many links: table ${t.family} ${t.name} has a loop of jumps from a base chain`, line)
  if (deepest > MAX_JUMP_LEVEL) throw new NftParseError(`Too many links: table ${t.family} ${t.name} has a chain ${deepest} jumps from a base chain`, line)
}
