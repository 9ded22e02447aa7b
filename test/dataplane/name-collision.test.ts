import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTopology, firstLine, SERVER_SOURCE, type Topology } from '../../testing/dataplane-topology.js'
import { compileRuleset } from '../../src/dataplane/compile-ruleset.js'
import { applyRuleset, readPolicyCounters } from '../../src/dataplane/nft.js'
import { parseNftScript } from '../../src/dataplane/nft-interpreter.js'
import { simulateConnection } from '../../src/dataplane/simulate-connection.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import type { Traffic } from '../../src/engine/verdict.js'
import type { ClusterState, Pod } from '../../src/model/types.js'
import { buildState } from '../cases/build-state.js'
import { COLLIDING_POLICY_NAMES } from '../cases/name-collision-cases.js'
import { tcpProbe } from './netns-probe.js'

/**
 * Two valid policy names whose `default/<name>` share the first 40 bits of SHA-256 AND whose
 * readable part is the same once cut short — so netpol 0.1.0 gave both policies the same chain
 * (`pol_in_default_same_readable_prefix_that_nft_names_cu_5387b56ac6`) and the same counter.
 * Found in about 2 s by a birthday search: hash `default/same-readable-prefix-that-nft-names-cut-short-<base-36 counter>` for counter
 * = 0, 1, 2, ... and keep the first 10 hex digits in a Map until one repeats (about 1.06 million
 * names). The prefix is 46 characters, so the differing tail never reaches the readable part.
 * The same pair runs through the lab as a case table (test/cases/name-collision-cases.ts).
 */
const [NAME_A, NAME_B] = COLLIDING_POLICY_NAMES

const first40Bits = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 10)

/** Pod i of the test topology has 10.250.i.2: c1, c2 (clients), a, b (servers). */
function collidingState(): ClusterState {
  const pod = (name: string, i: number): string => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: default, labels: {app: ${name}}}
spec: {nodeName: n1, containers: [{name: c, image: i}]}
status: {podIP: 10.250.${i}.2}
---`
  const policy = (name: string, target: string, from: string): string => `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}, namespace: default}
spec:
  podSelector: {matchLabels: {app: ${target}}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: ${from}}}}]
    ports: [{port: 80, protocol: TCP}]
