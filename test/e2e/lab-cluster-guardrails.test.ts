/**
 * Issue 13's "done when" for the lab: `lab up` of examples/cluster-guardrails (ClusterNetworkPolicies
 * of both tiers over NetworkPolicies) on the ORIGINAL files, and `lab probe` (real packets) agrees
 * cell by cell with `netpol matrix` of the same files and with the example's expectations; a
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
    for (const x of EXPECTED.expectations) {
      const [port, protocol] = x.port.split('/')
      expect(observed, x.name).toContain(`${x.from} -> ${x.to} ${port}/${protocol ?? 'TCP'} ${x.allowed ? 'allowed' : 'denied'}`)
    }
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
