/**
 * @module CSV output (RFC 4180: fields quoted when they hold a comma, quote or line break). A text
 * field that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) is
 * prefixed with `'`; names and addresses never start so, only hostile text is changed, and numbers
 * stay numbers.
 */
export type CsvValue = string | number | boolean

const FORMULA_START = /^[=+\-@\t\r]/

function csvField(v: CsvValue): string {
  const s = typeof v === 'string' && FORMULA_START.test(v) ? `'${v}` : String(v)
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

export function renderCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n'
}
