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
import { controlSocketPath } from './lab-build.js'
import { labDir } from './state-store.js'

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

/** `root`: the labs directory (for the pod servers' control sockets). */
export async function labProbe(root: string, state: LabState, o: ProbeOptions): Promise<LabProbeResult> {
  const ports = o.ports && o.ports.length > 0 ? o.ports : defaultPorts(state.cluster)
  if (ports.length === 0) throw new UsageError('no pod declares a containerPort, so there is nothing to probe by default: name ports with --port, e.g. --port 80/TCP')
  const expected = computeMatrix(createEngine(state.cluster), state.cluster, ports)
  const plan = planProbes(state.topology, expected.ports)
  const dir = labDir(root, state.name)
  const controlSockets = new Map<string, string>()
  for (const pod of state.topology.pods) {
    const path = controlSocketPath(dir, pod)
    if (path !== undefined) controlSockets.set(`${pod.namespace}/${pod.name}`, path)
  }
  const results = await runProbes(plan, { lab: state.name, timeoutMs: o.timeoutMs, controlSockets })
  const report = compareProbes(expected, plan, results, state.sctp.reason)
  return {
    ...report,
    expected,
    observed: { pods: expected.pods, ports: expected.ports.filter((p) => p.protocol !== 'SCTP'), connections: report.connections },
  }
}
