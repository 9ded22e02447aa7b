/** matrix, explain and check through the CLI entry point, in-process (no build needed). */
import { describe, it, expect } from 'vitest'
import { resolve } from 'node:path'
import { parse } from 'yaml'
import { runCliInProcess } from '../run-cli-in-process.js'

const root = resolve(import.meta.dirname, '../../..')

function cli(args: readonly string[], options: { stdin?: string; tty?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  return runCliInProcess(args, { cwd: root, ...options })
}

const threePods = `
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: demo, labels: {app: a}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: demo, labels: {app: b}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: demo, labels: {app: c}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: demo}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-a, namespace: demo}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: a}}}]
`

describe('netpol check', () => {
  it('prints a summary and exits 0; --verbose lists skipped kinds', async () => {
    const r = await cli(['check', '-'], { stdin: threePods })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('1 namespace, 3 pods, 1 policy valid (1 object of other kinds skipped; --verbose lists them)\n')
    const v = await cli(['check', '-', '--verbose'], { stdin: threePods })
    expect(v.code).toBe(0)
    expect(v.stderr).toMatch(/^-:\d+: skipped ConfigMap "settings"/m)
  })
})

describe('netpol matrix', () => {
  it('asks for --port when no pod declares a containerPort', async () => {
    const r = await cli(['matrix', '-'], { stdin: threePods })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/no pod declares a containerPort.*--port 80\/TCP/)
  })
  it('reads stdin and prints yaml, csv and md with the same verdicts', async () => {
    const json = JSON.parse((await cli(['matrix', '-', '--port', '80', '-o', 'json'], { stdin: threePods })).stdout)
    const cell = (from: string, to: string) => json.connections.find((c: { from: string; to: string }) => c.from === from && c.to === to)
    expect(json.connections).toHaveLength(9)
    expect(json.connections[0]).toEqual({ from: 'demo/a', to: 'demo/a', port: 80, protocol: 'TCP', allowed: true })
    expect(cell('demo/a', 'demo/b').allowed).toBe(true)
    expect(cell('demo/c', 'demo/b').allowed).toBe(false)
    expect(cell('demo/b', 'demo/b').allowed).toBe(true)
    expect(cell('demo/b', 'demo/c').allowed).toBe(true)
    expect(parse((await cli(['matrix', '-', '--port', '80', '-o', 'yaml'], { stdin: threePods })).stdout)).toEqual(json)
    const csv = (await cli(['matrix', '-', '--port', '80', '-o', 'csv'], { stdin: threePods })).stdout
    expect(csv.split('\n').slice(0, 3)).toEqual(['from,to,port,protocol,allowed', 'demo/a,demo/a,80,TCP,true', 'demo/a,demo/b,80,TCP,true'])
    expect(csv).toContain('\ndemo/c,demo/b,80,TCP,false\n')
    const md = (await cli(['matrix', '-', '--port', '80', '-o', 'md'], { stdin: threePods })).stdout
    expect(md).toContain('| **demo/c** | ✓ | ✗ | ✓ |')
  })
  it('colours the table on a terminal unless NO_COLOR is set', async () => {
    expect((await cli(['matrix', '-', '--port', '80'], { stdin: threePods, tty: true, env: { COLUMNS: '100' } })).stdout).toContain('\u001b[32m.')
    expect((await cli(['matrix', '-', '--port', '80'], { stdin: threePods, tty: true, env: { NO_COLOR: '1', COLUMNS: '100' } })).stdout).not.toContain(
      '\u001b[',
    )
    expect((await cli(['matrix', '-', '--port', '80'], { stdin: threePods })).stdout).not.toContain('\u001b[')
  })
  it('rejects a bad --width and an unknown format', async () => {
    expect((await cli(['matrix', '-', '--port', '80', '--width', 'wide'], { stdin: threePods })).code).toBe(2)
    expect((await cli(['matrix', '-', '--port', '80', '-o', 'xml'], { stdin: threePods })).code).toBe(2)
  })
})

describe('netpol explain', () => {
  it('exits 0 for a denied connection and names bare pods in -n', async () => {
    const r = await cli(['explain', '-', '-n', 'demo', '--from', 'b', '--to', 'a', '--port', '80'], { stdin: threePods })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^demo\/b -> demo\/a on 80\/TCP: ALLOWED/)
    const denied = await cli(['explain', '-', '--from', 'demo/pod/c', '--to', 'demo/b', '--port', '81/UDP'], { stdin: threePods })
    expect(denied.code).toBe(0)
    expect(denied.stdout).toMatch(/^demo\/c -> demo\/b on 81\/UDP: DENIED/)
  })
  it('explains a denial with the policy and line, and resolves named ports and workloads', async () => {
    const r = await cli(['explain', 'examples/named-ports', '--from', 'shop/deployment/api', '--to', 'shop/frontend-1', '--port', 'http'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^shop\/api-0 -> shop\/frontend-1 on 80\/TCP: DENIED/)
    expect(r.stdout).toMatch(/- policy shop\/allow-http-from-frontend \(examples\/named-ports\/manifests\.yaml:\d+\): does not allow/)
  })
  it('rejects unknown kinds, pods and missing flags with exit 2', async () => {
    expect((await cli(['explain', 'examples/three-tier', '--from', 'prod/ingress/frontend', '--to', 'prod/backend-0', '--port', '80'])).stderr).toMatch(
      /unknown kind "ingress"/,
    )
    expect((await cli(['explain', 'examples/three-tier', '--from', 'prod/frontend-0', '--port', '80'])).code).toBe(2)
    const r = await cli(['explain', 'examples/three-tier', '--from', 'prod/frontnd-0', '--to', 'prod/backend-0', '--port', '80'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/did you mean prod\/frontend-0/)
  })
  it('rejects --port, --from or --to given twice instead of silently answering for the last one', async () => {
    const r = await cli(['explain', 'examples/three-tier', '--from', 'prod/frontend-0', '--to', 'prod/backend-0', '--port', '80', '--port', '8080'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/given twice \(80, 8080\)/)
    expect(
      (await cli(['explain', 'examples/three-tier', '--from', 'prod/frontend-0', '--from', 'prod/frontend-1', '--to', 'prod/backend-0', '--port', '80'])).code,
    ).toBe(2)
  })
})
