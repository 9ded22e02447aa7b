/**
 * `lab apply` killed with SIGKILL half-way (issue 9, item 3), through the built CLI on real
 * network namespaces: `lab status` says the lab is not ready (it does not claim "ready" over
 * orphan namespaces), `probe` refuses, and the next `lab apply` puts the lab back as it was,
 * applies, and succeeds: exactly the namespaces and servers of the new cluster, and probes that
 * agree with the engine.
 */
import { describe, it, expect } from 'vitest'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { useCliLab } from './cli-lab.js'
import { runBuiltCli, type BuiltCliRun } from './run-built-cli.js'
import { killWhenRetrying } from './kill-when.js'
import { listLabNetns } from '../../src/lab/netns.js'
import { findLabProcesses } from '../../src/lab/lab-processes.js'

const cli = useCliLab('rcv')
const netpol = cli.netpol

function manifest(webReplicas: number, policy: string): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: ${webReplicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec: ${policy}
`
}
const SMALL = manifest(2, '{podSelector: {}, ingress: [{from: [{podSelector: {}}]}]}')
const BIG = manifest(7, '{podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress]}')

/**
 * Runs `netpol lab apply --prune <file>` and sends it `signal` as soon as `ready()` says so; when
 * the apply finished first, applies `from` (the lab's manifests before) and tries again.
 */
function killApplyWhen(file: string, from: string, ready: () => Promise<boolean>, signal: NodeJS.Signals = 'SIGKILL'): Promise<BuiltCliRun> {
  const env = { NETPOL_LAB_DIR: cli.dir, NETPOL_LAB: cli.name, NO_COLOR: '1' }
  return killWhenRetrying(
    (onSpawn) => runBuiltCli(['lab', 'apply', '--prune', file], { env, onSpawn }),
    ready,
    async () => expect((await netpol(['lab', 'apply', '--prune', from])).code).toBe(0),
    signal,
  )
}

async function expectNotReadyThenRecovers(file: string, pods: number): Promise<void> {
  const status = await netpol(['lab', 'status', '-o', 'json'])
  expect(status.code).toBe(0)
  const s = JSON.parse(status.stdout)
  expect(s.ready).toBe(false)
  expect(s.phase).toBe('applying')
  const text = await netpol(['lab', 'status'])
  // The reason is on a line of its own under the header (each line escaped on its own).
  expect(text.stdout).toMatch(/\(applying, NOT READY\): .* policies\nlab "[a-z0-9-]+" is not ready: /)
  expect(text.stdout).toMatch(/run `netpol lab apply` again/)
  const probe = await netpol(['lab', 'probe'])
  expect(probe.code).toBe(2)
  expect(probe.stderr).toMatch(/is not ready: a `lab apply` is running, or was interrupted/)

  const apply = await netpol(['lab', 'apply', '--prune', file])
  expect(apply.stderr).toMatch(/the last `lab apply` did not finish; putting the lab back as it was before it/)
  expect(apply.stderr).not.toMatch(/error/)
  expect(apply.code).toBe(0)
  const after = JSON.parse((await netpol(['lab', 'status', '-o', 'json'])).stdout)
  expect(after.ready).toBe(true)
  expect(after.phase).toBe('ready')
  expect(after.pods).toHaveLength(pods)
  expect(after.pods.every((p: { server: string }) => p.server === 'running')).toBe(true)
  // Nothing orphaned: the fabric, two nodes and one namespace per pod; one server per pod.
  expect((await listLabNetns(cli.name)).length).toBe(1 + 2 + pods)
  expect((await findLabProcesses(cli.name)).length).toBe(pods)
  // Removed pods leave no files behind: one server log per pod.
  expect((await readdir(join(cli.dir, cli.name))).filter((f) => /^server-[0-9a-f]{10}\.log$/.test(f))).toHaveLength(pods)
  const check = await netpol(['lab', 'probe', '-o', 'json'])
  expect(JSON.parse(check.stdout).disagreements).toEqual([])
  expect(check.code).toBe(0)
}

describe('lab apply killed with SIGKILL half-way', () => {
  it('up', async () => {
    await writeFile(join(cli.dir, 'small.yaml'), SMALL)
    await writeFile(join(cli.dir, 'big.yaml'), BIG)
    const up = await netpol(['lab', 'up', join(cli.dir, 'small.yaml')])
    expect(up.code).toBe(0)
  })

  it("killed while it creates the new pods' namespaces: not ready, and the next apply succeeds", async () => {
    const run = await killApplyWhen(join(cli.dir, 'big.yaml'), join(cli.dir, 'small.yaml'), async () => (await listLabNetns(cli.name)).length > 1 + 2 + 2)
    expect(run.signal).toBe('SIGKILL')
    expect((await listLabNetns(cli.name)).length).toBeGreaterThan(1 + 2 + 2)
    await expectNotReadyThenRecovers(join(cli.dir, 'big.yaml'), 7)
  })

  it('killed while it removes pods: not ready, and the next apply succeeds', async () => {
    const run = await killApplyWhen(join(cli.dir, 'small.yaml'), join(cli.dir, 'big.yaml'), async () => (await listLabNetns(cli.name)).length < 1 + 2 + 7)
    expect(run.signal).toBe('SIGKILL')
    await expectNotReadyThenRecovers(join(cli.dir, 'small.yaml'), 2)
  })

  it("killed while it starts the new pods' servers: not ready, and the next apply succeeds", async () => {
    // A new server's log file appears just before its process starts (scanning /proc is too slow to catch it).
    const serverLogs = async (): Promise<number> => (await readdir(join(cli.dir, cli.name))).filter((f) => /^server-[0-9a-f]{10}\.log$/.test(f)).length
    const run = await killApplyWhen(join(cli.dir, 'big.yaml'), join(cli.dir, 'small.yaml'), async () => (await serverLogs()) > 2)
    expect(run.signal).toBe('SIGKILL')
    await expectNotReadyThenRecovers(join(cli.dir, 'big.yaml'), 7)
  })

  it('interrupted by SIGTERM (or Ctrl-C): stops, puts the lab back as it was, exits 130', async () => {
    const before = JSON.parse((await netpol(['lab', 'status', '-o', 'json'])).stdout)
    const run = await killApplyWhen(
      join(cli.dir, 'small.yaml'),
      join(cli.dir, 'big.yaml'),
      async () => (await listLabNetns(cli.name)).length < 1 + 2 + 7,
      'SIGTERM',
    )
    expect(run.code).toBe(130)
    expect(run.stderr).toMatch(/error: interrupted by SIGTERM; put the lab back as it was before this apply/)
    const after = JSON.parse((await netpol(['lab', 'status', '-o', 'json'])).stdout)
    expect(after.ready).toBe(true)
    expect(after.pods.map((p: { pod: string; ip: string }) => `${p.pod} ${p.ip}`)).toEqual(
      before.pods.map((p: { pod: string; ip: string }) => `${p.pod} ${p.ip}`),
    )
    expect(after.pods.every((p: { server: string }) => p.server === 'running')).toBe(true)
    expect((await listLabNetns(cli.name)).length).toBe(1 + 2 + 7)
    expect((await findLabProcesses(cli.name)).length).toBe(7)
    const check = await netpol(['lab', 'probe', '-o', 'json'])
    expect(JSON.parse(check.stdout).disagreements).toEqual([])
  })

  it(
    'after all that, scaling the Deployment down without --prune still removes its extra pods (its pods are grouped by what made them, read ' +
      'back from the state)',
    async () => {
      const apply = await netpol(['lab', 'apply', join(cli.dir, 'small.yaml')])
      expect(apply.code).toBe(0)
      const s = JSON.parse((await netpol(['lab', 'status', '-o', 'json'])).stdout)
      expect(s.pods.map((p: { pod: string }) => p.pod)).toEqual(['shop/web-0', 'shop/web-1'])
      expect((await listLabNetns(cli.name)).length).toBe(1 + 2 + 2)
    },
  )
})
