import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { RawObject } from '../../src/cluster/live-api.js'
import { LiveStateBuilder } from '../../src/cluster/live-state.js'

/**
 * LiveStateBuilder keeps the last build's work: over random add/change/delete sequences its state
 * equals a fresh builder's, and an object whose resourceVersion did not change is the same JS
 * object as in the previous state (what the incremental compiler relies on).
 */
type Op = {
  readonly kind: 'ns' | 'pod' | 'policy'
  readonly name: number
  readonly ns: number
  readonly delete: boolean
  readonly label: number
  readonly bad: boolean
}

const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('ns' as const, 'pod' as const, 'policy' as const),
  name: fc.nat({ max: 5 }),
  ns: fc.nat({ max: 3 }),
  delete: fc.boolean(),
  label: fc.nat({ max: 2 }),
  bad: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
})

function raw(op: Op, rv: number): RawObject {
  const metadata = { name: `o${op.name}`, namespace: `ns${op.ns}`, resourceVersion: String(rv), labels: { app: `a${op.label}` } }
  if (op.kind === 'ns') return { metadata: { name: `ns${op.ns}`, resourceVersion: String(rv), labels: { team: `t${op.label}` } } }
  if (op.kind === 'pod') {
    const ip = `10.0.${op.ns}.${op.name + 1}`
    return {
      metadata,
      spec: { nodeName: 'n1', containers: [{ name: 'c', ports: [{ containerPort: op.bad ? 70000 : 80, protocol: 'TCP' }] }] },
      status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
    }
  }
  return {
    metadata,
    spec: { podSelector: { matchLabels: { app: `a${op.label}` } }, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: op.bad ? 'bad name!' : 80 }] }] },
  }
}

describe('LiveStateBuilder', () => {
  it('builds what a fresh builder builds, keeping unchanged objects the same', () => {
    fc.assert(
      fc.property(fc.array(fc.array(opArb, { maxLength: 4 }), { minLength: 1, maxLength: 12 }), (rounds) => {
        const stores = { ns: new Map<string, RawObject>(), pod: new Map<string, RawObject>(), policy: new Map<string, RawObject>() }
        const builder = new LiveStateBuilder({ nodeName: 'n1' })
        let rv = 1
        let previous: ReturnType<LiveStateBuilder['build']> | undefined
        for (const ops of rounds) {
          const changed = new Set<string>()
          for (const op of ops) {
            const key = op.kind === 'ns' ? `ns${op.ns}` : `ns${op.ns}/o${op.name}`
            changed.add(`${op.kind}:${key}`)
            if (op.delete) stores[op.kind].delete(key)
            else stores[op.kind].set(key, raw(op, rv++))
          }
          const built = builder.build(stores.ns.values(), stores.pod.values(), stores.policy.values(), [])
          const fresh = new LiveStateBuilder({ nodeName: 'n1' }).build(stores.ns.values(), stores.pod.values(), stores.policy.values(), [])
          expect(built).toEqual(fresh)
          if (previous !== undefined) {
            for (const [kind, list, before] of [
              ['pod', built.state.pods, previous.state.pods],
              ['policy', built.state.policies, previous.state.policies],
            ] as const) {
              for (const o of list) {
                if (changed.has(`${kind}:${o.namespace}/${o.name}`)) continue
                const old = (before as readonly { namespace: string; name: string }[]).find((b) => b.namespace === o.namespace && b.name === o.name)
                expect(old === o, `${kind} ${o.namespace}/${o.name} kept`).toBe(true)
              }
            }
          }
          previous = built
        }
      }),
      { numRuns: 200 },
    )
  })
})
