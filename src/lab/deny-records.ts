/**
 * @module How `lab logs` prints denied connections: one line each (text), or JSON lines. Pure.
 */
import type { DeniedConnection } from '../dataplane/deny-log.js'
import { printable, terminalSafeJson } from '../model/printable.js'
import { formatPort } from '../model/describe.js'

/** `probe`: the connection is one `lab probe` made (shown with `lab logs --probes`). */
export function formatDenyRecord(r: DeniedConnection & { readonly probe?: boolean }): string {
  const side = r.side === 'egress' ? `egress of ${r.source}` : `ingress of ${r.destination}`
  // A ClusterNetworkPolicy tier decided the side: its tier, policy, rule and priority (the
  // NetworkPolicies isolating the pod did not get a say); else the NetworkPolicy side, as ever.
  const cause = r.clusterPolicy
    ? `${r.clusterPolicy.text} at ${side}`
    : `denied by ${side}${r.policies.length > 0 ? ` (isolated by ${r.policies.join(', ')})` : ''}`
  const attempts = r.packets > 1 ? `, ${r.packets} packets` : ''
  const probe = r.probe ? '  [lab probe]' : ''
  // Names come back from the lab's state and the kernel's log: escaped like all human output.
  return printable(`${r.time}  ${r.node ?? '-'}  DENY ${r.source}:${r.sourcePort} -> ${r.destination}:${formatPort(r)}  ${cause}${attempts}${probe}`)
}

export function renderDenyRecords(records: readonly (DeniedConnection & { readonly probe?: boolean })[], format: 'text' | 'json'): string {
  if (format === 'json') return records.map((r) => `${terminalSafeJson(JSON.stringify(r))}\n`).join('')
  return records.map((r) => `${formatDenyRecord(r)}\n`).join('')
}
