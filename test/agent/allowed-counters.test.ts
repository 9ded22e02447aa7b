/**
 * The per-policy allowed-connection counters read back from the kernel: a full replace starts a
 * new table (its counters from zero), an incremental update keeps the counters it does not remove
 * counting, so each read adds only what was counted since the last one.
 */
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { CompiledRuleset } from '../../src/agent/agent-dataplane.js'
import { createAgentMetrics } from '../../src/agent/agent-metrics.js'
import { AllowedCounters } from '../../src/agent/allowed-counters.js'
import { metricValue } from './agent-harness.js'

const ruleset = (...names: string[]): CompiledRuleset => ({
  script: names.join(','),
  allowCounters: names.map((name) => ({ name, namespace: 'prod', policy: name, side: 'ingress' as const })),
  clusterRuleCounters: [],
})

describe('allowed-connection counters', () => {
  it('counts what was added since the last read: across incremental updates from the same counter, after a full replace from zero', async () => {
    const metrics = createAgentMetrics({ defaultMetrics: false })
    let kernel = new Map<string, number>()
    let applied = ruleset('a')
    let fullApplies = 1
    const counters = new AllowedCounters(
      { readCounters: () => Promise.resolve(kernel) },
      metrics,
      pino({ level: 'silent' }),
      () => applied,
      () => fullApplies,
    )
    const total = (policy: string): Promise<number> => metricValue(metrics, 'netpol_agent_allowed_connections_total', { policy })

    kernel = new Map([['a', 5]])
    await counters.collect()
    expect(await total('a')).toBe(5)
    // An incremental update adds counter b; a keeps counting in the kernel (5 -> 8): only 3 more.
    applied = ruleset('a', 'b')
    kernel = new Map([
      ['a', 8],
      ['b', 1],
    ])
    await counters.collect()
    expect(await total('a')).toBe(8)
    expect(await total('b')).toBe(1)
    // An update removes b, a later one brings it back: a new counter, counted from zero.
    applied = ruleset('a')
    await counters.collect()
    applied = ruleset('a', 'b')
    kernel = new Map([
      ['a', 8],
      ['b', 4],
    ])
    await counters.collect()
    expect(await total('b')).toBe(5)
    // A full replace: a new table, every counter from zero.
    fullApplies++
    applied = ruleset('a', 'b')
    kernel = new Map([
      ['a', 2],
      ['b', 0],
    ])
    await counters.collect()
    expect(await total('a')).toBe(10)
    expect(await total('b')).toBe(5)
  })
})
