import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compileRuleset } from '../../src/dataplane/compile-ruleset.js'
import { applyRuleset } from '../../src/dataplane/nft.js'
import { parseNftScript, runHook, type Packet } from '../../src/dataplane/nft-interpreter.js'
import { parseIp } from '../../src/model/cidr.js'
import type { ClusterState, NetworkPolicy, Pod } from '../../src/model/types.js'
import { buildState } from '../cases/build-state.js'
import { semanticsCases } from '../cases/semantics-cases.js'

const run = promisify(execFile)
const src = { file: 't.yaml', line: 1 }

function pod(namespace: string, name: string, labels: Record<string, string>, ip: string, nodeName = 'n1', extra: Partial<Pod> = {}): Pod {
  return { namespace, name, labels, ips: [ip], containerPorts: [], hostNetwork: false, nodeName, source: src, ...extra }
}

/** A policy selecting `app=<target>` that allows ingress from `app=<from>` on 80/TCP. */
function allowPolicy(namespace: string, name: string, target: string, from: string): NetworkPolicy {
  return {
    namespace,
    name,
    podSelector: { matchLabels: { app: target }, matchExpressions: [] },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [
      {
        from: [{ podSelector: { matchLabels: { app: from }, matchExpressions: [] }, source: src }],
        ports: [{ protocol: 'TCP', port: 80, source: src }],
        source: src,
      },
    ],
    egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: [`10.9.${name.length % 200}.0/24`] }, source: src }], ports: [], source: src }],
    source: src,
  }
}

/** Client and server (optionally selected by one policy) plus `others` policies each selecting a different pod of the node. */
function benchState(others: number, serverSelected: boolean): ClusterState {
  const pods: Pod[] = [pod('x', 'client', { app: 'client' }, '10.1.0.1'), pod('x', 'server', { app: 'server' }, '10.1.0.2')]
  const policies: NetworkPolicy[] = serverSelected ? [allowPolicy('x', 'server-allow', 'server', 'client')] : []
  for (let i = 0; i < others; i++) {
    pods.push(pod('y', `other-${i}`, { app: `other-${i}` }, `10.2.${Math.floor(i / 250)}.${(i % 250) + 1}`))
    policies.push(allowPolicy('y', `other-${i}`, `other-${i}`, `other-${(i + 1) % others}`))
  }
  return { namespaces: [], pods, policies }
}

function tcp(saddr: string, daddr: string, dport: number): Packet {
  return { family: 4, saddr: parseIp(saddr)!.value, daddr: parseIp(daddr)!.value, l4proto: 6, sport: 40000, dport, ctState: 'new' }
}

