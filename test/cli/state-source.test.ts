import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { namespaceObject, podObject, policyObject } from '../agent/api-objects.js'
import { TestApiServer } from '../../testing/test-api-server.js'
import { runCliInProcess, type CliRun } from './run-cli-in-process.js'

describe('matrix, list, explain and check read a live cluster when given no PATH', () => {
  let api: TestApiServer
  let dir: string
  let kubeconfig: string

  const run = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> => runCliInProcess(args, { cwd: dir, env: { HOME: dir, ...env } })

  beforeAll(async () => {
    api = await TestApiServer.start()
    api.create('namespaces', namespaceObject('shop'))
    api.create('namespaces', namespaceObject('other'))
    api.create('pods', podObject('shop', 'web', { ip: '10.0.0.1', labels: { app: 'web' }, ports: [{ containerPort: 80 }] }))
    api.create('pods', podObject('shop', 'db', { ip: '10.0.0.2', labels: { app: 'db' }, ports: [{ containerPort: 5432 }] }))
    api.create('pods', podObject('other', 'x', { ip: '10.0.1.1', labels: { app: 'x' }, ports: [{ containerPort: 80 }] }))
    api.create(
      'networkpolicies',
      policyObject('shop', 'db-from-web', {
        podSelector: { matchLabels: { app: 'db' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 5432 }] }],
      }),
    )
    dir = await mkdtemp(join(tmpdir(), 'netpol-live-cli-'))
    kubeconfig = join(dir, 'kubeconfig')
    await writeFile(kubeconfig, api.kubeconfigYaml('shop'))
  })
  afterAll(async () => {
    await api.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('matrix -A -o json: every pod of the cluster, with the live policy enforced', async () => {
    const r = await run(['matrix', '--kubeconfig', kubeconfig, '-A', '--port', '5432', '-o', 'json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const { connections } = JSON.parse(r.stdout) as { connections: { from: string; to: string; allowed: boolean }[] }
    expect(connections).toHaveLength(9)
    const toDb = connections.filter((c) => c.to === 'shop/db' && c.from !== 'shop/db')
    expect(toDb.map((c) => `${c.from}:${c.allowed}`).sort()).toEqual(['other/x:false', 'shop/web:true'])
  })

  it('without -A reads the context namespace ($KUBECONFIG like kubectl), -n another', async () => {
    const r = await run(['matrix', '--port', '80', '-o', 'json'], { KUBECONFIG: kubeconfig })
    expect(r.code).toBe(0)
    const pods = new Set((JSON.parse(r.stdout) as { connections: { from: string }[] }).connections.map((c) => c.from))
    expect([...pods].sort()).toEqual(['shop/db', 'shop/web'])
    const other = await run(['check', '--kubeconfig', kubeconfig, '-n', 'other'])
    expect(other.code).toBe(0)
    expect(other.stdout).toMatch(/1 pod/)
  })

  it('explain names the live policy that allows the connection', async () => {
    const r = await run(['explain', '--kubeconfig', kubeconfig, '--from', 'shop/web', '--to', 'shop/db', '--port', '5432', '-o', 'json'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('db-from-web')
    expect(JSON.parse(r.stdout)).toMatchObject({ allowed: true })
  })

  it("explain finds bare pod names in the namespace it read: the context's, or -n", async () => {
    const r = await run(['explain', '--kubeconfig', kubeconfig, '--from', 'web', '--to', 'db', '--port', '5432', '-o', 'json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ from: 'shop/web', to: 'shop/db', allowed: true })
    const other = await run(['explain', '--kubeconfig', kubeconfig, '-n', 'other', '--from', 'x', '--to', 'x', '--port', '80', '-o', 'json'])
    expect(other.code).toBe(0)
    expect(JSON.parse(other.stdout)).toMatchObject({ from: 'other/x', to: 'other/x' })
  })

  it('list reads the live cluster: -A every namespace, -n one', async () => {
    const all = await run(['list', '--kubeconfig', kubeconfig, '-A', '--to', 'shop/db'])
    expect(all.stderr).toBe('')
    expect(all.code).toBe(0)
    expect(all.stdout).toBe('shop/web[Pod] => shop/db[Pod] : TCP 5432\n')
    const other = await run(['list', '--kubeconfig', kubeconfig, '-n', 'other', '--from', 'other', '--to', '10.0.0.0/8'])
    expect(other.code).toBe(0)
    expect(other.stdout).toBe('other/x[Pod] => 10.0.0.0/8 : all ports\n')
  })

  it('PATHs and live-cluster flags do not mix; a missing kubeconfig or context is exit 2 with a clear message', async () => {
    const mixed = await run(['check', 'x.yaml', '-A'])
    expect(mixed.code).toBe(2)
    expect(mixed.stderr).toMatch(/--all-namespaces reads a live cluster: give either PATHs or --all-namespaces, not both/)
    const none = await run(['check'])
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/no kubeconfig found at .*\.kube\/config.*give manifest PATHs/)
    const ctx = await run(['matrix', '--kubeconfig', kubeconfig, '--context', 'nope'])
    expect(ctx.code).toBe(2)
    expect(ctx.stderr).toMatch(/context "nope" does not exist/)
  })
})
