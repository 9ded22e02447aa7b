/**
 * `--skip-invalid` on `lab up` and `lab apply`, as on the analysis commands: invalid objects are
 * left out and listed, the lab runs the rest (what `kubectl apply -f` would have created), and the
 * exit code is 2 after the work unless `--skip-invalid=warn`. With `--prune`, nothing is pruned
 * when something was left out (the running version of a left-out policy must not be removed).
 */
import { describe, it, expect } from 'vitest'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { useCliLab } from './cli-lab.js'

const cli = useCliLab('skip')
const netpol = cli.netpol

const pods = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec: {containers: [{name: c, image: curl}]}
`
const denyAll = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
`
const invalidPolicy = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: broken, namespace: shop}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 70000}]}]
`

interface Status {
  pods: { pod: string }[]
  policies: number
  ready: boolean
}

describe('lab --skip-invalid', () => {
  it('lab up without it refuses the input whole and builds nothing', async () => {
    await writeFile(join(cli.dir, 'pods.yaml'), pods)
    await writeFile(join(cli.dir, 'broken.yaml'), invalidPolicy)
    const up = await netpol(['lab', 'up', join(cli.dir, 'pods.yaml'), join(cli.dir, 'broken.yaml')])
    expect(up.code).toBe(2)
    expect(up.stderr).toMatch(/broken\.yaml:6: NetworkPolicy "shop\/broken" is invalid: spec\.ingress\[0\]\.ports\[0\]\.port/)
    expect((await netpol(['lab', 'status'])).code).toBe(2)
  })

  it('lab up --skip-invalid builds the rest, lists what it left out, and exits 2 after', async () => {
    const up = await netpol(['lab', 'up', join(cli.dir, 'pods.yaml'), join(cli.dir, 'broken.yaml'), '--skip-invalid'])
    expect(up.stderr).toMatch(/broken\.yaml:6: NetworkPolicy "shop\/broken" is invalid/)
    expect(up.stderr).toContain('warning: --skip-invalid: left out one invalid object or document (above); the analysis covers the rest')
    expect(up.stdout).toMatch(/lab ".*" is up/)
    expect(up.code).toBe(2)
    const status = JSON.parse((await netpol(['lab', 'status', '-o', 'json'])).stdout) as Status
    expect(status.pods.map((p) => p.pod).sort()).toEqual(['shop/client', 'shop/web'])
    expect(status.policies).toBe(0)
  })

  it('lab apply --skip-invalid=warn applies the valid objects and keeps exit 0', async () => {
    await writeFile(join(cli.dir, 'deny.yaml'), denyAll)
    const apply = await netpol(['lab', 'apply', join(cli.dir, 'deny.yaml'), join(cli.dir, 'broken.yaml'), '--skip-invalid=warn'])
    expect(apply.stderr).toMatch(/broken\.yaml:6: NetworkPolicy "shop\/broken" is invalid/)
    expect(apply.stdout).toMatch(/updated: 1 policies; 2 pods/)
    expect(apply.code).toBe(0)
  })

  it('lab apply --prune --skip-invalid prunes nothing when an object was left out', async () => {
    // The manifests now hold the pods and a broken deny-all: pruning would remove the running deny-all.
    await writeFile(join(cli.dir, 'deny-broken.yaml'), denyAll.replace('policyTypes: [Ingress]', 'policyTypes: [Ingres]'))
    const apply = await netpol(['lab', 'apply', join(cli.dir, 'pods.yaml'), join(cli.dir, 'deny-broken.yaml'), '--prune', '--skip-invalid'])
    expect(apply.stderr).toMatch(/deny-broken\.yaml:\d+: NetworkPolicy "shop\/deny-all" is invalid/)
    expect(apply.stderr).toContain('warning: --prune: nothing pruned, because --skip-invalid left objects out')
    expect(apply.stdout).toMatch(/updated: 1 policies; 2 pods/)
    expect(apply.code).toBe(2)
    const bad = await netpol(['lab', 'apply', join(cli.dir, 'pods.yaml'), '--skip-invalid=never'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--skip-invalid: "never" is not a mode')
  })
})
