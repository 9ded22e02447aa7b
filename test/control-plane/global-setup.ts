/**
 * Vitest global setup: finds kube-apiserver, etcd and kubectl for the control-plane tests once
 * per run and hands the directory to the test files (`inject('controlPlaneBin')`, empty when
 * absent). When absent, ONE line says why those tests are skipped.
 *
 * NETPOL_CONTROL_PLANE_BIN (set by .ci/run and `npm run test:control-plane`) must name a directory
 * that holds all three: a wrong value fails the run instead of skipping. Otherwise the binaries
 * are looked up (never built) by scripts/control-plane-binaries.sh --no-build.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Directory of kube-apiserver, etcd and kubectl; '' when the control-plane tests are skipped. */
    controlPlaneBin: string
  }
}

const BINARIES = ['kube-apiserver', 'etcd', 'kubectl']

function lookUp(root: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('bash', [join(root, 'scripts', 'control-plane-binaries.sh'), '--no-build'], { timeout: 120_000, env: process.env }, (err, stdout) => {
      const dir = stdout.trim()
      resolve(err || !dir ? undefined : dir)
    })
  })
}

export default async function setup(project: TestProject): Promise<void> {
  const root = project.config.root
  const fromEnv = process.env.NETPOL_CONTROL_PLANE_BIN
  if (fromEnv) {
    const missing = BINARIES.filter((b) => !existsSync(join(fromEnv, b)))
    if (missing.length > 0) throw new Error(`NETPOL_CONTROL_PLANE_BIN=${fromEnv}: no ${missing.join(', ')} there (see docs/control-plane-tests.md)`)
    project.provide('controlPlaneBin', fromEnv)
    return
  }
  const dir = await lookUp(root)
  if (!dir) {
    console.log(
      'control-plane tests skipped: no kube-apiserver, etcd and kubectl of the pinned release (run scripts/control-plane-binaries.sh or npm run ' +
        'test:control-plane; see docs/control-plane-tests.md)',
    )
  }
  project.provide('controlPlaneBin', dir ?? '')
}
