import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { namespaceObject, podObject, policyObject } from '../agent/api-objects.js'
import { TestApiServer } from '../../testing/test-api-server.js'
import { runCliInProcess, type CliRun } from './run-cli-in-process.js'

interface Cell {
  from: string
  to: string
  allowed: boolean
}

// A client Deployment (no pod IP in the manifests) and a server that admits only the pod network 10.244.0.0/16.
const MANIFESTS = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: shop}
spec:
  replicas: 1
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec: {containers: [{name: c, image: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: server, namespace: shop, labels: {app: server}}
spec: {containers: [{name: s, image: s, ports: [{containerPort: 80}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-pod-network, namespace: shop}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress:
  - from: [{ipBlock: {cidr: 10.244.0.0/16}}]
`

describe('--pod-cidr', () => {
  let dir: string
  let api: TestApiServer
  let kubeconfig: string

  const run = (args: string[]): Promise<CliRun> => runCliInProcess(args, { cwd: dir, env: { HOME: dir } })
  const clientToServer = async (args: string[]): Promise<boolean> => {
    const r = await run(['matrix', ...args, '--port', '80', '-o', 'json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const cells = (JSON.parse(r.stdout) as { connections: Cell[] }).connections
    return cells.find((c) => c.from.startsWith('shop/client') && c.to === 'shop/server')!.allowed
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netpol-pod-cidr-'))
    await writeFile(join(dir, 'shop.yaml'), MANIFESTS)
    api = await TestApiServer.start()
    api.create('namespaces', namespaceObject('shop'))
    api.create('pods', podObject('shop', 'pending', { labels: { app: 'client' } }))
    api.create('pods', podObject('shop', 'server', { ip: '10.0.0.3', labels: { app: 'server' }, ports: [{ containerPort: 80 }] }))
    api.create(
      'networkpolicies',
      policyObject('shop', 'from-anywhere', { podSelector: { matchLabels: { app: 'server' } }, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] }),
    )
    kubeconfig = join(dir, 'kubeconfig')
    await writeFile(kubeconfig, api.kubeconfigYaml('shop'))
  })
  afterAll(async () => {
    await api.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('by default a workload pod gets an address in 10.244.0.0/16, so an ipBlock covering it matches', async () => {
    expect(await clientToServer(['shop.yaml'])).toBe(true)
  })

  it('an address from another pod network does not match; none leaves the pod without address', async () => {
    expect(await clientToServer(['shop.yaml', '--pod-cidr', '192.168.0.0/16'])).toBe(false)
    expect(await clientToServer(['shop.yaml', '--pod-cidr', 'none'])).toBe(false)
    expect(await clientToServer(['shop.yaml', '--pod-cidr', '10.244.128.0/17'])).toBe(true)
  })

  it('explain says the address was assumed; with none it says the pod has no known IP', async () => {
    const assumed = await run(['explain', 'shop.yaml', '--from', 'shop/client', '--to', 'shop/server', '--port', '80'])
    expect(assumed.stdout).toMatch(/ipBlock 10\.244\.0\.0\/16, which matches 10\.244\.\d+\.\d+ \(assumed: the manifest has no pod IP; --pod-cidr\)/)
    const none = await run(['explain', 'shop.yaml', '--from', 'shop/client', '--to', 'shop/server', '--port', '80', '--pod-cidr', 'none'])
    expect(none.stdout).toContain('has no known IP for ipBlock')
  })

  it('a bad value is a usage error (exit 2) before any file is read', async () => {
    for (const [value, message] of [
      ['10.244.0.0', /--pod-cidr: invalid pod CIDR "10\.244\.0\.0": .*no '\/'/],
      ['fd00::/64', /must be IPv4/],
      ['10.0.0.0/31', /too small/],
    ] as const) {
      const r = await run(['matrix', 'missing.yaml', '--pod-cidr', value])
      expect(r.code, value).toBe(2)
      expect(r.stderr, value).toMatch(message)
    }
  })

  it('a CIDR with fewer free addresses than pods need is a usage error; exactly enough is fine', async () => {
    // Two pods need addresses (client-0, server): a /30 has exactly two usable ones.
    expect((await run(['matrix', 'shop.yaml', '--port', '80', '--pod-cidr', '10.0.0.0/30'])).code).toBe(0)
    const third = join(dir, 'third.yaml')
    await writeFile(third, 'apiVersion: v1\nkind: Pod\nmetadata: {name: third, namespace: shop}\nspec: {containers: [{name: t, image: t}]}\n')
    const r = await run(['matrix', 'shop.yaml', third, '--port', '80', '--pod-cidr', '10.0.0.0/30'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--pod-cidr: pod CIDR 10\.0\.0\.0\/30 has 2 free addresses for 3 pods without an IP; use a larger --pod-cidr/)
  })

  it('live cluster: a Pending pod without IP stays without one unless --pod-cidr is given', async () => {
    const live = async (extra: string[]): Promise<boolean> => {
      const r = await run(['matrix', '--kubeconfig', kubeconfig, '--port', '80', '-o', 'json', ...extra])
      expect(r.code).toBe(0)
      return (JSON.parse(r.stdout) as { connections: Cell[] }).connections.find((c) => c.from === 'shop/pending' && c.to === 'shop/server')!.allowed
    }
    expect(await live([])).toBe(false)
    expect(await live(['--pod-cidr', '10.244.0.0/16'])).toBe(true)
  })
})
