/**
 * @module Process entry of a `--control-plane` lab's kubelet: `node lab-kubelet-main.js
 * --lab=<lab> --root=<labs directory>`, started by `lab up --control-plane` in the host's network
 * namespace (it reaches the lab's API server on loopback and creates the pods' namespaces). Every
 * second it runs one pass (lab-kubelet.ts) under the lab's lock; a failed pass is logged and
 * retried. Prints `ready` once started; logs go to stderr (the lab's kubelet.log). The `--lab`
 * argument lets `lab down` find it by its command line.
 */
import { isAbsolute } from 'node:path'
import { loadKubeConfig } from '../cluster/live-kubeconfig.js'
import { printable } from '../model/printable.js'
import { UsageError } from '../model/errors.js'
import { agentsEnforce, kubeletPass, type KubeletMemory } from './lab-kubelet.js'
import { needsReconcile, reconcileLab } from './lab-reconcile.js'
import { withLabLock } from './lab-lock.js'
import { isValidLabName } from './lab-names.js'
import { nftLabDataplane } from './nft-lab-dataplane.js'
import { labControlPlaneKubeconfig } from './lab-control-plane.js'
import { readLabState } from './state-store.js'

const INTERVAL_MS = 1000

function arg(name: string): string | undefined {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`))
  return found === undefined ? undefined : found.slice(name.length + 3)
}

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} ${printable(message)}\n`)
}

async function main(): Promise<void> {
  const lab = arg('lab')
  const root = arg('root')
  if (lab === undefined || !isValidLabName(lab)) throw new Error('missing or invalid --lab=')
  if (root === undefined || !isAbsolute(root)) throw new Error('missing or relative --root=')
  const ctx = { root, dataplane: nftLabDataplane, warn: (m: string) => log(`warning: ${m}`) }
  const memory: KubeletMemory = {}
  let stopping = false
  let busy = false
  let lastError: string | undefined
  const stop = (): void => {
    stopping = true
    if (!busy) process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.stdout.write('ready\n')
  for (;;) {
    busy = true
    try {
      // Checked before the lock, which would make the lab's directory again.
      if ((await readLabState(root, lab)) === undefined) {
        log('the lab is gone; stopping')
        process.exit(0)
      }
      await withLabLock(root, lab, 'kubelet', async () => {
        let state = await readLabState(root, lab)
        if (state?.controlPlane === undefined) return
        // A pass that was killed half-way: the lab goes back to its last state first (the agents' tables untouched).
        if (needsReconcile(state)) state = await reconcileLab({ ...ctx, dataplane: agentsEnforce }, state)
        if (state.phase !== 'ready') return
        const kc = loadKubeConfig({ kubeconfig: labControlPlaneKubeconfig(root, lab) })
        const r = await kubeletPass(ctx, state, kc, memory)
        for (const s of r.bound) log(`bound ${s}`)
        for (const s of r.added) log(`started pod ${s}`)
        for (const s of r.removed) log(`stopped pod ${s}`)
        for (const s of r.reported) log(`reported ${s}`)
        for (const s of r.deleted) log(`deleted ${s}`)
      })
      lastError = undefined
    } catch (err) {
      // A busy lab (`lab down` takes the lock) or an API server restarting: next time. The same
      // failure is logged once, not every second.
      const message = err instanceof Error ? err.message : String(err)
      if (!(err instanceof UsageError && message.includes('is busy')) && message !== lastError) log(`pass failed: ${message}`)
      lastError = message
    }
    busy = false
    if (stopping) process.exit(0)
    await new Promise((r) => setTimeout(r, INTERVAL_MS))
  }
}

main().catch((err: unknown) => {
  log(`lab kubelet: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
