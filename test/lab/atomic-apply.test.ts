/**
 * Atomicity of `lab apply` at the lab level (the data plane's own tests cover one `nft -f`):
 * - while the policy objects are swapped back and forth many times for equivalent ones, a stream
 *   of new connections that both versions allow never fails, and one that both deny never passes;
 * - when a node refuses its new ruleset, the nodes already changed go back, nothing of the lab
 *   changes, and the previous policy stays in force everywhere.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { spawn, spawnSync } from 'node:child_process'
import { labProbe } from '../../src/lab/lab-probe.js'
import { readLabDenyLog } from '../../src/lab/lab-logs.js'
import { applyClusterState } from '../../src/lab/lab-apply.js'
import { nftLabDataplane } from '../../src/lab/nft-lab-dataplane.js'
import type { LabDataplane } from '../../src/lab/lab-dataplane.js'
import type { ClusterState, NetworkPolicy, NetworkPolicyPeer } from '../../src/model/types.js'
import { cluster, ns, pod, tcp } from './fixtures.js'
import { startTestLab, type TestLab } from './lab-harness.js'

const base = cluster([ns('x')], [pod('x', 'a', { pod: 'a' }, [tcp(80)]), pod('x', 'b', { pod: 'b' }, [tcp(80)]), pod('x', 'c', { pod: 'c' }, [tcp(80)])])
const src = { file: 'atomic', line: 1 }
const sel = (labels: Record<string, string>) => ({ matchLabels: labels, matchExpressions: [] })

/** Two different policy objects with the same meaning for x/b: only x/a may reach it on 80/TCP. */
function version(n: 1 | 2): NetworkPolicy[] {
  const peer: NetworkPolicyPeer =
    n === 1
      ? { podSelector: sel({ pod: 'a' }), source: src }
      : { podSelector: { matchLabels: {}, matchExpressions: [{ key: 'pod', operator: 'In', values: ['a'] }] }, source: src }
  const toB: NetworkPolicy = {
    namespace: 'x',
    name: `b-from-a-v${n}`,
    podSelector: sel({ pod: 'b' }),
    policyTypes: ['Ingress'],
    ingress: [{ from: [peer], ports: [{ protocol: 'TCP', port: 80, source: src }], source: src }],
    egress: [],
    source: src,
  }
  // Unrelated churn in the same transaction: an egress policy on x/c that only allows DNS.
  const cDnsOnly: NetworkPolicy = {
    namespace: 'x',
    name: 'c-dns-only',
    podSelector: sel({ pod: 'c' }),
    policyTypes: ['Egress'],
    ingress: [],
    egress: [{ to: [], ports: [{ protocol: 'UDP', port: 53, source: src }], source: src }],
    source: src,
  }
  return n === 1 ? [toB] : [toB, cDnsOnly]
}

/**
 * Opens new connections back to back from inside a pod until stdin closes; prints the counts. The
 * timeout stays below TCP's first SYN retransmission (1 s), so a SYN the data plane drops counts.
 */
const LOOP = `
const net = require('node:net')
let stop = false; const counts = { connected: 0, refused: 0, timeout: 0, other: 0 }
process.stdin.on('end', () => { stop = true }); process.stdin.resume()
const once = () => new Promise((resolve) => {
  const s = net.connect({ host: process.argv[1], port: 80 })
  const t = setTimeout(() => setImmediate(() => { s.destroy(); resolve('timeout') }), 900)
  s.on('connect', () => { clearTimeout(t); s.destroy(); resolve('connected') })
  s.on('error', (e) => { clearTimeout(t); resolve(e.code === 'ECONNREFUSED' ? 'refused' : 'other') })
})
;(async () => { while (!stop) counts[await once()]++; console.log(JSON.stringify(counts)) })()
`

function connectLoop(netns: string, ip: string): { stop: () => Promise<Record<string, number>> } {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', LOOP, ip])
  let out = ''
  child.stdout.on('data', (b: Buffer) => (out += b.toString()))
  const done = new Promise<void>((r) => child.on('close', () => r()))
  return {
    stop: async () => {
      child.stdin.end()
      await done
      return JSON.parse(out) as Record<string, number>
    },
  }
}

