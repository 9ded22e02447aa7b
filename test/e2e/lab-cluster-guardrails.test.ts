/**
 * Issue 13's "done when" for the lab: `lab up` of examples/cluster-guardrails (ClusterNetworkPolicies
 * of both tiers over NetworkPolicies) on the ORIGINAL files, and `lab probe` (real packets) agrees
 * cell by cell with `netpol matrix` of the same files and with the example's expectations; `lab
 * logs` names the tier, policy, rule and priority of each drop by a ClusterNetworkPolicy; a
 * deprecated v1alpha1 AdminNetworkPolicy applied to the running lab is enforced as the
 * ClusterNetworkPolicy `netpol convert` prints, with its deprecation warning; down leaves nothing.
 */
import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'yaml'
import { expectNothingLeft } from './lab-leftovers.js'
import { useCliLab } from './cli-lab.js'

const cli = useCliLab('guard')
const netpol = cli.netpol

interface Cell {
  readonly from: string
  readonly to: string
  readonly port: number
  readonly protocol: string
  readonly allowed: boolean
}
const cells = (cs: readonly Cell[]): string[] => cs.map((c) => `${c.from} -> ${c.to} ${c.port}/${c.protocol} ${c.allowed ? 'allowed' : 'denied'}`)

const EXPECTED = parse(readFileSync('examples/cluster-guardrails/expected.yaml', 'utf8')) as {
  expectations: { name: string; from: string; to: string; port: string; allowed: boolean }[]
}

const V1ALPHA1 = `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata:
  name: no-scrape-tenant-b-db
spec:
  priority: 5
  subject:
    pods:
      namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: tenant-b}}
      podSelector: {matchLabels: {app: db}}
  ingress:
  - name: deny-monitoring
    action: Deny
    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
    ports: [{portNumber: {protocol: TCP, port: 9100}}]
`

async function probeCells(): Promise<string[]> {
  const probe = await netpol(['lab', 'probe', '-o', 'json'])
  const observed = JSON.parse(probe.stdout) as { connections: Cell[]; disagreements: Cell[] }
  expect(observed.disagreements).toEqual([])
  expect(probe.code).toBe(0)
  return cells(observed.connections)
}

