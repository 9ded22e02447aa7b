/**
 * @module How `lab logs` prints denied connections: one line each (text), or JSON lines. Pure.
 */
import type { DeniedConnection } from '../dataplane/deny-log.js'
import { printable, terminalSafeJson } from '../model/printable.js'
import { formatPort } from '../model/describe.js'

/** `probe`: the connection is one `lab probe` made (shown with `lab logs --probes`). */
export function formatDenyRecord(r: DeniedConnection & { readonly probe?: boolean }): string {
  const by = r.side === 'egress' ? `egress of ${r.source}` : `ingress of ${r.destination}`
  const policies = r.policies.length > 0 ? ` (isolated by ${r.policies.join(', ')})` : ''
  const attempts = r.packets > 1 ? `, ${r.packets} packets` : ''
  const probe = r.probe ? '  [lab probe]' : ''
  // Names come back from the lab's state and the kernel's log: escaped like all human output.
  return printable(
    `${r.time}  ${r.node ?? '-'}  DENY ${r.source}:${r.sourcePort} -> ${r.destination}:${formatPort(r)}  denied by ${by}${policies}${attempts}${probe}`,
  )
}

export function renderDenyRecords(records: readonly (DeniedConnection & { readonly probe?: boolean })[], format: 'text' | 'json'): string {
  if (format === 'json') return records.map((r) => `${terminalSafeJson(JSON.stringify(r))}\n`).join('')
  return records.map((r) => `${formatDenyRecord(r)}\n`).join('')
}
