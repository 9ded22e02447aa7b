import { describe, expect, it } from 'vitest'
import { GROUPING_STATE } from './grouping-state.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import { computeMatrix, defaultPorts } from '../../src/analyze/matrix.js'
import { groupMatrix, podGroup } from '../../src/analyze/group.js'
import { renderGroupedMatrix } from '../../src/render/grouped-matrix.js'
import type { Pod } from '../../src/model/types.js'
import { convertPod } from '../../src/cluster/live-objects.js'

const STATE = GROUPING_STATE

describe('grouping', () => {
  const matrix = computeMatrix(referenceEvaluator(STATE), STATE, defaultPorts(STATE))

  it('pods of a Deployment form one workload; a bare pod is its own', () => {
    const byName = new Map(STATE.pods.map((p) => [p.name, p]))
    expect(podGroup(byName.get('web-1')!, 'workload').key).toBe('a/web[Deployment]')
    expect(podGroup(byName.get('canary')!, 'workload').key).toBe('a/canary[Pod]')
    expect(podGroup(byName.get('canary')!, 'namespace').key).toBe('a')
  })

  it('a live pod owned by a Deployment ReplicaSet groups under the Deployment', () => {
    const converted = convertPod({
      metadata: {
        name: 'web-5f7b-abcde',
        namespace: 'a',
        labels: { app: 'web', 'pod-template-hash': '5f7b' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5f7b', uid: 'u1', controller: true, blockOwnerDeletion: true }],
      },
      spec: { containers: [{ name: 'c', image: 'i' }] },
      status: { phase: 'Running', podIP: '10.0.0.9' },
    })
    if (!converted.ok || !converted.value) throw new Error('not converted')
    const pod: Pod = converted.value
    expect(podGroup(pod, 'workload').key).toBe('a/web[Deployment]')
  })

  it('by workload: allowed when every pod pair is, and a pod to itself does not count', () => {
    const g = groupMatrix(matrix, 'workload')
    expect(g.groups).toEqual(['a/canary[Pod]', 'a/web[Deployment]', 'b/client[Pod]'])
    const cell = (from: string, to: string) => g.connections.find((c) => c.from === from && c.to === to && c.port === 80)!
    expect(cell('b/client[Pod]', 'a/web[Deployment]')).toMatchObject({ allowed: true, partial: false, pairs: 2, allowedPairs: 2 })
    expect(cell('b/client[Pod]', 'a/canary[Pod]')).toMatchObject({ allowed: false, partial: false })
    // web-0 <-> web-1: both allowed (the namespace selector {} covers a itself).
    expect(cell('a/web[Deployment]', 'a/web[Deployment]')).toMatchObject({ allowed: true, pairs: 2 })
  })

  it('by namespace: a mix of allowed and denied pod pairs is partial', () => {
    const g = groupMatrix(matrix, 'namespace')
    const bToA = g.connections.find((c) => c.from === 'b' && c.to === 'a' && c.port === 80)!
    expect(bToA).toMatchObject({ allowed: false, partial: true, pairs: 3, allowedPairs: 2 })
    const md = renderGroupedMatrix(g, 'md')
    expect(md).toContain('| **b** | ~ | ✓ |')
    expect(renderGroupedMatrix(g, 'table')).toMatch(/2 {2}b ~ \./)
  })
})
