import { describe, it, expect } from 'vitest'
import { planTopology, diffTopology, POD_GATEWAY } from '../../src/lab/topology.js'
import { isLabNetns, podNetnsName, validateLabName } from '../../src/lab/lab-names.js'
import { nodeScript, podScript, removedPodLinesForNode } from '../../src/lab/ip-script.js'
import { cluster, ns, pod, tcp } from './fixtures.js'
import { assumePodIPs, DEFAULT_POD_CIDR } from '../../src/cluster/assume-pod-ips.js'
import { InputError } from '../../src/model/diagnostic.js'

const four = cluster([ns('x')], [pod('x', 'a', {}), pod('x', 'b', {}), pod('x', 'c', {}), pod('x', 'd', {})])

describe('planTopology', () => {
  it('spreads pods round-robin over the nodes in name order', () => {
    const { topology } = planTopology(four, { lab: 'l', nodeCount: 2 })
    expect(topology.pods.map((p) => `${p.name}@${p.node}`)).toEqual(['a@node-0', 'b@node-1', 'c@node-0', 'd@node-1'])
  })

  it('honours spec.nodeName when it names a lab node, and warns when it does not', () => {
    const s = cluster([ns('x')], [pod('x', 'a', {}, [], { nodeName: 'node-1' }), pod('x', 'b', {}, [], { nodeName: 'worker-7' })])
    const plan = planTopology(s, { lab: 'l', nodeCount: 2 })
    expect(plan.topology.pods.map((p) => p.node)).toEqual(['node-1', 'node-0'])
    expect(plan.warnings.join('\n')).toMatch(/worker-7.*not a lab node/)
  })

  it('allocates addresses from each node pod CIDR and writes them into the cluster state', () => {
    const plan = planTopology(four, { lab: 'l', nodeCount: 2 })
    expect(plan.topology.pods.map((p) => p.ip)).toEqual(['10.244.0.2', '10.244.1.2', '10.244.0.3', '10.244.1.3'])
    expect(plan.state.pods.map((p) => [p.ips, p.nodeName])).toEqual([
      [['10.244.0.2'], 'node-0'],
      [['10.244.1.2'], 'node-1'],
      [['10.244.0.3'], 'node-0'],
      [['10.244.1.3'], 'node-1'],
    ])
  })

  it('uses the manifest pod IP, and reallocates duplicates and IPv6-only addresses with a warning', () => {
    const s = cluster(
      [ns('x')],
      [pod('x', 'a', {}, [], { ips: ['192.168.7.7'] }), pod('x', 'b', {}, [], { ips: ['192.168.7.7'] }), pod('x', 'c', {}, [], { ips: ['fd00::1'] })],
    )
    const plan = planTopology(s, { lab: 'l', nodeCount: 2 })
    expect(plan.topology.pods.map((p) => p.ip)).toEqual(['192.168.7.7', '10.244.1.2', '10.244.0.2'])
    expect(plan.warnings).toHaveLength(2)
  })

  it('refuses broadcast, multicast, loopback, unspecified, link-local and reserved pod addresses, naming the pod, file:line and field', () => {
    const bad = ['255.255.255.255', '224.0.0.1', '239.1.2.3', '127.0.0.5', '0.0.0.0', '0.1.2.3', '169.254.9.9', POD_GATEWAY, '240.0.0.1']
    for (const ip of bad) {
      const s = cluster(
        [ns('x')],
        [pod('x', 'ok', {}, [], { ips: ['10.1.1.1'] }), pod('x', 'bad', {}, [], { ips: [ip], source: { file: 'pods.yaml', line: 12 } })],
      )
      expect(() => planTopology(s, { lab: 'l', nodeCount: 2 }), ip).toThrow(InputError)
      try {
        planTopology(s, { lab: 'l', nodeCount: 2 })
      } catch (err) {
        expect((err as Error).message).toMatch(new RegExp(`^pods\\.yaml:12: Pod "x/bad" is invalid: status\\.podIPs: ${ip.replaceAll('.', '\\.')} is `))
      }
    }
    // Every bad pod is reported, not only the first; an assumed address names --pod-cidr.
    const two = cluster([ns('x')], [pod('x', 'a', {}, [], { ips: ['224.0.0.1'] }), pod('x', 'b', {}, [], { ips: ['224.0.0.2'], ipsAssumed: true })])
    expect(() => planTopology(two, { lab: 'l', nodeCount: 2 })).toThrow(
      /x\/a.*multicast[^]*x\/b" is invalid: --pod-cidr: 224\.0\.0\.2 is a multicast address.*choose another --pod-cidr/,
    )
    // Ordinary unicast addresses, also unusual ones (x.x.x.0 and x.x.x.255 are host addresses for a /32), are taken.
    const fine = cluster([ns('x')], [pod('x', 'a', {}, [], { ips: ['10.0.0.0'] }), pod('x', 'b', {}, [], { ips: ['192.168.1.255'] })])
    expect(planTopology(fine, { lab: 'l', nodeCount: 2 }).topology.pods.map((p) => p.ip)).toEqual(['10.0.0.0', '192.168.1.255'])
  })

  it('runs pods on exactly the addresses matrix assumes, wherever they fall in 10.244.0.0/16, and keeps them marked', () => {
    const assumed = assumePodIPs(four, { podCidr: DEFAULT_POD_CIDR })
    const plan = planTopology(assumed, { lab: 'l', nodeCount: 2 })
    expect(plan.warnings).toEqual([])
    expect(plan.topology.pods.map((p) => p.ip)).toEqual(assumed.pods.map((p) => p.ips[0]))
    expect(plan.state.pods.every((p) => p.ipsAssumed === true)).toBe(true)
    // Not confined to the node's /24: nodes route each pod by its /32.
    expect(plan.topology.pods.some((p, i) => !p.ip.startsWith(`10.244.${i % 2}.`))).toBe(true)
  })

  it('keeps node and address of running pods when the lab changes', () => {
    const first = planTopology(four, { lab: 'l', nodeCount: 2 })
    const changed = cluster([ns('x')], [pod('x', '0', {}), ...four.pods.filter((p) => p.name !== 'b')])
    const second = planTopology(changed, { lab: 'l', nodeCount: 2, previous: first.topology })
    const where = (t: typeof first.topology): Record<string, string> => Object.fromEntries(t.pods.map((p) => [p.name, `${p.node} ${p.ip}`]))
    const a = where(first.topology)
    const b = where(second.topology)
    for (const n of ['a', 'c', 'd']) expect(b[n]).toBe(a[n])
    // The new pod fills the node that lost a pod.
    expect(b['0']).toBe('node-1 10.244.1.2')
    const d = diffTopology(first.topology, second.topology)
    expect(d.added.map((p) => p.name)).toEqual(['0'])
    expect(d.removed.map((p) => p.name)).toEqual(['b'])
  })

  it('does not run hostNetwork pods', () => {
    const s = cluster([ns('x')], [pod('x', 'a', {}), pod('x', 'h', {}, [], { hostNetwork: true })])
    const plan = planTopology(s, { lab: 'l', nodeCount: 2 })
    expect(plan.state.pods.map((p) => p.name)).toEqual(['a'])
    expect(plan.warnings[0]).toMatch(/hostNetwork/)
  })

  it('rejects fewer than two nodes', () => {
    expect(() => planTopology(four, { lab: 'l', nodeCount: 1 })).toThrow(/2 to 16 nodes/)
  })
})

