/**
 * @module The difference between two compiled node rulesets as two nft transactions (pure).
 *
 * Usage (the agent, see nft-dataplane.ts):
 * ```ts
 * const delta = rulesetDelta(appliedScript, nextScript)
 * if (delta.kind === 'incremental') {
 *   await applyRulesetDelta(delta.script, target)   // one `nft -f -`: from here on the new ruleset decides
 *   await applyRulesetDelta(delta.tidy, target)     // another: the table is now exactly nextScript
 * } else await applyRuleset(nextScript, target)     // delta.reason says why not
 * ```
 * Both scripts are compileRuleset output (nft-parse.ts reads the same text for the interpreter),
 * or their objects as the compiler returns them (table-objects.ts).
 * `parseTableObjects` reads one into the objects of its table: named counters, sets and maps with
 * their properties and elements, chains with their properties and rules.
 *
 * Two transactions. The kernel frees what a transaction deletes (rules of a flushed chain, chains,
 * sets, map entries) only after an RCU grace period, and nft waits for that when it closes its
 * netlink socket: about 13 ms on the 2-core test machine, more than everything else of a small
 * update. So the delta is split:
 * 1. `script`, which only adds: declares the new counters, sets, maps and chains (one table block,
 *    like the full script), the new entries of the verdict maps, the elements plain sets gain (or
 *    their stand-ins, see "Sets"), and puts each changed chain's new rules at its head followed by
 *    `return` (which is what the end of a chain does), so the old rules below are never reached. An address that loses its dispatch entry (a pod
 *    gone from the node, or no longer isolated) keeps the entry until step 2, but its chain, which
 *    goes away, gets `return` at its head: the dispatch lookups end their base chains (policy
 *    accept), so returning there is what having no entry does. From the commit of `script` on,
 *    every packet meets exactly the new ruleset's verdicts: this is when a change is enforced.
 * 2. `tidy`: brings stand-ins back to their sets (see "Sets"); flushes each changed chain and adds
 *    its new rules alone; flushes the verdict maps that lost entries and declares them again with
 *    all of theirs; flushes the chains that go away,
 *    deletes the sets and maps that go away, then those chains, then the counters that go away
 *    (nothing is deleted while a rule or map entry still uses it). The caller applies `tidy`
 *    before the next update: every delta starts from a table that is exactly the previous script.
 * When another map loses an entry (the Admin tier's Pass maps), or a lost entry's chain stays,
 * there is no such shortcut: `script` is then all of it in one transaction (maps flushed first)
 * and `tidy` is empty (but for the stand-ins of "Sets"). The same when the rules left below
 * `return` would make the jumps too deep: the kernel refuses a chain 16 jumps or gotos from a base
 * chain counting every rule, reachable or not (unionLevels), though the old and the new ruleset
 * may each be shallow enough.
 * Why a map that loses entries is flushed and declared again with the rest in `tidy` rather than
 * given `delete element` in `script`: its lost entries can wait (see above), and a deletion in
 * `script` would put that wait on the path. A plain set's lost elements cannot wait (rules that
 * stay read the set): the set comes anew as a stand-in instead (see "Sets").
 *
 * Generations. The kernel commits the transaction at once, but a packet already on its way keeps
 * the rules of the generation it started in while each set lookup reads the current generation's
 * elements. So a packet crossing the commit may meet old rules with new map entries. Hence only
 * these map changes are made in place: an entry added (its address had none: the old ruleset let
 * it pass that dispatch, and a new chain is empty in the old generation, so the packet passes as the
 * old ruleset would), an entry removed (it passes, as the new ruleset lets it), entries kept. An
 * entry that keeps its address and changes its chain (an address passed from one pod to another),
 * or a change of the elements of a set with intervals (those are named by their content, so this
 * is a name collision), is made by replacing the table (`applyRuleset`, with its stand-in table).
 * The kernel picks the rules once per base chain, so all this holds per base chain: a packet whose
 * egress base chain ran before a commit and ingress after it meets two generations (documented).
 *
 * Sets. A plain set (no flags: pods' addresses, named ports' address . protocol . port) is named
 * by what decides its elements (SetRegistry), so when pods come and go it keeps its name and
 * its elements change. When they are only added and no chain that exists already changes (new
 * chains, new or lost dispatch entries and a leaving pod's `return` aside), they are added in
 * place in the first transaction (`add element`): every rule a packet can meet is then the same in
 * both generations, so old rules with new elements are the new ruleset, but for an address whose
 * dispatch entry is new (its chain is empty in the old generation: it passes, as before). An
 * element that goes would make the first transaction delete (see "Two transactions"), and when a
 * chain changes as well old rules must not meet new elements. So the sets are not touched in the
 * first transaction: when they only lose elements, every chain that reads them, changed or not,
 * gets its new rules with the lost addresses excluded before each use (`ip saddr != { a } ip
 * saddr @set`; a named-port set's lost address only when none of its ports stays); otherwise each
 * changed set's new elements are declared under a stand-in name (`standin_<set>`) that those rules
 * read. `tidy` then changes the sets' elements in place, refills those chains with their own rules
 * and deletes the stand-ins. Old rules meet old elements, new rules the new elements.
 * A deletion's wait is in nft's exit, and nft 1.0.6 gives no cheaper sign of the commit (nft.ts,
 * WarmNft `echo`): sending the sets anew costs less than that wait.
 * Unchanged objects are not touched: their named counters keep counting, the deny-log sets keep
 * their records. Changes nft cannot make in place, or that this module does not attempt (a base
 * chain's hook or policy, a set's type, flags, size or timeout, a comment, the elements of a
 * lookup set, a map entry sent to another chain, another table), give `{ kind: 'full', reason }`:
 * the caller replaces the table.
 */

