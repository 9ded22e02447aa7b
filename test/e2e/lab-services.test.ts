/**
 * Services in the lab, as a user meets them, through the built CLI and real packets: every
 * Service gets a ClusterIP, cluster DNS runs as a pod (kube-system/kube-dns, 10.96.0.10), and
 * `curl http://backend.prod/` from a pod resolves the name through the pod's search path and
 * reaches a backend on its targetPort. When the pod's egress does not allow DNS, the same curl
 * fails at the lookup (the most common NetworkPolicy mistake); a policy in kube-system can block
 * DNS too. `lab probe --services` agrees with the engine, and `lab down` leaves no /etc/netns
 * directory of the lab while another's stays.
 */
import { describe, it, expect, afterAll } from 'vitest'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { useCliLab } from './cli-lab.js'
import { expectNothingLeft } from './lab-leftovers.js'
import { killWhenRetrying } from './kill-when.js'
import { listLabEtcNetns } from '../../src/lab/pod-resolv.js'
import { uniqueLabName } from '../lab/fixtures.js'
import { runBuiltCli, type BuiltCliRun } from './run-built-cli.js'

const cli = useCliLab('svc')
const netpol = cli.netpol

const WORKLOADS = `
apiVersion: v1
kind: Namespace
metadata: {name: prod}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: prod}
spec:
  replicas: 1
  selector: {matchLabels: {app: frontend}}
  template:
    metadata: {labels: {app: frontend}}
    spec: {containers: [{name: web, image: nginx, ports: [{name: http, containerPort: 80}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend, namespace: prod}
spec:
  replicas: 2
  selector: {matchLabels: {app: backend}}
  template:
    metadata: {labels: {app: backend}}
    spec: {containers: [{name: api, image: api, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: backend, namespace: prod}
spec:
  selector: {app: backend}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: backend-from-frontend, namespace: prod}
spec:
  podSelector: {matchLabels: {app: backend}, matchExpressions: [{key: track, operator: DoesNotExist}]}
  ingress:
  - from: [{podSelector: {matchLabels: {app: frontend}}}]
    ports: [{port: 8080}]
`

/** The frontend may reach the backend, and nothing else: no DNS. */
const EGRESS_WITHOUT_DNS = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: frontend-egress, namespace: prod}
spec:
  podSelector: {matchLabels: {app: frontend}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: backend}}}]
    ports: [{port: 8080}]
`

/** The same, plus DNS to kube-dns (the usual fix). */
const EGRESS_WITH_DNS = `${EGRESS_WITHOUT_DNS}
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
`

const BLOCK_DNS_INGRESS = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns-from-nobody, namespace: kube-system}
spec:
  podSelector: {matchLabels: {k8s-app: kube-dns}}
  policyTypes: [Ingress]
`

/** A third backend that admits nobody (backend-from-frontend does not select it): the frontend may reach 2 of the 3 backends of prod/backend. */
const CANARY = `
apiVersion: v1
kind: Pod
metadata: {name: backend-canary, namespace: prod, labels: {app: backend, track: canary}}
spec: {containers: [{name: api, image: api, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: canary-closed, namespace: prod}
spec:
  podSelector: {matchLabels: {track: canary}}
  policyTypes: [Ingress]
`

/** Another lab's /etc/netns directory (by its name): must survive this lab's down. */
const OTHER = `/etc/netns/netpol-${uniqueLabName('zz')}-p-0123456789`

afterAll(async () => {
  await rm(OTHER, { recursive: true, force: true })
})

async function file(name: string, text: string): Promise<string> {
  const path = join(cli.dir, name)
  await writeFile(path, text)
  return path
}

const curl = (url: string): Promise<BuiltCliRun> => netpol(['lab', 'exec', 'prod/frontend-0', '--', 'curl', '-sS', '-m', '3', url])

