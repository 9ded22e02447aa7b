/**
 * Live policy changes in a running lab. Pins: after `lab apply` of a deny, new connections of that
 * kind are dropped and logged at once (no waiting, no restart); connections established before the
 * change keep working (conntrack accepts established flows before any policy is consulted, and the
 * lab does not flush conntrack: the same choice as kube-router and Calico; docs/lab.md says so);
 * removing the deny opens new connections again.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface } from 'node:readline'
import { labProbe } from '../../src/lab/lab-probe.js'
import { labLogs, readLabDenyLog } from '../../src/lab/lab-logs.js'
import type { DeniedConnection } from '../../src/dataplane/deny-log.js'
import type { ClusterState, NetworkPolicy } from '../../src/model/types.js'
import { cluster, ns, pod, tcp } from './fixtures.js'
import { startTestLab, type TestLab } from './lab-harness.js'

const base = cluster([ns('x')], [pod('x', 'a', { pod: 'a' }, [tcp(80)]), pod('x', 'b', { pod: 'b' }, [tcp(80)]), pod('x', 'c', { pod: 'c' }, [tcp(80)])])

const denyIngressToB: NetworkPolicy = {
  namespace: 'x',
  name: 'deny-b',
  podSelector: { matchLabels: { pod: 'b' }, matchExpressions: [] },
  policyTypes: ['Ingress'],
  ingress: [],
  egress: [],
  source: { file: 'live-update', line: 1 },
}

const withPolicies = (policies: NetworkPolicy[]): ClusterState => ({ ...base, policies })

/** A client inside a pod holding one TCP connection: each line written is echoed back by the pod server. */
const CLIENT = `
const net = require('node:net'); const readline = require('node:readline')
const s = net.connect({ host: process.argv[1], port: Number(process.argv[2]) }, () => console.log('connected'))
s.on('data', (d) => process.stdout.write('echo ' + d.toString()))
s.on('error', (e) => console.log('error ' + e.code))
s.on('close', () => { console.log('closed'); process.exit(0) })
readline.createInterface({ input: process.stdin }).on('line', (l) => s.write(l + '\\n'))
`

class PodClient {
  private readonly lines: string[] = []
  private waiters: (() => void)[] = []
  constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (l) => {
      this.lines.push(l)
      for (const w of this.waiters) w()
    })
  }
  async next(timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    while (this.lines.length === 0) {
      if (Date.now() > deadline) return 'nothing'
      await new Promise<void>((r) => {
        this.waiters.push(r)
        setTimeout(r, 50)
      })
      this.waiters = []
    }
    return this.lines.shift()!
  }
  send(line: string): void {
    this.child.stdin.write(`${line}\n`)
  }
}

