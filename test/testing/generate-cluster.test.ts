import { describe, it, expect } from 'vitest'
import { generateCluster, POD_CIDR, PODS_PER_NODE, SIZES } from '../../testing/generate-cluster.js'
import { cidrContainsIp, parseCidr, parseIp } from '../../src/model/cidr.js'
import { NAMESPACE_NAME_LABEL, qualifiedName } from '../../src/model/types.js'

const L = generateCluster(SIZES.L)

describe('generateCluster', () => {
  it('is deterministic: the same seed gives the same state', () => {
    const a = generateCluster({ ...SIZES.M, seed: 7 })
    const b = generateCluster({ ...SIZES.M, seed: 7 })
    expect(JSON.stringify(a)).toBe(JSON.stringify(b))
  })

  it('a different seed gives a different cluster', () => {
    const a = generateCluster({ ...SIZES.M, seed: 7 })
    const b = generateCluster({ ...SIZES.M, seed: 8 })
    expect(JSON.stringify(a.state)).not.toBe(JSON.stringify(b.state))
  })

  it.each(['S', 'M', 'L'] as const)('size %s has exactly the pods, namespaces and policies specified', (name) => {
    const { state } = name === 'L' ? L : generateCluster(SIZES[name])
    expect(state.pods).toHaveLength(SIZES[name].pods)
    expect(state.namespaces).toHaveLength(SIZES[name].namespaces)
    expect(state.policies).toHaveLength(SIZES[name].policies)
  })

  it('L is 10,000 pods in 500 namespaces with 2,000 policies', () => {
    expect(SIZES.L).toEqual({ pods: 10_000, namespaces: 500, policies: 2_000 })
  })

  it('names are unique and every pod and policy lives in a declared namespace', () => {
    const { state } = L
    const ns = new Set(state.namespaces.map((n) => n.name))
    expect(ns.size).toBe(state.namespaces.length)
    expect(new Set(state.pods.map(qualifiedName)).size).toBe(state.pods.length)
    expect(new Set(state.policies.map(qualifiedName)).size).toBe(state.policies.length)
    for (const p of state.pods) expect(ns.has(p.namespace)).toBe(true)
    for (const p of state.policies) expect(ns.has(p.namespace)).toBe(true)
  })

  it('application namespaces carry team and env labels and the automatic name label', () => {
    const apps = L.state.namespaces.filter((n) => !['kube-system', 'monitoring', 'ingress-nginx'].includes(n.name))
    expect(apps.length).toBe(497)
    for (const n of apps) {
      expect(n.labels[NAMESPACE_NAME_LABEL]).toBe(n.name)
      expect(n.labels.team).toMatch(/^[a-z]+$/)
      expect(['prod', 'staging', 'dev']).toContain(n.labels.env)
    }
    expect(new Set(apps.map((n) => n.labels.team)).size).toBeGreaterThan(10)
  })

  it('pods come from Deployments and StatefulSets with replicas, carry app/tier/version and named ports', () => {
    const { state, workloads } = L
    expect(workloads.reduce((n, w) => n + w.replicas, 0)).toBe(state.pods.length)
    expect(workloads.some((w) => w.kind === 'StatefulSet' && w.replicas > 1)).toBe(true)
    expect(workloads.some((w) => w.kind === 'Deployment' && w.replicas > 3)).toBe(true)
    const bad = state.pods.filter((p) => {
      if (!p.owner || !p.name.startsWith(`${p.owner.name}-`) || p.containerPorts.length === 0) return true
      if (['kube-system', 'monitoring', 'ingress-nginx'].includes(p.namespace)) return false
      return Object.keys(p.labels).sort().join() !== 'app,tier,version' || !p.containerPorts.every((c) => typeof c.name === 'string')
    })
    expect(bad.map(qualifiedName)).toEqual([])
  })

  it('packs about 110 pods per node with unique IPs from the node /24 of the pod CIDR', () => {
    const { state, nodes } = L
    const cidr = parseCidr(POD_CIDR)
    if (!cidr.ok) throw new Error(cidr.error)
    const ips = new Set<string>()
    const perNode = new Map<string, number>()
    const nodeCidrs = new Map(nodes.map((n) => [n.name, parseCidr(n.podCIDR)]))
    const outside: string[] = []
    for (const p of state.pods) {
      ips.add(p.ips[0])
      perNode.set(p.nodeName!, (perNode.get(p.nodeName!) ?? 0) + 1)
      const ip = parseIp(p.ips[0])!
      const nodeCidr = nodeCidrs.get(p.nodeName!)
      if (p.ips.length !== 1 || !cidrContainsIp(cidr.cidr, ip) || !nodeCidr?.ok || !cidrContainsIp(nodeCidr.cidr, ip)) outside.push(qualifiedName(p))
    }
    expect(outside).toEqual([])
    expect(ips.size).toBe(state.pods.length)
    expect(nodes).toHaveLength(Math.ceil(10_000 / PODS_PER_NODE))
    expect(Math.max(...perNode.values())).toBe(PODS_PER_NODE)
    expect(nodes.map((n) => n.podCount)).toEqual([...perNode.entries()].sort().map(([, c]) => c))
  })

  it('writes the common policy shapes', () => {
    const ps = L.state.policies
    // default deny (ingress, and all)
    expect(
      ps.some(
        (p) =>
          p.podSelector.matchExpressions.length === 0 &&
          Object.keys(p.podSelector.matchLabels).length === 0 &&
          p.ingress.length === 0 &&
          p.policyTypes.includes('Ingress'),
      ),
    ).toBe(true)
    expect(ps.some((p) => p.ingress.length === 0 && p.egress.length === 0 && p.policyTypes.length === 2)).toBe(true)
    // DNS egress to kube-system on UDP 53
    expect(
      ps.some((p) =>
        p.egress.some(
          (r) =>
            r.ports.some((x) => x.port === 53 && x.protocol === 'UDP') &&
            r.to.some((t) => t.namespaceSelector?.matchLabels[NAMESPACE_NAME_LABEL] === 'kube-system'),
        ),
      ),
    ).toBe(true)
    // allow from a namespace, tiered apps, named ports
    expect(ps.some((p) => p.ingress.some((r) => r.from.some((f) => f.namespaceSelector && !f.podSelector)))).toBe(true)
    expect(ps.some((p) => p.podSelector.matchLabels.app === 'db' && p.ingress.some((r) => r.from.some((f) => f.podSelector && !f.namespaceSelector)))).toBe(
      true,
    )
    expect(ps.some((p) => p.ingress.some((r) => r.ports.some((x) => typeof x.port === 'string')))).toBe(true)
    // ipBlock with except, endPort ranges, matchExpressions
    expect(ps.some((p) => [...p.ingress.flatMap((r) => r.from), ...p.egress.flatMap((r) => r.to)].some((f) => (f.ipBlock?.except.length ?? 0) > 0))).toBe(true)
    expect(ps.some((p) => p.ingress.some((r) => r.ports.some((x) => x.endPort !== undefined && typeof x.port === 'number' && x.endPort > x.port)))).toBe(true)
    const ops = new Set(
      ps
        .flatMap((p) => [p.podSelector, ...p.ingress.flatMap((r) => r.from.flatMap((f) => [f.podSelector, f.namespaceSelector]))])
        .flatMap((s) => s?.matchExpressions.map((e) => e.operator) ?? []),
    )
    expect([...ops].sort()).toEqual(['Exists', 'In', 'NotIn'])
  })

  it('ipBlocks over the pod CIDR match some pods and leave the excepted nodes out', () => {
    const blocks = L.state.policies.flatMap((p) => p.ingress.flatMap((r) => r.from)).flatMap((f) => (f.ipBlock?.cidr === POD_CIDR ? [f.ipBlock] : []))
    expect(blocks.length).toBeGreaterThan(10)
    const block = blocks[0]
    const inside = (cidrText: string, ip: string): boolean => {
      const c = parseCidr(cidrText)
      if (!c.ok) throw new Error(c.error)
      return cidrContainsIp(c.cidr, parseIp(ip)!)
    }
    const excluded = L.state.pods.filter((p) => block.except.some((e) => inside(e, p.ips[0])))
    expect(excluded.length).toBeGreaterThan(0)
    expect(excluded.length).toBeLessThan(L.state.pods.length / 10)
  })

  it('rejects sizes it cannot build', () => {
    expect(() => generateCluster({ pods: 10, namespaces: 3, policies: 0 })).toThrow(/namespaces/)
    expect(() => generateCluster({ pods: 10, namespaces: 10, policies: 0 })).toThrow(/too few/)
    expect(() => generateCluster({ pods: 40_000, namespaces: 100, policies: 0 })).toThrow(/nodes/)
  })
})
