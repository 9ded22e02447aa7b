/**
 * @module `lab probe`: real connections from every pod to every pod, compared with the engine's
 * verdicts for the same cluster state.
 */
import { createEngine } from '../engine/engine.js'
import { computeMatrix, defaultPorts, type MatrixResult, type PortSpec } from '../analyze/matrix.js'
import { UsageError } from '../model/errors.js'
import type { LabState } from './lab-state.js'
import { compareProbes, planProbes, type ProbeReport, type SourceProbes } from './probe-plan.js'
import { runProbes } from './run-probes.js'
import { controlSocketPath } from './lab-build.js'
import { labDir } from './state-store.js'
import { recordProbeRun, type ProbeRecord } from './probe-records.js'
import { outcomeAllowed, type ProbeResult } from './prober.js'
import {
  compareServiceProbes,
  deniedServiceProbes,
  planServiceProbes,
  serviceProbeSources,
  type ObservedServiceCell,
  type SkippedServiceCell,
} from './service-probe.js'

export interface ProbeOptions {
  /** Default: every containerPort any pod declares. */
  readonly ports?: readonly PortSpec[]
  readonly timeoutMs: number
}

export interface LabProbeResult extends ProbeReport {
  /** The engine's matrix for the lab's state (the expectation). */
  readonly expected: MatrixResult
  /** The observed cells as a matrix (SCTP ports left out), for the truth-table renderer. */
  readonly observed: MatrixResult
}

/** What the prober needs of a lab: its name, the timeout and each pod's control socket. */
function probeRun(dir: string, state: LabState, timeoutMs: number): { lab: string; timeoutMs: number; controlSockets: Map<string, string> } {
  const controlSockets = new Map<string, string>()
  for (const pod of state.topology.pods) {
    const path = controlSocketPath(dir, pod)
    if (path !== undefined) controlSockets.set(`${pod.namespace}/${pod.name}`, path)
  }
  return { lab: state.name, timeoutMs, controlSockets }
}

/** `root`: the labs directory (for the pod servers' control sockets). */
export async function labProbe(root: string, state: LabState, o: ProbeOptions): Promise<LabProbeResult> {
  const ports = o.ports && o.ports.length > 0 ? o.ports : defaultPorts(state.cluster)
  if (ports.length === 0)
    throw new UsageError('no pod declares a containerPort, so there is nothing to probe by default: name ports with --port, e.g. --port 80/TCP')
  const expected = computeMatrix(createEngine(state.cluster), state.cluster, ports)
  const plan = planProbes(state.topology, expected.ports)
  const dir = labDir(root, state.name)
  const run = probeRun(dir, state, o.timeoutMs)
  // What this run sends is recorded, so `lab logs` can tell its denied probes from the pods' own traffic.
  const recorder = await recordProbeRun(dir)
  const denied: ProbeRecord[] = []
  const sourceIps = new Map(state.topology.pods.map((p) => [`${p.namespace}/${p.name}`, p.ip]))
  const record = (results: ReadonlyMap<string, readonly ProbeResult[]>): void => {
    for (const [from, list] of results) denied.push(...deniedProbes(sourceIps.get(from), list))
  }
  const results = await runProbes(plan, run)
  record(results)
  let report = compareProbes(expected, plan, results, state.sctp.reason)
  // A connection the engine allows that timed out is tried once more before it counts: on a loaded
  // machine a packet can be late, while a policy drop times out every time. Nothing else is retried.
  const late = new Set(report.disagreements.filter((c) => c.expected && c.outcome === 'timeout').map((c) => `${c.from} ${c.to} ${c.port}/${c.protocol}`))
  if (late.size > 0) {
    const isLate = (from: string, t: SourceProbes['targets'][number]): boolean => late.has(`${from} ${t.to} ${t.port}/${t.protocol}`)
    const retryPlan = plan.map((src) => ({ ...src, targets: src.targets.filter((t) => isLate(src.from, t)) })).filter((src) => src.targets.length > 0)
    const retried = await runProbes(retryPlan, run)
    record(retried)
    for (const src of retryPlan) {
      const again = retried.get(src.from) ?? []
      const merged = [...(results.get(src.from) ?? [])]
      let k = 0
      plan
        .find((p) => p.from === src.from)!
        .targets.forEach((t, i) => {
          if (isLate(src.from, t)) merged[i] = again[k++]
        })
      results.set(src.from, merged)
    }
    report = compareProbes(expected, plan, results, state.sctp.reason)
  }
  await recorder.finish(denied)
  return {
    ...report,
    expected,
    // What the kernel did, cell by cell (the engine's decision is the expectation, not the observation).
    observed: {
      pods: expected.pods,
      ports: expected.ports.filter((p) => p.protocol !== 'SCTP'),
      connections: report.connections.map(({ decision: _decision, ...c }) => c),
    },
  }
}

/** The probes of one source pod that were not let through (only those can be in a deny log). */
function deniedProbes(sourceIp: string | undefined, results: readonly ProbeResult[]): ProbeRecord[] {
  if (sourceIp === undefined) return []
  return results.flatMap((r): ProbeRecord[] =>
    !outcomeAllowed(r.outcome) && typeof r.sourcePort === 'number' && r.sourcePort > 0 ? [[sourceIp, r.sourcePort, r.ip, r.port, r.protocol]] : [],
  )
}

export interface LabServiceProbeResult {
  readonly cells: readonly ObservedServiceCell[]
  readonly disagreements: readonly ObservedServiceCell[]
  readonly skipped: readonly SkippedServiceCell[]
}

/**
 * `lab probe --services`: connections from every pod to every Service port's ClusterIP, compared
 * with the engine's per-backend answers (see service-probe.ts for how a random backend choice is
 * compared). A cell that disagrees only because connections were dropped is probed once more, as
 * `lab probe` retries a late packet.
 */
export async function labProbeServices(root: string, state: LabState, o: { timeoutMs: number }): Promise<LabServiceProbeResult> {
  if ((state.cluster.services ?? []).length === 0) throw new UsageError('the lab has no Services to probe: add Service manifests with `netpol lab apply`')
  const plan = planServiceProbes(createEngine(state.cluster), state.cluster, state.topology)
  const dir = labDir(root, state.name)
  const run = probeRun(dir, state, o.timeoutMs)
  // Recorded like `lab probe`'s, so `lab logs` leaves these connections out unless --probes.
  const recorder = await recordProbeRun(dir)
  const ipOf = new Map(state.topology.pods.map((p) => [`${p.namespace}/${p.name}`, p.ip]))
  const denied: ProbeRecord[] = []
  const results = await runProbes(serviceProbeSources(plan, state.topology), run)
  denied.push(...deniedServiceProbes(plan, results, ipOf))
  let cells = compareServiceProbes(plan, results)
  const late = (c: ObservedServiceCell): boolean =>
    !c.agrees && c.errors === 0 && c.dropped > 0 && c.expected !== 'none' && c.reached.every((p) => c.backends.some((b) => b.pod === p && b.allowed))
  const again = cells.filter(late)
  if (again.length > 0) {
    const retryPlan = { cells: again, skipped: [] }
    const retriedResults = await runProbes(serviceProbeSources(retryPlan, state.topology), run)
    denied.push(...deniedServiceProbes(retryPlan, retriedResults, ipOf))
    const retried = compareServiceProbes(retryPlan, retriedResults)
    cells = cells.map((c) => (late(c) ? retried[again.indexOf(c)] : c))
  }
  await recorder.finish(denied)
  return { cells, disagreements: cells.filter((c) => !c.agrees), skipped: plan.skipped }
}
