/**
 * @module `netpol list` output: one line per allowed connection for a terminal
 * (`from => to : ports`, as netpol-analyzer's connlist reads), JSON for scripts, CSV for
 * spreadsheets, Markdown for pull requests.
 */
import type { ListConnection, ListEnd, ListResult } from '../analyze/list.js'
import type { ServiceReachResult } from '../analyze/service-reach.js'
import { printable, terminalSafeJson } from '../model/printable.js'
import { renderCsv } from './csv.js'
import { renderJson } from './json.js'
import { mdText, renderMdTable } from './md.js'

export const LIST_FORMATS = ['text', 'json', 'csv', 'md'] as const
export type ListFormat = (typeof LIST_FORMATS)[number]

/** Names come from input (an ownerReference's name is not validated by the API server): escaped (printable.ts). */
function renderListText(result: ListResult, shown = new Map<ListEnd, string>()): string {
  if (result.connections.length === 0) return 'no allowed connections\n'
  // Ends repeat on many rows (and are shared objects): each label is escaped once (per output).
  const label = (e: ListEnd): string => {
    let text = shown.get(e)
    if (text === undefined) shown.set(e, (text = printable(e.label)))
    return text
  }
  return result.connections.map((c) => `${label(c.from)} => ${label(c.to)} : ${c.ports}\n`).join('')
}

/** Stable: documented in docs/cli.md ("netpol list"). */
function renderListJson(result: ListResult): string {
  return renderJson({ groupBy: result.groupBy, connections: result.connections })
}

export function renderList(result: ListResult, format: ListFormat): string {
  return [...renderListChunks(result, format)].join('')
}

/** Rows per chunk: a big cluster's list is written piece by piece, never as one giant string. */
const CHUNK_ROWS = 2000

/** The output of `renderList` in pieces (their concatenation is the same text). */
export function* renderListChunks(result: ListResult, format: ListFormat): Generator<string> {
  const { connections } = result
  if (format === 'text' && connections.length === 0) {
    yield renderListText(result)
    return
  }
  if (format === 'json' && connections.length === 0) {
    yield renderListJson(result)
    return
  }
  const header = ['from', 'to', 'ports']
  // The table formats' header lines, written once (renderCsv and renderMdTable repeat them per call).
  const csvHead = renderCsv(header, [])
  // A row as JSON.stringify(row, null, 2) writes it at depth 2, from pieces built once per
  // distinct end and port set (they repeat on many rows).
  const nested = new Map<unknown, string>()
  const at6 = (v: object): string => {
    let text = nested.get(v)
    if (text === undefined) nested.set(v, (text = JSON.stringify(v, null, 2).replace(/\n/g, '\n      ')))
    return text
  }
  const rowJson = (c: ListConnection): string =>
    `    {\n      "from": ${at6(c.from)},\n      "to": ${at6(c.to)},\n      "ports": ${JSON.stringify(c.ports)},\n      "portRanges": ` +
    `${at6(c.portRanges)},\n      "allPorts": ${c.allPorts}\n    }`
  const mdHead = renderMdTable(header, [])
  const shown = new Map<ListEnd, string>()
  if (format === 'json') yield `{\n  "groupBy": ${JSON.stringify(result.groupBy)},\n  "connections": [\n`
  else if (format === 'csv') yield csvHead
  else if (format === 'md') yield mdHead
  for (let i = 0; i < connections.length; i += CHUNK_ROWS) {
    const part = connections.slice(i, i + CHUNK_ROWS)
    switch (format) {
      case 'text':
        yield renderListText({ ...result, connections: part }, shown)
        break
      case 'json': {
        const last = i + CHUNK_ROWS >= connections.length
        const items = part.map(rowJson)
        yield terminalSafeJson(`${items.join(',\n')}${last ? '\n  ]\n}\n' : ',\n'}`)
        break
      }
      case 'csv':
        yield renderCsv(
          header,
          part.map((c) => [c.from.label, c.to.label, c.ports]),
        ).slice(csvHead.length)
        break
      case 'md':
        yield renderMdTable(
          header,
          part.map((c) => [mdText(c.from.label), mdText(c.to.label), c.ports]),
        ).slice(mdHead.length)
        break
    }
  }
}

/**
 * `list --group-by service`: per Service port, its translation and the workloads that reach it
 * (all or some of their backend connections allowed). JSON is stable (docs/cli.md).
 */
export function renderServiceReach(result: ServiceReachResult, format: ListFormat): string {
  if (format === 'json') return renderJson(result)
  const rows = result.services.flatMap((s) =>
    s.clients.length === 0
      ? [[`${s.service}:${s.port.port}/${s.port.protocol}`, '(nobody)', '']]
      : s.clients.map((c) => [
          `${s.service}:${s.port.port}/${s.port.protocol}`,
          c.label,
          c.answer === 'all' ? `all ${c.connections} backend connections` : `${c.allowed} of ${c.connections} backend connections`,
        ]),
  )
  const header = ['service', 'from', 'allowed']
  if (format === 'csv') return renderCsv(header, rows)
  if (format === 'md')
    return renderMdTable(
      header,
      rows.map((r) => r.map(mdText)),
    )
  if (result.services.length === 0) return 'no Services\n'
  const lines: string[] = []
  for (const s of result.services) {
    lines.push(printable(`${s.service}:${s.port.port}/${s.port.protocol} (${s.label})`))
    for (const t of s.translations) lines.push(`  ${printable(t)}`)
    if (s.noBackends !== undefined) lines.push(`  ${printable(`no backends: ${s.noBackends}`)}`)
    if (s.clients.length === 0) lines.push('  reached by nobody')
    for (const c of s.clients)
      lines.push(`  <= ${printable(c.label)} : ${c.answer === 'all' ? 'all' : 'some'} (${c.allowed} of ${c.connections} backend connections)`)
  }
  return `${lines.join('\n')}\n`
}
