/**
 * @module `netpol list` output: one line per allowed connection for a terminal
 * (`from => to : ports`, as netpol-analyzer's connlist reads), JSON for scripts, CSV for
 * spreadsheets, Markdown for pull requests.
 */
import type { ListResult } from '../analyze/list.js'
import { printable } from '../model/printable.js'
import { renderCsv } from './csv.js'
import { renderJson } from './json.js'
import { mdText, renderMdTable } from './md.js'

export const LIST_FORMATS = ['text', 'json', 'csv', 'md'] as const
export type ListFormat = (typeof LIST_FORMATS)[number]

/** Names come from input (an ownerReference's name is not validated by the API server): escaped (printable.ts). */
export function renderListText(result: ListResult): string {
  if (result.connections.length === 0) return 'no allowed connections\n'
  return result.connections.map((c) => `${printable(c.from.label)} => ${printable(c.to.label)} : ${c.ports}\n`).join('')
}

/** Stable: documented in docs/cli.md ("netpol list"). */
export function renderListJson(result: ListResult): string {
  return renderJson({ groupBy: result.groupBy, connections: result.connections })
}

export function renderList(result: ListResult, format: ListFormat): string {
  const rows = result.connections.map((c) => [c.from.label, c.to.label, c.ports])
  switch (format) {
    case 'text':
      return renderListText(result)
    case 'json':
      return renderListJson(result)
    case 'csv':
      return renderCsv(['from', 'to', 'ports'], rows)
    case 'md':
      return renderMdTable(['from', 'to', 'ports'], rows.map((r) => r.map(mdText)))
  }
}
