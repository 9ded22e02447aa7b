import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileRuleset } from '../../src/dataplane/compile-ruleset.js'
import { parseNftScript, type NftRuleset } from '../../src/dataplane/nft-interpreter.js'
import { simulateConnection } from '../../src/dataplane/simulate-connection.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import type { Endpoint, TierVerdict, Traffic } from '../../src/engine/verdict.js'
import type { ClusterState, Pod } from '../../src/model/types.js'
import { buildState } from '../cases/build-state.js'
import { trafficOf } from '../cases/resolve-endpoint.js'
import type { ReachabilityCase } from '../cases/case-types.js'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { loadManifests } from '../../src/cluster/load-manifests.js'
import { clusterArb, EXTERNAL_IPS, groupedClusterArb, PROBES, tieredClusterArb } from './dataplane-cluster-arbitrary.js'
import { CNP_CONFORMANCE } from '../cases/cnp-conformance-table.js'
import { conformanceProbes } from '../cases/cnp-conformance-model.js'
import { PRIORITY_GROUP_PORTS, priorityGroupState } from './priority-group-fixture.js'

/** Every shared case table (test/cases/*-cases.ts), so new tables run through the data plane too. */
const caseTables: { file: string; cases: readonly ReachabilityCase[] }[] = []
for (const file of readdirSync(new URL('../cases/', import.meta.url))
  .filter((f) => f.endsWith('-cases.ts'))
  .sort()) {
  // The static `-cases.ts` suffix lets Vite resolve the variable import (no "invalid import" warning).
  const mod = (await import(`../cases/${file.slice(0, -'-cases.ts'.length)}-cases.ts`)) as Record<string, unknown>
  const cases = Object.values(mod).filter(
    (v): v is readonly ReachabilityCase[] => Array.isArray(v) && v.every((c) => typeof c === 'object' && c !== null && 'manifests' in c && 'expect' in c),
  )
  caseTables.push({ file, cases: cases.flat() })
}

/** Compiles one ruleset per node and parses it with the pure interpreter. */
function compileCluster(state: ClusterState): Map<string, NftRuleset> {
  const nodes = [...new Set(state.pods.map((p) => p.nodeName).filter((n): n is string => n !== undefined))].sort()
  return new Map(nodes.map((node) => [node, parseNftScript(compileRuleset(state, { nodeName: node }).script)]))
}

/**
 * Node-originated traffic to a pod on the same node is never filtered (kubelet probes; docs/dataplane.md),
 * and the evaluators allow it too (the API reference: traffic from the pod's local node).
 */
function isNodeLocalHostTraffic(t: Traffic): boolean {
  return t.from.kind === 'pod' && t.from.pod.hostNetwork && t.to.kind === 'pod' && t.from.pod.nodeName === t.to.pod.nodeName
}

function placeOnNodes(state: ClusterState, layout: 'one-node' | 'two-nodes'): ClusterState {
  return {
    ...state,
    pods: state.pods.map((p, i) => ({ ...p, nodeName: layout === 'one-node' ? 'n1' : i % 2 === 0 ? 'n1' : 'n2' })),
  }
}

