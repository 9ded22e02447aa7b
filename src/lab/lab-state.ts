/**
 * @module What a running lab remembers between commands: its cluster state (as the lab runs it),
 * its topology, and the processes it started. Stored as JSON by state-store.ts and read back as
 * untrusted input (state-validation.ts).
 */
import type { ClusterState } from '../model/types.js'
import type { LabTopology } from './topology.js'
import type { SctpSupport } from './sctp-support.js'

export const LAB_STATE_VERSION = 1

/**
 * `building`: `lab up` is running, or was killed (only `lab down` helps).
 * `applying`: a `lab apply` is changing the kernel, or was killed or failed half-way; the next
 * `lab apply` (or `lab down`) puts the lab back in order first (see lab-reconcile.ts).
 * `failed`: written by older versions for a failed `lab apply`; handled like `applying`.
 */
export type LabPhase = 'building' | 'ready' | 'applying' | 'failed'

/** What an unfinished `lab apply` was moving the lab to: the pods it may have created. */
export interface PendingApply {
  readonly cluster: ClusterState
  readonly topology: LabTopology
}

/**
 * A lab started with `--control-plane`: its etcd and kube-apiserver on loopback (files in
 * `<lab dir>/control-plane/`), one `netpol agent` per node and the lab's kubelet (lab-kubelet.ts).
 * Each PID is recorded as soon as the process runs, so `lab down` stops it even after a `kill -9`.
 */
export interface LabControlPlane {
  /** kube-apiserver's port on 127.0.0.1. */
  readonly apiServerPort: number
  readonly etcdClientPort: number
  readonly etcdPeerPort: number
  readonly etcd?: number
  readonly apiServer?: number
  readonly kubelet?: number
  /** node name -> PID of its `netpol agent`. */
  readonly agents: Readonly<Record<string, number>>
}

export interface LabState {
  readonly version: typeof LAB_STATE_VERSION
  readonly name: string
  readonly phase: LabPhase
  readonly createdAt: string
  readonly updatedAt: string
  /** Manifest paths applied so far (absolute), in order. */
  readonly manifests: readonly string[]
  /** The cluster as the lab runs it (the last state fully in force): lab IPs and nodes filled in, hostNetwork pods dropped. */
  readonly cluster: ClusterState
  readonly topology: LabTopology
  /** `ns/name` -> PID of the pod's server. */
  readonly servers: Readonly<Record<string, number>>
  /** node name -> PID of its denied-connection log collector. */
  readonly collectors: Readonly<Record<string, number>>
  readonly warnings: readonly string[]
  readonly sctp: SctpSupport
  /** Only for a lab started with `--control-plane`. */
  readonly controlPlane?: LabControlPlane
  /** Only while `phase` is `applying`. */
  readonly pending?: PendingApply
}
