import { describe, it, expect } from 'vitest'
import { findPod } from '../../src/lab/lab-exec.js'
import { planTopology } from '../../src/lab/topology.js'
import type { LabState } from '../../src/lab/lab-state.js'
import { cluster, ns, pod } from './fixtures.js'

const plan = planTopology(
  cluster(
    [ns('prod'), ns('dev')],
    [
      pod('prod', 'web-0', {}, [], { owner: { kind: 'Deployment', name: 'web' } }),
      pod('prod', 'web-1', {}, [], { owner: { kind: 'Deployment', name: 'web' } }),
      pod('dev', 'web-0', {}, [], { owner: { kind: 'Deployment', name: 'web' } }),
      pod('prod', 'db', {}),
    ],
  ),
  { lab: 'l', nodeCount: 2 },
)
const state = { name: 'l', cluster: plan.state, topology: plan.topology } as unknown as LabState
const found = (ref: string, namespace?: string): string => {
  const p = findPod(state, ref, namespace)
  return `${p.namespace}/${p.name}`
}

describe('findPod (lab exec)', () => {
  it('takes ns/name, a unique name, or name with -n', () => {
    expect(found('prod/web-1')).toBe('prod/web-1')
    expect(found('db')).toBe('prod/db')
    expect(found('web-0', 'dev')).toBe('dev/web-0')
  })

  it('takes a workload the way kubectl exec does: its first pod', () => {
    expect(found('deploy/web', 'prod')).toBe('prod/web-0')
    expect(found('dev/deployment/web')).toBe('dev/web-0')
  })

  it('says what is ambiguous or missing, listing the pods', () => {
    expect(() => found('web-0')).toThrow(/pod "web-0" is ambiguous: name it with its namespace \(dev\/web-0, prod\/web-0\)/)
    expect(() => found('deploy/web')).toThrow(/Deployment "web" exists in several namespaces: add -n NAMESPACE/)
    expect(() => found('prod/nope')).toThrow(/pod "prod\/nope" is not in lab "l" \(pods: dev\/web-0, prod\/db, prod\/web-0, prod\/web-1\)/)
    expect(() => found('sts/web', 'prod')).toThrow(/StatefulSet "prod\/web" has no pod/)
  })
})
