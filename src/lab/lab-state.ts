/**
 * @module What a running lab remembers between commands: its cluster state (as the lab runs it),
 * its topology, and the processes it started. Stored as JSON by state-store.ts.
 */
import type { ClusterState } from '../model/types.js'
import type { LabTopology } from './topology.js'
import type { SctpSupport } from './sctp-support.js'

export const LAB_STATE_VERSION = 1

/** `failed`: a `lab apply` failed after it had started changing pods; only `lab down` helps. */
export type LabPhase = 'building' | 'ready' | 'failed'

export interface LabState {
  readonly version: typeof LAB_STATE_VERSION
  readonly name: string
  /** `building` while `lab up` works (or after it was killed): `lab down` still knows what to remove. */
  readonly phase: LabPhase
  readonly createdAt: string
  readonly updatedAt: string
  /** Manifest paths applied so far (absolute), in order. */
  readonly manifests: readonly string[]
  /** The cluster as the lab runs it: lab IPs and nodes filled in, hostNetwork pods dropped. */
  readonly cluster: ClusterState
  readonly topology: LabTopology
  /** `ns/name` -> PID of the pod's server. */
  readonly servers: Readonly<Record<string, number>>
  /** node name -> PID of its denied-connection log collector. */
  readonly collectors: Readonly<Record<string, number>>
  readonly warnings: readonly string[]
  readonly sctp: SctpSupport
}

export function parseLabState(text: string, file: string): LabState {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`)
  }
  const s = data as Partial<LabState> | null
  if (s === null || typeof s !== 'object' || s.version !== LAB_STATE_VERSION || typeof s.name !== 'string' || s.topology === undefined || s.cluster === undefined) {
    throw new Error(`${file}: not a netpol lab state of version ${LAB_STATE_VERSION}`)
  }
  return s as LabState
}
