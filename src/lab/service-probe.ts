/**
 * @module `lab probe --services`: which connections to Service addresses (ClusterIP:port) the lab
 * makes, and what they say next to the engine. Pure; the IO is run-probes.ts.
 *
 * The engine answers a connection to a Service per backend (the node translates it to one backend
 * pod and its targetPort before any policy sees it), while the lab's nodes pick the backend at
 * random per connection, as kube-proxy does. So a cell (source pod, Service port) is probed with
 * several connections at once, each asking which backend answered (pod servers name themselves),
 * and it agrees with the engine when:
 * 1. every connection that was answered by a named backend reached one the engine allows;
 * 2. when the engine allows some backend, at least one connection got through;
 * 3. when the engine allows every backend, no connection was dropped (a timeout is tried once
 *    more, as in `lab probe`);
 * 4. when the engine allows none, no connection got through.
 * A cell whose engine answer is `some` is probed with enough connections that all of them picking
 * a denied backend is below one in a million (20·backends/allowed connections, at most 200).
 * Not compared: Service ports without backends (the lab refuses them, as kube-proxy does), a pod
 * reaching itself through its own Service (hairpin: NetworkPolicy leaves it to the implementation),
 * SCTP, and endpoints that are not lab pods.
 */
import type { ClusterState, Pod, Protocol } from '../model/types.js'
import { qualifiedName } from '../model/types.js'
import type { Evaluator } from '../engine/verdict.js'
import { serviceBackends } from '../engine/service-backends.js'
import type { LabTopology } from './topology.js'
import { outcomeAllowed, type ProbeOutcome, type ProbeResult, type ProbeTarget } from './prober.js'
import type { SourceProbes } from './probe-plan.js'
import type { ProbeRecord } from './probe-records.js'

export interface ServiceBackendVerdict {
  /** `ns/name` of the backend pod. */
  readonly pod: string
  /** Its targetPort. */
  readonly port: number
  /** The engine's verdict for source -> this pod on this port. */
  readonly allowed: boolean
}

export interface ServiceCell {
  readonly from: string
  /** `ns/name` of the Service. */
  readonly service: string
  readonly clusterIP: string
  readonly port: number
  readonly protocol: 'TCP' | 'UDP'
  readonly backends: readonly ServiceBackendVerdict[]
  /** The engine's answer over the backends. */
  readonly expected: 'all' | 'some' | 'none'
  /** How many connections the cell makes. */
  readonly attempts: number
}

export interface SkippedServiceCell {
  readonly from: string
  readonly service: string
  readonly port: number
  readonly protocol: Protocol
  readonly reason: string
}

export interface ServiceProbePlan {
  readonly cells: readonly ServiceCell[]
  readonly skipped: readonly SkippedServiceCell[]
}

const SOME_FACTOR = 20
const MAX_ATTEMPTS = 200

/** Every source pod to every Service port with a ClusterIP and backends. */
export function planServiceProbes(evaluator: Evaluator, state: ClusterState, t: LabTopology): ServiceProbePlan {
  const cells: ServiceCell[] = []
  const skipped: SkippedServiceCell[] = []
  const labPods = new Map(t.pods.map((p) => [`${p.namespace}/${p.name}`, p]))
  const sources = state.pods.filter((p) => labPods.has(qualifiedName(p)))
  for (const svc of state.services ?? []) {
    const clusterIP = svc.clusterIPs[0]
    if (clusterIP === undefined || svc.type === 'ExternalName' || svc.headless) continue
    for (const sp of svc.ports) {
      const service = qualifiedName(svc)
      if (sp.protocol === 'SCTP') {
        for (const src of sources) skipped.push({ from: qualifiedName(src), service, port: sp.port, protocol: sp.protocol, reason: 'SCTP is not probed' })
        continue
      }
      const backends = serviceBackends(state, svc, sp).backends.filter(
        (b): b is typeof b & { pod: Pod } => b.pod !== undefined && labPods.has(qualifiedName(b.pod)),
      )
      if (backends.length === 0) continue
      for (const src of sources) {
        const from = qualifiedName(src)
        if (backends.some((b) => b.pod === src)) {
          skipped.push({ from, service, port: sp.port, protocol: sp.protocol, reason: 'the pod is a backend of the Service (hairpin)' })
          continue
        }
        const verdicts = backends.map((b) => ({
          pod: qualifiedName(b.pod),
          port: b.port,
          allowed: evaluator.isAllowed({ from: { kind: 'pod', pod: src }, to: { kind: 'pod', pod: b.pod }, port: b.port, protocol: sp.protocol }),
        }))
        const allowed = verdicts.filter((v) => v.allowed).length
        const expected = allowed === verdicts.length ? 'all' : allowed === 0 ? 'none' : 'some'
        const attempts = expected === 'some' ? Math.min(MAX_ATTEMPTS, Math.ceil((SOME_FACTOR * verdicts.length) / allowed)) : verdicts.length
        cells.push({ from, service, clusterIP, port: sp.port, protocol: sp.protocol, backends: verdicts, expected, attempts })
      }
    }
  }
  return { cells, skipped }
}