describe('Services in the lab', () => {
  it('up gives every Service a ClusterIP and adds cluster DNS; status lists them', async () => {
    await mkdir(OTHER, { recursive: true })
    const up = await netpol(['lab', 'up', await file('app.yaml', WORKLOADS)])
    expect(up.code).toBe(0)
    expect(up.stderr).toMatch(/cluster DNS: .* adds Service kube-system\/kube-dns \(10\.96\.0\.10\) and pod kube-system\/coredns-0/)
    const status = JSON.parse((await netpol(['lab', 'status', '-o', 'json'])).stdout)
    expect(status.clusterDns).toBe('10.96.0.10')
    const backend = status.services.find((s: { service: string }) => s.service === 'prod/backend')
    expect(backend).toMatchObject({ type: 'ClusterIP', ports: ['80/TCP -> http'], backends: 2 })
    expect(backend.clusterIP).toMatch(/^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/)
    expect(status.services.find((s: { service: string }) => s.service === 'kube-system/kube-dns')).toMatchObject({ clusterIP: '10.96.0.10', backends: 1 })
    const table = await netpol(['lab', 'status'])
    expect(table.stdout).toMatch(/SERVICE +TYPE +CLUSTER-IP +PORTS +BACKENDS/)
    expect(table.stdout).toMatch(/cluster DNS: 10\.96\.0\.10/)
  })

  it('curl by Service name works from a pod: short and full names, translated to a backend on its targetPort', async () => {
    for (const url of ['http://backend.prod:80/', 'http://backend/', 'http://backend.prod.svc.cluster.local/']) {
      const r = await curl(url)
      expect(r.stderr, url).toBe('')
      expect(r.code, url).toBe(0)
      expect(r.stdout, url).toMatch(/^prod\/backend-[01] port 8080\/TCP$/m)
    }
    const lookup = await netpol(['lab', 'exec', 'prod/frontend-0', '--', 'getent', 'hosts', 'backend.prod'])
    expect(lookup.code).toBe(0)
    expect(lookup.stdout).toMatch(/^10\.\d+\.\d+\.\d+ +backend\.prod\.svc\.cluster\.local/)
    expect((await curl('http://nope.prod/')).code).toBe(6) // NXDOMAIN: could not resolve host
  })

  it('fails at the lookup when the pod egress does not allow DNS, and works again once it does', async () => {
    expect((await netpol(['lab', 'apply', await file('egress.yaml', EGRESS_WITHOUT_DNS)])).code).toBe(0)
    // The resolver's queries are dropped, so it waits for an answer until curl gives up: during the lookup.
    const blocked = await curl('http://backend.prod:80/')
    expect(blocked.code).toBe(28)
    expect(blocked.stderr).toMatch(/Resolving timed out after \d+ milliseconds/)
    // The path to the Service itself is open: by address it works.
    const status = JSON.parse((await netpol(['lab', 'status', '-o', 'json'])).stdout)
    const ip = status.services.find((s: { service: string }) => s.service === 'prod/backend').clusterIP
    expect((await curl(`http://${ip}:80/`)).code).toBe(0)
    // The denied DNS queries are in the deny log, as egress of the frontend to the kube-dns pod.
    const logs = await netpol(['lab', 'logs'])
    expect(logs.stdout).toMatch(/prod\/frontend-0:\d+ -> kube-system\/coredns-0:53\/UDP +denied by egress of prod\/frontend-0/)

    expect((await netpol(['lab', 'apply', await file('egress-dns.yaml', EGRESS_WITH_DNS)])).code).toBe(0)
    expect((await curl('http://backend.prod:80/')).code).toBe(0)
  })

  it('a policy in kube-system that isolates kube-dns blocks every lookup', async () => {
    expect((await netpol(['lab', 'apply', await file('dns-block.yaml', BLOCK_DNS_INGRESS)])).code).toBe(0)
    const blocked = await curl('http://backend.prod:80/')
    expect(blocked.code).toBe(28)
    expect(blocked.stderr).toMatch(/Resolving timed out/)
    expect((await netpol(['lab', 'apply', '--prune', await file('app.yaml', WORKLOADS), await file('egress-dns.yaml', EGRESS_WITH_DNS)])).code).toBe(0)
    expect((await curl('http://backend.prod:80/')).code).toBe(0)
  })

  it('probe --services agrees with the engine on every cell, also where it allows only some backends', async () => {
    expect((await netpol(['lab', 'apply', await file('canary.yaml', CANARY)])).code).toBe(0)
    const r = await netpol(['lab', 'probe', '--services', '--timeout', '2000', '-o', 'json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout) as {
      services: { from: string; service: string; expected: string; agrees: boolean; reached: string[]; connected: number; dropped: number }[]
      disagreements: unknown[]
    }
    expect(out.disagreements).toEqual([])
    const cell = (from: string, service: string) => out.services.find((c) => c.from === from && c.service === service)!
    // The canary drops the frontend's connections it is picked for; every answer came from the others.
    expect(cell('prod/frontend-0', 'prod/backend')).toMatchObject({ expected: 'some', agrees: true })
    expect(cell('prod/frontend-0', 'prod/backend').connected).toBeGreaterThan(0)
    // Backends name themselves: only the two the engine allows ever answered.
    expect(cell('prod/frontend-0', 'prod/backend').reached.length).toBeGreaterThan(0)
    expect(cell('prod/frontend-0', 'prod/backend').reached.every((p) => /^prod\/backend-[01]$/.test(p))).toBe(true)
    // The backends may not reach each other (ingress only from the frontend).
    expect(cell('prod/backend-0', 'prod/backend')).toBeUndefined() // hairpin: not compared
    expect(cell('kube-system/coredns-0', 'prod/backend')).toMatchObject({ expected: 'none', connected: 0, agrees: true })
    expect(cell('prod/frontend-0', 'kube-system/kube-dns')).toMatchObject({ expected: 'all', agrees: true })
    // Its dropped connections are recorded as probes: `lab logs` leaves them out unless --probes.
    const dropped = /kube-system\/coredns-0:\d+ -> prod\/backend-\d:8080\/TCP/
    expect((await netpol(['lab', 'logs'])).stdout).not.toMatch(dropped)
    expect((await netpol(['lab', 'logs', '--probes'])).stdout).toMatch(dropped)
  })

  it("down removes the pods' /etc/netns directories and leaves another lab's alone", async () => {
    expect((await netpol(['lab', 'down'])).code).toBe(0)
    await expectNothingLeft(cli.name, cli.dir)
    expect(existsSync(OTHER)).toBe(true)
  })

  it('down removes the /etc/netns directories a `lab up` killed with SIGKILL left, and so does the next `lab up`', async () => {
    const lab = uniqueLabName('svk')
    const manifest = await file('app.yaml', WORKLOADS)
    const run = await killWhenRetrying(
      (onSpawn) => runBuiltCli(['lab', 'up', manifest, '--name', lab], { env: { NETPOL_LAB_DIR: cli.dir }, onSpawn }),
      async () => (await listLabEtcNetns(lab)).length > 0,
      async () => void (await netpol(['lab', 'down', '--name', lab])),
    )
    expect(run.signal).toBe('SIGKILL')
    expect((await listLabEtcNetns(lab)).length).toBeGreaterThan(0)
    expect((await netpol(['lab', 'down', '--name', lab])).code).toBe(0)
    await expectNothingLeft(lab, cli.dir)
    // Only directories are left (e.g. a `lab down` killed after the namespaces went): the next `lab up` of that name clears them.
    const stale = `/etc/netns/netpol-${lab}-p-0123456789`
    await mkdir(stale, { recursive: true })
    expect((await netpol(['lab', 'up', manifest, '--name', lab])).code).toBe(0)
    expect(existsSync(stale)).toBe(false)
    expect((await netpol(['lab', 'down', '--name', lab])).code).toBe(0)
    await expectNothingLeft(lab, cli.dir)
    expect(existsSync(OTHER)).toBe(true)
  })
})
