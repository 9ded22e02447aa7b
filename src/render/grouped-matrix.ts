/**
 * @module `netpol matrix --group-by workload|namespace`: the matrix folded into groups, in the
 * matrix formats. A cell is allowed when every pod pair of the two groups is, partial when some are.
 */
import { groupedCellLookup, groupedConnectionCount, groupedConnections, type GroupedMatrix } from '../analyze/group.js'
import { printable, terminalSafeJson } from '../model/printable.js'
import { renderCsv } from './csv.js'
import { renderJson } from './json.js'
import { mdText, renderMdTable } from './md.js'
import { renderYaml } from './yaml.js'
import { formatPort } from '../model/describe.js'

export type GroupedMatrixFormat = 'table' | 'json' | 'yaml' | 'csv' | 'md'

function document(g: GroupedMatrix) {
  return {
    groupBy: g.groupBy,
    groups: g.groups,
    connections: g.connections.map((c) => ({
      from: c.from,
      to: c.to,
      port: c.port,
      protocol: c.protocol,
      allowed: c.allowed,
      partial: c.partial,
      allowedPairs: c.allowedPairs,
      pairs: c.pairs,
    })),
  }
}

/** `80/TCP` per cell: `.` allowed, `X` denied, `~` some pod pairs only. */
function mark(c: { allowed: boolean; partial: boolean }, md: boolean): string {
  if (c.allowed) return md ? '✓' : '.'
  if (c.partial) return '~'
  return md ? '✗' : 'X'
}

/** The table a port at a time (the header, then each port's grid with the blank line before it). */
function* tableChunks(g: GroupedMatrix, colour: boolean): Generator<string> {
  if (g.groups.length === 0) {
    yield 'No pods: nothing to show.\n'
    return
  }
  const paint = (t: string) => {
    if (!colour) return t
    const code = t === '.' ? '32' : t === 'X' ? '31' : '33'
    return `\u001b[${code}m${t}\u001b[0m`
  }
  const cell = groupedCellLookup(g)
  yield `Grouped by ${g.groupBy}: rows are sources, columns destinations (numbered); "." allowed, "X" denied, "~" only some pod pairs.`
  const width = String(g.groups.length).length
  const shown = g.groups.map(printable)
  const nameWidth = Math.max(...shown.map((x) => x.length))
  for (const [pi, p] of g.ports.entries()) {
    const lines = [`\n\n${formatPort(p)}`]
    lines.push(`${' '.repeat(nameWidth + width + 3)}${g.groups.map((_, i) => String(i + 1).padStart(width)).join(' ')}`)
    g.groups.forEach((_, i) => {
      const row = g.groups.map((_, j) => {
        const c = cell(i, j, pi)
        return paint(c ? mark(c, false) : ' ').padStart(colour ? 0 : width)
      })
      lines.push(`${String(i + 1).padStart(width)}  ${shown[i].padEnd(nameWidth)} ${row.map((r) => (colour ? ' '.repeat(width - 1) + r : r)).join(' ')}`)
    })
    yield lines.join('\n')
  }
  yield '\n'
}

/** The Markdown tables a port at a time. */
function* mdChunks(g: GroupedMatrix): Generator<string> {
  if (g.groups.length === 0) {
    yield 'No pods: nothing to show.\n'
    return
  }
  const cell = groupedCellLookup(g)
  const header = ['from \\\\ to', ...g.groups.map(mdText)]
  yield `Grouped by ${g.groupBy}: rows are sources (from), columns destinations (to); ✓ allowed, ✗ denied, ~ only some pod pairs.\n`
  for (const [pi, p] of g.ports.entries()) {
    const rows = g.groups.map((from, i) => [
      `**${mdText(from)}**`,
      ...g.groups.map((_, j) => {
        const c = cell(i, j, pi)
        return c ? mark(c, true) : ''
      }),
    ])
    yield `\n### ${formatPort(p)}\n\n${renderMdTable(header, rows)}`
  }
}

/**
 * The same text as `renderGroupedMatrix`, in pieces, so large matrices never become one string:
 * JSON and CSV are written a block of cells at a time, the table and Markdown a port at a
 * time; YAML in one piece.
 */
export function* renderGroupedMatrixChunks(g: GroupedMatrix, format: GroupedMatrixFormat, options: { colour?: boolean } = {}): Generator<string> {
  if (format === 'table' || format === 'md') {
    yield* format === 'table' ? tableChunks(g, options.colour ?? false) : mdChunks(g)
    return
  }
  if (format !== 'json' && format !== 'csv') {
    yield renderGroupedMatrix(g, format, options)
    return
  }
  const total = groupedConnectionCount(g)
  let chunk = ''
  const cells: string[] = []
  if (format === 'csv') {
    chunk = renderCsv(['from', 'to', 'port', 'protocol', 'allowed', 'partial', 'allowedPairs', 'pairs'], [])
  } else {
    // JSON.stringify(document, null, 2) laid out by hand: the head, then each connection indented.
    const head = renderJson({ groupBy: g.groupBy, groups: g.groups, connections: [] })
    chunk = total === 0 ? head : `${head.slice(0, head.lastIndexOf('[]'))}[\n`
    if (total === 0) {
      yield chunk
      return
    }
  }
  let i = 0
  // Labels repeat in every cell: each is quoted (and escaped) once. The text is what
  // JSON.stringify(cell, null, 2) gives, indented by 4 (test/render pins it against that).
  const quoted = new Map<string, string>()
  const quote = (label: string): string => {
    let q = quoted.get(label)
    if (q === undefined) quoted.set(label, (q = terminalSafeJson(JSON.stringify(label))))
    return q
  }
  for (const c of groupedConnections(g)) {
    if (format === 'csv') {
      cells.push(renderCsv([], [[c.from, c.to, c.port, c.protocol, c.allowed, c.partial, c.allowedPairs, c.pairs]]).slice(1))
    } else {
      cells.push(
        `    {\n      "from": ${quote(c.from)},\n      "to": ${quote(c.to)},\n      "port": ${JSON.stringify(c.port)},\n      "protocol": ` +
          `${quote(c.protocol)},\n      "allowed": ${c.allowed},\n      "partial": ${c.partial},\n      "allowedPairs": ` +
          `${JSON.stringify(c.allowedPairs)},\n      "pairs": ${JSON.stringify(c.pairs)}\n    }${++i < total ? ',' : ''}\n`,
      )
    }
    if (cells.length >= 4096) {
      yield chunk + cells.join('')
      chunk = ''
      cells.length = 0
    }
  }
  if (cells.length > 0 || chunk !== '') yield chunk + cells.join('')
  if (format === 'json') yield '  ]\n}\n'
}

export function renderGroupedMatrix(g: GroupedMatrix, format: GroupedMatrixFormat, options: { colour?: boolean } = {}): string {
  switch (format) {
    case 'json':
      return renderJson(document(g))
    case 'yaml':
      return renderYaml(document(g))
    case 'csv':
      return renderCsv(
        ['from', 'to', 'port', 'protocol', 'allowed', 'partial', 'allowedPairs', 'pairs'],
        g.connections.map((c) => [c.from, c.to, c.port, c.protocol, c.allowed, c.partial, c.allowedPairs, c.pairs]),
      )
    case 'md':
      return [...mdChunks(g)].join('')
    case 'table':
      return [...tableChunks(g, options.colour ?? false)].join('')
  }
}
