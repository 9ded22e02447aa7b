/**
 * Hand-written tables in compileRuleset's shape whose jumps go a chosen number of levels deep
 * (the compiler itself stays shallow: see compile-cluster-tiers.ts):
 * - `before`: forward -> m -> a1 -> ... -> an -> z
 * - `after`:  forward -> m -> z -> b1 -> ... -> bn
 * Each alone puts its deepest chain n + 2 levels below the base chain; the update from one to the
 * other, with the old rules of m and z left below `return`, 2n + 2.
 */
/** As compileRuleset starts a script: it replaces the table whether or not it exists. */
const REPLACE = 'add table inet netpol\ndelete table inet netpol\n'

export function jumpChainScript(shape: 'before' | 'after', n: number): string {
  const chain = (name: string, rules: string[]): string => `\tchain ${name} {\n${rules.map((r) => `\t\t${r}\n`).join('')}\t}\n`
  const line = (prefix: string, to: string): string[] =>
    Array.from({ length: n }, (_, i) => chain(`${prefix}${i + 1}`, [i + 1 < n ? `jump ${prefix}${i + 2}` : to]).trimEnd())
  const parts =
    shape === 'before'
      ? [chain('m', ['jump a1']), ...line('a', 'jump z'), chain('z', ['counter'])]
      : [chain('m', ['jump z']), chain('z', ['jump b1']), ...line('b', 'counter')]
  const base = chain('forward', ['type filter hook forward priority filter; policy accept;', 'jump m'])
  return `${REPLACE}table inet netpol {\n${base}${parts.map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join('')}}\n`
}

/** One straight line of `levels` jumps from the base chain: its last chain is `levels` deep. */
export function straightJumpScript(levels: number): string {
  const rules = (i: number): string => (i < levels ? `\t\tjump c${i + 1}\n` : '\t\tcounter\n')
  let out = `${REPLACE}table inet netpol {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n${rules(0)}\t}\n`
  for (let i = 1; i <= levels; i++) out += `\tchain c${i} {\n${rules(i)}\t}\n`
  return `${out}}\n`
}
