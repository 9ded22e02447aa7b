/**
 * @module Finding kube-apiserver, etcd and kubectl for `lab up --control-plane`, the way
 * `scripts/control-plane-binaries.sh --no-build` looks (never building): `$NETPOL_CONTROL_PLANE_BIN`,
 * `$KUBEBUILDER_ASSETS`, `$PATH` (all three in one directory), then the script's cache. A
 * directory fits when it holds the three as executables of the pinned minor releases; each
 * binary is asked its version with a deadline (a binary on PATH is not trusted to answer).
 */
import { execFile } from 'node:child_process'
import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'

/** The releases scripts/control-plane-binaries.sh pins (keep the two in step). */
export const CONTROL_PLANE_RELEASE = { kubernetes: 'v1.37.2', etcd: 'v3.7.0', kubernetesMinor: '1.37', etcdMinor: '3.7' } as const

export const CONTROL_PLANE_BINARIES = ['kube-apiserver', 'etcd', 'kubectl'] as const

export type BinariesLookup = { readonly dir: string } | { readonly problems: readonly string[] }

function versionOf(bin: string, args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(bin, [...args], { timeout: 20_000, maxBuffer: 1024 * 1024, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }, (_err, stdout) => {
      resolve(/(\d+\.\d+\.\d+)/.exec(String(stdout).split('\n')[0] ?? '')?.[1])
    })
  })
}

/** Undefined when `dir` holds the three binaries of the pinned releases, else why not. */
async function problemWith(dir: string): Promise<string | undefined> {
  for (const name of CONTROL_PLANE_BINARIES) {
    const bin = join(dir, name)
    try {
      await access(bin, constants.X_OK)
    } catch {
      return `${dir}: no ${name}`
    }
    const want = name === 'etcd' ? CONTROL_PLANE_RELEASE.etcdMinor : CONTROL_PLANE_RELEASE.kubernetesMinor
    const v = await versionOf(bin, name === 'kubectl' ? ['version', '--client'] : ['--version'])
    if (v === undefined || !v.startsWith(`${want}.`)) return `${bin}: version ${v ?? 'unknown'}, need ${want}.x`
  }
  return undefined
}

/** The directories to look in, in order, from the environment. */
export function binariesCandidates(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = []
  if (env.NETPOL_CONTROL_PLANE_BIN) out.push(env.NETPOL_CONTROL_PLANE_BIN)
  if (env.KUBEBUILDER_ASSETS) out.push(env.KUBEBUILDER_ASSETS)
  for (const dir of (env.PATH ?? '').split(delimiter)) if (dir.startsWith('/')) out.push(dir)
  const cacheRoot = env.NETPOL_CONTROL_PLANE_CACHE || join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'netpol', 'control-plane')
  out.push(join(cacheRoot, `${CONTROL_PLANE_RELEASE.kubernetes}-etcd-${CONTROL_PLANE_RELEASE.etcd}`))
  return [...new Set(out)]
}

export async function findControlPlaneBinaries(env: NodeJS.ProcessEnv): Promise<BinariesLookup> {
  const problems: string[] = []
  for (const dir of binariesCandidates(env)) {
    // A PATH directory without kube-apiserver is not a candidate worth a message.
    const hasApiServer = await access(join(dir, 'kube-apiserver'), constants.X_OK).then(
      () => true,
      () => false,
    )
    if (!hasApiServer) {
      if (dir === env.NETPOL_CONTROL_PLANE_BIN || dir === env.KUBEBUILDER_ASSETS) problems.push(`${dir}: no kube-apiserver`)
      continue
    }
    const problem = await problemWith(dir)
    if (problem === undefined) return { dir }
    problems.push(problem)
  }
  return { problems }
}