describe('lab names', () => {
  it('recognises only its own lab namespaces, never a lab whose name extends it', () => {
    expect(isLabNetns('a', 'netpol-a-node-0')).toBe(true)
    expect(isLabNetns('a', 'netpol-a-fabric')).toBe(true)
    expect(isLabNetns('a', podNetnsName('a', '0123456789'))).toBe(true)
    expect(isLabNetns('a', 'netpol-a-b-node-0')).toBe(false)
    expect(isLabNetns('a', 'netpol-a-p-node-0')).toBe(false)
    expect(isLabNetns('a-p', 'netpol-a-p-0123456789')).toBe(false)
    expect(isLabNetns('a', 'netpol-ab-fabric')).toBe(false)
  })

  it('rejects lab names that could not be namespace names', () => {
    expect(() => validateLabName('Bad_Name')).toThrow(/invalid lab name/)
    expect(() => validateLabName('x'.repeat(25))).toThrow(/invalid lab name/)
    expect(validateLabName('ci-1')).toBe('ci-1')
  })
})

describe('ip scripts', () => {
  it('routes local pods via their veth and remote pods via their node, from inside the node', () => {
    const { topology } = planTopology(cluster([ns('x')], [pod('x', 'a', {}, [tcp(80)]), pod('x', 'b', {})]), { lab: 'l', nodeCount: 2 })
    const a = topology.pods[0]
    const text = nodeScript(topology, topology.nodes[0])
    expect(text).toContain(`link add ${a.veth} type veth peer name eth0 netns ${a.netns}`)
    expect(text).toContain(`route add ${a.ip}/32 dev ${a.veth}`)
    expect(text).toContain(`route add 10.244.1.2/32 via 172.31.255.2 dev eth0`)
    expect(podScript(a)).toContain(`route add default via ${POD_GATEWAY} dev eth0`)
  })
})

describe('diffTopology', () => {
  it('recreates a pod whose manifest now gives it another address', () => {
    const first = planTopology(cluster([ns('x')], [pod('x', 'a', {}, [], { ips: ['10.9.0.1'] }), pod('x', 'b', {})]), { lab: 'l', nodeCount: 2 })
    const next = planTopology(cluster([ns('x')], [pod('x', 'a', {}, [], { ips: ['10.9.0.2'] }), pod('x', 'b', {}, [tcp(80)])]), {
      lab: 'l',
      nodeCount: 2,
      previous: first.topology,
    })
    const d = diffTopology(first.topology, next.topology)
    expect(d.removed.map((p) => `${p.name} ${p.ip}`)).toEqual(['a 10.9.0.1'])
    expect(d.added.map((p) => `${p.name} ${p.ip}`)).toEqual(['a 10.9.0.2'])
    expect(d.portsChanged.map((p) => p.name)).toEqual(['b'])
  })
})

describe('removedPodLinesForNode', () => {
  it('deletes a leaving pod veth on its own node and its route on the others', () => {
    const { topology } = planTopology(cluster([ns('x')], [pod('x', 'a', {}), pod('x', 'b', {})]), { lab: 'l', nodeCount: 2 })
    const [a] = topology.pods
    expect(removedPodLinesForNode(topology.nodes[0], [a])).toEqual([`link del ${a.veth}`])
    expect(removedPodLinesForNode(topology.nodes[1], [a])).toEqual([`route del ${a.ip}/32 dev eth0`])
  })
})