import { deepestJumpLevel, MAX_JUMP_LEVEL } from './jump-depth.js'
import { dispatchMapName, FAMILIES, SIDES } from './nft-match.js'
import { declarationLines, sameList, tableObjectKey, type TableObject, type TableObjects } from './table-objects.js'

export type { TableObject, TableObjects } from './table-objects.js'

/** The script is not in the shape compileRuleset writes: no delta from or to it (replace the table). */
export class UnexpectedScriptError extends Error {
  constructor(message: string, line: number) {
    super(`line ${line}: ${message}`)
    this.name = 'UnexpectedScriptError'
  }
}

const TABLE_LINE = /^table (inet [A-Za-z_][A-Za-z0-9_-]*) \{$/
const OBJECT_LINE = /^\t(counter|set|map|chain) ([a-z0-9_]+) \{$/
const PROP_WORDS: Readonly<Record<'counter' | 'set' | 'map' | 'chain', readonly string[]>> = {
  counter: ['comment'],
  set: ['type', 'flags', 'size', 'timeout', 'counter', 'comment', 'policy'],
  map: ['type', 'flags', 'size', 'timeout', 'counter', 'comment', 'policy'],
  chain: ['type', 'comment'],
}

/**
 * The objects of the one table a compiled script defines. Line-based on purpose: compileRuleset
 * writes one object header, property, elements list or rule per line; anything else is refused
 * (UnexpectedScriptError), so a delta is only ever computed from scripts read completely.
 * With `previous` (the objects of the script read before), an elements list of the same text is
 * the same array: most sets do not change from one update to the next, and their thousands of
 * elements are then neither split again nor compared one by one.
 */
export function parseTableObjects(script: string, previous?: TableObjects): TableObjects {
  const lines = script.split('\n')
  let table: string | undefined
  const objects = new Map<string, TableObject>()
  const elementLists = new Map<string, readonly string[]>()
  let i = 0
  const fail = (message: string): never => {
    throw new UnexpectedScriptError(message, i + 1)
  }
  for (; i < lines.length; i++) {
    const line = lines[i]
    if (line === '' || line.startsWith('#') || /^(add|delete) table inet [A-Za-z_][A-Za-z0-9_-]*$/.test(line)) continue
    const t = TABLE_LINE.exec(line)
    if (!t) fail(`unexpected line outside the table: ${JSON.stringify(line.slice(0, 80))}`)
    if (table !== undefined) fail('a second table block')
    table = t![1]
    for (i++; i < lines.length && lines[i] !== '}'; i++) {
      const head = OBJECT_LINE.exec(lines[i])
      if (!head) fail(`unexpected line in the table: ${JSON.stringify(lines[i].slice(0, 80))}`)
      const kind = head![1] as TableObject['kind']
      const name = head![2]
      const props: string[] = []
      const body: string[] = []
      let elements: readonly string[] | undefined
      for (i++; i < lines.length && lines[i] !== '\t}'; i++) {
        const l = lines[i]
        if (!l.startsWith('\t\t') || l.length === 2) fail('expected a property, elements or a rule')
        const text = l.slice(2)
        const word = text.slice(0, text.indexOf(' ') < 0 ? text.length : text.indexOf(' '))
        if (kind !== 'chain' && text.startsWith('elements = { ') && text.endsWith(' }')) {
          if (elements !== undefined) fail('elements listed twice')
          const listed = text.slice('elements = { '.length, -2)
          elements = elementLists.get(listed) ?? previous?.elementLists?.get(listed) ?? splitElements(listed, i + 1)
          elementLists.set(listed, elements)
        } else if (PROP_WORDS[kind].includes(word) && (kind !== 'chain' || word === 'comment' || text.startsWith('type filter hook '))) {
          props.push(text)
        } else if (kind === 'chain') {
          body.push(text)
        } else {
          fail(`unexpected ${kind} line ${JSON.stringify(text.slice(0, 80))}`)
        }
      }
      if (i >= lines.length) fail(`${kind} ${name} is not closed`)
      const key = tableObjectKey({ kind, name })
      if (objects.has(key)) fail(`${kind} ${name} declared twice`)
      const object: TableObject =
        kind === 'chain' ? { kind, name, props, rules: body } : kind === 'counter' ? { kind, name, props } : { kind, name, props, elements: elements ?? [] }
      objects.set(key, object)
    }
    if (i >= lines.length) fail('the table is not closed')
  }
  if (table === undefined) throw new UnexpectedScriptError('no table block', 1)
  return { table, objects, elementLists }
}

/** `a, b : goto c, d` -> its elements; an element never holds a comma, brace or quote in compiled output. */
function splitElements(text: string, line: number): string[] {
  if (/[{}"]/.test(text)) throw new UnexpectedScriptError('unexpected braces or quotes in an elements list', line)
  return text.split(', ').map((e) => {
    if (e === '' || e !== e.trim() || e.includes(',')) throw new UnexpectedScriptError(`unexpected element ${JSON.stringify(e.slice(0, 80))}`, line)
    return e
  })
}

export interface DeltaCounts {
  readonly added: number
  readonly removed: number
  readonly changedChains: number
  /** Maps flushed and filled again (they lost entries). */
  readonly setsFlushed: number
  readonly elementsAdded: number
  readonly elementsDeleted: number
}

export type RulesetDelta =
  /**
   * Two nft transactions, applied in turn ('' when there is nothing to do): `script` makes the new
   * ruleset take effect, `tidy` then removes what it superseded, after which the table is exactly
   * `next` (see "Two transactions" above).
   */
  | { readonly kind: 'incremental'; readonly script: string; readonly tidy: string; readonly counts: DeltaCounts }
  /** The change cannot be made in place safely: replace the whole table. */
  | { readonly kind: 'full'; readonly reason: string }

const TARGET = /\b(?:jump|goto) ([a-z0-9_]+)/g
const VMAP = /\bvmap @([a-z0-9_]+)/g

/** The chains an object's rules (a map's entries) jump or go to, and the verdict maps its rules look up. */
interface Links {
  readonly targets: readonly string[]
  readonly maps: readonly string[]
}
/** Per object: the compiler hands out unchanged objects again, so their rules are not scanned again. */
const links = new WeakMap<TableObject, Links>()
function linksOf(o: TableObject): Links {
  let l = links.get(o)
  if (l === undefined) {
    const targets: string[] = []
    const maps: string[] = []
    const texts = o.kind === 'chain' ? o.rules : o.kind === 'map' ? o.elements : []
    for (const text of texts) {
      if (text.includes('jump ') || text.includes('goto ')) for (const m of text.matchAll(TARGET)) targets.push(m[1])
      if (o.kind === 'chain' && text.includes('vmap @')) for (const v of text.matchAll(VMAP)) maps.push(v[1])
    }
    links.set(o, (l = { targets, maps }))
  }
  return l
}

/**
 * How deep the jumps go in the table as it is after `script` (jump-depth.ts): every rule of
 * `before` and `after` (a changed chain has both, the old ones below `return`) and every entry of
 * each verdict map in either.
 */
function unionLevels(before: TableObjects, after: TableObjects): number {
  // Each object once when both scripts have the same one (most of them), else both.
  const versions = (key: string): TableObject[] => {
    const b = before.objects.get(key)
    const a = after.objects.get(key)
    if (a === undefined || b === undefined) return a === undefined ? (b === undefined ? [] : [b]) : [a]
    if (a.kind === 'chain' && b.kind === 'chain') return sameList(a.rules, b.rules) ? [a] : [b, a]
    if ((a.kind === 'set' || a.kind === 'map') && (b.kind === 'set' || b.kind === 'map')) return sameList(a.elements, b.elements) ? [a] : [b, a]
    return [b, a]
  }
  const mapTargets = new Map<string, string[]>()
  const viaMap = (name: string): string[] => {
    let out = mapTargets.get(name)
    if (out === undefined) {
      out = []
      for (const o of versions(`set:${name}`)) if (o.kind === 'map') out.push(...linksOf(o).targets)
      mapTargets.set(name, out)
    }
    return out
  }
  const targets = function* (chain: string): Iterable<string> {
    for (const o of versions(`chain:${chain}`)) {
      if (o.kind !== 'chain') continue
      const { targets: direct, maps } = linksOf(o)
      yield* direct
      for (const m of maps) yield* viaMap(m)
    }
  }
  const bases = new Set<string>()
  for (const { objects } of [before, after]) for (const o of objects.values()) if (isBaseChain(o)) bases.add(o.name)
  return deepestJumpLevel(bases, targets)
}

/** The key of a verdict map entry (`10.0.0.1 : goto c` -> `10.0.0.1`). */
function mapKey(element: string): string {
  const at = element.indexOf(' : ')
  return at < 0 ? element : element.slice(0, at)
}

function isBaseChain(o: TableObject): boolean {
  return o.kind === 'chain' && o.props.some((p) => p.startsWith('type '))
}

const DECLARE_ORDER: readonly TableObject['kind'][] = ['counter', 'set', 'map', 'chain']

/** A set named in a rule. */
const SET_REF = /@([a-z0-9_]+)/g
/** A use of a set an exclusion fits: a plain address lookup, or a named-port lookup by destination address. */
const EXCLUDABLE_REF = /\b(ip6? [sd]addr)(?: \. meta l4proto \. th dport)? @([a-z0-9_]+)(?![a-z0-9_])/g

/**
 * For sets that only lose elements: per set, the addresses to exclude where rules read it (`a, b`),
 * when that is exactly what it loses: a plain set's lost addresses, or a named-port set's lost
 * addresses of which no element is left. Undefined when a set also gains, or an address keeps a port.
 */
function excludedAddresses(
  changed: readonly { name: string; come: readonly string[]; gone: readonly string[] }[],
  after: TableObjects,
): Map<string, string> | undefined {
  const out = new Map<string, string>()
  for (const { name, come, gone } of changed) {
    if (come.length > 0) return undefined
    const address = (e: string): string => e.split(' . ')[0]
    const lost = new Set(gone.map(address))
    const set = after.objects.get(`set:${name}`)
    if (set?.kind !== 'set' || set.elements.some((e) => lost.has(address(e)))) return undefined
    out.set(name, [...lost].join(', '))
  }
  return out
}

/** Stand-in sets (see "Sets") are named so; compiled names never start with it (nft-names.ts prefixes). */
const STAND_IN_PREFIX = 'standin_'

const DISPATCH_MAPS: ReadonlySet<string> = new Set(SIDES.flatMap((side) => FAMILIES.map((family) => dispatchMapName(side, family))))

/**
 * The transaction that turns the table of `previous` into the table of `next` (both compiled
 * scripts, or their parsed objects), or why the table must be replaced instead.
 */
export function rulesetDelta(previous: string | TableObjects, next: string | TableObjects): RulesetDelta {
  let before: TableObjects
  let after: TableObjects
  try {
    before = typeof previous === 'string' ? parseTableObjects(previous) : previous
    after = typeof next === 'string' ? parseTableObjects(next) : next
  } catch (e) {
    if (e instanceof UnexpectedScriptError) return { kind: 'full', reason: `not a compiled ruleset (${e.message})` }
    throw e
  }
  if (before.table !== after.table) return { kind: 'full', reason: `another table (${before.table} -> ${after.table})` }
  const t = after.table
  const added: TableObject[] = []
  const removed: TableObject[] = []
  const changedChains: { name: string; rules: readonly string[] }[] = []
  const flushed: TableObject[] = []
  const grown: TableObject[] = []
  const lost: { map: string; element: string }[] = []
  const changedSets: { name: string; come: readonly string[]; gone: readonly string[] }[] = []
  let elementsAdded = 0
  let elementsDeleted = 0
  for (const [key, o] of before.objects) if (!after.objects.has(key)) removed.push(o)
  for (const [key, o] of after.objects) {
    const old = before.objects.get(key)
    if (old === undefined) {
      added.push(o)
      continue
    }
    // The compiler hands out an unchanged object again (KeptObjects).
    if (old === o) continue
    if (old.kind !== o.kind) return { kind: 'full', reason: `${old.kind} ${o.name} became a ${o.kind}` }
    if (!sameList(old.props, o.props)) return { kind: 'full', reason: `the properties of ${o.kind} ${o.name} changed` }
    if (o.kind === 'chain' && old.kind === 'chain') {
      if (!sameList(old.rules, o.rules)) changedChains.push({ name: o.name, rules: o.rules })
    } else if ((o.kind === 'set' || o.kind === 'map') && (old.kind === 'set' || old.kind === 'map')) {
      if (sameList(old.elements, o.elements)) continue
      // Sets with flags (intervals) are named by their content: a change is a name collision. So are maps with flags.
      if (o.props.some((p) => p.startsWith('flags '))) return { kind: 'full', reason: `the elements of ${o.kind} ${o.name} changed` }
      if (o.kind === 'set') {
        // A plain set named by what decides its elements (SetRegistry): its elements change in place (see "Sets").
        const was = new Set(old.elements)
        const is = new Set(o.elements)
        const come = o.elements.filter((e) => !was.has(e))
        const gone = old.elements.filter((e) => !is.has(e))
        elementsAdded += come.length
        elementsDeleted += gone.length
        changedSets.push({ name: o.name, come, gone })
        continue
      }
      const targets = new Map(old.elements.map((e) => [mapKey(e), e]))
      const newElements = new Set(o.elements)
      const oldElements = new Set(old.elements)
      const come = o.elements.filter((e) => !oldElements.has(e))
      const moved = come.find((e) => targets.has(mapKey(e)))
      // See "Generations" above: an entry that keeps its key and changes its chain could send a packet of the old rules to another chain.
      if (moved !== undefined) return { kind: 'full', reason: `map ${o.name} sends ${mapKey(moved)} to another chain` }
      const gone = old.elements.filter((e) => !newElements.has(e))
      elementsDeleted += gone.length
      elementsAdded += come.length
      // New entries go in with the additions; a map that lost entries is flushed and declared again with all of them.
      if (come.length > 0) grown.push({ ...o, elements: come })
      if (gone.length > 0) flushed.push(o)
      for (const e of gone) lost.push({ map: o.name, element: e })
    }
  }
  const base = [...added, ...removed].find(isBaseChain)
  if (base !== undefined) return { kind: 'full', reason: `base chain ${base.name} added or removed` }

  const removedChains = new Set(removed.filter((o) => o.kind === 'chain').map((o) => o.name))
  // A lost dispatch entry whose chain goes away: that chain returns at once (see "Two transactions").
  const returning = new Set<string>()
  let split = true
  for (const { map, element } of lost) {
    const target = / : goto ([a-z0-9_]+)$/.exec(element)?.[1]
    if (target !== undefined && DISPATCH_MAPS.has(map) && removedChains.has(target)) returning.add(target)
    else split = false
  }
  // The old rules stay below `return` until `tidy`, and the kernel counts them when it checks how deep the jumps go.
  if (split && changedChains.length + returning.size > 0 && unionLevels(before, after) > MAX_JUMP_LEVEL) split = false
  // See "Sets": elements only added, and no chain a packet can already be in changes: in place.
  // Only taken away: excluded in the rules that read them until `tidy` (no element changes now).
  // Else: the new elements go to a stand-in set the rules read until `tidy`.
  const inPlace = split && changedChains.length === 0 && changedSets.every((c) => c.gone.length === 0)
  const changedNamesPattern = `@(?:${changedSets.map((c) => c.name).join('|')})(?![a-z0-9_])`
  const changedRef = changedSets.length === 0 ? undefined : new RegExp(changedNamesPattern)
  const changedRefs = new RegExp(changedNamesPattern, 'g')
  const usesChanged = (rule: string): boolean => !inPlace && changedRef !== undefined && changedRef.test(rule)
  const exclusions = !inPlace && split ? excludedAddresses(changedSets, after) : undefined
  /** Each rule that reads a changed set, with the exclusions in place; undefined when one use is not of a shape they fit. */
  const excluding = (rule: string): string | undefined => {
    let found = 0
    const out = rule.replace(EXCLUDABLE_REF, (ref, field: string, name: string) => {
      const addresses = exclusions!.get(name)
      if (addresses === undefined) return ref
      found++
      return `${field} != { ${addresses} } ${ref}`
    })
    // Every use of a changed set must be one the exclusion fits (a plain address or named-port lookup).
    return found === (rule.match(changedRefs) ?? []).length ? out : undefined
  }
  // Chains (kept or added) that read a changed set: their rules go through the exclusions or stand-ins now, and are their own again in `tidy`.
  const users = [...after.objects.values()].filter((o): o is Extract<TableObject, { kind: 'chain' }> => o.kind === 'chain' && o.rules.some(usesChanged))
  const excluded = new Map<string, string>()
  const exclude =
    exclusions !== undefined &&
    users.every((o) =>
      o.rules.every((r) => {
        if (!usesChanged(r) || excluded.has(r)) return true
        const out = excluding(r)
        if (out !== undefined) excluded.set(r, out)
        return out !== undefined
      }),
    )
  const standIns = new Map<string, string>()
  if (changedSets.length > 0 && !inPlace && !exclude) {
    const taken = (name: string): boolean => before.objects.has(`set:${name}`) || after.objects.has(`set:${name}`)
    for (const { name } of changedSets) {
      let standIn = `${STAND_IN_PREFIX}${name}`
      for (let n = 2; taken(standIn) || [...standIns.values()].includes(standIn); n++) standIn = `${STAND_IN_PREFIX}${name}_${n}`
      standIns.set(name, standIn)
    }
  }
  /** A rule as the first transaction writes it: the changed sets it reads excluded from or replaced by their stand-ins. */
  const firstRule = (rule: string): string =>
    !usesChanged(rule)
      ? rule
      : exclude
        ? excluded.get(rule)!
        : rule.replace(SET_REF, (ref, name: string) => (standIns.has(name) ? `@${standIns.get(name)!}` : ref))
  const changedNames = new Set(changedChains.map((c) => c.name))
  const repointed = users.filter((o) => !changedNames.has(o.name) && before.objects.has(`chain:${o.name}`))
  const addedRepointed = users.filter((o) => !before.objects.has(`chain:${o.name}`))
  const firstChains = [...changedChains, ...repointed.map((o) => ({ name: o.name, rules: o.rules }))]
  const firstObjects = added.map((o): TableObject => (o.kind === 'chain' ? { ...o, rules: o.rules.map(firstRule) } : o))
  const standInSets: TableObject[] = changedSets
    .filter(({ name }) => standIns.has(name))
    .map(({ name }) => {
      const o = after.objects.get(`set:${name}`)!
      return { ...o, name: standIns.get(name)! } as TableObject
    })

  const declareBlock = (objects: readonly TableObject[]): string[] => {
    if (objects.length === 0) return []
    const out = [`table ${t} {`]
    for (const kind of DECLARE_ORDER) for (const o of objects) if (o.kind === kind) out.push(...declarationLines(o))
    return [...out, '}']
  }
  const elementUpdates = changedSets.flatMap(({ name, come, gone }) => [
    ...(gone.length > 0 ? [`delete element ${t} ${name} { ${gone.join(', ')} }`] : []),
    ...(come.length > 0 ? [`add element ${t} ${name} { ${come.join(', ')} }`] : []),
  ])
  const refill = (chains: readonly { name: string; rules: readonly string[] }[], rewrite: (rule: string) => string): string[] =>
    chains.flatMap((c) => [`flush chain ${t} ${c.name}`, ...c.rules.map((r) => `add rule ${t} ${c.name} ${rewrite(r)}`)])
  const deletions = (objects: readonly TableObject[]): string[] => [
    ...objects.filter((o) => o.kind === 'chain').map((o) => `flush chain ${t} ${o.name}`),
    ...objects.filter((o) => o.kind === 'set' || o.kind === 'map').map((o) => `delete ${o.kind} ${t} ${o.name}`),
    ...objects.filter((o) => o.kind === 'chain').map((o) => `delete chain ${t} ${o.name}`),
    ...objects.filter((o) => o.kind === 'counter').map((o) => `delete counter ${t} ${o.name}`),
  ]
  // With exclusions or stand-ins, `tidy` changes the sets' elements and gives the chains that read them their own rules again.
  const restore = inPlace || changedSets.length === 0 ? [] : [...elementUpdates, ...refill([...firstChains, ...addedRepointed], (r) => r)]
  let enforce: string[]
  let tidy: string[]
  if (split) {
    // Only additions (in place, the elements sets gain): the new objects and entries, each changed
    // chain's new rules then `return` at its head (inserted in reverse).
    enforce = [
      ...declareBlock([...firstObjects, ...standInSets, ...grown]),
      ...(inPlace ? elementUpdates : []),
      ...firstChains.flatMap((c) => [`insert rule ${t} ${c.name} return`, ...[...c.rules].reverse().map((r) => `insert rule ${t} ${c.name} ${firstRule(r)}`)]),
      ...[...returning].map((c) => `insert rule ${t} ${c} return`),
    ]
    tidy = [
      ...flushed.map((o) => `flush ${o.kind} ${t} ${o.name}`),
      ...declareBlock(flushed),
      ...(restore.length === 0 ? refill(changedChains, (r) => r) : restore),
      ...deletions([...removed, ...standInSets]),
    ]
  } else {
    // One transaction: the maps that lost entries flushed first and declared again with all of them.
    enforce = [
      ...flushed.map((o) => `flush ${o.kind} ${t} ${o.name}`),
      ...declareBlock([...firstObjects, ...standInSets, ...grown.filter((o) => !flushed.some((f) => f.name === o.name)), ...flushed]),
      ...refill(firstChains, firstRule),
      ...deletions(removed),
    ]
    tidy = restore.length === 0 ? [] : [...restore, ...deletions(standInSets)]
  }
  const counts = {
    added: added.length,
    removed: removed.length,
    changedChains: changedChains.length,
    setsFlushed: flushed.length,
    elementsAdded,
    elementsDeleted,
  }
  const summary =
    `${counts.added} objects added, ${counts.removed} removed, ${counts.changedChains} chains refilled, ` +
    `${elementsAdded} elements added, ${elementsDeleted} deleted`
  return {
    kind: 'incremental',
    script:
      enforce.length === 0
        ? ''
        : `# netpol incremental update (${summary}): ${split ? 'what takes effect' : 'all of it'}, one transaction.\n${enforce.join('\n')}\n`,
    tidy: tidy.length === 0 ? '' : `# netpol incremental update (${summary}): what it superseded removed, one transaction.\n${tidy.join('\n')}\n`,
    counts,
  }
}
