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

function input(over: Partial<SyncInput> = {}, incremental = false): SyncInput & { dp: ReturnType<typeof recordingDataplane> } {
  const dp = recordingDataplane('node-a', { incremental })
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

describe('sync step: incremental updates between full replaces', () => {
  /** A data plane holding the ruleset of `policies` (a full replace), and that record. */
  async function fromApplied(policies: Record<string, unknown>[] = []) {
    const i = input({ objects: objects(policies) }, true)
    const first = await syncStep(i)
    if (first.result !== 'applied') throw new Error(first.result)
    expect(first.apply).toEqual({ kind: 'full', reason: 'no ruleset applied yet' })
    return { dp: i.dp, record: recordOutcome(EMPTY_RECORD, first, new Date(0)) }
  }

  it('applies a change as an incremental update of what changed, when a ruleset is in the kernel', async () => {
    const { dp, record } = await fromApplied()
    const outcome = await syncStep({ ...input({ objects: objects([DENY_ALL]), applied: record.applied }), dataplane: dp })
    expect(outcome).toMatchObject({ result: 'applied', apply: { kind: 'incremental', deltaBytes: expect.any(Number) } })
    if (outcome.result !== 'applied') return
    expect(dp.applied).toHaveLength(1)
    expect(dp.deltas).toHaveLength(1)
    expect(dp.deltas[0].delta.length + dp.deltas[0].tidy.length).toBe(outcome.apply.deltaBytes)
    expect(dp.deltas[0].delta.length).toBeLessThan(outcome.compiled.script.length)
    expect(dp.current()).toBe(outcome.compiled.script)
    expect(isolated(dp.current(), 'in')).toEqual(['10.1.0.10'])
  })

  it('replaces the whole ruleset when told why (a resync, a failed apply), or when the data plane has no incremental updates', async () => {
    const { dp, record } = await fromApplied()
    const resync = await syncStep({ ...input({ objects: objects([DENY_ALL]), applied: record.applied, fullReplace: 'a periodic resync' }), dataplane: dp })
    expect(resync).toMatchObject({ result: 'applied', apply: { kind: 'full', reason: 'a periodic resync' } })
    expect(dp.applied).toHaveLength(2)
    expect(dp.deltas).toEqual([])
    const plain = input({ objects: objects([DENY_ALL]), applied: record.applied })
    expect(await syncStep(plain)).toMatchObject({ result: 'applied', apply: { kind: 'full', reason: 'the data plane has no incremental updates' } })
  })

  it('a refused incremental update is followed at once by a full replace in the same sync; the kernel never keeps a stale ruleset', async () => {
    const { dp, record } = await fromApplied()
    dp.failNextIncrementals = 1
    const outcome = await syncStep({ ...input({ objects: objects([DENY_ALL]), applied: record.applied }), dataplane: dp })
    expect(outcome).toMatchObject({
      result: 'applied',
      apply: {
        kind: 'full',
        reason: 'the incremental update failed',
        incrementalError: expect.objectContaining({ message: expect.stringContaining('injected') }),
      },
    })
    expect(dp.applied).toHaveLength(2)
    expect(isolated(dp.current(), 'in')).toEqual(['10.1.0.10'])
  })

  it('an incremental update is enforced at its first transaction; when removing what it superseded fails, the table is replaced in the same sync', async () => {
    const { dp, record } = await fromApplied([DENY_ALL])
    let t = 0
    dp.failNextTidies = 1
    const outcome = await syncStep({ ...input({ objects: objects([]), applied: record.applied, now: () => (t += 10) }), dataplane: dp })
    expect(outcome).toMatchObject({
      result: 'applied',
      apply: {
        kind: 'full',
        reason: 'removing what the incremental update superseded failed',
        incrementalError: expect.objectContaining({ message: expect.stringContaining('busy') }),
      },
    })
    if (outcome.result !== 'applied') return
    // Clock reads: start 10, built 20, compiled 30, enforced 40 (the first transaction), ended 50 (after the replace).
    expect(outcome.enforcedAt).toBe(40)
    expect(outcome.phases.applyMs).toBe(10)
    expect(outcome.endedAt).toBe(50)
    expect(dp.applied).toHaveLength(2)
    expect(dp.current()).toBe(outcome.compiled.script)
  })

  it('when removing what an enforced incremental update superseded fails and the full replace too: apply-error that says the new verdicts are in force', async () => {
    const { dp, record } = await fromApplied([DENY_ALL])
    dp.failNextTidies = 1
    dp.failNextApplies = 1
    const outcome = await syncStep({ ...input({ objects: objects([]), applied: record.applied }), dataplane: dp })
    expect(outcome).toMatchObject({ result: 'apply-error', enforced: true, incrementalError: expect.any(Error), error: expect.any(Error) })
  })

  it('when the full replace after a refused incremental update fails too: apply-error with both errors, and the next apply is a full replace', async () => {
    const { dp, record } = await fromApplied()
    dp.failNextIncrementals = 1
    dp.failNextApplies = 1
    const failed = await syncStep({ ...input({ objects: objects([DENY_ALL]), applied: record.applied }), dataplane: dp })
    expect(failed).toMatchObject({ result: 'apply-error', incrementalError: expect.any(Error), error: expect.any(Error) })
    expect(failed).not.toHaveProperty('enforced')
    // The kernel still holds the first ruleset (both transactions changed nothing).
    expect(dp.current()).toBe(record.applied!.script)
    const after = recordOutcome(record, failed, new Date(1))
    expect(after.applyFailed).toBe(true)
    const next = await syncStep({ ...input({ objects: objects([DENY_ALL]), applied: after.applied, fullReplace: 'the last apply failed' }), dataplane: dp })
    expect(next).toMatchObject({ result: 'applied', apply: { kind: 'full', reason: 'the last apply failed' } })
    expect(recordOutcome(after, next, new Date(2)).applyFailed).toBe(false)
  })

  it('a change the delta cannot make safely (an address passed to another pod) is a full replace, with the reason', async () => {
    const { dp, record } = await fromApplied([DENY_ALL])
    const moved: ClusterObjects = {
      ...objects([DENY_ALL]),
      pods: [stored(podObject('prod', 'web-2', { ip: '10.1.0.10', node: 'node-a', labels: { app: 'web' } }))],
    }
    const outcome = await syncStep({ ...input({ objects: moved, applied: record.applied }), dataplane: dp })
    expect(outcome).toMatchObject({ result: 'applied', apply: { kind: 'full', reason: 'map in_v4 sends 10.1.0.10 to another chain' } })
    expect(dp.deltas).toEqual([])
  })
})
