/**
 * How `lab logs` prints a denied connection: the side that denied it and, when a
 * ClusterNetworkPolicy tier decided that side, the tier, policy, rule and priority.
 */
import { describe, it, expect } from 'vitest'
import { loadManifests } from '../../src/cluster/load-manifests.js'
import { assumePodIPs, DEFAULT_POD_CIDR } from '../../src/cluster/assume-pod-ips.js'
import { createEngine } from '../../src/engine/engine.js'
import { denyCause, type DeniedConnection } from '../../src/dataplane/deny-log.js'
import { formatDenyRecord, renderDenyRecords } from '../../src/lab/deny-records.js'
import type { Pod } from '../../src/model/types.js'

const record = (r: Partial<DeniedConnection>): DeniedConnection => ({
  time: '2026-12-05T16:00:00.000Z',
  node: 'node-1',
  side: 'ingress',
  source: 'tenant-b/web-0',
  sourceIp: '10.244.0.5',
  sourcePort: 40000,
  destination: 'tenant-a/web-0',
  destinationIp: '10.244.0.6',
  port: 8080,
  protocol: 'TCP',
  policies: [],
  packets: 1,
  ...r,
})

describe('lab logs records', () => {
  it('a NetworkPolicy drop names the side and the policies isolating the pod', () => {
    expect(formatDenyRecord(record({ policies: ['tenant-a/web'], packets: 3 }))).toBe(
      '2026-12-05T16:00:00.000Z  node-1  DENY tenant-b/web-0:40000 -> tenant-a/web-0:8080/TCP  denied by ingress of tenant-a/web-0 (isolated by tenant-a/web), 3 packets',
    )
  })

  it('a drop by a ClusterNetworkPolicy names the tier, policy, rule and priority that decided (examples/cluster-guardrails, as the engine explains it)', async () => {
    const state = assumePodIPs((await loadManifests(['examples/cluster-guardrails'])).state, { podCidr: DEFAULT_POD_CIDR })
    const engine = createEngine(state)
    const pod = (name: string): { kind: 'pod'; pod: Pod } => ({ kind: 'pod', pod: state.pods.find((p) => `${p.namespace}/${p.name}` === name)! })
    const admin = denyCause(engine.evaluate({ from: pod('tenant-b/web-0'), to: pod('tenant-a/web-0'), port: 8080, protocol: 'TCP' }).ingress)!
    expect(formatDenyRecord(record({ clusterPolicy: admin, policies: ['tenant-a/allow-web'] }))).toBe(
      '2026-12-05T16:00:00.000Z  node-1  DENY tenant-b/web-0:40000 -> tenant-a/web-0:8080/TCP  ' +
        'denied by admin ClusterNetworkPolicy isolate-tenant-a rule deny-other-tenants (priority 30) at ingress of tenant-a/web-0',
    )
    const baseline = denyCause(engine.evaluate({ from: pod('tenant-b/web-0'), to: pod('tenant-b/db-0'), port: 5432, protocol: 'TCP' }).egress)!
    expect(baseline.tier).toBe('Baseline')
    expect(formatDenyRecord(record({ side: 'egress', destination: 'tenant-b/db-0', port: 5432, clusterPolicy: baseline }))).toMatch(
      /DENY tenant-b\/web-0:40000 -> tenant-b\/db-0:5432\/TCP {2}denied by baseline ClusterNetworkPolicy \S+ rule \S+ \(priority \d+\) at egress of tenant-b\/web-0$/,
    )
    // JSON lines carry the cause as data.
    const json = JSON.parse(renderDenyRecords([record({ clusterPolicy: admin })], 'json')) as DeniedConnection
    expect(json.clusterPolicy).toEqual(admin)
    expect(admin.rules).toEqual([{ policy: 'isolate-tenant-a', priority: 30, ruleIndex: 0, ruleName: 'deny-other-tenants', action: 'Deny' }])
  })

  it('escapes control characters from the state and the kernel log', () => {
    expect(formatDenyRecord(record({ source: 'x/\u001b[31mred' }))).not.toContain('\u001b')
  })
})
