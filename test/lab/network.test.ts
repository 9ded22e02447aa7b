/**
 * The lab's network without any policy: namespaces, veths, routes, servers and probers, through
 * the real kernel. Pins that every pod reaches every pod (TCP and UDP), that same-node traffic
 * passes the node's forward hook (so policies can see it), and that teardown leaves nothing.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { planTopology, type LabPlan } from '../../src/lab/topology.js'
import { controlSocketPath, createNetwork, enableForwarding, startServers, teardown } from '../../src/lab/lab-build.js'
import { listLabNetns } from '../../src/lab/netns.js'
import { findLabProcesses } from '../../src/lab/lab-processes.js'
import { runProbes } from '../../src/lab/run-probes.js'
import { planProbes } from '../../src/lab/probe-plan.js'
import { runChecked } from '../../src/lab/run-command.js'
import { cluster, ns, pod, tcp, udp, uniqueLabName } from './fixtures.js'

const lab = uniqueLabName('net')
let dir: string
let plan: LabPlan

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netpol-lab-'))
  const state = cluster(
    [ns('x')],
    ['a', 'b', 'c'].map((n) => pod('x', n, { pod: n }, [tcp(80), udp(53)])),
  )
  plan = planTopology(state, { lab, nodeCount: 2 })
  try {
    await createNetwork(plan.topology)
    // A counter in each node's forward hook: evidence that pod traffic is routed through the node.
    for (const node of plan.topology.nodes) {
      await runChecked('ip', ['netns', 'exec', node.netns, 'nft', '-f', '-'], {
        input: 'table inet labtest { chain pass { type filter hook forward priority 0; policy accept; counter; }; }\n',
      })
    }
    await enableForwarding(plan.topology)
    await startServers(lab, dir, plan.topology.pods)
  } catch (err) {
    await teardown({ lab, topology: plan.topology })
    throw err
  }
})

afterAll(async () => {
  await teardown({ lab, topology: plan?.topology })
  await rm(dir, { recursive: true, force: true })
})

describe('lab network without policies', () => {
  it('every pod reaches every pod on TCP and UDP, across nodes and on the same node', async () => {
    const probes = planProbes(plan.topology, [
      { port: 80, protocol: 'TCP' },
      { port: 53, protocol: 'UDP' },
      { port: 81, protocol: 'TCP' },
    ])
    const results = await runProbes(probes, { lab, timeoutMs: 1000 })
    const outcomes = [...results.values()].flat().map((r) => `${r.ip}:${r.port}/${r.protocol} ${r.outcome}`)
    expect(outcomes).toHaveLength(3 * 3 * 3)
    for (const o of outcomes) {
      // Nobody serves 81: the pod's kernel refuses, which proves the packet got there.
      expect(o).toMatch(o.includes(':81/') ? / refused$/ : / connected$/)
    }
  })

  it('pod servers probe from inside their pod through their control socket', async () => {
    const probes = planProbes(plan.topology, [
      { port: 80, protocol: 'TCP' },
      { port: 53, protocol: 'UDP' },
    ])
    const sockets = new Map(plan.topology.pods.map((p) => [`${p.namespace}/${p.name}`, controlSocketPath(dir, p)!]))
    const results = await runProbes(probes, { lab, timeoutMs: 1000, controlSockets: sockets })
    // Only a prober inside a pod namespace has a route to the lab's pod addresses.
    expect([...results.values()].flat().map((r) => r.outcome)).toEqual(new Array(3 * 3 * 2).fill('connected'))
  })

  it('same-node pod-to-pod traffic passes the node forward hook', async () => {
    const [a, , c] = plan.topology.pods
    expect(a.node).toBe(c.node)
    const node = plan.topology.nodes.find((n) => n.name === a.node)!
    const count = async (): Promise<number> => {
      const out = await runChecked('ip', ['netns', 'exec', node.netns, 'nft', 'list', 'chain', 'inet', 'labtest', 'pass'])
      return Number(/packets (\d+)/.exec(out)![1])
    }
    const before = await count()
    await runProbes([{ from: 'x/a', netns: a.netns, targets: [{ to: 'x/c', ip: c.ip, port: 80, protocol: 'TCP' }] }], { lab, timeoutMs: 1000 })
    expect(await count()).toBeGreaterThan(before)
  })

  it('pod servers answer HTTP with their name, and the pod sees only its own address', async () => {
    const [a, b] = plan.topology.pods
    const out = await runChecked('ip', ['netns', 'exec', a.netns, 'curl', '-s', '-m', '2', `http://${b.ip}:80/`])
    expect(out).toBe('x/b port 80/TCP\n')
    const addrs = await runChecked('ip', ['-n', a.netns, '-4', '-o', 'addr'])
    expect(addrs).toContain(`${a.ip}/32`)
  })

  it('teardown removes every namespace and process of the lab and is idempotent', async () => {
    const other = uniqueLabName('net2')
    const p2 = planTopology(cluster([ns('y')], [pod('y', 'z', {}, [tcp(8080)])]), { lab: other, nodeCount: 2 })
    await createNetwork(p2.topology)
    await startServers(other, dir, p2.topology.pods)
    expect((await listLabNetns(other)).length).toBe(4)
    expect((await findLabProcesses(other)).length).toBe(1)
    const removed = await teardown({ lab: other })
    expect(removed.netns).toHaveLength(4)
    expect(await listLabNetns(other)).toEqual([])
    expect(await findLabProcesses(other)).toEqual([])
    expect((await teardown({ lab: other })).netns).toEqual([])
    // The first lab is untouched.
    expect((await listLabNetns(lab)).length).toBe(1 + 2 + 3)
  })
})
