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

/**
 * straightJumpScript's line with each step a `goto`, or with the step from c2 through a verdict
 * map (`ip daddr vmap @m`, whose element jumps to c3): each still one level deeper.
 */
export function straightJumpVariant(levels: number, step: 'goto' | 'vmap'): string {
  const script = straightJumpScript(levels)
  if (step === 'goto') return script.replace(/\bjump c/g, 'goto c')
  return script
    .replace('\tchain c2 {\n\t\tjump c3\n', '\tchain c2 {\n\t\tip daddr vmap @m\n')
    .replace('table inet netpol {\n', 'table inet netpol {\n\tmap m {\n\t\ttype ipv4_addr : verdict\n\t\telements = { 10.0.0.1 : jump c3 }\n\t}\n')
}

/**
 * A shallow line (forward -> c1 -> c2 -> c3) with, when `reachable`, c3 going back to c1 (a loop
 * the base chain reaches); else a loop of two chains and a line of 20 that no base chain reaches
 * (nft checks neither).
 */
export function loopScript(reachable: boolean): string {
  const script = straightJumpScript(3)
  if (reachable) return script.replace('\tchain c3 {\n\t\tcounter\n', '\tchain c3 {\n\t\tgoto c1\n')
  let extra = '\tchain l1 {\n\t\tjump l2\n\t}\n\tchain l2 {\n\t\tjump l1\n\t}\n'
  for (let i = 1; i <= 20; i++) extra += `\tchain u${i} {\n\t\t${i < 20 ? `jump u${i + 1}` : 'counter'}\n\t}\n`
  return script.replace(/\}\n$/, `${extra}}\n`)
}
