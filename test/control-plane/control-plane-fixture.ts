/**
 * The control-plane tests' common part: the binaries found by the global setup
 * (test/control-plane/global-setup.ts), a `describe` that is skipped when there are none, and the
 * check that netpol validates a manifest as the API server does.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, inject } from 'vitest'
import type { ControlPlane } from '../../testing/control-plane.js'
import { runCliInProcess } from '../cli/run-cli-in-process.js'

/** Directory of kube-apiserver, etcd and kubectl; '' when absent. */
export const controlPlaneBin: string = inject('controlPlaneBin')

/** `describe` for tests that need a real control plane: skipped (reason printed once by the global setup) without one. */
export const describeControlPlane = describe.skipIf(controlPlaneBin === '')

/** Starting etcd and kube-apiserver on a busy 2-core machine takes a while. */
export const START_TIMEOUT_MS = 300_000

/**
 * One manifest through `kubectl apply --dry-run=server` and `netpol check` (written to `dir`): both
 * accept it (`field` undefined), or both refuse it naming `field`.
 */
export async function expectCheckAgreesWithServer(cp: ControlPlane, dir: string, name: string, manifest: string, field: string | undefined): Promise<void> {
  const file = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.yaml`)
  await writeFile(file, manifest)
  const server = await cp.kubectl(['apply', '--dry-run=server', '-f', file])
  const netpol = await runCliInProcess(['check', file], { cwd: dir, env: { HOME: dir } })
  if (field === undefined) {
    expect(server.stderr).toBe('')
    expect(server.code).toBe(0)
    expect(netpol.stderr).toBe('')
    expect(netpol.code).toBe(0)
  } else {
    expect(server.code, server.stdout).not.toBe(0)
    expect(server.stderr).toContain(field)
    expect(netpol.code).toBe(2)
    expect(netpol.stderr).toContain(field)
  }
}
