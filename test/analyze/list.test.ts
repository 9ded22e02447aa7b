/**
 * `netpol list`'s analysis: every allowed connection with all its ports merged, the outside cut at
 * ipBlock boundaries, ipBlocks matching pods, IPv6, and the --from/--to/--port filters.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { loadManifests, loadManifestText } from '../../src/cluster/load-manifests.js'
import { createEngine } from '../../src/engine/engine.js'
import { parseEndpointFilter } from '../../src/analyze/endpoint-filter.js'
import { listConnections, orderByRank, parsePortFilter, type ListOptions, type ListResult } from '../../src/analyze/list.js'
import type { ClusterState } from '../../src/model/types.js'
import { UsageError } from '../../src/model/errors.js'
import { applyPodCidr } from '../../src/cli/load-input.js'

const root = join(import.meta.dirname, '../..')

function list(state: ClusterState, options: Partial<Omit<ListOptions, 'from' | 'to'>> & { from?: string[]; to?: string[] } = {}): ListResult {
  return listConnections(state, createEngine(state), {
    groupBy: options.groupBy ?? 'workload',
    from: (options.from ?? []).map((t) => parseEndpointFilter(state, t)),
    to: (options.to ?? []).map((t) => parseEndpointFilter(state, t)),
    ports: options.ports ?? [],
  })
}

const lines = (r: ListResult) => r.connections.map((c) => `${c.from.label} => ${c.to.label} : ${c.ports}`)

async function threeTier(): Promise<ClusterState> {
  return applyPodCidr((await loadManifests([join(root, 'examples/three-tier')])).state, '10.244.0.0/16')
}

describe('list on the three-tier example', () => {
  it('lists every allowed workload connection with its ports, groups before the outside', async () => {
    expect(lines(list(await threeTier()))).toEqual([
      'kube-system/kube-dns[Deployment] => prod/frontend[Deployment] : TCP 80,443',
      'kube-system/kube-dns[Deployment] => 0.0.0.0/0 : all ports',
      'prod/backend[Deployment] => kube-system/kube-dns[Deployment] : UDP 53',
      'prod/backend[Deployment] => prod/database[Deployment] : TCP 5432',
      'prod/database[Deployment] => kube-system/kube-dns[Deployment] : all ports',
      'prod/database[Deployment] => prod/frontend[Deployment] : TCP 80,443',
      'prod/database[Deployment] => 0.0.0.0/0 : all ports',
      'prod/frontend[Deployment] => kube-system/kube-dns[Deployment] : UDP 53',
      'prod/frontend[Deployment] => prod/backend[Deployment] : TCP 8080',
      '0.0.0.0/0 => kube-system/kube-dns[Deployment] : all ports',
      '0.0.0.0/0 => prod/frontend[Deployment] : TCP 80,443',
    ])
  })

  it('describes each end and the merged port ranges for machines', async () => {
    const r = list(await threeTier(), { from: ['203.0.113.0/24'], to: ['prod/frontend'] })
    expect(r.connections).toEqual([
      {
        from: { kind: 'External', first: '203.0.113.0', last: '203.0.113.255', cidrs: ['203.0.113.0/24'], label: '203.0.113.0/24' },
        to: { kind: 'Deployment', namespace: 'prod', name: 'frontend', label: 'prod/frontend[Deployment]' },
        ports: 'TCP 80,443',
        portRanges: [
          { protocol: 'TCP', start: 80, end: 80 },
          { protocol: 'TCP', start: 443, end: 443 },
        ],
        allPorts: false,
      },
    ])
  })

  it('by pod, a pod to itself is left out; by namespace, a namespace to itself is kept when two pods talk', async () => {
    const byPod = lines(list(await threeTier(), { groupBy: 'pod', from: ['prod/frontend-0'] }))
    expect(byPod).toEqual([
      'prod/frontend-0[Pod] => kube-system/kube-dns-0[Pod] : UDP 53',
      'prod/frontend-0[Pod] => prod/backend-0[Pod] : TCP 8080',
      'prod/frontend-0[Pod] => prod/backend-1[Pod] : TCP 8080',
    ])
    const byNs = lines(list(await threeTier(), { groupBy: 'namespace', from: ['prod'], to: ['prod'] }))
    expect(byNs).toEqual(['prod => prod : TCP 80,443,5432,8080'])
  })

  it('filters by workload kind, namespace, port and named port', async () => {
    const s = await threeTier()
    expect(lines(list(s, { from: ['prod/deployment/backend'] }))).toEqual([
      'prod/backend[Deployment] => kube-system/kube-dns[Deployment] : UDP 53',
      'prod/backend[Deployment] => prod/database[Deployment] : TCP 5432',
    ])
    expect(lines(list(s, { to: ['kube-system'], ports: [parsePortFilter('53/UDP')] }))).toEqual([
      'prod/backend[Deployment] => kube-system/kube-dns[Deployment] : UDP 53',
      'prod/database[Deployment] => kube-system/kube-dns[Deployment] : UDP 53',
      'prod/frontend[Deployment] => kube-system/kube-dns[Deployment] : UDP 53',
      '0.0.0.0/0 => kube-system/kube-dns[Deployment] : UDP 53',
    ])
    expect(lines(list(s, { to: ['prod/database'], ports: [parsePortFilter('5000-6000')] }))).toEqual([
      'prod/backend[Deployment] => prod/database[Deployment] : TCP 5432',
    ])
  })

  it('an IP or CIDR outside the cluster keeps the part of the outside it covers', async () => {
    const s = await threeTier()
    expect(lines(list(s, { from: ['prod/database'], to: ['93.184.216.34'] }))).toEqual(['prod/database[Deployment] => 93.184.216.34/32 : all ports'])
    expect(lines(list(s, { from: ['203.0.113.0/24', '198.51.100.0/24'], to: ['prod'] }))).toEqual([
      '198.51.100.0/24 => prod/frontend[Deployment] : TCP 80,443',
      '203.0.113.0/24 => prod/frontend[Deployment] : TCP 80,443',
    ])
  })

  it("an IP that is a pod's names that pod, and a CIDR also keeps the pods inside it", async () => {
    const s = await threeTier()
    const db = s.pods.find((p) => p.name === 'database-0')!
    expect(lines(list(s, { from: [db.ips[0]], to: ['kube-system'] }))).toEqual(['prod/database[Deployment] => kube-system/kube-dns[Deployment] : all ports'])
    expect(lines(list(s, { from: [`${db.ips[0]}/32`], to: ['kube-system'] }))).toEqual([
      'prod/database[Deployment] => kube-system/kube-dns[Deployment] : all ports',
      `${db.ips[0]}/32 => kube-system/kube-dns[Deployment] : all ports`,
    ])
  })

  it('unknown names and bad ports are usage errors naming the closest names', async () => {
    const s = await threeTier()
    expect(() => parseEndpointFilter(s, 'prodd')).toThrow(/namespace "prodd" not found; namespaces: kube-system, prod/)
    expect(() => parseEndpointFilter(s, 'prod/frontnd')).toThrow(UsageError)
    expect(() => parseEndpointFilter(s, 'prod/frontnd')).toThrow(/did you mean prod\/frontend/)
    expect(() => parseEndpointFilter(s, 'prod/widget/x')).toThrow(/unknown kind "widget"/)
    expect(() => parseEndpointFilter(s, '10.0.0.0/33')).toThrow(/prefix length out of range/)
    expect(() => parsePortFilter('80/ICMP')).toThrow(/protocol must be one of TCP, UDP, SCTP/)
    expect(() => parsePortFilter('0')).toThrow(/between 1 and 65535/)
    expect(() => parsePortFilter('90-80')).toThrow(/end is below the start/)
    expect(() => parsePortFilter('Not_A_Name')).toThrow(UsageError)
    expect(parsePortFilter('dns/udp')).toEqual({ kind: 'name', name: 'dns', protocol: 'UDP' })
  })
})

const PODS = `
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: a, labels: {app: web}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 8080, name: http}, {containerPort: 53, protocol: UDP, name: dns}]}]}
status: {podIPs: [{ip: 10.1.0.5}, {ip: "fd00::5"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: b, labels: {app: client}}
spec: {containers: [{name: c, image: i}]}
status: {podIPs: [{ip: 10.2.0.7}, {ip: "fd00::7"}]}
`

describe('list is exact where other analyzers are not', () => {
  it('merges every port and protocol of a pair into ranges', () => {
    const s = loadManifestText(`${PODS}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: a}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: 80}, {port: 443}, {port: 8000, endPort: 8080}, {port: 53, protocol: UDP}, {port: 8081}]
`).state
    const r = list(s, { to: ['a'] })
    expect(lines(r)).toEqual([
      'b/client[Pod] => a/web[Pod] : TCP 80,443,8000-8081; UDP 53',
      '0.0.0.0/0 => a/web[Pod] : TCP 80,443,8000-8081; UDP 53',
      '::/0 => a/web[Pod] : TCP 80,443,8000-8081; UDP 53',
    ])
    expect(r.connections[0].portRanges).toEqual([
      { protocol: 'TCP', start: 80, end: 80 },
      { protocol: 'TCP', start: 443, end: 443 },
      { protocol: 'TCP', start: 8000, end: 8081 },
      { protocol: 'UDP', start: 53, end: 53 },
    ])
    // A named port resolves in the destination's container ports.
    expect(lines(list(s, { to: ['a'], from: ['b'], ports: [parsePortFilter('http'), parsePortFilter('dns')] }))).toEqual([
      'b/client[Pod] => a/web[Pod] : TCP 8080; UDP 53',
    ])
  })

  it('an ipBlock matches pods by their IPs, IPv4 and IPv6, and cuts the outside at its boundaries', () => {
    const s = loadManifestText(`${PODS}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: a}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.3.0.0/16]}}, {ipBlock: {cidr: "fd00::/64"}}]
    ports: [{port: 8080}]
`).state
    expect(lines(list(s, { to: ['a'] }))).toEqual([
      // b/client is reached through the ipBlocks (its pod IPs are inside them); no selector names it.
      'b/client[Pod] => a/web[Pod] : TCP 8080',
      '10.0.0.0-10.2.255.255 => a/web[Pod] : TCP 8080',
      '10.4.0.0-10.255.255.255 => a/web[Pod] : TCP 8080',
      'fd00::/64 => a/web[Pod] : TCP 8080',
    ])
    const v6 = list(s, { from: ['fd00::/16'], to: ['a'] }).connections.filter((c) => c.from.kind === 'External')
    expect(v6.map((c) => c.from)).toEqual([{ kind: 'External', first: 'fd00::', last: 'fd00::ffff:ffff:ffff:ffff', cidrs: ['fd00::/64'], label: 'fd00::/64' }])
  })

  it('a client outside the ipBlock is not reached, even when a selector-blind analyzer would say so', () => {
    const s = loadManifestText(`${PODS}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: a}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.2.0.0/16]}}]
`).state
    expect(lines(list(s, { from: ['b'], to: ['a'] }))).toEqual([])
  })

  it('orders rows by source, destination and position the same way whether the keys fit one number or not', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 12 })
          .chain((ends) => fc.array(fc.tuple(fc.nat(ends - 1), fc.nat(ends - 1)), { maxLength: 60 }).map((rows) => ({ ends, rows }))),
        ({ ends, rows }) => {
          const from = rows.map((r) => r[0])
          const to = rows.map((r) => r[1])
          const want = [...rows.keys()].sort((x, y) => from[x] - from[y] || to[x] - to[y] || x - y)
          expect(Array.from(orderByRank(from, to, ends))).toEqual(want)
          expect(Array.from(orderByRank(from, to, ends, 1))).toEqual(want)
        },
      ),
    )
  })
})