describe('compileRuleset', () => {
  it('is deterministic: the same state in any order gives byte-identical text', () => {
    const state = benchState(50, true)
    const a = compileRuleset(state, { nodeName: 'n1' }).script
    const shuffled: ClusterState = { namespaces: [...state.namespaces].reverse(), pods: [...state.pods].reverse(), policies: [...state.policies].reverse() }
    expect(compileRuleset(shuffled, { nodeName: 'n1' }).script).toBe(a)
    expect(compileRuleset(state, { nodeName: 'n1' }).script).toBe(a)
  })

  it('replaces its own table in one script: add, delete, then the full table', () => {
    const text = compileRuleset(benchState(0, true), { nodeName: 'n1', tableName: 'np_test' }).script
    const commands = text.split('\n').filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('\t') && l !== '}')
    expect(commands).toEqual(['add table inet np_test', 'delete table inet np_test', 'table inet np_test {'])
  })

  it('dispatches by pod IP: a connection to an unselected pod visits no policy chain, whatever the number of policies', () => {
    const costs = [0, 100, 5000].map((n) => {
      const rs = parseNftScript(compileRuleset(benchState(n, false), { nodeName: 'n1' }).script)
      const r = runHook(rs, 'forward', tcp('10.1.0.1', '10.1.0.2', 80))
      expect(r.verdict).toBe('accept')
      expect(r.visited).toEqual(['egress', 'ingress'])
      return r.rulesEvaluated
    })
    expect(new Set(costs).size).toBe(1)
  })

  it('a selected pod visits only its own pod chain and its own policies, whatever the number of other policies', () => {
    const costs = [0, 100, 5000].map((n) => {
      const rs = parseNftScript(compileRuleset(benchState(n, true), { nodeName: 'n1' }).script)
      const allowed = runHook(rs, 'forward', tcp('10.1.0.1', '10.1.0.2', 80))
      expect(allowed.verdict).toBe('accept')
      // egress (client not isolated for egress), ingress, the server's pod chain, its one policy chain.
      expect(allowed.visited).toEqual(['egress', 'ingress', expect.stringMatching(/^in_x_server_/), expect.stringMatching(/^pol_in_x_server_allow_/)])
      const denied = runHook(rs, 'forward', tcp('10.1.0.1', '10.1.0.2', 81))
      expect(denied.verdict).toBe('drop')
      return [allowed.rulesEvaluated, denied.rulesEvaluated]
    })
    expect(costs[1]).toEqual(costs[0])
    expect(costs[2]).toEqual(costs[0])
  })

  it('enforces only pods of its node, never hostNetwork pods', () => {
    const state: ClusterState = {
      namespaces: [],
      pods: [
        pod('x', 'here', { app: 'server' }, '10.1.0.2', 'n1'),
        pod('x', 'there', { app: 'server' }, '10.1.0.3', 'n2'),
        pod('x', 'host', { app: 'server' }, '192.168.0.1', 'n1', { hostNetwork: true }),
      ],
      policies: [allowPolicy('x', 'p', 'server', 'client')],
    }
    const text = compileRuleset(state, { nodeName: 'n1' }).script
    expect(text).toMatch(/10\.1\.0\.2 : goto in_x_here_/)
    expect(text).not.toMatch(/10\.1\.0\.3 :/)
    expect(text).not.toMatch(/192\.168\.0\.1 :/)
    expect(compileRuleset(state, { nodeName: 'n1' }).index.denyCounters.map((c) => c.pod)).toEqual(['here', 'here'])
  })

  it('emits identical sets once and keeps every name within nft limits', () => {
    const long = 'a'.repeat(63)
    const state: ClusterState = {
      namespaces: [],
      pods: [
        pod(long, `${long}.${long}.${long}`, { app: 'server' }, '10.1.0.2'),
        pod(long, 'c1', { app: 'client' }, '10.1.0.7'),
        pod(long, 'c2', { app: 'client' }, '10.1.0.9'),
      ],
      policies: [allowPolicy(long, `${long}.x`, 'server', 'client'), allowPolicy(long, `${long}.y`, 'server', 'client')],
    }
    const text = compileRuleset(state, { nodeName: 'n1' }).script
    const names = [...text.matchAll(/^\t(?:chain|set|map|counter) (\S+) \{/gm)].map((m) => m[1])
    expect(names.length).toBeGreaterThan(5)
    for (const n of names) expect(n).toMatch(/^[a-z0-9_]{1,64}$/)
    expect(new Set(names).size).toBe(names.length)
    // Both policies have the same peers and ports: one peer set, one port set, one jump (the second cannot allow more).
    expect(names.filter((n) => n.startsWith('peer4_'))).toHaveLength(2) // ingress peers, egress ipBlock: shared by both policies
    // A one-element match is a plain comparison, no set: `meta l4proto tcp th dport 80`.
    expect(names.filter((n) => n.startsWith('port_'))).toHaveLength(0)
    expect(text).toMatch(/ip saddr @peer4_\S+ meta l4proto tcp th dport 80 counter name/)
    expect(text.match(/\tjump pol_in_/g)).toHaveLength(1)
  })

  it('puts pod-only peers in a plain set, one element per address; peers with an ipBlock in a merged interval set', () => {
    // Adjacent addresses: 10.1.0.7-10.1.0.9 would merge into one range in an interval set.
    const clients = ['10.1.0.7', '10.1.0.8', '10.1.0.9', '10.1.0.9'].map((ip, i) => pod('x', `c${i}`, { app: 'client' }, ip))
    const policy = allowPolicy('x', 'p', 'server', 'client')
    const withBlock: NetworkPolicy = {
      ...policy,
      name: 'q',
      ingress: [{ ...policy.ingress[0], from: [...policy.ingress[0].from, { ipBlock: { cidr: '10.1.0.20/31', except: [] }, source: src }] }],
    }
    const state: ClusterState = { namespaces: [], pods: [pod('x', 'server', { app: 'server' }, '10.1.0.2'), ...clients], policies: [policy, withBlock] }
    const text = compileRuleset(state, { nodeName: 'n1' }).script
    const sets = [...text.matchAll(/^	set (peer4_\w+) \{\n((?:\t\t.*\n)*?)\t\}/gm)].map((m) => m[2])
    // Two pods claiming 10.1.0.9 give one element (a plain set refuses a duplicate).
    expect(sets).toContain('\t\ttype ipv4_addr\n\t\telements = { 10.1.0.7, 10.1.0.8, 10.1.0.9 }\n')
    expect(sets).toContain('\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 10.1.0.7-10.1.0.9, 10.1.0.20/31 }\n')
  })

  it('handles IPv6 pods, ipBlock except and named ports resolved per destination pod', () => {
    const state = buildState(`
apiVersion: v1
kind: Pod
metadata: {name: web1, namespace: x, labels: {app: web}}
spec: {containers: [{ports: [{name: http, containerPort: 8080}]}]}
status: {podIPs: [{ip: "fd00::1"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web2, namespace: x, labels: {app: web}}
spec: {containers: [{ports: [{name: http, containerPort: 9090}]}]}
status: {podIPs: [{ip: "fd00::2"}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: x}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{ipBlock: {cidr: "fd00::/64", except: ["fd00::/126"]}}]
    ports: [{port: http}]
`)
    const placed = { ...state, pods: state.pods.map((p) => ({ ...p, nodeName: 'n1' })) }
    const rs = parseNftScript(compileRuleset(placed, { nodeName: 'n1' }).script)
    const v6 = (s: string, d: string, port: number): Packet => ({
      family: 6,
      saddr: parseIp(s)!.value,
      daddr: parseIp(d)!.value,
      l4proto: 6,
      sport: 40000,
      dport: port,
      ctState: 'new',
    })
    expect(runHook(rs, 'forward', v6('fd00::10', 'fd00::1', 8080)).verdict).toBe('accept')
    expect(runHook(rs, 'forward', v6('fd00::10', 'fd00::1', 9090)).verdict).toBe('drop')
    expect(runHook(rs, 'forward', v6('fd00::10', 'fd00::2', 9090)).verdict).toBe('accept')
    expect(runHook(rs, 'forward', v6('fd00::3', 'fd00::2', 9090)).verdict).toBe('drop') // in the except
    // Replies and ICMP errors of allowed connections pass by conntrack.
    expect(runHook(rs, 'forward', { ...v6('fd00::3', 'fd00::2', 9090), ctState: 'established' }).verdict).toBe('accept')
    const denied = runHook(rs, 'forward', v6('fd00::3', 'fd00::2', 9090))
    expect(denied.setAdds.map((a) => a.set)).toEqual(['denied_in_v6'])
    expect(denied.logs[0].prefix).toBe('netpol deny ingress x/web2: ')
  })
})

