/**
 * @module `netpol matrix` output in every format: the truth table, the JSON/YAML contract
 * (`{"connections":[...]}`), CSV rows, and Markdown grids for pull requests.
 */
import { qualifiedName } from '../model/types.js'
import { formatPortSpec, matrixCell, type MatrixResult } from '../analyze/matrix.js'
import { renderCsv } from './csv.js'
import { renderJson } from './json.js'
import { renderMdTable } from './md.js'
import { renderMatrixTable, type MatrixTableOptions } from './table.js'
import { renderYaml } from './yaml.js'

export const MATRIX_FORMATS = ['table', 'json', 'yaml', 'csv', 'md'] as const
export type MatrixFormat = (typeof MATRIX_FORMATS)[number]

export const MD_ALLOWED = '✓'
export const MD_DENIED = '✗'

/** The stable machine-readable shape (ARCHITECTURE.md): one entry per ordered pod pair per port. */
export function matrixDocument(m: MatrixResult): { connections: MatrixResult['connections'] } {
  return { connections: m.connections }
}

export function renderMatrix(m: MatrixResult, format: MatrixFormat, table: MatrixTableOptions = {}): string {
  switch (format) {
    case 'table':
      return renderMatrixTable(m, table)
    case 'json':
      return renderJson(matrixDocument(m))
    case 'yaml':
      return renderYaml(matrixDocument(m))
    case 'csv':
      return renderCsv(
        ['from', 'to', 'port', 'protocol', 'allowed'],
        m.connections.map((c) => [c.from, c.to, c.port, c.protocol, c.allowed]),
      )
    case 'md':
      return renderMatrixMd(m)
  }
}

function renderMatrixMd(m: MatrixResult): string {
  if (m.pods.length === 0) return 'No pods: nothing to show.\n'
  const names = m.pods.map(qualifiedName)
  const parts = [`Rows are sources (from), columns destinations (to); ${MD_ALLOWED} allowed, ${MD_DENIED} denied.\n`]
  m.ports.forEach((port, p) => {
    const rows = names.map((from, i) => [`**${from}**`, ...names.map((_, j) => (matrixCell(m, i, j, p).allowed ? MD_ALLOWED : MD_DENIED))])
    parts.push(`### ${formatPortSpec(port)}\n\n${renderMdTable(['from \\ to', ...names], rows)}`)
  })
  return parts.join('\n')
}
