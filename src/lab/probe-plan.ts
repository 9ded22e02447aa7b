/**
 * @module Which probes `lab probe` makes, and what their results say next to the engine's
 * verdicts. Pure: the IO (one prober per source pod, inside its namespace) is in run-probes.ts.
 */
import type { Protocol } from '../model/types.js'
import type { MatrixConnection, MatrixResult, PortSpec } from '../analyze/matrix.js'
import type { LabTopology } from './topology.js'
import { outcomeAllowed, type ProbeOutcome, type ProbeResult, type ProbeTarget } from './prober.js'
import { formatPort } from '../model/describe.js'

export interface SourceProbes {
  /** `ns/name` of the source pod. */
  readonly from: string
  readonly netns: string
  readonly targets: readonly (ProbeTarget & { readonly to: string })[]
}

/** Every pod to every pod (itself included) on every probed port; SCTP ports are left out. */
export function planProbes(t: LabTopology, ports: readonly PortSpec[]): SourceProbes[] {
  const probed = ports.filter((p): p is PortSpec & { protocol: 'TCP' | 'UDP' } => p.protocol !== 'SCTP')
  return t.pods.map((src) => ({
    from: `${src.namespace}/${src.name}`,
    netns: src.netns,
    targets: t.pods.flatMap((dst) => probed.map((p) => ({ to: `${dst.namespace}/${dst.name}`, ip: dst.ip, port: p.port, protocol: p.protocol }))),
  }))
}

/**
 * One observed cell: the `matrix` JSON fields plus what happened and what the engine expected.
 * `allowed` is what the kernel did; `decision`, with ClusterNetworkPolicies, the engine's outcome.
 */
export interface ObservedConnection extends MatrixConnection {
  readonly outcome: ProbeOutcome
  readonly detail?: string
  readonly expected: boolean
}

export interface SkippedPort {
  readonly port: number
  readonly protocol: Protocol
  readonly reason: string
}

export interface ProbeReport {
  readonly connections: readonly ObservedConnection[]
  /** Cells where the kernel did something other than the engine said. */
  readonly disagreements: readonly ObservedConnection[]
  readonly skipped: readonly SkippedPort[]
}

/**
 * Joins probe results (per source, in the order of `planProbes`) with the engine's matrix for the
 * same pods and ports. Cells come out in the matrix's order.
 */
export function compareProbes(
  expected: MatrixResult,
  plan: readonly SourceProbes[],
  results: ReadonlyMap<string, readonly ProbeResult[]>,
  sctpReason: string,
): ProbeReport {
  const observed = new Map<string, { outcome: ProbeOutcome; detail?: string }>()
  for (const src of plan) {
    const res = results.get(src.from) ?? []
    src.targets.forEach((t, i) => {
      const r = res[i]
      if (r !== undefined) observed.set(cellKey(src.from, t.to, t.port, t.protocol), { outcome: r.outcome, detail: r.detail })
    })
  }
  const connections: ObservedConnection[] = []
  for (const c of expected.connections) {
    if (c.protocol === 'SCTP') continue
    const o = observed.get(cellKey(c.from, c.to, c.port, c.protocol))
    if (o === undefined) throw new Error(`no probe result for ${c.from} -> ${c.to} ${formatPort(c)}`)
    connections.push({
      from: c.from,
      to: c.to,
      port: c.port,
      protocol: c.protocol,
      allowed: outcomeAllowed(o.outcome),
      ...(c.decision !== undefined ? { decision: c.decision } : {}),
      outcome: o.outcome,
      ...(o.detail ? { detail: o.detail } : {}),
      expected: c.allowed,
    })
  }
  const skipped = expected.ports.filter((p) => p.protocol === 'SCTP').map((p) => ({ port: p.port, protocol: p.protocol, reason: sctpReason }))
  return { connections, disagreements: connections.filter((c) => c.allowed !== c.expected || c.outcome === 'error'), skipped }
}

function cellKey(from: string, to: string, port: number, protocol: string): string {
  return `${from}\0${to}\0${port}/${protocol}`
}

/** `ns/a -> ns/b 80/TCP: engine allows, probe timed out`. */
export function describeDisagreement(c: ObservedConnection): string {
  // An undefined or unknown cell is not allowed: the data plane drops it (docs/dataplane.md).
  const engine = c.expected ? 'allows it' : c.decision === 'undefined' || c.decision === 'unknown' ? `says it is ${c.decision} (so not allowed)` : 'denies it'
  const seen =
    c.outcome === 'connected'
      ? 'connected'
      : c.outcome === 'refused'
        ? 'was refused (reached the pod)'
        : c.outcome === 'timeout'
          ? 'timed out (dropped)'
          : `failed (${c.detail ?? 'error'})`
  return `${c.from} -> ${c.to} ${formatPort(c)}: the engine ${engine}, the probe ${seen}`
}
