/**
 * @module Reachability matrix: for every ordered pair of pods and every probed port, is a new
 * connection allowed? Pure: an evaluator and a cluster in, the connections out (the JSON contract
 * of `netpol matrix -o json`).
 */
import type { Outcome } from '../engine/verdict.js'
import { PROTOCOLS, qualifiedName, type ClusterState, type Pod, type Protocol } from '../model/types.js'
import type { Evaluator } from '../engine/verdict.js'
import { UsageError } from '../model/errors.js'
import { formatPort } from '../model/describe.js'

/** One probed destination port. */
export interface PortSpec {
  readonly port: number
  readonly protocol: Protocol
}

/** One cell of the matrix; `from`/`to` are `ns/pod`. */
export interface MatrixConnection {
  readonly from: string
  readonly to: string
  readonly port: number
  readonly protocol: Protocol
  /** True only when proven allowed (`outcome` is `allowed`). */
  readonly allowed: boolean
  /**
   * The outcome; only when the state has ClusterNetworkPolicies: `allowed`, `denied`, `undefined` (same-priority
   * policies conflict) or `unknown` (depends on DNS or node addresses). See docs/semantics.md.
   */
  readonly decision?: Outcome
}

export interface MatrixResult {
  /** Sorted by namespace, then name (digit runs as numbers: `web-2` before `web-10`): the order of rows and columns. */
  readonly pods: readonly Pod[]
  /** Sorted by port, then protocol. */
  readonly ports: readonly PortSpec[]
  /** Ordered by from, to, port, protocol (from/to in the order of `pods`). */
  readonly connections: readonly MatrixConnection[]
  /** True when the state has ClusterNetworkPolicies: cells carry an outcome, not only allowed/denied. */
  readonly tiered?: boolean
}

export interface MatrixOptions {
  /** Called now and then with the number of cells computed so far; for progress bars. */
  readonly onProgress?: (done: number, total: number) => void
}

const PORT_SPEC = /^(\d{1,5})(?:\/([A-Za-z]+))?$/

/** `80`, `80/TCP`, `53/udp` (protocol defaults to TCP, case-insensitive). */
export function parsePortSpec(text: string): PortSpec {
  const m = PORT_SPEC.exec(text.trim())
  if (!m) throw new UsageError(`invalid port "${text}": expected PORT or PORT/PROTOCOL, e.g. 80 or 53/UDP`)
  const port = Number(m[1])
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`invalid port "${text}": the port must be between 1 and 65535`)
  }
  const protocol = (m[2] ?? 'TCP').toUpperCase()
  if (!isProtocol(protocol)) {
    throw new UsageError(`invalid port "${text}": the protocol must be one of ${PROTOCOLS.join(', ')}`)
  }
  return { port, protocol }
}

function isProtocol(s: string): s is Protocol {
  return (PROTOCOLS as readonly string[]).includes(s)
}

function comparePortSpecs(a: PortSpec, b: PortSpec): number {
  return a.port - b.port || PROTOCOLS.indexOf(a.protocol) - PROTOCOLS.indexOf(b.protocol)
}

/** Sorted, without duplicates. */
export function uniquePortSpecs(ports: readonly PortSpec[]): PortSpec[] {
  const seen = new Map<string, PortSpec>()
  for (const p of ports) seen.set(formatPort(p), { port: p.port, protocol: p.protocol })
  return [...seen.values()].sort(comparePortSpecs)
}

/** Every containerPort (with its protocol) that any pod declares, sorted; empty when none does. */
export function defaultPorts(state: ClusterState): PortSpec[] {
  return uniquePortSpecs(state.pods.flatMap((pod) => pod.containerPorts.map((c) => ({ port: c.containerPort, protocol: c.protocol }))))
}

/** Code-point order, except that runs of digits compare as numbers (`web-2` before `web-10`). */
export function compareNames(a: string, b: string): number {
  const ra = a.match(/\d+|\D+/g) ?? []
  const rb = b.match(/\d+|\D+/g) ?? []
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const x = ra[i]
    const y = rb[i]
    if (x === y) continue
    const dx = /^\d/.test(x)
    const dy = /^\d/.test(y)
    if (dx && dy) {
      const d = x.length - x.replace(/^0+/, '').length
      const e = y.length - y.replace(/^0+/, '').length
      const nx = x.slice(d)
      const ny = y.slice(e)
      if (nx.length !== ny.length) return nx.length - ny.length
      if (nx !== ny) return nx < ny ? -1 : 1
      return d - e
    }
    return x < y ? -1 : 1
  }
  return ra.length - rb.length
}

/** The order of rows and columns: namespace, then name (digit runs compared as numbers). */
function sortPods(pods: readonly Pod[]): Pod[] {
  return [...pods].sort((a, b) => compareNames(a.namespace, b.namespace) || compareNames(a.name, b.name))
}

