import { describe, expect, it } from 'vitest'
import { createEngine } from '../../src/engine/engine.js'
import type { NetworkPolicy } from '../../src/model/types.js'
import { cluster, labelsSelector, pod } from '../analyze/cluster-builders.js'

const src = { file: 'p.yaml', line: 1 }
/** Ingress to pods with `labels` from pods with `from`, on the named port `http`: every label key and the port name matter. */
function policy(name: string, labels: Record<string, string>, from: Record<string, string>): NetworkPolicy {
  return {
    namespace: 'ns',
    name,
    podSelector: labelsSelector(labels),
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: labelsSelector(from), source: src }], ports: [{ protocol: 'TCP', port: 'http', source: src }], source: src }],
    egress: [],
    source: src,
  }
}

describe('pod identities', () => {
  it('replicas with equal labels and ports in separate objects share one; contents that differ, however they would concatenate, never do', () => {
    const http = (port: number) => [{ name: 'http', protocol: 'TCP' as const, containerPort: port }]
    const pods = [
      pod('ns', 'a-0', { labels: { a: 'bc' }, ports: http(80) }),
      pod('ns', 'a-1', { labels: { a: 'bc' }, ports: http(80) }),
      pod('ns', 'ab', { labels: { ab: 'c' }, ports: http(80) }),
      pod('ns', 'a-b', { labels: { a: 'b', c: '' }, ports: http(80) }),
      pod('ns', 'other-port', { labels: { a: 'bc' }, ports: http(8080) }),
      pod('ns', 'two-ports', { labels: { a: 'bc' }, ports: [...http(80), { name: 'http', protocol: 'TCP', containerPort: 8080 }] }),
      pod('ns', 'unnamed', { labels: { a: 'bc' }, ports: [{ protocol: 'TCP', containerPort: 80 }] }),
    ]
    const state = cluster(pods, [policy('p1', { a: 'bc' }, { ab: 'c' }), policy('p2', { c: '' }, { a: 'b' })])
    const engine = createEngine(state)
    const idOf = (name: string) => engine.identityOf(state.pods.find((p) => p.name === name)!)!.id
    expect(idOf('a-1')).toBe(idOf('a-0'))
    const distinct = ['a-0', 'ab', 'a-b', 'other-port', 'two-ports', 'unnamed'].map(idOf)
    expect(new Set(distinct).size).toBe(distinct.length)
    expect(engine.identities.length).toBe(distinct.length)
  })
})
