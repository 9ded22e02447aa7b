/**
 * list and report answer with proven-allowed connections only: with ClusterNetworkPolicies they say on
 * stderr that undefined and unknown connections are left out, instead of dropping them silently; diff
 * lists the connections that may newly be allowed apart.
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
  it('diff lists a connection becoming undefined apart, as possibly newly allowed, names the rules, and fails --fail-on-new on it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpol-unproven-'))
    mkdirSync(join(dir, 'before'))
    mkdirSync(join(dir, 'after'))
    writeFileSync(join(dir, 'before/state.yaml'), PODS + cnp('deny', 'Deny'))
    writeFileSync(join(dir, 'after/state.yaml'), PODS + cnp('deny', 'Deny') + cnp('accept', 'Accept'))
    const r = await runCliInProcess(['diff', 'before', 'after', '--fail-on-new'], { cwd: dir })
    expect(r.code).toBe(1)
    expect(r.stderr).toBe('')
    expect(r.stdout).toContain('no proven connectivity changes')
    expect(r.stdout).toContain('? a/p[Pod] => b/q[Pod] : all ports')
    expect(r.stdout).toContain(
      'ingress undefined: Admin ClusterNetworkPolicy "accept" (priority 5) ingress[0] Accept (after/state.yaml:30) and Admin ' +
        'ClusterNetworkPolicy "deny" (priority 5) ingress[0] Deny (after/state.yaml:20) match at one priority with different actions',
    )
    // Without --fail-on-new the change is reported, exit 0; JSON lists it under possiblyNewlyAllowed.
    expect((await runCliInProcess(['diff', 'before', 'after'], { cwd: dir })).code).toBe(0)
    const json = JSON.parse((await runCliInProcess(['diff', 'before', 'after', '-o', 'json'], { cwd: dir })).stdout)
    expect(json.changes).toEqual([])
    expect(json.possiblyNewlyAllowed).toMatchObject([
      { from: 'a/p[Pod]', to: 'b/q[Pod]', ports: 'all ports', causes: [{ side: 'ingress', kind: 'undefined-by-cnp' }] },
    ])
    // The Admin Deny removed: newly allowed for certain, the cause names the rule that no longer decides.
    writeFileSync(join(dir, 'after/state.yaml'), PODS)
    const gone = await runCliInProcess(['diff', 'before', 'after', '-o', 'json'], { cwd: dir })
    expect(JSON.parse(gone.stdout).changes[0]).toMatchObject({
      change: 'added',
      causes: [
        {
          side: 'ingress',
          kind: 'no-longer-decided-by-cnp',
          clusterRules: [{ tier: 'Admin', policy: 'deny', priority: 5, action: 'Deny', file: 'before/state.yaml', line: 20 }],
        },
      ],
    })
    expect(JSON.parse(gone.stdout).possiblyNewlyAllowed).toEqual([])
    writeFileSync(join(dir, 'after/state.yaml'), PODS)
    writeFileSync(join(dir, 'before/state.yaml'), PODS)
    expect((await runCliInProcess(['diff', 'before', 'after'], { cwd: dir })).stderr).toBe('')
  })
})
