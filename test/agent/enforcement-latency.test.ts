import { afterEach, describe, expect, it } from 'vitest'
import { startOpsServer, type OpsServer } from '../../src/agent/ops-server.js'
import type { AgentMetrics } from '../../src/agent/agent-metrics.js'
import { TestApiServer } from '../../testing/test-api-server.js'
import { startAgent, type AgentHarness } from './agent-harness.js'
import { namespaceObject, podObject, policyObject, waitFor } from './api-objects.js'

const NAME = 'netpol_policy_enforcement_latency_seconds'

/** Count and sum of the enforcement latency histogram. */
async function histogram(metrics: AgentMetrics): Promise<{ count: number; sum: number }> {
  const data = await metrics.registry.getSingleMetric(NAME)!.get()
  const pick = (suffix: string): number => data.values.find((v) => (v as { metricName?: string }).metricName === `${NAME}${suffix}`)?.value ?? 0
  return { count: pick('_count'), sum: pick('_sum') }
}

describe('netpol_policy_enforcement_latency_seconds', () => {
  let api: TestApiServer | undefined
  let h: AgentHarness | undefined
  let ops: OpsServer | undefined

  afterEach(async () => {
    await ops?.close()
    await h?.agent.stop()
    await api?.close()
    ops = h = api = undefined
  })

  it('is observed once per sync that applies a watch event, from the event to the apply, and served on /metrics', async () => {
    api = await TestApiServer.start()
    api.create('namespaces', namespaceObject('prod'))
    api.create('pods', podObject('prod', 'web', { ip: '10.1.0.10', node: 'node-a', labels: { app: 'web' } }))
    h = startAgent(api)
    const harness = h
    await waitFor(() => harness.agent.status().ready, 'first apply')
    // The first apply follows LISTs, not a watch event: nothing observed.
    expect(await histogram(h.metrics)).toEqual({ count: 0, sum: 0 })

    const applies = h.dp.applied.length
    const before = performance.now()
    api.create('networkpolicies', policyObject('prod', 'deny', { podSelector: {}, policyTypes: ['Ingress'] }))
    await waitFor(() => harness.dp.applied.length > applies, 'the policy applied')
    const after = performance.now()
    const observed = await histogram(h.metrics)
    expect(observed.count).toBe(1)
    // From the event's arrival (after the write) to the apply (before we saw it).
    expect(observed.sum).toBeGreaterThan(0)
    expect(observed.sum * 1000).toBeLessThanOrEqual(after - before)

    // An event whose state compiles to the ruleset in place is not observed.
    api.create('namespaces', namespaceObject('other'))
    await waitFor(() => harness.logs.some((l) => l.event === 'sync' && l.result === 'unchanged'), 'the unchanged sync')
    expect((await histogram(h.metrics)).count).toBe(1)

    ops = await startOpsServer({ listen: '127.0.0.1:0', status: () => harness.agent.status(), registry: h.metrics.registry })
    const text = await (await fetch(`${ops.url}/metrics`)).text()
    expect(text).toContain(`# TYPE ${NAME} histogram`)
    expect(text).toContain(`${NAME}_count 1`)
    expect(text).toMatch(new RegExp(`${NAME}_bucket\\{le="0.001"\\} [01]\\n`))
  })
})
