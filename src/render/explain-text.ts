/**
 * @module `netpol explain` as text: the verdict first, then each side (egress of the source,
 * ingress of the destination) with its policies, the rule that allowed the traffic or, for each
 * selecting policy, why none of its rules matched. Every policy and rule names its file:line.
 */
import type { Explanation, PolicyExplanation, SideExplanation, TierExplanation } from '../analyze/explain.js'
import type { ServiceExplanation } from '../analyze/explain-service.js'
import type { Outcome } from '../engine/verdict.js'
import { printable } from '../model/printable.js'
import { formatPort } from '../model/describe.js'

const GREEN = '\u001b[32m'
const RED = '\u001b[31m'
const BOLD = '\u001b[1m'
const YELLOW = '\u001b[33m'
const RESET = '\u001b[0m'

export interface ExplainTextOptions {
  readonly colour?: boolean
}

export function renderExplainText(e: Explanation, options: ExplainTextOptions = {}): string {
  const paint = (code: string, text: string) => (options.colour ? `${code}${text}${RESET}` : text)
  const words: Record<Outcome, string> = {
    allowed: paint(GREEN, 'ALLOWED'),
    denied: paint(RED, 'DENIED'),
    undefined: paint(YELLOW, 'UNDEFINED'),
    unknown: paint(YELLOW, 'UNKNOWN'),
  }
  const word = (outcome: Outcome) => words[outcome]
  const lines: string[] = []
  lines.push(`${paint(BOLD, printable(`${e.from} -> ${e.to} on ${formatPort(e)}`))}: ${word(e.outcome ?? (e.allowed ? 'allowed' : 'denied'))}`)
  lines.push(`  ${printable(e.summary)}`)
  for (const side of [e.egress, e.ingress]) {
    lines.push('')
    lines.push(...renderSide(side, word, e.loopback ? 'loopback' : e.fromNode && side.direction === 'Ingress' ? "traffic from the pod's own node" : undefined))
  }
  return lines.join('\n') + '\n'
}

/** `exempt`: what the side's verdict is not applied to (loopback, traffic from the pod's own node), if anything. */
function renderSide(side: SideExplanation, word: (outcome: Outcome) => string, exempt: string | undefined): string[] {
  const title = side.direction === 'Egress' ? `Egress of ${printable(side.endpoint)}` : `Ingress of ${printable(side.endpoint)}`
  const state = !side.enforced ? 'not enforced' : side.isolated ? 'isolated' : 'not isolated'
  const outcome = side.tiers?.outcome ?? (side.allowed ? 'allowed' : 'denied')
  const decidedBy = side.tiers?.decidedBy
  const decider = decidedBy === 'default' ? 'the default (allow)' : decidedBy === 'NetworkPolicy' ? 'NetworkPolicy' : `the ${decidedBy} tier`
  const how = side.tiers ? `decided by ${decider}; ${state}` : state
  const verdict = exempt ? `would be ${outcome} (${how}; not applied to ${exempt})` : `${word(outcome)} (${how})`
  const lines = [`${title}: ${verdict}`]
  if (side.tiers === undefined) {
    lines.push(`  ${printable(side.summary)}`)
    for (const p of side.policies) lines.push(...renderPolicy(p))
    return lines
  }
  // Tier by tier, in evaluation order: Admin, NetworkPolicy, Baseline.
  lines.push(...renderTier(side.tiers.admin))
  lines.push(`  NetworkPolicy: ${printable(side.tiers.networkPolicy)}`)
  if (side.tiers.decidedBy !== 'Admin' && side.isolated) {
    lines.push(`    ${printable(side.summary)}`)
    for (const p of side.policies) lines.push(...renderPolicy(p).map((l) => `  ${l}`))
  }
  if (side.tiers.baseline) lines.push(...renderTier(side.tiers.baseline))
  else
    lines.push(
      `  Baseline tier: not consulted${side.tiers.decidedBy === 'Admin' ? ' (the Admin tier decided)' : side.enforced ? ' (NetworkPolicy decided)' : ''}`,
    )
  return lines
}

function renderTier(t: TierExplanation): string[] {
  const lines = [`  ${t.tier} tier: ${printable(t.summary)}`]
  for (const p of t.policies) lines.push(`    policy ${printable(`${p.policy} (priority ${p.priority}, ${p.source})`)}`)
  for (const m of t.matches) {
    const name = m.ruleName === undefined ? '' : ` "${m.ruleName}"`
    lines.push(
      `    ${m.maybe ? '?' : '>'} ` +
        printable(`${m.policy} ${m.rule}${name} (${m.source}): ${m.action}; peer ${m.peer}; ${m.protocol}${m.maybe ? `; may match only (${m.maybe})` : ''}`),
    )
  }
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

/**
 * A connection by Service: the answer per backend first (all, some, none), the translation of each
 * backend connection, then each backend connection explained in full.
 */
export function renderServiceExplainText(e: ServiceExplanation, options: ExplainTextOptions = {}): string {
  const paint = (code: string, text: string) => (options.colour ? `${code}${text}${RESET}` : text)
  const n = e.connections.length
  const allowedCount = e.connections.filter((c) => c.allowed).length
  const word =
    e.answer === 'all'
      ? paint(GREEN, 'ALLOWED')
      : e.answer === 'some'
        ? paint(YELLOW, `PARTLY ALLOWED (${allowedCount} of ${n})`)
        : paint(RED, n === 0 ? 'NO BACKENDS' : 'DENIED')
  const lines: string[] = [`${paint(BOLD, printable(`${e.from} -> ${e.to} on ${formatPort(e)}`))}: ${word}`, `  ${printable(e.summary)}`]
  if (e.toService?.port) {
    const p = e.toService.port
    const ips = e.toService.clusterIPs.length > 0 ? e.toService.clusterIPs.join(', ') : 'no ClusterIP known'
    lines.push(
      `  ${printable(`${e.toService.name} (${e.toService.type}, ${ips}) port ${p.name ? `${p.name} ` : ''}${formatPort(p)} -> targetPort ${p.targetPort}`)}`,
    )
  }
  for (const c of e.connections) lines.push(`  ${c.allowed ? '+' : '-'} ${printable(c.translation || `${c.explanation.from} -> ${c.explanation.to}`)}`)
  for (const u of e.unresolved) lines.push(`  ! ${printable(`${u.pod}: ${u.reason}`)}`)
  for (const c of e.connections) {
    lines.push('')
    lines.push(...renderExplainText(c.explanation, options).trimEnd().split('\n'))
  }
  return lines.join('\n') + '\n'
}
