/**
 * @module `netpol matrix` output in every format: the truth table, the JSON/YAML contract
 * (`{"connections":[...]}`), CSV rows, and Markdown grids for pull requests.
 */
import { qualifiedName } from '../model/types.js'
import { matrixAllowed, matrixOutcome, type MatrixConnection, type MatrixResult } from '../analyze/matrix.js'
import { renderCsv } from './csv.js'
import { mdText, renderMdTable } from './md.js'
import { renderMatrixTable, type MatrixTableOptions } from './table.js'
import { formatPort } from '../model/describe.js'

export const MATRIX_FORMATS = ['table', 'json', 'yaml', 'csv', 'md'] as const
export type MatrixFormat = (typeof MATRIX_FORMATS)[number]

export const MD_ALLOWED = '✓'
export const MD_DENIED = '✗'
export const MD_UNDEFINED = 'U'
export const MD_UNKNOWN = '?'

export function renderMatrix(m: MatrixResult, format: MatrixFormat, table: MatrixTableOptions = {}): string {
  return [...renderMatrixChunks(m, format, table)].join('')
}

/**
 * The output in pieces (about one source pod each), so that matrices of thousands of pods are
 * written without building one giant string or an object per cell.
 */
export function* renderMatrixChunks(m: MatrixResult, format: MatrixFormat, table: MatrixTableOptions = {}): Generator<string> {
  switch (format) {
    case 'table':
      yield renderMatrixTable(m, table)
      return
    case 'md':
      yield renderMatrixMd(m)
      return
    case 'json':
      // One connection per line: valid JSON, and easy to grep and diff.
      yield* cellChunks(
        m,
        '{"connections":[',
        (c, first) => `${first ? '' : ','}\n${JSON.stringify(c)}`,
        m.pods.length > 0 && m.ports.length > 0 ? '\n]}\n' : ']}\n',
      )
      return
    case 'yaml':
      yield* cellChunks(
        m,
        m.pods.length > 0 && m.ports.length > 0 ? 'connections:\n' : 'connections: []\n',
        (c) =>
          `- from: ${JSON.stringify(c.from)}\n  to: ${JSON.stringify(c.to)}\n  port: ${c.port}\n  protocol: ${c.protocol}\n  allowed: ` +
          `${c.allowed}\n${c.decision ? `  decision: ${c.decision}\n` : ''}`,
        '',
      )
      return
    case 'csv':
      if (m.tiered) {
        yield* cellChunks(
          m,
          `${renderCsv(['from', 'to', 'port', 'protocol', 'allowed', 'decision'], [])}`,
          (c) => renderCsv([c.from, c.to, String(c.port), c.protocol, String(c.allowed), c.decision ?? ''], []),
          '',
        )
        return
      }
      yield* cellChunks(
        m,
        `${renderCsv(['from', 'to', 'port', 'protocol', 'allowed'], [])}`,
        (c) => renderCsv([c.from, c.to, String(c.port), c.protocol, String(c.allowed)], []),
        '',
      )
  }
}

function* cellChunks(m: MatrixResult, head: string, cell: (c: MatrixConnection, first: boolean) => string, tail: string): Generator<string> {
  const names = m.pods.map(qualifiedName)
  yield head
  let first = true
  for (let i = 0; i < names.length; i++) {
    let chunk = ''
    for (let j = 0; j < names.length; j++) {
      m.ports.forEach((p, k) => {
        chunk += cell(
          {
            from: names[i],
            to: names[j],
            port: p.port,
            protocol: p.protocol,
            allowed: matrixAllowed(m, i, j, k),
            ...(m.tiered ? { decision: matrixOutcome(m, i, j, k) } : {}),
          },
          first,
        )
        first = false
      })
    }
    yield chunk
  }
  yield tail
}

function renderMatrixMd(m: MatrixResult): string {
  if (m.pods.length === 0) return 'No pods: nothing to show.\n'
  const names = m.pods.map((p) => mdText(qualifiedName(p)))
  const marks = { allowed: MD_ALLOWED, denied: MD_DENIED, undefined: MD_UNDEFINED, unknown: MD_UNKNOWN }
  const legend = m.tiered
    ? `${MD_ALLOWED} allowed, ${MD_DENIED} denied, ${MD_UNDEFINED} undefined (same-priority ClusterNetworkPolicies conflict), ` +
      `${MD_UNKNOWN} unknown (depends on DNS or node addresses; not counted as allowed)`
    : `${MD_ALLOWED} allowed, ${MD_DENIED} denied`
  const parts = [`Rows are sources (from), columns destinations (to); ${legend}.\n`]
  m.ports.forEach((port, p) => {
    const rows = names.map((from, i) => [`**${from}**`, ...names.map((_, j) => marks[matrixOutcome(m, i, j, p)])])
    parts.push(`### ${formatPort(port)}\n\n${renderMdTable(['from \\\\ to', ...names], rows)}`)
  })
  return parts.join('\n')
}