/**
 * SYNs the kernel of a pod dropped because its server's accept queue was full (TcpExt ListenDrops):
 * on a loaded machine the pod server may not accept fast enough, which is not the data plane's doing.
 */
function listenDrops(netns: string): number {
  const netstat = spawnSync('ip', ['netns', 'exec', netns, 'cat', '/proc/net/netstat'], { encoding: 'utf8' }).stdout
  const [names, values] = netstat
    .split('\n')
    .filter((line) => line.startsWith('TcpExt:'))
    .map((line) => line.split(/\s+/))
  const at = names?.indexOf('ListenDrops') ?? -1
  if (at < 0 || values === undefined) throw new Error(`no TcpExt ListenDrops in ${netns}'s /proc/net/netstat`)
  return Number(values[at])
}

describe('atomic lab apply', () => {
  let lab: TestLab
  beforeAll(async () => {
    lab = await startTestLab('atom', base)
  })
  afterAll(async () => {
    await lab?.down()
  })

  it('swapping equivalent policies 20 times never lets an allowed connection fail or a denied one pass', async () => {
    const first = await lab.state()
    const [a, b, c] = first.topology.pods
    const with_ = (n: 1 | 2): ClusterState => ({ ...base, policies: version(n) })
    await lab.set(with_(1))
    const dropsBefore = listenDrops(b.netns)
    const allowed = connectLoop(a.netns, b.ip)
    const denied = connectLoop(c.netns, b.ip)
    for (let i = 0; i < 20; i++) await lab.set(with_(i % 2 === 0 ? 2 : 1))
    const fromA = await allowed.stop()
    const fromC = await denied.stop()
    // The data plane's own record: no connection from x/a to x/b was ever dropped.
    const dropped = (await readLabDenyLog(await lab.state())).filter((r) => r.source === 'x/a' && r.destination === 'x/b')
    expect(dropped).toEqual([])
    expect(fromA.connected).toBeGreaterThan(20)
    expect(fromA).toMatchObject({ refused: 0, other: 0 })
    // A timeout is only excused by a SYN that x/b's own accept queue dropped (a loaded machine).
    expect(fromA.timeout).toBeLessThanOrEqual(listenDrops(b.netns) - dropsBefore)
    expect(fromC.timeout).toBeGreaterThan(0)
    expect(fromC).toMatchObject({ connected: 0, refused: 0, other: 0 })
  })

  it('a node refusing its ruleset rolls the other nodes back and leaves the lab as it was', async () => {
    const before = await lab.set({ ...base, policies: version(1) })
    const poisoned: NetworkPolicy = { ...version(1)[0], name: 'poison', podSelector: sel({ pod: 'a' }) }
    let appliedToNode0 = false
    const failing: LabDataplane = {
      checkNode: nftLabDataplane.checkNode,
      async applyNode(state, node) {
        if (node.index === 1 && state.policies.some((p) => p.name === 'poison')) throw new Error('node-1 refused the ruleset')
        await nftLabDataplane.applyNode(state, node)
        if (node.index === 0 && state.policies.some((p) => p.name === 'poison')) appliedToNode0 = true
      },
    }
    await expect(applyClusterState({ ...lab.ctx, dataplane: failing }, before, { ...base, policies: [...before.cluster.policies, poisoned] })).rejects.toThrow(
      /node-1 refused/,
    )
    expect(appliedToNode0).toBe(true)
    const after = await lab.state()
    expect(after.cluster.policies.map((p) => p.name)).toEqual(before.cluster.policies.map((p) => p.name))
    // Both nodes enforce the previous policies: probes agree with the engine on the unchanged state.
    const probe = await labProbe(lab.ctx.root, after, { ports: [{ port: 80, protocol: 'TCP' }], timeoutMs: 1000 })
    expect(probe.disagreements).toEqual([])
    expect(probe.connections.filter((x) => x.to === 'x/a').every((x) => x.allowed)).toBe(true)
  })
})
