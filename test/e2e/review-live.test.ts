import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { namespaceObject, podObject, policyObject } from '../agent/api-objects.js'
import { TestApiServer } from '../../testing/test-api-server.js'
import { runCliInProcess } from '../cli/run-cli-in-process.js'

describe('diff, lint, test and report against a live cluster', () => {
  let api: TestApiServer
  let dir: string
  let kubeconfig: string

  const run = (args: string[]) => runCliInProcess(args, { cwd: dir, env: { HOME: dir } })

  beforeAll(async () => {
    api = await TestApiServer.start()
    api.create('namespaces', namespaceObject('shop'))
    api.create('pods', podObject('shop', 'web', { ip: '10.0.0.1', labels: { app: 'web' }, ports: [{ containerPort: 80 }] }))
    api.create('pods', podObject('shop', 'db', { ip: '10.0.0.2', labels: { app: 'db' }, ports: [{ containerPort: 5432 }] }))
    api.create(
      'networkpolicies',
      policyObject('shop', 'db', {
        podSelector: { matchLabels: { app: 'db' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 5432 }] }],
      }),
    )
    dir = await mkdtemp(join(tmpdir(), 'netpol-review-live-'))
    kubeconfig = join(dir, 'kubeconfig')
    await writeFile(kubeconfig, api.kubeconfigYaml('shop'))
    // The change about to be applied: the same pods, and the db policy opened to everything in the namespace on 5432 and 5433.
    await writeFile(
      join(dir, 'change.yaml'),
      `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}
status: {podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 5432}]}]}
status: {podIP: 10.0.0.2, podIPs: [{ip: 10.0.0.2}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}, {port: 5433}]
`,
    )
  })
  afterAll(async () => {
    await api.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('diff with one PATH compares the live cluster (BEFORE) with the PATH (AFTER)', async () => {
    const r = await run(['diff', 'change.yaml', '--kubeconfig', kubeconfig, '--group-by', 'pod', '-o', 'json', '--fail-on-new'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(1)
    const json = JSON.parse(r.stdout) as { changes: { change: string; from: string; to: string; newlyAllowed: string }[] }
    expect(json.changes.map((c) => `${c.change} ${c.from} -> ${c.to} ${c.newlyAllowed}`)).toEqual(['changed shop/web[Pod] -> shop/db[Pod] TCP 5433'])
  })

  it('two PATHs and --kubeconfig together are a usage error', async () => {
    const r = await run(['diff', 'change.yaml', 'change.yaml', '--kubeconfig', kubeconfig])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/give either PATHs or --kubeconfig/)
  })

  it('lint, test and report read the live cluster when given no PATH', async () => {
    const lint = await run(['lint', '--kubeconfig', kubeconfig, '-o', 'json'])
    expect(lint.code).toBe(0)
    expect((JSON.parse(lint.stdout) as { findings: { ruleId: string }[] }).findings.map((f) => f.ruleId)).toContain('namespace-without-default-deny')
    await writeFile(
      join(dir, 'expect.yaml'),
      '- {from: shop/web, to: shop/db, port: 5432, allowed: true}\n- {from: shop/db, to: shop/web, port: 5432, allowed: true}\n',
    )
    const test = await run(['test', '--kubeconfig', kubeconfig, '--expect', 'expect.yaml'])
    expect(test.code).toBe(0)
    expect(test.stdout).toContain('2 passed, 0 failed')
    const report = await run(['report', '--kubeconfig', kubeconfig, '-o', 'live.html'])
    expect(report.code).toBe(0)
    expect(report.stderr).toMatch(/wrote live.html/)
  })
})
