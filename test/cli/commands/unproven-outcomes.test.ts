/**
 * list, diff and report answer with proven-allowed connections only: with ClusterNetworkPolicies they say
 * on stderr that undefined and unknown connections are left out, instead of dropping them silently.
 */
import { describe, expect, it } from 'vitest'
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCliInProcess } from '../run-cli-in-process.js'

const PODS = `
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a, labels: {app: p}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: q, namespace: b, labels: {app: q}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}
`
const cnp = (name: string, action: string) => `---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: ${name}}
spec:
  tier: Admin
  priority: 5
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: b}}}
  ingress:
  - {action: ${action}, from: [{namespaces: {}}]}
`

describe('list and diff with undefined or unknown outcomes', () => {
  it('list warns that it leaves them out (a/p -> b/q is undefined, not listed)', async () => {
    const r = await runCliInProcess(['list', '-'], { cwd: tmpdir(), stdin: PODS + cnp('deny', 'Deny') + cnp('accept', 'Accept') })
    expect(r.code).toBe(0)
    expect(r.stdout).not.toMatch(/a\/p\[Pod\] => b\/q/)
    expect(r.stderr).toContain('warning: list shows only connections proven allowed')
    const plain = await runCliInProcess(['list', '-'], { cwd: tmpdir(), stdin: PODS })
    expect(plain.stderr).toBe('')
  })
  it('report warns that it shows them as not allowed', async () => {
    const r = await runCliInProcess(['report', '-', '-o', '-'], { cwd: tmpdir(), stdin: PODS + cnp('deny', 'Deny') + cnp('accept', 'Accept') })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('warning: the report shows connections whose outcome is undefined or unknown')
    expect((await runCliInProcess(['report', '-', '-o', '-'], { cwd: tmpdir(), stdin: PODS })).stderr).toBe('')
  })
  it('diff warns that a connection becoming undefined is not counted as newly allowed by --fail-on-new', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpol-unproven-'))
    mkdirSync(join(dir, 'before'))
    mkdirSync(join(dir, 'after'))
    writeFileSync(join(dir, 'before/state.yaml'), PODS + cnp('deny', 'Deny'))
    writeFileSync(join(dir, 'after/state.yaml'), PODS + cnp('deny', 'Deny') + cnp('accept', 'Accept'))
    const r = await runCliInProcess(['diff', 'before', 'after', '--fail-on-new'], { cwd: dir })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('is not shown as newly allowed and does not fail --fail-on-new')
    writeFileSync(join(dir, 'after/state.yaml'), PODS)
    writeFileSync(join(dir, 'before/state.yaml'), PODS)
    expect((await runCliInProcess(['diff', 'before', 'after'], { cwd: dir })).stderr).toBe('')
  })
})