describe('compiled ruleset + nft interpreter agree with the reference evaluator', () => {
  it('finds the shared case tables', () => {
    expect(caseTables.map((t) => t.file)).toContain('semantics-cases.ts')
    for (const t of caseTables) expect(t.cases.length, t.file).toBeGreaterThan(0)
  })

  for (const layout of ['one-node', 'two-nodes'] as const) {
    describe(`shared case tables, ${layout}`, () => {
      for (const c of caseTables.flatMap((t) => t.cases)) {
        it(c.name, () => {
          const state = placeOnNodes(buildState(c.manifests), layout)
          const rulesets = compileCluster(state)
          for (const x of c.expect) {
            const t = trafficOf(state, x)
            const sim = simulateConnection(rulesets, t)
            const label = `${x.from} -> ${x.to} ${x.port}/${x.protocol}`
            // The case's expectation holds where it placed the pods; moved onto other nodes, the evaluators decide.
            if (isNodeLocalHostTraffic(t)) {
              expect(sim.allowed, label).toBe(true)
              expect(referenceEvaluator(state).isAllowed(t), label).toBe(true)
            } else if (t.from.kind === 'pod' && t.from.pod.hostNetwork) expect(sim.allowed, label).toBe(referenceEvaluator(state).isAllowed(t))
            else expect(sim.allowed, label).toBe(x.allowed)
          }
        })
      }
    })
  }

  for (const layout of ['one-node', 'two-nodes'] as const) {
    describe(`upstream ClusterNetworkPolicy conformance (v1alpha2), ${layout}`, () => {
      for (const test of CNP_CONFORMANCE) {
        it(test.shortName, () => {
          const wrong: string[] = []
          const placed = new Map<ClusterState, { state: ClusterState; rulesets: Map<string, NftRuleset> }>()
          for (const probe of conformanceProbes(test)) {
            let p = placed.get(probe.state)
            if (!p) {
              const state = placeOnNodes(probe.state, layout)
              p = { state, rulesets: compileCluster(state) }
              placed.set(probe.state, p)
            }
            const pod = (e: { pod: Pod }): Pod => p.state.pods.find((x) => x.namespace === e.pod.namespace && x.name === e.pod.name)!
            const t: Traffic = { ...probe.traffic, from: { kind: 'pod', pod: pod(probe.traffic.from) }, to: { kind: 'pod', pod: pod(probe.traffic.to) } }
            const sim = simulateConnection(p.rulesets, t).allowed
            const reference = referenceEvaluator(p.state).isAllowed(t)
            if (sim !== reference) wrong.push(`dataplane ${sim}, reference ${reference}: ${probe.label}`)
            // Moved onto one node, a hostNetwork pod's connection to a pod there is node traffic (always allowed).
            else if (!isNodeLocalHostTraffic(t) && sim !== (probe.want === 'allowed')) wrong.push(`dataplane ${sim}: ${probe.label}`)
          }
          expect(wrong).toEqual([])
        })
      }
    })
  }

  describe('bundled examples (real loader), pods spread over two nodes, every pair and declared port', () => {
    const examples = readdirSync('examples', { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
    for (const example of examples) {
      it(example, async () => {
        const { state: loaded } = await loadManifests([join('examples', example)])
        // Offline manifests may lack pod IPs: give each pod one, like the lab does.
        const state: ClusterState = {
          ...loaded,
          pods: loaded.pods.map((p, i) => ({
            ...p,
            ips: p.ips.length > 0 ? p.ips : [`10.244.${Math.floor(i / 200)}.${(i % 200) + 2}`],
            nodeName: i % 2 === 0 ? 'n1' : 'n2',
          })),
        }
        const rulesets = compileCluster(state)
        const reference = referenceEvaluator(state)
        const ports = [
          ...new Map(
            state.pods.flatMap((p) => p.containerPorts).map((c) => [`${c.containerPort}/${c.protocol}`, { port: c.containerPort, protocol: c.protocol }]),
          ).values(),
        ]
        expect(ports.length).toBeGreaterThan(0)
        let compared = 0
        for (const a of state.pods) {
          for (const b of state.pods) {
            for (const { port, protocol } of ports) {
              const t: Traffic = { from: { kind: 'pod', pod: a }, to: { kind: 'pod', pod: b }, port, protocol }
              expect(simulateConnection(rulesets, t).allowed, `${a.namespace}/${a.name} -> ${b.namespace}/${b.name} ${port}/${protocol}`).toBe(
                reference.isAllowed(t),
              )
              compared++
            }
          }
        }
        expect(compared).toBeGreaterThan(0)
      })
    }
  })

  it('on generated clusters, the same state in any order compiles to byte-identical text (fast-check)', () => {
    fc.assert(
      fc.property(clusterArb, fc.integer({ min: 1, max: 1000 }), (state, seed) => {
        const rotate = <T>(xs: readonly T[]): T[] => xs.map((_, i) => xs[(i + seed) % xs.length])
        const shuffled: ClusterState = { namespaces: rotate(state.namespaces).reverse(), pods: rotate(state.pods), policies: rotate(state.policies).reverse() }
        for (const node of ['n1', 'n2']) expect(compileRuleset(shuffled, { nodeName: node }).script).toBe(compileRuleset(state, { nodeName: node }).script)
      }),
      { numRuns: 100 },
    )
  })

  it('on generated clusters, every pair and port (fast-check)', () => {
    fc.assert(fc.property(clusterArb, expectCompiledEqualsReference), { numRuns: 150 })
  })

  it('on generated clusters with ClusterNetworkPolicies of both tiers (every peer kind, action and shared priorities), every pair and port (fast-check)', () => {
    fc.assert(fc.property(tieredClusterArb, expectCompiledEqualsReference), { numRuns: 250 })
  })

  it("a priority group of any size gives the engine's verdicts and stays within the kernel's jump depth (the interpreter refuses 16 levels, as nft does)", () => {
    for (const k of [2, 3, 13, 14, 40]) {
      const state = priorityGroupState(k)
      const { script } = compileRuleset(state, { nodeName: 'n1' })
      const rulesets = new Map([['n1', parseNftScript(script)]])
      const reference = referenceEvaluator(state)
      const [a, b] = ['a', 'b'].map((name): Endpoint => ({ kind: 'pod', pod: state.pods.find((p) => p.name === name)! }))
      const verdicts = new Set<boolean>()
      for (const from of [a!, { kind: 'ip' as const, ip: '192.0.2.7' }]) {
        for (const port of PRIORITY_GROUP_PORTS(k)) {
          const t: Traffic = { from, to: b!, port, protocol: 'TCP' }
          const expected = reference.isAllowed(t)
          verdicts.add(expected)
          expect(simulateConnection(rulesets, t).allowed, `k ${k}, port ${port}`).toBe(expected)
        }
      }
      expect([...verdicts].sort()).toEqual([false, true])
    }
  })

  it("on generated clusters with priority groups of up to 24 policies (dual-stack pods, Node objects), on each address family: the engine's verdicts; every rule counted once at most and only where the engine matched it, every first match of a group that agreed counted, a conflict counted and logged only where the engine says undefined (fast-check)", () => {
    fc.assert(fc.property(groupedClusterArb, expectGroupsAsTheEngine), { numRuns: Number(process.env.GROUP_RUNS ?? 40) })
  })

  it('the same state with ClusterNetworkPolicies in any order compiles to byte-identical text (fast-check)', () => {
    fc.assert(
      fc.property(tieredClusterArb, fc.integer({ min: 1, max: 1000 }), (state, seed) => {
        const rotate = <T>(xs: readonly T[]): T[] => xs.map((_, i) => xs[(i + seed) % xs.length])
        const shuffled: ClusterState = { ...state, pods: rotate(state.pods), clusterNetworkPolicies: rotate(state.clusterNetworkPolicies ?? []).reverse() }
        for (const node of ['n1', 'n2']) expect(compileRuleset(shuffled, { nodeName: node }).script).toBe(compileRuleset(state, { nodeName: node }).script)
      }),
      { numRuns: 100 },
    )
  })
})

/** Compiled rulesets through the interpreter, on every pair of endpoints (pods and outside addresses) and probe port, against the reference. */
function expectCompiledEqualsReference(state: ClusterState): void {
  const rulesets = compileCluster(state)
  const reference = referenceEvaluator(state)
  const endpoints: Endpoint[] = [...state.pods.map((pod) => ({ kind: 'pod' as const, pod })), ...EXTERNAL_IPS.map((ip) => ({ kind: 'ip' as const, ip }))]
  for (const from of endpoints) {
    for (const to of endpoints) {
      for (const { port, protocol } of PROBES) {
        const t: Traffic = { from, to, port, protocol }
        const sim = simulateConnection(rulesets, t)
        if (sim.note === 'the endpoints share no IP family') continue
        const expected = reference.isAllowed(t)
        if (sim.allowed !== expected) {
          const name = (e: Endpoint): string => (e.kind === 'pod' ? `${e.pod.namespace}/${e.pod.name}` : e.ip)
          throw new Error(`${name(from)} -> ${name(to)} ${port}/${protocol}: dataplane ${sim.allowed}, reference ${expected}`)
        }
      }
    }
  }
}

/**
 * expectCompiledEqualsReference on each address family of the endpoints (a dual-stack pod is
 * probed with each of its addresses; the engine has no family), and what the interpreter counted
 * against the engine's tier matches (TierVerdict.matches: each policy's first match, per priority,
 * up to the one that decided): a named counter counts a connection once at most; a rule counter
 * only for a rule the engine matched (for certain or possibly) on that side and tier; where a
 * tier's group agreed on Accept or Pass with nothing possible, each of its first matches exactly;
 * a conflict counter only where the engine says `undefined`, with the conflict's log prefix; a
 * group that disagreed and was reached counts the conflict, or only its Deny when that came first.
 */
function expectGroupsAsTheEngine(state: ClusterState): void {
  const nodes = [...new Set(state.pods.map((p) => p.nodeName).filter((n): n is string => n !== undefined))].sort()
  const compiled = nodes.map((node) => compileRuleset(state, { nodeName: node }))
  const rulesets = new Map(nodes.map((node, i) => [node, parseNftScript(compiled[i]!.script)]))
  const rules = new Map(compiled.flatMap((c) => c.index.clusterRuleCounters.map((r) => [r.name, r] as const)))
  const conflicts = new Map(compiled.flatMap((c) => c.index.clusterConflictCounters.map((r) => [r.name, r] as const)))
  const reference = referenceEvaluator(state)
  const endpoints: Endpoint[] = [...state.pods.map((pod) => ({ kind: 'pod' as const, pod })), ...EXTERNAL_IPS.map((ip) => ({ kind: 'ip' as const, ip }))]
  const name = (e: Endpoint): string => (e.kind === 'pod' ? `${e.pod.namespace}/${e.pod.name}` : e.ip)
  const inFamily = (e: Endpoint, v6: boolean): Endpoint | undefined => {
    if (e.kind === 'ip') return e.ip.includes(':') === v6 ? e : undefined
    const ips = e.pod.ips.filter((ip) => ip.includes(':') === v6)
    return ips.length === 0 ? undefined : { kind: 'pod', pod: { ...e.pod, ips } }
  }
  for (const from of endpoints) {
    for (const to of endpoints) {
      for (const v6 of [false, true]) {
        const f = inFamily(from, v6)
        const g = inFamily(to, v6)
        if (!f || !g) continue
        for (const { port, protocol } of PROBES) {
          const label = `${name(from)} -> ${name(to)} ${port}/${protocol} IPv${v6 ? 6 : 4}`
          const sim = simulateConnection(rulesets, { from: f, to: g, port, protocol })
          const verdict = reference.evaluate({ from, to, port, protocol })
          expect(sim.allowed, label).toBe(verdict.allowed)
          const counted = sim.visits.flatMap((v) => v.result.counters).filter((c) => !c.includes('#'))
          const logs = sim.visits.flatMap((v) => v.result.logs.map((l) => l.prefix))
          expect(new Set(counted).size, `${label}: counted twice in ${counted.join(' ')}`).toBe(counted.length)
          for (const side of ['egress', 'ingress'] as const) {
            const tiers = verdict[side].tiers
            for (const tier of ['Admin', 'Baseline'] as const) {
              const tv: TierVerdict | undefined = tier === 'Admin' ? tiers?.admin : tiers?.baseline
              const matched = new Set((tv?.matches ?? []).map((m) => `${m.policy.name}[${m.ruleIndex}]`))
              const mine = counted.flatMap((c) => {
                const r = rules.get(c)
                return r?.side === side && r.tier === tier ? [`${r.policy}[${r.ruleIndex}]`] : []
              })
              for (const m of mine) expect(matched.has(m), `${label}: ${side} ${tier} counted ${m}, the engine matched ${[...matched].join(' ')}`).toBe(true)
              const conflicted = counted.some((c) => conflicts.get(c)?.side === side && conflicts.get(c)?.tier === tier)
              if (conflicted) {
                expect(tv?.result, `${label}: ${side} ${tier} conflict`).toBe('undefined')
                const prefix = `netpol deny ${side} ${tier.toLowerCase()} priority `
                expect(
                  logs.some((l) => l.startsWith(prefix) && l.endsWith(' conflict: ')),
                  `${label}: ${logs.join(' | ')}`,
                ).toBe(true)
              }
              // A group that disagreed and was reached: a Deny met first drops alone, anything else is the conflict.
              if (tv?.result === 'undefined' && tv.matches.every((m) => m.maybe === undefined) && mine.length > 0) {
                const first = tv.matches[0]!
                if (first.action === 'Deny') expect(mine, `${label}: ${side} ${tier}`).toEqual([`${first.policy.name}[${first.ruleIndex}]`])
                expect(conflicted, `${label}: ${side} ${tier} conflict`).toBe(first.action !== 'Deny')
              }
              if (sim.allowed && sim.visits.length > 0 && (tv?.result === 'Accept' || tv?.result === 'Pass') && tv.matches.every((m) => m.maybe === undefined))
                expect(new Set(mine), `${label}: ${side} ${tier}`).toEqual(matched)
            }
          }
        }
      }
    }
  }
}
