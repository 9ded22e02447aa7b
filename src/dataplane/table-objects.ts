/**
 * @module The objects of netpol's table (named counters, sets, maps, chains) and the text that
 * declares one inside a table block.
 *
 * The compiler builds its ruleset as these objects and writes the script from them
 * (compile-ruleset.ts), so the agent computes a delta from the objects it compiled without reading
 * the 0.5 MB script back; `parseTableObjects` (ruleset-delta.ts) reads a script into the same
 * objects, and a test holds the two equal.
 */

/** An object of the table, as in the script: `props` are its property lines (type, flags, comment, ...). */
export type TableObject =
  | { readonly kind: 'counter'; readonly name: string; readonly props: readonly string[] }
  | { readonly kind: 'set' | 'map'; readonly name: string; readonly props: readonly string[]; readonly elements: readonly string[] }
  | { readonly kind: 'chain'; readonly name: string; readonly props: readonly string[]; readonly rules: readonly string[] }

export interface TableObjects {
  /** `inet netpol` */
  readonly table: string
  /** Keyed by nft's name space and name (`tableObjectKey`), in the order of the script. */
  readonly objects: ReadonlyMap<string, TableObject>
  /** Each `elements = { ... }` text read, with its elements: the next read reuses them (see parseTableObjects). */
  readonly elementLists?: ReadonlyMap<string, readonly string[]>
}

/** `chain:x`, `set:x` (sets and maps share one name space), `counter:x`. */
export function tableObjectKey(o: Pick<TableObject, 'kind' | 'name'>): string {
  return `${o.kind === 'map' ? 'set' : o.kind}:${o.name}`
}

/** `a, b, c`: joined once per list (the incremental compiler keeps its lists from one ruleset to the next). */
const joined = new WeakMap<readonly string[], string>()
function joinElements(elements: readonly string[]): string {
  let text = joined.get(elements)
  if (text === undefined) joined.set(elements, (text = elements.join(', ')))
  return text
}

/** The lines that declare an object inside a table block: one header, property, elements list or rule per line. */
export function declarationLines(o: TableObject): string[] {
  const out = [`\t${o.kind} ${o.name} {`]
  for (const p of o.props) out.push(`\t\t${p}`)
  if (o.kind === 'set' || o.kind === 'map') {
    if (o.elements.length > 0) out.push(`\t\telements = { ${joinElements(o.elements)} }`)
  } else if (o.kind === 'chain') {
    for (const r of o.rules) out.push(`\t\t${r}`)
  }
  out.push('\t}')
  return out
}

/** What an object is made from: compared part by part (lists element by element) to tell whether it can be kept. */
export type ObjectPart = string | number | boolean | undefined | readonly string[]

/** The same items (strings by value, objects by identity) in the same order. */
export function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function samePart(a: ObjectPart, b: ObjectPart): boolean {
  return a === b || (Array.isArray(a) && Array.isArray(b) && sameList(a, b))
}

/**
 * The objects of the last two rulesets, by key and what each was made from (the incremental
 * compiler's): an object made from equal parts is the same object again, so its text is not built
 * again (`declarationText`) and a delta sees it unchanged by identity.
 */
export class KeptObjects {
  private previous = KeptObjects.spaces()
  private current = KeptObjects.spaces()

  private static spaces(): Record<'chain' | 'set' | 'counter', Map<string, { readonly parts: readonly ObjectPart[]; readonly object: TableObject }>> {
    return { chain: new Map(), set: new Map(), counter: new Map() }
  }

  /** The object `make` builds from `parts`; `make` must read nothing but `parts` (and the name). */
  object(kind: TableObject['kind'], name: string, parts: readonly ObjectPart[], make: () => TableObject): TableObject {
    const space = kind === 'map' ? 'set' : kind
    const kept = this.previous[space].get(name)
    if (kept !== undefined && kept.object.kind === kind && kept.parts.length === parts.length && kept.parts.every((p, i) => samePart(p, parts[i]))) {
      this.current[space].set(name, kept)
      return kept.object
    }
    const object = make()
    this.current[space].set(name, { parts, object })
    return object
  }

  nextRound(): void {
    this.previous = this.current
    this.current = KeptObjects.spaces()
  }
}

/** `tableObjectKey` of an object, made once per object. */
const keys = new WeakMap<TableObject, string>()
export function keyOf(o: TableObject): string {
  let key = keys.get(o)
  if (key === undefined) keys.set(o, (key = tableObjectKey(o)))
  return key
}

/** An object's declaration as one text (remembered per object: a kept object's text is not built again). */
const texts = new WeakMap<TableObject, string>()
export function declarationText(o: TableObject): string {
  let text = texts.get(o)
  if (text === undefined) texts.set(o, (text = declarationLines(o).join('\n')))
  return text
}
