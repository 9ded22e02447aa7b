import { describe, expect, it } from 'vitest'
import { LiveStateBuilder } from '../../src/cluster/live-state.js'
import type { RawObject } from '../../src/cluster/live-api.js'
import { EMPTY_RECORD, recordOutcome } from '../../src/agent/sync-record.js'
import { syncStep, type ClusterObjects, type SyncInput } from '../../src/agent/sync-step.js'
import { isolated } from './agent-harness.js'
import { namespaceObject, podObject, policyObject } from './api-objects.js'
import { recordingDataplane } from './recording-dataplane.js'

let rv = 0
const stored = (o: Record<string, unknown>): RawObject => {
  const object = structuredClone(o) as RawObject
  object.metadata = { ...object.metadata, resourceVersion: String(++rv) }
  return object
}

function objects(policies: Record<string, unknown>[] = []): ClusterObjects {
  return {
    namespaces: [stored(namespaceObject('prod'))],
    pods: [
      stored(podObject('prod', 'web', { ip: '10.1.0.10', node: 'node-a', labels: { app: 'web' } })),
      stored(podObject('prod', 'db', { ip: '10.1.0.11', node: 'node-b' })),
    ],
    networkpolicies: policies.map(stored),
    clusternetworkpolicies: [],
  }
}

const DENY_ALL = policyObject('prod', 'deny-all', { podSelector: {}, policyTypes: ['Ingress'] })

function input(over: Partial<SyncInput> = {}): SyncInput & { dp: ReturnType<typeof recordingDataplane> } {
  const dp = recordingDataplane('node-a')
  return { objects: objects(), builder: new LiveStateBuilder({ nodeName: 'node-a' }), dataplane: dp, applied: undefined, force: false, dp, ...over }
}

describe('sync step: stores -> state -> node ruleset -> apply', () => {
  it('applies the node ruleset of the state, with the time of each phase', async () => {
    let t = 0
    const i = input({ objects: objects([DENY_ALL]), now: () => (t += 10) })
    const outcome = await syncStep(i)
    expect(outcome.result).toBe('applied')
    if (outcome.result !== 'applied') return
    expect(i.dp.applied).toEqual([outcome.compiled.script])
    expect(isolated(outcome.compiled.script, 'in')).toEqual(['10.1.0.10'])
    expect(outcome.built.state.pods.map((p) => p.name)).toEqual(['db', 'web'])
    expect(outcome.phases).toEqual({ buildMs: 10, compileMs: 10, applyMs: 10 })
    expect(outcome.endedAt).toBe(40)
  })

  it('does not apply a ruleset equal to the applied one, unless forced (a resync)', async () => {
    const first = await syncStep(input())
    if (first.result !== 'applied') throw new Error(first.result)
    const same = input({ applied: first.compiled })
    expect((await syncStep(same)).result).toBe('unchanged')
    expect(same.dp.applied).toEqual([])
    const forced = input({ applied: first.compiled, force: true })
    expect((await syncStep(forced)).result).toBe('applied')
    expect(forced.dp.applied).toEqual([first.compiled.script])
  })

  it('a compile that throws is a sync-error outcome: nothing is applied, the built state is kept for reporting', async () => {
    const i = input()
    i.dp.failNextCompiles = 1
    const outcome = await syncStep(i)
    expect(outcome).toMatchObject({ result: 'sync-error', error: expect.objectContaining({ message: expect.stringContaining('injected') }) })
    expect(outcome.built?.state.pods).toHaveLength(2)
    expect(i.dp.applied).toEqual([])
  })

  it('a build that throws is a sync-error outcome without a state', async () => {
    const outcome = await syncStep(
      input({
        builder: {
          build: () => {
            throw new Error('conversion bug')
          },
        },
      }),
    )
    expect(outcome).toMatchObject({ result: 'sync-error' })
    expect(outcome.built).toBeUndefined()
  })

  it('a refused apply is an apply-error outcome; the record keeps the ruleset in force and the error', async () => {
    const first = await syncStep(input())
    if (first.result !== 'applied') throw new Error(first.result)
    const at = new Date(0)
    const before = recordOutcome(EMPTY_RECORD, first, at)
    const i = input({ objects: objects([DENY_ALL]), applied: before.applied })
    i.dp.failNextApplies = 1
    const outcome = await syncStep(i)
    expect(outcome.result).toBe('apply-error')
    const after = recordOutcome(before, outcome, new Date(1))
    expect(after.applied).toBe(first.compiled)
    expect(after).toMatchObject({ applies: 1, applyErrors: 1, lastApplyAt: at, lastError: expect.stringContaining('Operation not permitted') })
    // The state is the new one (what the next sync starts from), the ruleset the old one.
    expect(after.state.policies).toHaveLength(1)
    const ok = await syncStep({ ...i, dataplane: i.dp })
    const recovered = recordOutcome(after, ok, new Date(2))
    expect(recovered).toMatchObject({ applies: 2, applyErrors: 1, lastApplyAt: new Date(2) })
    expect(recovered.lastError).toBeUndefined()
  })
})
