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
