/**
 * `netpol lab down` leaves nothing behind: after a normal `lab up`, after `lab up` was killed with
 * SIGKILL at different stages, and `lab up` interrupted by SIGTERM cleans up after itself. The host's
 * own links, routes and firewall are the same before, during and after. Runs the built CLI
 * (`npm test` builds first).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listLabNetns } from '../../src/lab/netns.js'
import { findLabProcesses } from '../../src/lab/lab-processes.js'
import { runChecked } from '../../src/lab/run-command.js'
import { uniqueLabName } from '../lab/fixtures.js'
import { expectNothingLeft } from './lab-leftovers.js'
import { runBuiltCli, type BuiltCliRun } from './run-built-cli.js'
import { killWhenRetrying } from './kill-when.js'

let dir: string
let manifest: string

const MANIFEST = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 6
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx, ports: [{containerPort: 80}, {containerPort: 53, protocol: UDP}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec: {podSelector: {}}
`

function netpol(args: readonly string[], onSpawn?: (pid: number) => void): Promise<BuiltCliRun> {
  return runBuiltCli(args, { env: { NETPOL_LAB_DIR: dir }, onSpawn })
}

/** What the lab must never change: the host namespace's links, addresses, routes and nft ruleset. */
async function hostNetwork(): Promise<string> {
  const parts = await Promise.all([
    runChecked('ip', ['-o', 'link', 'show']),
    runChecked('ip', ['-o', 'addr', 'show']),
    runChecked('ip', ['route', 'show', 'table', 'all']),
    runChecked('nft', ['list', 'ruleset']),
  ])
  // Link statistics and neighbour-dependent flags are not configuration.
  return parts.join('\n---\n').replace(/ qlen \d+/g, '')
}

/** Starts `lab up` and SIGKILLs it as soon as `ready()` says so. */
/** `lab up` killed with SIGKILL once `ready()` holds (again after `lab down` when it finished first). */
function killUpWhen(lab: string, ready: () => Promise<boolean>): Promise<BuiltCliRun> {
  return killWhenRetrying(
    (onSpawn) => netpol(['lab', 'up', manifest, '--name', lab, '--nodes', '3'], onSpawn),
    ready,
    async () => void (await netpol(['lab', 'down', '--name', lab])),
  )
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netpol-labs-'))
  manifest = join(dir, 'shop.yaml')
  await writeFile(manifest, MANIFEST)
})

/** Every lab a test made: removed after all, also when a test failed before its own `lab down`. */
const labs: string[] = []
function newLab(tag: string): string {
  const lab = uniqueLabName(tag)
  labs.push(lab)
  return lab
}

afterAll(async () => {
  for (const lab of labs) await netpol(['lab', 'down', '--name', lab])
  await rm(dir, { recursive: true, force: true })
})

describe('lab cleanup', () => {
  it('down after a normal up removes every namespace, process and file, is idempotent, and the host network never changes', async () => {
    const lab = newLab('cln')
    const host = await hostNetwork()
    const up = await netpol(['lab', 'up', manifest, '--name', lab])
    expect(up.stderr).toBe('')
    expect(up.code).toBe(0)
    expect((await listLabNetns(lab)).length).toBe(1 + 2 + 6)
    expect((await findLabProcesses(lab)).length).toBe(6)
    expect(await hostNetwork()).toBe(host)
    const down = await netpol(['lab', 'down', '--name', lab])
    expect(down.code).toBe(0)
    expect(down.stdout).toMatch(/removed: 9 network namespaces, 6 processes/)
    await expectNothingLeft(lab, dir)
    const again = await netpol(['lab', 'down', '--name', lab])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/does not exist; nothing to remove/)
    expect(await hostNetwork()).toBe(host)
  })

  it('down cleans up after `lab up` was killed with SIGKILL while building namespaces', async () => {
    const lab = newLab('k9a')
    const run = await killUpWhen(lab, async () => (await listLabNetns(lab)).length > 0)
    expect(run.signal).toBe('SIGKILL')
    expect((await listLabNetns(lab)).length).toBeGreaterThan(0)
    const list = await netpol(['lab', 'list', '-o', 'json'])
    expect(JSON.parse(list.stdout).labs.map((l: { name: string }) => l.name)).toContain(lab)
    expect((await netpol(['lab', 'down', '--name', lab])).code).toBe(0)
    await expectNothingLeft(lab, dir)
  })

  it('down cleans up after `lab up` was killed with SIGKILL while starting pod servers', async () => {
    const lab = newLab('k9b')
    const run = await killUpWhen(lab, async () => (await findLabProcesses(lab)).length > 0)
    expect(run.signal).toBe('SIGKILL')
    expect((await findLabProcesses(lab)).length).toBeGreaterThan(0)
    expect((await netpol(['lab', 'down', '--name', lab])).code).toBe(0)
    await expectNothingLeft(lab, dir)
  })

  it('`lab up` interrupted by SIGTERM removes what it built and exits 130', async () => {
    const lab = newLab('trm')
    let pid = 0
    const run = netpol(['lab', 'up', manifest, '--name', lab], (p) => (pid = p))
    while ((await listLabNetns(lab)).length === 0) await new Promise((r) => setTimeout(r, 2))
    process.kill(pid, 'SIGTERM')
    const result = await run
    expect(result.code).toBe(130)
    expect(result.stderr).toMatch(/interrupted by SIGTERM; removed the partly built lab/)
    await expectNothingLeft(lab, dir)
  })
})
