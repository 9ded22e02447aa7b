/**
 * @module `lab probe`: real connections from every pod to every pod, compared with the engine's
 * verdicts for the same cluster state.
 */
import { createEngine } from '../engine/engine.js'
import { computeMatrix, defaultPorts, type MatrixResult, type PortSpec } from '../analyze/matrix.js'
import { UsageError } from '../cli/errors.js'
import type { LabState } from './lab-state.js'
import { compareProbes, planProbes, type ProbeReport } from './probe-plan.js'
import { runProbes } from './run-probes.js'

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

export async function labProbe(state: LabState, o: ProbeOptions): Promise<LabProbeResult> {
  const ports = o.ports && o.ports.length > 0 ? o.ports : defaultPorts(state.cluster)
  if (ports.length === 0) throw new UsageError('no pod declares a containerPort, so there is nothing to probe by default: name ports with --port, e.g. --port 80/TCP')
  const expected = computeMatrix(createEngine(state.cluster), state.cluster, ports)
  const plan = planProbes(state.topology, expected.ports)
  const results = await runProbes(state.name, plan, o.timeoutMs)
  const report = compareProbes(expected, plan, results, state.sctp.reason)
  return {
    ...report,
    expected,
    observed: { pods: expected.pods, ports: expected.ports.filter((p) => p.protocol !== 'SCTP'), connections: report.connections },
  }
}
