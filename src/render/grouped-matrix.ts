/**
 * @module `netpol matrix --group-by workload|namespace`: the matrix folded into groups, in the
 * matrix formats. A cell is allowed when every pod pair of the two groups is, partial when some are.
 * The table and Markdown show every cell; JSON, YAML and CSV list only the cells with an allowed
 * pod pair (a big cluster's dense matrix is tens of GB, almost all of it denied), and JSON and
 * YAML carry the groups, their sizes and the ports, from which every other cell follows.
 */
import { groupedCellLookup, groupedRows, groupPairs, type GroupedMatrix } from '../analyze/group.js'
import { printable, terminalSafeJson } from '../model/printable.js'
import { renderCsv } from './csv.js'
import { mdText, renderMdTable } from './md.js'
import { renderYaml } from './yaml.js'
import { ByteChunks, encoded } from './byte-chunks.js'
import { formatPort } from '../model/describe.js'

export type GroupedMatrixFormat = 'table' | 'json' | 'yaml' | 'csv' | 'md'

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
        return paint(mark(cell(i, j, pi), false)).padStart(colour ? 0 : width)
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
    const rows = g.groups.map((from, i) => [`**${mdText(from)}**`, ...g.groups.map((_, j) => mark(cell(i, j, pi), true))])
    yield `\n### ${formatPort(p)}\n\n${renderMdTable(header, rows)}`
  }
}

/** A string as a YAML scalar, as the block-style document writes it (one line), else double-quoted. */
function yamlScalar(text: string): string {
  const item = renderYaml([text])
  return item.startsWith('- ') && item.indexOf('\n') === item.length - 1 ? item.slice(2, -1) : terminalSafeJson(JSON.stringify(text))
}

/** Writes one allowed cell: from and to (indexes into groups), port (into ports), the counts, and whether it is the first. */
type CellWriter = (w: ByteChunks, from: number, to: number, port: number, allowedPairs: number, pairs: number, first: boolean) => void

/**
 * JSON, YAML or CSV as UTF-8 bytes, in chunks of about a megabyte that end at the end of a line
 * (what `netpol matrix` writes to stdout). Each line is put together from pieces encoded once: a
 * source's head, a destination's label, a port's fields. A chunk is a view of a buffer that is
 * written again only when the reader says it is done with it (`next(true)`); a `for...of` reader
 * gets a new buffer each time.
 */
export function* groupedMatrixBytes(g: GroupedMatrix, format: 'json' | 'yaml' | 'csv'): Generator<Uint8Array, void, boolean | undefined> {
  const w = new ByteChunks()
  const { head, cell, tail } = format === 'json' ? jsonParts(g) : format === 'yaml' ? yamlParts(g) : csvParts(g)
  w.put(encoded(head))
  let first = true
  for (const row of groupedRows(g)) {
    for (let i = 0; i < row.length; i++) {
      const to = row.to[i]!
      cell(w, row.from, to, row.port[i]!, row.allowedPairs[i]!, groupPairs(g.groupSizes, row.from, to), first)
      first = false
      const chunk = w.take()
      if (chunk && (yield chunk) !== true) w.renew()
    }
  }
  w.put(encoded(tail(first)))
  const last = w.flush()
  if (last) yield last
}

interface Parts {
  readonly head: string
  readonly cell: CellWriter
  /** The end of the document, given whether no cell was written. */
  readonly tail: (none: boolean) => string
}

/**
 * A line per field of the document, then a line per cell: `{"from":..,"to":..,"port":80,
 * "protocol":"TCP","allowed":true,"partial":false,"allowedPairs":4,"pairs":4}`.
 */
