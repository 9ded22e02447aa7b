import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { matchesSelector } from '../../src/model/label-selector.js'
import { selectorImplies } from '../../src/analyze/lint-rules-overlap.js'
import { externalRanges, rangeLabel } from '../../src/analyze/external-ranges.js'
import { formatPortSet, portClasses } from '../../src/analyze/port-classes.js'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import type { LabelSelector, LabelSelectorRequirement } from '../../src/model/types.js'

const KEYS = ['a', 'b', 'c']
const VALUES = ['1', '2', '3']
const labelsArb = fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { maxKeys: 3 })
const requirementArb: fc.Arbitrary<LabelSelectorRequirement> = fc.oneof(
  fc.record({
    key: fc.constantFrom(...KEYS),
    operator: fc.constantFrom('In' as const, 'NotIn' as const),
    values: fc.uniqueArray(fc.constantFrom(...VALUES), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ key: fc.constantFrom(...KEYS), operator: fc.constantFrom('Exists' as const, 'DoesNotExist' as const), values: fc.constant([] as string[]) }),
)
const selectorArb: fc.Arbitrary<LabelSelector> = fc.record({ matchLabels: labelsArb, matchExpressions: fc.array(requirementArb, { maxLength: 3 }) })

describe('selector containment (used by rule-shadowed)', () => {
  it('when a implies b, every label set a matches, b matches too', () => {
    fc.assert(
      fc.property(selectorArb, selectorArb, fc.array(labelsArb, { minLength: 20, maxLength: 20 }), (a, b, samples) => {
        if (!selectorImplies(a, b)) return
        for (const labels of samples) if (matchesSelector(a, labels)) expect(matchesSelector(b, labels)).toBe(true)
      }),
      { numRuns: 2000 },
    )
  })
  it('a selector implies itself and the empty selector; more requirements imply fewer', () => {
    fc.assert(
      fc.property(selectorArb, (a) => {
        expect(selectorImplies(a, a)).toBe(true)
        expect(selectorImplies(a, { matchLabels: {}, matchExpressions: [] })).toBe(true)
      }),
    )
    expect(selectorImplies({ matchLabels: { a: '1', b: '2' }, matchExpressions: [] }, { matchLabels: { a: '1' }, matchExpressions: [] })).toBe(true)
    expect(selectorImplies({ matchLabels: { a: '1' }, matchExpressions: [] }, { matchLabels: { a: '1', b: '2' }, matchExpressions: [] })).toBe(false)
    expect(
      selectorImplies(
        { matchLabels: { a: '1' }, matchExpressions: [] },
        { matchLabels: {}, matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] },
      ),
    ).toBe(true)
  })
})

const POLICIES = `
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: x, labels: {app: p}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 8080, name: http}, {containerPort: 53, protocol: UDP}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ext, namespace: x}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
    ports: [{port: 1000, endPort: 2000}, {port: http}]
`

describe('port classes and address ranges', () => {
  const state = loadManifestText(POLICIES, { file: 'x.yaml' }).state

  it('ports are cut at every policy and containerPort boundary, per protocol', () => {
    const tcp = portClasses([state])
      .filter((c) => c.protocol === 'TCP')
      .map((c) => `${c.start}-${c.end}`)
    expect(tcp).toEqual(['1-999', '1000-2000', '2001-8079', '8080-8080', '8081-65535'])
    const udp = portClasses([state])
      .filter((c) => c.protocol === 'UDP')
      .map((c) => `${c.start}-${c.end}`)
    expect(udp).toEqual(['1-52', '53-53', '54-65535'])
    expect(portClasses([state]).filter((c) => c.protocol === 'SCTP')).toEqual([{ protocol: 'SCTP', start: 1, end: 65535 }])
  })

  it('port sets print merged, per protocol, and "all ports" when complete', () => {
    const classes = portClasses([state])
    expect(formatPortSet(classes)).toBe('all ports')
    expect(formatPortSet(classes.filter((c) => c.protocol === 'TCP' && c.start >= 1000 && c.end <= 8080))).toBe('TCP 1000-8080')
    expect(formatPortSet(classes.filter((c) => (c.protocol === 'TCP' && c.start === 8080) || c.protocol === 'UDP'))).toBe('TCP 8080; all UDP')
    expect(formatPortSet([])).toBe('none')
  })

  it('the outside is cut at every cidr/except boundary; labels are CIDRs when exact', () => {
    expect(externalRanges([state]).map((r) => r.label)).toEqual([
      '0.0.0.0-9.255.255.255',
      '10.0.0.0/16',
      '10.1.0.0/16',
      '10.2.0.0-10.255.255.255',
      '11.0.0.0-255.255.255.255',
    ])
    expect(rangeLabel({ family: 6, start: 0n, end: (1n << 128n) - 1n })).toBe('::/0')
  })
})

describe('group reachability', () => {
  it('the fast engine all-pairs path agrees with pair-by-pair evaluation (generated clusters, every grouping)', async () => {
    const { generateCluster } = await import('../../testing/generate-cluster.js')
    const { createEngine } = await import('../../src/engine/engine.js')
    const { referenceEvaluator } = await import('../../src/engine/reference.js')
    const { groupEnds, groupReachability } = await import('../../src/analyze/group-reachability.js')
    for (const seed of [1, 2, 3]) {
      const { state } = generateCluster({ pods: 60, namespaces: 5, policies: 20, seed })
      const classes = portClasses([state])
      const ranges = externalRanges([state])
      for (const by of ['workload', 'pod', 'namespace'] as const) {
        const ends = groupEnds(state, by, ranges)
        const fast = groupReachability(state, createEngine(state), ends, classes)
        const slow = groupReachability(state, referenceEvaluator(state), ends, classes)
        const norm = (m: Map<string, Set<number>>) => [...m].map(([k, v]) => `${k}:${[...v].sort((a, b) => a - b).join(',')}`).sort()
        expect(norm(fast), `seed ${seed} by ${by}`).toEqual(norm(slow))
      }
    }
    // The reference evaluator answers every pair and range one by one: ~30 s alone, far more on a loaded machine.
  }, 240_000)
})