/** One probe per connection, grouped by source pod (same order as the cells). */
export function serviceProbeSources(plan: ServiceProbePlan, t: LabTopology): SourceProbes[] {
  return t.pods.flatMap((src) => {
    const from = `${src.namespace}/${src.name}`
    const targets = plan.cells
      .filter((c) => c.from === from)
      .flatMap((c) =>
        Array.from(
          { length: c.attempts },
          () => ({ to: c.service, ip: c.clusterIP, port: c.port, protocol: c.protocol, identify: true }) satisfies ProbeTarget & { to: string },
        ),
      )
    return targets.length > 0 ? [{ from, netns: src.netns, targets }] : []
  })
}

export interface ObservedServiceCell extends ServiceCell {
  /** Connections that got through (connected, or refused by the backend). */
  readonly connected: number
  readonly dropped: number
  readonly errors: number
  /** The backends that named themselves in an answer. */
  readonly reached: readonly string[]
  readonly agrees: boolean
  /** Why not, when it does not agree. */
  readonly problem?: string
}

/** The results of one source's connections, in the order of serviceProbeSources, joined with the cells. */
export function compareServiceProbes(plan: ServiceProbePlan, results: ReadonlyMap<string, readonly ProbeResult[]>): ObservedServiceCell[] {
  const next = new Map<string, number>()
  return plan.cells.map((cell) => {
    const offset = next.get(cell.from) ?? 0
    next.set(cell.from, offset + cell.attempts)
    const res = (results.get(cell.from) ?? []).slice(offset, offset + cell.attempts)
    const outcomes: ProbeOutcome[] = res.map((r) => r.outcome)
    const connected = outcomes.filter(outcomeAllowed).length
    const dropped = outcomes.filter((o) => o === 'timeout').length
    const errors = outcomes.filter((o) => o === 'error').length + (cell.attempts - res.length)
    const reached = [...new Set(res.flatMap((r) => (r.answeredBy ? [r.answeredBy.split(' ')[0]] : [])))].sort()
    const allowedPods = new Set(cell.backends.filter((b) => b.allowed).map((b) => b.pod))
    const wrong = reached.filter((p) => !allowedPods.has(p))
    const problem =
      errors > 0
        ? `${errors} of ${cell.attempts} connections failed (${res.find((r) => r.outcome === 'error')?.detail ?? 'no result'})`
        : wrong.length > 0
          ? `reached ${wrong.join(', ')}, which the engine denies`
          : cell.expected !== 'none' && connected === 0
            ? `every connection was dropped, but the engine allows ${[...allowedPods].join(', ')}`
            : cell.expected === 'all' && dropped > 0
              ? `${dropped} of ${cell.attempts} connections were dropped, but the engine allows every backend`
              : cell.expected === 'none' && connected > 0
                ? `${connected} of ${cell.attempts} connections got through, but the engine denies every backend`
                : undefined
    return { ...cell, connected, dropped, errors, reached, agrees: problem === undefined, ...(problem ? { problem } : {}) }
  })
}

/** `prod/frontend-0 -> prod/backend 80/TCP (10.96.4.2): ...`. */
export function describeServiceDisagreement(c: ObservedServiceCell): string {
  return `${c.from} -> service ${c.service} ${c.port}/${c.protocol} (${c.clusterIP}): ${c.problem ?? 'agrees'}`
}

/**
 * What `lab logs` needs to know the denied connections of a Service probe run as probes: a dropped
 * connection was translated to one of the cell's backends (which one, nobody answered to say), so
 * each backend gets a record with the connection's own source port, which no other traffic uses.
 */
export function deniedServiceProbes(
  plan: ServiceProbePlan,
  results: ReadonlyMap<string, readonly ProbeResult[]>,
  ipOf: ReadonlyMap<string, string>,
): ProbeRecord[] {
  const next = new Map<string, number>()
  const out: ProbeRecord[] = []
  for (const cell of plan.cells) {
    const offset = next.get(cell.from) ?? 0
    next.set(cell.from, offset + cell.attempts)
    const source = ipOf.get(cell.from)
    if (source === undefined) continue
    for (const r of (results.get(cell.from) ?? []).slice(offset, offset + cell.attempts)) {
      if (outcomeAllowed(r.outcome) || typeof r.sourcePort !== 'number' || r.sourcePort <= 0) continue
      for (const b of cell.backends) {
        const ip = ipOf.get(b.pod)
        if (ip !== undefined) out.push([source, r.sourcePort, ip, b.port, cell.protocol])
      }
    }
  }
  return out
}
