import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTopology, firstLine, SERVER_SOURCE, type Topology } from '../../testing/dataplane-topology.js'
import { compileRuleset } from '../../src/dataplane/compile-ruleset.js'
import { createDenyLogFollower, parseDenySetListing, parseNftDuration, readDenyLog } from '../../src/dataplane/deny-log.js'
import { applyRuleset } from '../../src/dataplane/nft.js'
import type { ClusterState } from '../../src/model/types.js'
import { buildState } from '../cases/build-state.js'
import { tcpProbe } from './netns-probe.js'

describe('deny-set listing parser', () => {
  it('reads durations the way nft prints them', () => {
    expect(parseNftDuration('1h')).toBe(3_600_000)
    expect(parseNftDuration('59m58s996ms')).toBe(3_598_996)
    expect(parseNftDuration('3600s')).toBe(3_600_000)
    expect(() => parseNftDuration('soon')).toThrow()
  })

  it('turns elements into records with the time each connection was first denied', () => {
    const listing = `table inet netpol {
\tset denied_in_v4 {
\t\ttype ipv4_addr . ipv4_addr . inet_proto . inet_service . inet_service
\t\tsize 65536
\t\tflags dynamic,timeout
\t\tcounter
\t\ttimeout 1h
\t\telements = { 10.0.0.1 . 10.0.0.2 . tcp . 40000 . 80 counter packets 3 bytes 180 expires 59m50s,
\t\t\t     10.0.0.1 . 10.0.0.2 . sctp . 40001 . 9000 counter packets 1 bytes 60 expires 59m59s500ms }
\t}
}
`
    const records = parseDenySetListing(listing, 'ingress', 4, 1_000_000_000)
    expect(records).toEqual([
      {
        side: 'ingress',
        family: 4,
        sourceIp: '10.0.0.1',
        destinationIp: '10.0.0.2',
        protocol: 'TCP',
        sourcePort: 40000,
        destinationPort: 80,
        packets: 3,
        firstSeenMs: 1_000_000_000 - 10_000,
      },
      {
        side: 'ingress',
        family: 4,
        sourceIp: '10.0.0.1',
        destinationIp: '10.0.0.2',
        protocol: 'SCTP',
        sourcePort: 40001,
        destinationPort: 9000,
        packets: 1,
        firstSeenMs: 1_000_000_000 - 500,
      },
    ])
  })
})

/** Dual-stack a (10.250.0.2, fd00:250:0::2) may reach b (10.250.1.2, fd00:250:1::2) only on 80-81; b accepts only a, and only on 81. */
function state(): ClusterState {
  const s = buildState(`
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {app: a}}
status: {podIPs: [{ip: 10.250.0.2}, {ip: "fd00:250:0::2"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {app: b}}
status: {podIPs: [{ip: 10.250.1.2}, {ip: "fd00:250:1::2"}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-ingress, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: a}}}]
    ports: [{port: 81}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-egress, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: b}}}]
    ports: [{port: 80, endPort: 81}]
`)
  return { ...s, pods: s.pods.map((p) => ({ ...p, nodeName: 'n1' })) }
}