/** An evaluator that can answer a whole port at once (the fast engine's `allPairs`). */
interface BulkEvaluator extends Evaluator {
  readonly state: ClusterState
  allPairs(port: number, protocol: Protocol): { isAllowedIndex(from: number, to: number): boolean; outcomeIndex(from: number, to: number): Outcome }
}

function bulkFor(evaluator: Evaluator, state: ClusterState): BulkEvaluator | undefined {
  const e = evaluator as Partial<BulkEvaluator>
  return typeof e.allPairs === 'function' && e.state === state ? (evaluator as BulkEvaluator) : undefined
}

/** Cell codes: an outcome per byte. */
const OUTCOMES: readonly Outcome[] = ['denied', 'allowed', 'undefined', 'unknown']
const CODE: Readonly<Record<Outcome, number>> = { denied: 0, allowed: 1, undefined: 2, unknown: 3 }

/** Decisions of matrices computed here, one byte per cell, so large matrices need no objects per cell. */
const cells = new WeakMap<MatrixResult, Uint8Array>()

/**
 * Reachability for every ordered pair of pods (including a pod to itself) on every port. Uses the
 * evaluator's all-pairs computation when it has one for this state, else asks pair by pair. The
 * decisions are kept compactly; `connections` is built on first use (renderers read cells with
 * `matrixAllowed` and never need it).
 */
export function computeMatrix(evaluator: Evaluator, state: ClusterState, ports: readonly PortSpec[], options: MatrixOptions = {}): MatrixResult {
  const pods = sortPods(state.pods)
  const sortedPorts = uniquePortSpecs(ports)
  const n = pods.length
  const np = sortedPorts.length
  const total = n * n * np
  const bits = new Uint8Array(total)
  const { onProgress } = options
  const bulk = bulkFor(evaluator, state)
  const position = new Map(state.pods.map((p, i) => [p, i]))
  const original = pods.map((p) => position.get(p)!)
  const tables = bulk ? sortedPorts.map((p) => bulk.allPairs(p.port, p.protocol)) : undefined
  const tiered = (state.clusterNetworkPolicies?.length ?? 0) > 0
  let done = 0
  for (let i = 0; i < n; i++) {
    const from = { kind: 'pod', pod: pods[i] } as const
    for (let j = 0; j < n; j++) {
      const to = { kind: 'pod', pod: pods[j] } as const
      for (let k = 0; k < np; k++) {
        const p = sortedPorts[k]
        if (tiered) {
          const outcome = tables
            ? tables[k].outcomeIndex(original[i], original[j])
            : (evaluator.evaluate({ from, to, port: p.port, protocol: p.protocol }).outcome ?? 'denied')
          bits[done++] = CODE[outcome]
          continue
        }
        const allowed = tables ? tables[k].isAllowedIndex(original[i], original[j]) : evaluator.isAllowed({ from, to, port: p.port, protocol: p.protocol })
        bits[done++] = allowed ? 1 : 0
      }
    }
    if (onProgress) onProgress(done, total)
  }
  let connections: MatrixConnection[] | undefined
  const result: MatrixResult = {
    pods,
    ports: sortedPorts,
    tiered,
    get connections(): readonly MatrixConnection[] {
      if (connections === undefined) {
        const names = pods.map(qualifiedName)
        connections = new Array<MatrixConnection>(total)
        let c = 0
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            for (const p of sortedPorts) {
              connections[c] = {
                from: names[i],
                to: names[j],
                port: p.port,
                protocol: p.protocol,
                allowed: bits[c] === 1,
                ...(tiered ? { decision: OUTCOMES[bits[c]] } : {}),
              }
              c++
            }
          }
        }
      }
      return connections
    },
  }
  cells.set(result, bits)
  return result
}

/** The decision for row `fromIndex`, column `toIndex` and port `portIndex` (indexes into pods and ports). */
export function matrixAllowed(m: MatrixResult, fromIndex: number, toIndex: number, portIndex: number): boolean {
  const index = (fromIndex * m.pods.length + toIndex) * m.ports.length + portIndex
  const bits = cells.get(m)
  return bits ? bits[index] === 1 : m.connections[index].allowed
}

/** The outcome of a cell (`allowed`/`denied` for states without ClusterNetworkPolicies). */
export function matrixOutcome(m: MatrixResult, fromIndex: number, toIndex: number, portIndex: number): Outcome {
  const index = (fromIndex * m.pods.length + toIndex) * m.ports.length + portIndex
  const bits = cells.get(m)
  if (bits) return OUTCOMES[bits[index]]
  const c = m.connections[index]
  return c.decision ?? (c.allowed ? 'allowed' : 'denied')
}

/** Looks up a cell of a computed matrix by row, column and port index. */
export function matrixCell(m: MatrixResult, fromIndex: number, toIndex: number, portIndex: number): MatrixConnection {
  return m.connections[(fromIndex * m.pods.length + toIndex) * m.ports.length + portIndex]
}
