/**
 * @module `netpol diff` output: text for a terminal, JSON for scripts, Markdown to paste into a
 * pull request.
 */
import type { CauseClusterRule, DiffCause, DiffResult, DiffRow } from '../analyze/diff.js'
import { printable } from '../model/printable.js'
import { qualifiedName } from '../model/types.js'
import { renderJson } from './json.js'
import { mdCode, mdText, renderMdTable } from './md.js'

export const DIFF_FORMATS = ['text', 'json', 'md'] as const
export type DiffFormat = (typeof DIFF_FORMATS)[number]

/** `Admin ClusterNetworkPolicy "x" (priority 10) ingress[0] "name" Deny (file:line)`. */
export function formatCauseRule(r: CauseClusterRule): string {
  return (
    `${r.tier} ClusterNetworkPolicy ${JSON.stringify(r.policy)} (priority ${r.priority}) ${r.direction}[${r.ruleIndex}]` +
    `${r.ruleName === undefined ? '' : ` ${JSON.stringify(r.ruleName)}`} ${r.action} (${r.file}:${r.line})`
  )
}

export function formatCause(c: DiffCause): string {
  const list = c.policies.map((p) => `${qualifiedName(p)} (${p.file}:${p.line})`).join(', ')
  const rules = (c.clusterRules ?? []).map(formatCauseRule).join(' and ')
  switch (c.kind) {
    case 'accepted-by-cnp':
      return `${c.side} accepted by ${rules}`
    case 'denied-by-cnp':
      return `${c.side} denied by ${rules}`
    case 'no-longer-decided-by-cnp':
      return `${c.side} no longer decided by ${rules}`
    case 'undefined-by-cnp':
      return `${c.side} undefined: ${rules} match at one priority with different actions`
    case 'unknown-by-cnp':
      return `${c.side} unknown: ${rules} may match (a domainNames or nodes peer netpol cannot resolve offline)`
    case 'allowed-by':
      return `${c.side} allowed by ${list}`
    case 'no-longer-isolated':
      return `${c.side} no longer isolated${list ? ` (was: ${list})` : ''}`
    case 'isolated-by':
      return `${c.side} now isolated by ${list}, no rule allows it`
    case 'no-longer-allowed':
      return `${c.side} no longer allowed by ${list}`
  }
}

function causesText(row: DiffRow): string {
  const parts = row.causes.map(formatCause)
  if (row.note) parts.unshift(row.note)
  return parts.join('; ')
}

const SIGN: Record<DiffRow['change'], string> = { added: '+', changed: '~', removed: '-' }

const POSSIBLY_HEADING = 'may be newly allowed (outcome undefined or unknown: ClusterNetworkPolicies; not counted as allowed above)'

export function renderDiffText(result: DiffResult, colour: boolean): string {
  const paint = (code: string, t: string) => (colour ? `\u001b[${code}m${t}\u001b[0m` : t)
  const colourOf: Record<DiffRow['change'], string> = { added: '32', changed: '33', removed: '31' }
  const possible = result.possiblyNewlyAllowed ?? []
  const possibleLines: string[] = []
  for (const row of possible) {
    possibleLines.push(paint('33', printable(`? ${row.from} => ${row.to} : ${row.newlyAllowed}`)))
    const why = causesText(row)
    if (why) possibleLines.push(`    because: ${printable(why)}`)
  }
  if (possible.length > 0) possibleLines.push('', `${possible.length} ${POSSIBLY_HEADING}`)
  if (result.rows.length === 0) return possible.length === 0 ? 'no connectivity changes\n' : `no proven connectivity changes\n${possibleLines.join('\n')}\n`
  const lines: string[] = []
  for (const row of result.rows) {
    const delta = [row.newlyAllowed !== 'none' ? `+${row.newlyAllowed}` : '', row.newlyDenied !== 'none' ? `-${row.newlyDenied}` : ''].filter(Boolean)
    const ports = row.change === 'changed' ? `${row.before} -> ${row.after} (${delta.join(', ')})` : row.change === 'added' ? row.newlyAllowed : row.newlyDenied
    lines.push(paint(colourOf[row.change], printable(`${SIGN[row.change]} ${row.from} => ${row.to} : ${ports}`)))
    const why = causesText(row)
    if (why) lines.push(`    because: ${printable(why)}`)
  }
  const count = (c: DiffRow['change']) => result.rows.filter((r) => r.change === c).length
  lines.push('')
  lines.push(`${count('added')} newly allowed, ${count('changed')} changed, ${count('removed')} newly denied (grouped by ${result.groupBy})`)
  for (const g of result.groupsAdded) lines.push(`${result.groupBy} added: ${printable(g)}`)
  for (const g of result.groupsRemoved) lines.push(`${result.groupBy} removed: ${printable(g)}`)
  if (possible.length > 0) lines.push('', ...possibleLines)
  return `${lines.join('\n')}\n`
}

export function renderDiffJson(result: DiffResult): string {
  return renderJson({
    groupBy: result.groupBy,
    changes: result.rows.map((r) => ({
      change: r.change,
      from: r.from,
      to: r.to,
      before: r.before,
      after: r.after,
      newlyAllowed: r.newlyAllowed,
      newlyDenied: r.newlyDenied,
      causes: r.causes,
      ...(r.note ? { note: r.note } : {}),
    })),
    groupsAdded: result.groupsAdded,
    groupsRemoved: result.groupsRemoved,
    ...(result.possiblyNewlyAllowed === undefined
      ? {}
      : { possiblyNewlyAllowed: result.possiblyNewlyAllowed.map((r) => ({ from: r.from, to: r.to, ports: r.newlyAllowed, causes: r.causes })) }),
  })
}

export function renderDiffMd(result: DiffResult): string {
  const count = (c: DiffRow['change']) => result.rows.filter((r) => r.change === c).length
  const head =
    `### NetworkPolicy connectivity changes\n\n**${count('added')}** newly allowed, **${count('changed')}** changed, ` +
    `**${count('removed')}** newly denied (grouped by ${result.groupBy}).\n\n`
  const possible = result.possiblyNewlyAllowed ?? []
  const tail =
    possible.length === 0
      ? ''
      : `\n**${possible.length}** ${POSSIBLY_HEADING}:\n\n` +
        renderMdTable(
          ['from', 'to', 'ports', 'why'],
          possible.map((r) => [mdCode(r.from), mdCode(r.to), mdText(r.newlyAllowed), mdText(causesText(r))]),
        )
  if (result.rows.length === 0) return `${head}No connection changes.\n${tail}`
  const rows = result.rows.map((r) => [`${SIGN[r.change]} ${r.change}`, mdCode(r.from), mdCode(r.to), mdText(r.before), mdText(r.after), mdText(causesText(r))])
  return head + renderMdTable(['change', 'from', 'to', 'before', 'after', 'why'], rows) + tail
}

export function renderDiff(result: DiffResult, format: DiffFormat, colour: boolean): string {
  if (format === 'json') return renderDiffJson(result)
  if (format === 'md') return renderDiffMd(result)
  return renderDiffText(result, colour)
}
