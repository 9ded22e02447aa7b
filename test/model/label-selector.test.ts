import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { formatSelector, matchesSelector } from '../../src/model/label-selector.js'
import type { LabelSelector } from '../../src/model/types.js'

const sel = (matchLabels: Record<string, string>, matchExpressions: LabelSelector['matchExpressions'] = []): LabelSelector => ({
  matchLabels,
  matchExpressions,
})

describe('matchesSelector', () => {
  it('an empty selector matches every label set, including none', () => {
    expect(matchesSelector(sel({}), {})).toBe(true)
    expect(matchesSelector(sel({}), { app: 'web' })).toBe(true)
  })

  it('matchLabels requires every pair', () => {
    expect(matchesSelector(sel({ app: 'web', tier: 'fe' }), { app: 'web', tier: 'fe', x: '1' })).toBe(true)
    expect(matchesSelector(sel({ app: 'web', tier: 'fe' }), { app: 'web' })).toBe(false)
    expect(matchesSelector(sel({ app: 'web' }), { app: 'api' })).toBe(false)
  })

  it('In needs the key with one of the values; NotIn also matches objects without the key', () => {
    const inSel = sel({}, [{ key: 'env', operator: 'In', values: ['prod', 'stage'] }])
    const notIn = sel({}, [{ key: 'env', operator: 'NotIn', values: ['prod'] }])
    expect(matchesSelector(inSel, { env: 'stage' })).toBe(true)
    expect(matchesSelector(inSel, { env: 'dev' })).toBe(false)
    expect(matchesSelector(inSel, {})).toBe(false)
    expect(matchesSelector(notIn, { env: 'dev' })).toBe(true)
    expect(matchesSelector(notIn, {})).toBe(true)
    expect(matchesSelector(notIn, { env: 'prod' })).toBe(false)
  })

  it('Exists and DoesNotExist look at the key only (an empty value counts as present)', () => {
    expect(matchesSelector(sel({}, [{ key: 'canary', operator: 'Exists', values: [] }]), { canary: '' })).toBe(true)
    expect(matchesSelector(sel({}, [{ key: 'canary', operator: 'Exists', values: [] }]), {})).toBe(false)
    expect(matchesSelector(sel({}, [{ key: 'canary', operator: 'DoesNotExist', values: [] }]), {})).toBe(true)
    expect(matchesSelector(sel({}, [{ key: 'canary', operator: 'DoesNotExist', values: [] }]), { canary: 'x' })).toBe(false)
  })

  it('matchLabels and matchExpressions are ANDed', () => {
    const s = sel({ app: 'web' }, [{ key: 'env', operator: 'In', values: ['prod'] }])
    expect(matchesSelector(s, { app: 'web', env: 'prod' })).toBe(true)
    expect(matchesSelector(s, { app: 'web', env: 'dev' })).toBe(false)
    expect(matchesSelector(s, { app: 'api', env: 'prod' })).toBe(false)
  })

  it('does not see inherited object properties as labels', () => {
    expect(matchesSelector(sel({}, [{ key: 'constructor', operator: 'Exists', values: [] }]), {})).toBe(false)
    expect(matchesSelector(sel({}, [{ key: 'toString', operator: 'DoesNotExist', values: [] }]), {})).toBe(true)
  })
})

describe('formatSelector', () => {
  it('prints kubectl-style text and {} for the empty selector', () => {
    expect(formatSelector(sel({}))).toBe('{}')
    expect(
      formatSelector(
        sel({ tier: 'fe', app: 'web' }, [
          { key: 'env', operator: 'NotIn', values: ['prod', 'dev'] },
          { key: 'legacy', operator: 'DoesNotExist', values: [] },
          { key: 'team', operator: 'Exists', values: [] },
        ]),
      ),
    ).toBe('app=web,tier=fe,!legacy,env notin (dev,prod),team')
  })

  it('is a canonical key: selectors with equal text select the same label sets', () => {
    const keys = ['a', 'b']
    const values = ['1', '2']
    const selArb = fc.record({
      matchLabels: fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...values), { maxKeys: 2 }),
      matchExpressions: fc.array(
        fc
          .record({
            key: fc.constantFrom(...keys),
            operator: fc.constantFrom<'In' | 'NotIn' | 'Exists' | 'DoesNotExist'>('In', 'NotIn', 'Exists', 'DoesNotExist'),
            values: fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 2 }),
          })
          .map((r) => (r.operator === 'Exists' || r.operator === 'DoesNotExist' ? { ...r, values: [] } : r)),
        { maxLength: 2 },
      ),
    })
    const labelsArb = fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...values), { maxKeys: 2 })
    fc.assert(
      fc.property(selArb, selArb, fc.array(labelsArb, { minLength: 1, maxLength: 9 }), (s1, s2, labelSets) => {
        if (formatSelector(s1) !== formatSelector(s2)) return
        for (const l of labelSets) expect(matchesSelector(s1, l)).toBe(matchesSelector(s2, l))
      }),
    )
  })
})
