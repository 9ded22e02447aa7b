import { describe, expect, it } from 'vitest'
import { BENCH_NODE, dataplaneBenchState, withClusterPolicies } from '../../bench/dataplane-cluster.js'
import { compileRuleset } from '../../src/dataplane/compile-ruleset.js'
import { parseNftScript, runHook } from '../../src/dataplane/nft-interpreter.js'
import { createEngine } from '../../src/engine/engine.js'
import { parseIp } from '../../src/model/cidr.js'
import type { ClusterState } from '../../src/model/types.js'

const CLIENT = '10.250.0.2'
const SERVER = '10.250.1.2'

function measured(state: ClusterState, port: number) {
  const end = (name: string) => ({ kind: 'pod' as const, pod: state.pods.find((p) => p.name === name)! })
  const verdict = createEngine(state).evaluate({ from: end('client'), to: end('server'), port, protocol: 'TCP' })
  const ruleset = parseNftScript(compileRuleset(state, { nodeName: BENCH_NODE }).script)
  const packet = {
    family: 4 as const,
    saddr: parseIp(CLIENT)!.value,
    daddr: parseIp(SERVER)!.value,
    l4proto: 6,
    sport: 40000,
    dport: port,
    ctState: 'new' as const,
  }
  return { verdict, kernel: runHook(ruleset, 'forward', packet).verdict }
}

describe('the data plane benchmark with ClusterNetworkPolicies', () => {
  it('"other": both tiers select other pods only; the measured connection is allowed by default', () => {
    const state = withClusterPolicies(dataplaneBenchState(20, false, CLIENT, SERVER), 10, false)
    expect(state.clusterNetworkPolicies!.filter((p) => p.spec.tier === 'Admin')).toHaveLength(5)
    expect(state.clusterNetworkPolicies!.filter((p) => p.spec.tier === 'Baseline')).toHaveLength(5)
    const m = measured(state, 80)
    expect([m.verdict.outcome, m.verdict.ingress.tiers?.decidedBy, m.kernel]).toEqual(['allowed', 'default', 'accept'])
  })

  it('"sel.": the measured connection walks both tiers on both sides (Admin passes, Baseline accepts 80/TCP and denies the rest)', () => {
    const state = withClusterPolicies(dataplaneBenchState(20, false, CLIENT, SERVER), 10, true)
    const m = measured(state, 80)
    expect([m.verdict.outcome, m.verdict.egress.tiers?.decidedBy, m.verdict.ingress.tiers?.decidedBy, m.kernel]).toEqual([
      'allowed',
      'Baseline',
      'Baseline',
      'accept',
    ])
    expect(m.verdict.ingress.tiers?.admin.result).toBe('Pass')
    const other = measured(state, 81)
    expect([other.verdict.outcome, other.kernel]).toEqual(['denied', 'drop'])
  })
})
