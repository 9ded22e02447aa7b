/**
 * @module `netpol explain` as text: the verdict first, then each side (egress of the source,
 * ingress of the destination) with its policies, the rule that allowed the traffic or, for each
 * selecting policy, why none of its rules matched. Every policy and rule names its file:line.
 */
import type { Explanation, PolicyExplanation, SideExplanation } from '../analyze/explain.js'
import { printable } from '../model/printable.js'

const GREEN = '\u001b[32m'
const RED = '\u001b[31m'
const BOLD = '\u001b[1m'
const RESET = '\u001b[0m'

export interface ExplainTextOptions {
  readonly colour?: boolean
}

export function renderExplainText(e: Explanation, options: ExplainTextOptions = {}): string {
  const paint = (code: string, text: string) => (options.colour ? `${code}${text}${RESET}` : text)
  const word = (allowed: boolean) => (allowed ? paint(GREEN, 'ALLOWED') : paint(RED, 'DENIED'))
  const lines: string[] = []
  lines.push(`${paint(BOLD, printable(`${e.from} -> ${e.to} on ${e.port}/${e.protocol}`))}: ${word(e.allowed)}`)
  lines.push(`  ${printable(e.summary)}`)
  for (const side of [e.egress, e.ingress]) {
    lines.push('')
    lines.push(...renderSide(side, word, e.loopback))
  }
  return lines.join('\n') + '\n'
}

function renderSide(side: SideExplanation, word: (allowed: boolean) => string, loopback: boolean): string[] {
  const title = side.direction === 'Egress' ? `Egress of ${printable(side.endpoint)}` : `Ingress of ${printable(side.endpoint)}`
  const state = !side.enforced ? 'not enforced' : side.isolated ? 'isolated' : 'not isolated'
  const verdict = loopback ? `would be ${side.allowed ? 'allowed' : 'denied'} (${state}; not applied to loopback)` : `${word(side.allowed)} (${state})`
  const lines = [`${title}: ${verdict}`, `  ${printable(side.summary)}`]
  for (const p of side.policies) lines.push(...renderPolicy(p))
  return lines
}

function renderPolicy(p: PolicyExplanation): string[] {
  const lines = [`  ${p.allowed ? '+' : '-'} policy ${printable(`${p.policy} (${p.source})`)}: ${p.allowed ? 'allows' : 'does not allow'}`]
  if (p.allowed) {
    for (const r of p.allowedBy) lines.push(`      ${printable(`${r.rule} (${r.source}) matches: peer ${r.peer}; port ${r.port}`)}`)
    return lines
  }
  for (const m of p.misses) {
    lines.push(`      ${printable(m.rule === null ? m.detail : `${m.rule} (${m.source}): ${m.detail}`)}`)
  }
  return lines
}
