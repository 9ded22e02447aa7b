/** `netpol list` from the command line: formats, filters, help, and exit 2 for bad input. */
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { runCliInProcess, type CliRun } from '../run-cli-in-process.js'

const root = join(import.meta.dirname, '../../..')

function run(args: string[], stdin = ''): Promise<CliRun> {
  return runCliInProcess(args, { cwd: root, stdin })
}

const DEMO = `
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: demo, labels: {app: web}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 80, name: http}]}]}
status: {podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.1}, {ip: "fd00::1"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: demo, labels: {app: db}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 5432}]}]}
status: {podIP: 10.0.0.2, podIPs: [{ip: 10.0.0.2}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: demo}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}, {port: 6000, endPort: 6010}]
`

describe('netpol list', () => {
  it('prints one line per connection, by workload by default', async () => {
    const r = await run(['list', '-', '--to', 'demo/db'], DEMO)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('demo/web[Pod] => demo/db[Pod] : TCP 5432,6000-6010\n')
  })

  it('-o json is the documented shape; csv and md carry the same rows', async () => {
    const json = JSON.parse((await run(['list', '-', '--from', 'demo/web', '--to', 'demo', '-o', 'json'], DEMO)).stdout) as Record<string, unknown>
    expect(json).toEqual({
      groupBy: 'workload',
      connections: [
        {
          from: { kind: 'Pod', namespace: 'demo', name: 'web', label: 'demo/web[Pod]' },
          to: { kind: 'Pod', namespace: 'demo', name: 'db', label: 'demo/db[Pod]' },
          ports: 'TCP 5432,6000-6010',
          portRanges: [
            { protocol: 'TCP', start: 5432, end: 5432 },
            { protocol: 'TCP', start: 6000, end: 6010 },
          ],
          allPorts: false,
        },
      ],
    })
    const csv = await run(['list', '-', '--to', 'demo/db', '-o', 'csv'], DEMO)
    expect(csv.stdout).toBe('from,to,ports\ndemo/web[Pod],demo/db[Pod],"TCP 5432,6000-6010"\n')
    const md = await run(['list', '-', '--to', 'demo/db', '-o', 'md'], DEMO)
    expect(md.stdout).toBe('| from | to | ports |\n| --- | --- | --- |\n| demo/web[Pod] | demo/db[Pod] | TCP 5432,6000-6010 |\n')
  })

  it('lists IPv6 ranges of the outside when pods or policies use IPv6', async () => {
    const r = await run(['list', '-', '--from', 'demo/web', '--port', '443'], DEMO)
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('demo/web[Pod] => 0.0.0.0/0 : TCP 443\ndemo/web[Pod] => ::/0 : TCP 443\n')
  })

  it('says so when nothing matches', async () => {
    const r = await run(['list', '-', '--from', 'demo/db', '--to', 'demo/web', '--port', '1-79'], DEMO)
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('no allowed connections\n')
  })

  it('bad filters, ports and formats are usage errors (exit 2)', async () => {
    const unknown = await run(['list', '-', '--from', 'demo/wbe'], DEMO)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/^error: pod "demo\/wbe" not found; did you mean .*demo\/web/)
    const ns = await run(['list', '-', '--to', 'nope'], DEMO)
    expect(ns.code).toBe(2)
    expect(ns.stderr).toMatch(/namespace "nope" not found; namespaces: demo/)
    const port = await run(['list', '-', '--port', '70000'], DEMO)
    expect(port.code).toBe(2)
    expect(port.stderr).toMatch(/invalid port "70000"/)
    const format = await run(['list', '-', '-o', 'xml'], DEMO)
    expect(format.code).toBe(2)
    const group = await run(['list', '-', '--group-by', 'node'], DEMO)
    expect(group.code).toBe(2)
    const input = await run(['list', '-'], 'kind: Pod\n')
    expect(input.code).toBe(2)
    expect(input.stderr).toMatch(/apiVersion/)
  })

  it('documents itself with examples, the JSON shape and the live cluster', async () => {
    const r = await run(['list', '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Examples:')
    expect(r.stdout).toContain('netpol list examples/three-tier')
    expect(r.stdout).toContain('JSON (stable)')
    expect(r.stdout).toContain('netpol list -A')
    expect((await run(['--help'])).stdout).toMatch(/list \[options\] \[paths\.\.\.\]/)
  })
})