describe('denied connections are recorded for real', () => {
  let topo: Topology
  const cluster = state()

  beforeAll(async () => {
    topo = await createTopology(['a', 'b'])
    const server = topo.spawnNode(topo.pods[1].netns, SERVER_SOURCE, ['80', '81', '82'])
    expect(await firstLine(server)).toBe('ready')
    await applyRuleset(compileRuleset(cluster, { nodeName: 'n1' }).script, { netns: topo.nodeNetns })
  })

  afterAll(async () => {
    await topo?.destroy()
  })

  it('a connection dropped by the destination ingress is logged with pods, port, protocol, side and policies', async () => {
    const before = Date.now()
    expect(await tcpProbe(topo, topo.pods[0].netns, '10.250.1.2', 80, 500)).toBe('timeout')
    const after = Date.now()
    const log = await readDenyLog(cluster, { netns: topo.nodeNetns, node: 'n1' })
    const record = log.find((r) => r.port === 80)
    expect(record).toMatchObject({
      node: 'n1',
      side: 'ingress',
      source: 'x/a',
      sourceIp: '10.250.0.2',
      destination: 'x/b',
      destinationIp: '10.250.1.2',
      port: 80,
      protocol: 'TCP',
      policies: ['x/b-ingress'],
    })
    const t = Date.parse(record!.time)
    expect(t).toBeGreaterThanOrEqual(before - 1000)
    expect(t).toBeLessThanOrEqual(after + 1000)
    expect(record!.packets).toBeGreaterThanOrEqual(1)
  })

  it('a connection dropped by the source egress is logged on the egress side', async () => {
    expect(await tcpProbe(topo, topo.pods[0].netns, '10.250.1.2', 82, 500)).toBe('timeout')
    const log = await readDenyLog(cluster, { netns: topo.nodeNetns })
    expect(log.filter((r) => r.port === 82)).toMatchObject([{ side: 'egress', source: 'x/a', destination: 'x/b', protocol: 'TCP', policies: ['x/a-egress'] }])
  })

  it('IPv6 works the same: the allowed port connects, the denied one is dropped and logged', async () => {
    expect(await tcpProbe(topo, topo.pods[0].netns, 'fd00:250:1::2', 81)).toBe('ok')
    expect(await tcpProbe(topo, topo.pods[0].netns, 'fd00:250:1::2', 80, 500)).toBe('timeout')
    const log = await readDenyLog(cluster, { netns: topo.nodeNetns })
    expect(log.filter((r) => r.destinationIp === 'fd00:250:1::2')).toMatchObject([
      { side: 'ingress', source: 'x/a', sourceIp: 'fd00:250::2', destination: 'x/b', port: 80, protocol: 'TCP', policies: ['x/b-ingress'] },
    ])
  })

  it('egress to the node itself is enforced too (input hook), and logged with the node address', async () => {
    // b has no egress policy: the node answers with a reset (nothing listens there).
    expect(await tcpProbe(topo, topo.pods[1].netns, '10.250.1.1', 9999)).toBe('error ECONNREFUSED')
    // a's egress allows only b on 80-81: the SYN to its node is dropped.
    expect(await tcpProbe(topo, topo.pods[0].netns, '10.250.0.1', 9999, 500)).toBe('timeout')
    const log = await readDenyLog(cluster, { netns: topo.nodeNetns })
    expect(log.filter((r) => r.port === 9999)).toMatchObject([{ side: 'egress', source: 'x/a', destination: '10.250.0.1', policies: ['x/a-egress'] }])
  })

  it('allowed connections are not logged', async () => {
    expect(await tcpProbe(topo, topo.pods[0].netns, '10.250.1.2', 81)).toBe('ok')
    const log = await readDenyLog(cluster, { netns: topo.nodeNetns })
    expect(log.filter((r) => r.port === 81)).toEqual([])
  })

  it('records survive ruleset replacements with their original time', async () => {
    const before = await readDenyLog(cluster, { netns: topo.nodeNetns })
    expect(before.length).toBeGreaterThanOrEqual(2)
    // Even into sets with a shorter timeout: records keep their own.
    await applyRuleset(compileRuleset(cluster, { nodeName: 'n1', denyLogTimeoutSeconds: 600 }).script, { netns: topo.nodeNetns })
    const after = await readDenyLog(cluster, { netns: topo.nodeNetns })
    expect(after.map((r) => `${r.side} ${r.source} ${r.sourcePort} ${r.destination}:${r.port}`)).toEqual(
      before.map((r) => `${r.side} ${r.source} ${r.sourcePort} ${r.destination}:${r.port}`),
    )
    for (const [i, r] of after.entries()) expect(Math.abs(Date.parse(r.time) - Date.parse(before[i].time))).toBeLessThan(1000)
    // Packet counts go along too (no record drops to 0 packets).
    expect(after.map((r) => r.packets)).toEqual(before.map((r) => r.packets))
    expect(Math.min(...after.map((r) => r.packets))).toBeGreaterThanOrEqual(1)
    await applyRuleset(compileRuleset(cluster, { nodeName: 'n1' }).script, { netns: topo.nodeNetns })
    const again = await readDenyLog(cluster, { netns: topo.nodeNetns })
    expect(again).toHaveLength(after.length)
    for (const [i, r] of again.entries()) expect(Math.abs(Date.parse(r.time) - Date.parse(after[i].time))).toBeLessThan(1000)
  })

  it('a follower returns each record once, then only new ones', async () => {
    const follower = createDenyLogFollower([{ netns: topo.nodeNetns, node: 'n1' }])
    const first = await follower.poll(cluster)
    expect(first.length).toBeGreaterThanOrEqual(2)
    expect(await follower.poll(cluster)).toEqual([])
    expect(await tcpProbe(topo, topo.pods[0].netns, '10.250.1.2', 80, 300)).toBe('timeout')
    const fresh = await follower.poll(cluster)
    expect(fresh).toHaveLength(1)
    expect(fresh[0]).toMatchObject({ side: 'ingress', source: 'x/a', destination: 'x/b', port: 80 })
  })
})