describe('compiled rulesets are accepted by the real nft', () => {
  const netns = `netpol-dp-${process.pid}-${randomBytes(4).toString('hex')}-check`
  beforeAll(async () => {
    await run('ip', ['netns', 'add', netns])
  })
  afterAll(async () => {
    await run('ip', ['netns', 'del', netns]).catch(() => undefined)
  })

  it('every semantics case, per node, passes nft --check', async () => {
    for (const c of semanticsCases) {
      const state = buildState(c.manifests)
      const placed = { ...state, pods: state.pods.map((p, i) => ({ ...p, nodeName: i % 2 === 0 ? 'n1' : 'n2' })) }
      for (const node of ['n1', 'n2']) await applyRuleset(compileRuleset(placed, { nodeName: node }).script, { netns, check: true })
    }
  })

  it('a ruleset with 5,000 policies applies for real', async () => {
    await applyRuleset(compileRuleset(benchState(5000, true), { nodeName: 'n1' }).script, { netns })
    const { stdout } = await run('ip', ['netns', 'exec', netns, 'nft', '-t', 'list', 'table', 'inet', 'netpol'], { maxBuffer: 64 * 1024 * 1024 })
    expect(stdout.match(/\tchain pol_in_/g)?.length).toBe(5001)
  })
})

describe('compileRuleset returns the script and its index from one plan', () => {
  it('the index names exactly the counters and deny-log sets the script declares', () => {
    for (const [state, options] of [
      [benchState(30, true), { nodeName: 'n1' }],
      [benchState(0, true), { nodeName: 'n1', tableName: 'np_other' }],
    ] as const) {
      const { script, index } = compileRuleset(state, options)
      expect(index.tableName).toBe(options.tableName ?? 'netpol')
      expect(index.allowCounters.length).toBeGreaterThan(0)
      expect(index.denyCounters.length).toBeGreaterThan(0)
      const declared = (kind: string): string[] => [...script.matchAll(new RegExp(`^\\t${kind} (\\S+) \\{$`, 'gm'))].map((m) => m[1]).sort()
      expect([...index.allowCounters, ...index.denyCounters].map((c) => c.name).sort()).toEqual(declared('counter'))
      for (const c of index.allowCounters) expect(script).toContain(`comment "allowed ${c.side} by ${c.namespace}/${c.policy}"`)
      for (const c of index.denyCounters) expect(script).toContain(`comment "denied ${c.side} of ${c.namespace}/${c.pod}"`)
      expect(index.denySets.map((s) => s.name).sort()).toEqual(declared('set').filter((n) => n.startsWith('denied_')))
    }
  })
})
