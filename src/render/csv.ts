/** @module CSV output (RFC 4180: fields quoted when they hold a comma, quote or line break). */
export type CsvValue = string | number | boolean

function csvField(v: CsvValue): string {
  const s = String(v)
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

export function renderCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n'
}