describe('lab probe agrees with matrix on examples/cluster-guardrails (ClusterNetworkPolicies of both tiers)', () => {
  it('up, probe -o json equals matrix -o json and the example expectations cell by cell', async () => {
    const up = await netpol(['lab', 'up', 'examples/cluster-guardrails'])
    expect(up.stderr).toBe('')
    expect(up.code).toBe(0)
    expect(up.stdout).toMatch(/: 2 nodes, 6 pods, 2 policies, 6 ClusterNetworkPolicies\n/)

    const observed = await probeCells()
    const matrix = await netpol(['matrix', 'examples/cluster-guardrails', '-o', 'json'])
    expect(matrix.code).toBe(0)
    const offline = JSON.parse(matrix.stdout) as { connections: (Cell & { decision: string })[] }
    // Every cell is decided (no undefined or unknown one in this example): the kernel and the engine agree on all.
    expect(new Set(offline.connections.map((c) => c.decision))).toEqual(new Set(['allowed', 'denied']))
    expect(observed).toHaveLength(6 * 6 * 6)
    expect(observed).toEqual(cells(offline.connections))
    // The lab probes between pods (addresses outside the cluster are not simulated).
    const betweenPods = EXPECTED.expectations.filter((x) => x.from.includes('/') && x.to.includes('/'))
    expect(betweenPods.length).toBeGreaterThan(8)
    for (const x of betweenPods) {
      const [port, protocol] = x.port.split('/')
      expect(observed, x.name).toContain(`${x.from} -> ${x.to} ${port}/${protocol ?? 'TCP'} ${x.allowed ? 'allowed' : 'denied'}`)
    }
  })

  it('logs name the tier, policy, rule and priority of a drop by a ClusterNetworkPolicy; counters count per rule', async () => {
    // The drops are those of `lab probe` above, which `lab logs` shows with --probes.
    const logs = await netpol(['lab', 'logs', '--probes'])
    expect(logs.code).toBe(0)
    // tenant-b may send to the metrics port (Admin allow-monitoring), tenant-a's Admin guard drops it on arrival.
    expect(logs.stdout).toMatch(
      / {2}node-\d {2}DENY tenant-b\/web-0:\d+ -> tenant-a\/db-0:9100\/TCP {2}denied by admin ClusterNetworkPolicy isolate-tenant-a rule deny-other-tenants \(priority 30\) at ingress of tenant-a\/db-0 {2}\[lab probe\]\n/,
    )
    // Tenant b has no NetworkPolicy: the Baseline default deny drops its pods' other egress.
    expect(logs.stdout).toMatch(
      /DENY tenant-b\/web-0:\d+ -> tenant-b\/db-0:5432\/TCP {2}denied by baseline ClusterNetworkPolicy default-deny rule deny-all-egress \(priority 100\) at egress of tenant-b\/web-0 {2}\[lab probe\]\n/,
    )
    // A NetworkPolicy drop reads as before.
    expect(logs.stdout).toMatch(
      /DENY tenant-a\/web-0:\d+ -> tenant-a\/db-0:8080\/TCP {2}denied by egress of tenant-a\/web-0 \(isolated by tenant-a\/web\) {2}\[lab probe\]\n/,
    )
    const json = (await netpol(['lab', 'logs', '--probes', '-o', 'json'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { source: string; destination: string; port: number; clusterPolicy?: { tier: string; rules: { policy: string }[] } })
    const guarded = json.find((r) => r.source === 'tenant-b/web-0' && r.destination === 'tenant-a/db-0' && r.port === 9100)!
    expect(guarded.clusterPolicy).toMatchObject({
      tier: 'Admin',
      outcome: 'denied',
      rules: [{ policy: 'isolate-tenant-a', ruleName: 'deny-other-tenants', priority: 30 }],
    })

    const status = await netpol(['lab', 'status', '--counters', '-o', 'json'])
    const counters = (JSON.parse(status.stdout) as { counters: { clusterRules: { rule: string; side: string; action: string; connections: number }[] } })
      .counters
    const rule = (text: string) => counters.clusterRules.find((r) => r.rule === text)
    expect(rule('admin ClusterNetworkPolicy isolate-tenant-a rule deny-other-tenants (priority 30)')).toMatchObject({ side: 'ingress', action: 'Deny' })
    expect(rule('admin ClusterNetworkPolicy isolate-tenant-a rule deny-other-tenants (priority 30)')!.connections).toBeGreaterThan(0)
    expect(rule('admin ClusterNetworkPolicy allow-dns rule to-cluster-dns (priority 10)')!.connections).toBeGreaterThan(0)
  })

  it('apply of a v1alpha1 AdminNetworkPolicy: warned as deprecated, enforced as its ClusterNetworkPolicy, exported as one', async () => {
    const file = join(cli.dir, 'anp.yaml')
    await writeFile(file, V1ALPHA1)
    expect(await probeCells()).toContain('monitoring/prometheus-0 -> tenant-b/db-0 9100/TCP allowed')
    const apply = await netpol(['lab', 'apply', file])
    expect(apply.code).toBe(0)
    expect(apply.stderr).toBe(
      `${file}:1: warning: AdminNetworkPolicy "no-scrape-tenant-b-db": deprecated: AdminNetworkPolicy (policy.networking.k8s.io/v1alpha1) is replaced by ` +
        'ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2) and its CRD no longer ships; enforced as the equivalent ClusterNetworkPolicy (tier Admin), ' +
        'which `netpol convert` prints\n',
    )
    expect(apply.stdout).toMatch(/updated: 2 policies; 7 ClusterNetworkPolicies; 6 pods/)
    const observed = await probeCells()
    expect(observed).toContain('monitoring/prometheus-0 -> tenant-b/db-0 9100/TCP denied')
    expect(observed).toContain('monitoring/prometheus-0 -> tenant-a/db-0 9100/TCP allowed')

    // The lab's exact view: matrix of the export, which carries the converted policy.
    const exported = await netpol(['lab', 'export'])
    expect(exported.code).toBe(0)
    expect(exported.stdout).toContain('kind: ClusterNetworkPolicy\nmetadata:\n  name: no-scrape-tenant-b-db\n')
    const matrix = await netpol(['matrix', '-', '-o', 'json'], exported.stdout)
    expect(matrix.code).toBe(0)
    expect(observed).toEqual(cells((JSON.parse(matrix.stdout) as { connections: Cell[] }).connections))
  })

  it('down leaves nothing', async () => {
    const down = await netpol(['lab', 'down'])
    expect(down.code).toBe(0)
    await expectNothingLeft(cli.name, cli.dir)
  })
})