---`
  // Policy A: a accepts c1 only. Policy B: b accepts c2 only.
  const state = buildState([pod('c1', 0), pod('c2', 1), pod('a', 2), pod('b', 3), policy(NAME_A, 'a', 'c1'), policy(NAME_B, 'b', 'c2')].join('\n'))
  return { ...state, pods: state.pods.map((p) => ({ ...p, nodeName: 'n1' })) }
}

function podNamed(state: ClusterState, name: string): Pod {
  return state.pods.find((p) => p.name === name)!
}

function tcp80(state: ClusterState, from: string, to: string): Traffic {
  return { from: { kind: 'pod', pod: podNamed(state, from) }, to: { kind: 'pod', pod: podNamed(state, to) }, port: 80, protocol: 'TCP' }
}

/** `kind name` of every chain, set, map and counter the script declares (one per line, as the compiler writes them). */
function declarations(script: string): string[] {
  return [...script.matchAll(/^\t(chain|set|map|counter) (\S+) \{$/gm)].map((m) => `${m[1]} ${m[2]}`)
}

const PAIRS = [
  ['c1', 'a'],
  ['c2', 'a'],
  ['c1', 'b'],
  ['c2', 'b'],
] as const

describe('two policies whose hashed names collide stay two policies', () => {
  it('the pair really collides in the first 40 bits of the hash (the precondition of these tests)', () => {
    expect(NAME_A).not.toBe(NAME_B)
    expect(first40Bits(`default/${NAME_A}`)).toBe(first40Bits(`default/${NAME_B}`))
  })

  it('the compiler declares every name once: two policy chains, two allow counters, each with its own rules', () => {
    const state = collidingState()
    const script = compileRuleset(state, { nodeName: 'n1' }).script
    const declared = declarations(script)
    expect(declared.length).toBeGreaterThan(10)
    expect(new Set(declared).size).toBe(declared.length)
    const names = declared.map((d) => d.split(' ')[1])
    expect(new Set(names).size).toBe(names.length)

    const policyChains = declared.filter((d) => d.startsWith('chain pol_in_')).map((d) => d.slice('chain '.length))
    expect(policyChains).toHaveLength(2)
    // Each pod chain jumps to exactly one policy chain, and that chain admits only its own client.
    const body = (chain: string): string => new RegExp(`^\\tchain ${chain} \\{\\n([\\s\\S]*?)^\\t\\}$`, 'm').exec(script)![1]
    const jumpsOf = (pod: string): string[] => {
      const chain = declared.find((d) => d.startsWith(`chain in_default_${pod}_`))!.slice('chain '.length)
      return [...body(chain).matchAll(/jump (\S+)/g)].map((m) => m[1])
    }
    const [toA] = jumpsOf('a')
    const [toB] = jumpsOf('b')
    expect(jumpsOf('a')).toHaveLength(1)
    expect(jumpsOf('b')).toHaveLength(1)
    expect(toA).not.toBe(toB)
    expect(body(toA)).toContain('ip saddr 10.250.0.2 ')
    expect(body(toA)).not.toContain('10.250.1.2')
    expect(body(toB)).toContain('ip saddr 10.250.1.2 ')
    expect(body(toB)).not.toContain('10.250.0.2')

    const index = compileRuleset(state, { nodeName: 'n1' }).index
    expect(index.allowCounters.map((c) => c.policy).sort()).toEqual([NAME_A, NAME_B])
    expect(new Set(index.allowCounters.map((c) => c.name)).size).toBe(2)
    // The index names exactly the counters the script declares.
    for (const c of [...index.allowCounters, ...index.denyCounters]) expect(declared).toContain(`counter ${c.name}`)
  })

  it('the names are deterministic and the first policy keeps its readable name when the other comes and goes', () => {
    const state = collidingState()
    const script = compileRuleset(state, { nodeName: 'n1' }).script
    const reversed: ClusterState = { ...state, pods: [...state.pods].reverse(), policies: [...state.policies].reverse() }
    expect(compileRuleset(reversed, { nodeName: 'n1' }).script).toBe(script)
    const counterOf = (s: ClusterState, policy: string): string =>
      compileRuleset(s, { nodeName: 'n1' }).index.allowCounters.find((c) => c.policy === policy)!.name
    const withoutB: ClusterState = { ...state, policies: state.policies.filter((p) => p.name !== NAME_B) }
    expect(counterOf(withoutB, NAME_A)).toBe(counterOf(state, NAME_A))
  })

  it('the nft interpreter gives the engine verdict for every pair', () => {
    const state = collidingState()
    const rulesets = new Map([['n1', parseNftScript(compileRuleset(state, { nodeName: 'n1' }).script)]])
    const engine = referenceEvaluator(state)
    const verdicts = PAIRS.map(([from, to]) => `${from}->${to} ${simulateConnection(rulesets, tcp80(state, from, to)).allowed}`)
    expect(verdicts).toEqual(PAIRS.map(([from, to]) => `${from}->${to} ${engine.isAllowed(tcp80(state, from, to))}`))
    expect(verdicts).toEqual(['c1->a true', 'c2->a false', 'c1->b false', 'c2->b true'])
  })
})

describe('two policies whose hashed names collide, with real packets', () => {
  let topo: Topology

  beforeAll(async () => {
    topo = await createTopology(['c1', 'c2', 'a', 'b'])
    for (const server of [topo.pods[2], topo.pods[3]]) expect(await firstLine(topo.spawnNode(server.netns, SERVER_SOURCE, ['80']))).toBe('ready')
  })

  afterAll(async () => {
    await topo?.destroy()
  })

  it('the kernel allows exactly what the engine allows, and counts each policy on its own', async () => {
    const state = collidingState()
    const netns = topo.nodeNetns
    await applyRuleset(compileRuleset(state, { nodeName: 'n1' }).script, { netns })
    const engine = referenceEvaluator(state)
    const netnsOf = (name: string): string => topo.pods.find((p) => p.name === name)!.netns
    const ipOf = (name: string): string => topo.pods.find((p) => p.name === name)!.ip
    const seen: string[] = []
    const expected: string[] = []
    for (const [from, to] of PAIRS) {
      const allowed = engine.isAllowed(tcp80(state, from, to))
      expected.push(`${from}->${to} ${allowed ? 'ok' : 'timeout'}`)
      seen.push(`${from}->${to} ${await tcpProbe(topo, netnsOf(from), ipOf(to), 80, allowed ? 1500 : 800)}`)
    }
    expect(seen).toEqual(expected)
    expect(seen).toEqual(['c1->a ok', 'c2->a timeout', 'c1->b timeout', 'c2->b ok'])

    const counts = await readPolicyCounters(compileRuleset(state, { nodeName: 'n1' }).index, { netns })
    expect(counts.allowed.map((c) => `${c.policy} ${c.packets}`).sort()).toEqual([`${NAME_A} 1`, `${NAME_B} 1`])
  })
})
