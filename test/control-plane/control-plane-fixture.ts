/**
 * The control-plane tests' common part: the binaries found by the global setup
 * (test/control-plane/global-setup.ts) and a `describe` that is skipped when there are none.
 */
import { describe, inject } from 'vitest'

/** Directory of kube-apiserver, etcd and kubectl; '' when absent. */
export const controlPlaneBin: string = inject('controlPlaneBin')

/** `describe` for tests that need a real control plane: skipped (reason printed once by the global setup) without one. */
export const describeControlPlane = describe.skipIf(controlPlaneBin === '')

/** Starting etcd and kube-apiserver on a busy 2-core machine takes a while. */
export const START_TIMEOUT_MS = 300_000