function jsonParts(g: GroupedMatrix): Parts {
  const json = (v: unknown) => terminalSafeJson(JSON.stringify(v))
  const head =
    `{"groupBy":${json(g.groupBy)},\n"groups":${json(g.groups)},\n"groupSizes":${json(g.groupSizes)},\n` +
    `"ports":${json(g.ports.map((p) => ({ port: p.port, protocol: p.protocol })))},\n"connections":[`
  // A line is: the source's head (after the previous line's comma), the destination, the port and
  // whether every pair is allowed, the counts.
  const firstHead = g.groups.map((l) => encoded(`\n{"from":${json(l)},"to":`))
  const nextHead = g.groups.map((l) => encoded(`,\n{"from":${json(l)},"to":`))
  const toLabel = g.groups.map((l) => encoded(json(l)))
  const portFields = (allowed: boolean) =>
    g.ports.map((p) => encoded(`,"port":${json(p.port)},"protocol":${json(p.protocol)},"allowed":${allowed},"partial":${!allowed},"allowedPairs":`))
  const allowed = portFields(true)
  const partial = portFields(false)
  const pairs = encoded(',"pairs":')
  return {
    head,
    cell: (w, a, b, p, ok, n, first) => {
      w.put(first ? firstHead[a]! : nextHead[a]!)
      w.put(toLabel[b]!)
      w.put(ok === n ? allowed[p]! : partial[p]!)
      w.int(ok)
      w.put(pairs)
      w.int(n)
      w.byte(0x7d) // }
    },
    tail: (none) => (none ? ']}\n' : '\n]}\n'),
  }
}

/** The document's head as the YAML renderer writes it, then the cells as block mappings. */
function yamlParts(g: GroupedMatrix): Parts {
  const quoted = g.groups.map(yamlScalar)
  const fromHead = quoted.map((q) => encoded(`- from: ${q}\n  to: `))
  const toLabel = quoted.map((q) => encoded(`${q}\n`))
  const portFields = g.ports.map((p) => encoded(`  port: ${p.port}\n  protocol: ${yamlScalar(p.protocol)}\n`))
  const allowed = encoded('  allowed: true\n  partial: false\n  allowedPairs: ')
  const partial = encoded('  allowed: false\n  partial: true\n  allowedPairs: ')
  const pairs = encoded('\n  pairs: ')
  const end = encoded('\n')
  const connections = encoded('connections:\n')
  return {
    head: renderYaml({ groupBy: g.groupBy, groups: g.groups, groupSizes: g.groupSizes, ports: g.ports.map((p) => ({ port: p.port, protocol: p.protocol })) }),
    cell: (w, a, b, p, ok, n, first) => {
      if (first) w.put(connections)
      w.put(fromHead[a]!)
      w.put(toLabel[b]!)
      w.put(portFields[p]!)
      w.put(ok === n ? allowed : partial)
      w.int(ok)
      w.put(pairs)
      w.int(n)
      w.put(end)
    },
    tail: (none) => (none ? 'connections: []\n' : ''),
  }
}

/** A header, then a row per cell (the groups, sizes and ports are not in CSV: only JSON and YAML carry them). */
function csvParts(g: GroupedMatrix): Parts {
  const field = (values: (string | number)[]) => renderCsv([], [values]).slice(1, -1)
  const fromField = g.groups.map((l) => encoded(`${field([l])},`))
  const toField = fromField
  const portFields = g.ports.map((p) => encoded(`${field([p.port, p.protocol])},`))
  const allowed = encoded('true,false,')
  const partial = encoded('false,true,')
  const comma = encoded(',')
  const end = encoded('\n')
  return {
    head: renderCsv(['from', 'to', 'port', 'protocol', 'allowed', 'partial', 'allowedPairs', 'pairs'], []),
    cell: (w, a, b, p, ok, n) => {
      w.put(fromField[a]!)
      w.put(toField[b]!)
      w.put(portFields[p]!)
      w.put(ok === n ? allowed : partial)
      w.int(ok)
      w.put(comma)
      w.int(n)
      w.put(end)
    },
    tail: () => '',
  }
}

/**
 * The output in pieces, so large matrices never become one string: JSON, YAML and CSV a chunk of
 * cells at a time (the text of `groupedMatrixBytes`), the table and Markdown a port at a time.
 */
export function* renderGroupedMatrixChunks(g: GroupedMatrix, format: GroupedMatrixFormat, options: { colour?: boolean } = {}): Generator<string> {
  if (format === 'table') yield* tableChunks(g, options.colour ?? false)
  else if (format === 'md') yield* mdChunks(g)
  else {
    // Chunks end at the end of a line: never inside a character.
    const decoder = new TextDecoder()
    for (const bytes of groupedMatrixBytes(g, format)) yield decoder.decode(bytes)
  }
}

export function renderGroupedMatrix(g: GroupedMatrix, format: GroupedMatrixFormat, options: { colour?: boolean } = {}): string {
  return [...renderGroupedMatrixChunks(g, format, options)].join('')
}