describe('live policy updates', () => {
  let lab: TestLab
  beforeAll(async () => {
    lab = await startTestLab('live', base)
  })
  afterAll(async () => {
    await lab?.down()
  })

  it('a new deny drops and logs new connections at once, keeps established ones, and lifting it reopens', async () => {
    const state = await lab.state()
    const [a, b] = state.topology.pods
    expect(a.node).not.toBe(b.node)
    const client = new PodClient(spawn('ip', ['netns', 'exec', a.netns, process.execPath, '-e', CLIENT, b.ip, '80']))
    try {
      expect(await client.next()).toBe('connected')
      client.send('before')
      expect(await client.next()).toBe('echo before')

      const denied = await lab.set(withPolicies([denyIngressToB]))
      const probe = await labProbe(lab.ctx.root, denied, { ports: [{ port: 80, protocol: 'TCP' }], timeoutMs: 1000 })
      expect(probe.disagreements).toEqual([])
      const cell = (from: string, to: string) => probe.connections.find((c) => c.from === from && c.to === to)!
      expect(cell('x/a', 'x/b')).toMatchObject({ allowed: false, outcome: 'timeout' })
      expect(cell('x/c', 'x/b')).toMatchObject({ allowed: false, outcome: 'timeout' })
      expect(cell('x/b', 'x/a')).toMatchObject({ allowed: true, outcome: 'connected' })

      const log = await readLabDenyLog(denied)
      expect(log).toContainEqual(
        expect.objectContaining({ source: 'x/a', destination: 'x/b', port: 80, protocol: 'TCP', side: 'ingress', node: b.node, policies: ['x/deny-b'] }),
      )
      expect(log.some((r) => r.source === 'x/b')).toBe(false)

      // The connection established before the deny still carries data both ways.
      client.send('after')
      expect(await client.next()).toBe('echo after')

      const lifted = await lab.set(withPolicies([]))
      const again = await labProbe(lab.ctx.root, lifted, { ports: [{ port: 80, protocol: 'TCP' }], timeoutMs: 1000 })
      expect(again.disagreements).toEqual([])
      expect(again.connections.every((c) => c.allowed)).toBe(true)
    } finally {
      client.child.kill('SIGKILL')
    }
  })

  it('logs -f prints each denied connection once, as it happens', async () => {
    const denied = await lab.set(withPolicies([denyIngressToB]))
    const printed: DeniedConnection[] = []
    const stop = new AbortController()
    const following = labLogs(denied, { follow: true, intervalMs: 100, signal: stop.signal, print: (r) => printed.push(...r) })
    try {
      await new Promise((r) => setTimeout(r, 300))
      const before = printed.length
      await labProbe(lab.ctx.root, denied, { ports: [{ port: 80, protocol: 'TCP' }], timeoutMs: 500 })
      const deadline = Date.now() + 5000
      while (!printed.slice(before).some((r) => r.source === 'x/c' && r.destination === 'x/b') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50))
      const fresh = printed.slice(before)
      expect(
        fresh
          .filter((r) => r.destination === 'x/b' && r.source !== 'x/b')
          .map((r) => r.source)
          .sort(),
      ).toEqual(['x/a', 'x/c'])
      const keys = printed.map((r) => `${r.node} ${r.sourceIp}:${r.sourcePort} ${r.destinationIp}:${r.port}`)
      expect(new Set(keys).size).toBe(keys.length)
    } finally {
      stop.abort()
      await following
    }
  })

  it('cross-node traffic: egress is decided on the source pod node, ingress on the destination pod node', async () => {
    const denyEgressOfA: NetworkPolicy = {
      ...denyIngressToB,
      name: 'deny-a-out',
      podSelector: { matchLabels: { pod: 'a' }, matchExpressions: [] },
      policyTypes: ['Egress'],
    }
    const state = await lab.set(withPolicies([denyIngressToB, denyEgressOfA]))
    const [a, b, c] = state.topology.pods
    expect([a.node, b.node, c.node]).toEqual(['node-0', 'node-1', 'node-0'])
    // Only this probe round: the records that were not there before it (a record is one flow).
    const flow = (r: DeniedConnection) => `${r.node} ${r.side} ${r.sourceIp}:${r.sourcePort} ${r.destinationIp}:${r.port}`
    const earlier = new Set((await readLabDenyLog(state)).map(flow))
    await labProbe(lab.ctx.root, state, { ports: [{ port: 80, protocol: 'TCP' }], timeoutMs: 500 })
    const fresh = (await readLabDenyLog(state)).filter((r) => !earlier.has(flow(r)))
    // x/a's egress drops on node-0 before the packet ever reaches node-1.
    expect(fresh.filter((r) => r.source === 'x/a' && r.destination === 'x/b').map((r) => `${r.side} ${r.node}`)).toEqual(['egress node-0'])
    // x/c may send; x/b's node drops it on ingress.
    expect(fresh.filter((r) => r.source === 'x/c' && r.destination === 'x/b').map((r) => `${r.side} ${r.node}`)).toEqual(['ingress node-1'])
  })

  it('a pod added under an existing policy is isolated from its first packet, and its server runs', async () => {
    await lab.set(withPolicies([denyIngressToB]))
    const withD: ClusterState = { ...base, pods: [...base.pods, pod('x', 'd', { pod: 'b' }, [tcp(80)])], policies: [denyIngressToB] }
    const state = await lab.set(withD)
    expect(Object.keys(state.servers)).toContain('x/d')
    const probe = await labProbe(lab.ctx.root, state, { ports: [{ port: 80, protocol: 'TCP' }], timeoutMs: 1000 })
    expect(probe.disagreements).toEqual([])
    expect(probe.connections.filter((c) => c.to === 'x/d').map((c) => `${c.from} ${c.outcome}`)).toEqual([
      'x/a timeout',
      'x/b timeout',
      'x/c timeout',
      'x/d connected',
    ])
    // ...and it can still call out (no egress policy selects it).
    expect(probe.connections.find((c) => c.from === 'x/d' && c.to === 'x/a')).toMatchObject({ outcome: 'connected' })
  })
})
