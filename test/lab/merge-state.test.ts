import { describe, it, expect } from 'vitest'
import { mergeClusterState } from '../../src/lab/merge-state.js'
import type { ClusterState, NetworkPolicy } from '../../src/model/types.js'
import type { ClusterNetworkPolicy } from '../../src/model/cluster-network-policy-types.js'

const SRC = { file: 'cnp.yaml', line: 1 }
import { ns, pod } from './fixtures.js'

const policy = (namespace: string, name: string, labels: Record<string, string>): NetworkPolicy => ({
  namespace,
  name,
  podSelector: { matchLabels: labels, matchExpressions: [] },
  policyTypes: ['Ingress'],
  ingress: [],
  egress: [],
  source: { file: 'p.yaml', line: 1 },
})

const owned = (name: string, i: number) =>
  pod('x', `${name}-${i}`, { app: name }, [], { owner: { kind: 'Deployment', name }, template: { kind: 'Deployment', name } })

const running: ClusterState = {
  namespaces: [ns('x', { team: 'a' }), ns('y')],
  pods: [owned('web', 0), owned('web', 1), owned('web', 2), pod('x', 'solo', { v: '1' })],
  policies: [policy('x', 'p1', { app: 'web' }), policy('y', 'p2', {})],
}

describe('mergeClusterState (lab apply)', () => {
  it('replaces objects with the same kind, namespace and name and keeps the others', () => {
    const merged = mergeClusterState(running, { namespaces: [], pods: [pod('x', 'solo', { v: '2' })], policies: [policy('x', 'p1', { app: 'db' })] })
    expect(merged.pods.find((p) => p.name === 'solo')!.labels).toEqual({ v: '2' })
    expect(merged.pods.map((p) => p.name)).toEqual(['solo', 'web-0', 'web-1', 'web-2'])
    expect(merged.policies.map((p) => `${p.namespace}/${p.name} ${JSON.stringify(p.podSelector.matchLabels)}`)).toEqual(['x/p1 {"app":"db"}', 'y/p2 {}'])
  })

  it("replaces a workload's pods as a group, so scaling down removes pods", () => {
    const merged = mergeClusterState(running, { namespaces: [], pods: [owned('web', 0)], policies: [] })
    expect(merged.pods.map((p) => p.name)).toEqual(['solo', 'web-0'])
  })

  it('a Pod that names a workload as its owner replaces only itself (kubectl apply of a Pod)', () => {
    const dumped = pod('x', 'web-7d9f8-abcde', { app: 'web' }, [], { owner: { kind: 'Deployment', name: 'web' } })
    const merged = mergeClusterState(running, { namespaces: [], pods: [dumped], policies: [] })
    expect(merged.pods.map((p) => p.name)).toEqual(['solo', 'web-0', 'web-1', 'web-2', 'web-7d9f8-abcde'])
  })

  it('a namespace only referenced by the new manifests keeps its declared labels', () => {
    const implicit = { name: 'x', labels: { 'kubernetes.io/metadata.name': 'x' }, implicit: true }
    const merged = mergeClusterState(running, { namespaces: [implicit], pods: [], policies: [] })
    expect(merged.namespaces.find((n) => n.name === 'x')!.labels.team).toBe('a')
    const relabelled = mergeClusterState(running, { namespaces: [ns('x', { team: 'b' })], pods: [], policies: [] })
    expect(relabelled.namespaces.find((n) => n.name === 'x')!.labels.team).toBe('b')
  })

  it('with prune, the new manifests are the whole cluster', () => {
    const applied: ClusterState = { namespaces: [ns('x')], pods: [pod('x', 'solo', {})], policies: [] }
    expect(mergeClusterState(running, applied, true)).toBe(applied)
  })
})

describe('mergeClusterState with ClusterNetworkPolicies (cluster-scoped)', () => {
  const cnp = (name: string, priority: number): ClusterNetworkPolicy => ({
    name,
    spec: { tier: 'Admin', priority, subject: { namespaces: { matchLabels: {}, matchExpressions: [] }, source: SRC }, ingress: [], egress: [] },
    source: SRC,
  })
  const withCnps: ClusterState = { ...running, clusterNetworkPolicies: [cnp('a', 1), cnp('b', 2)] }

  it('replaces one by name and keeps the others, also when the applied manifests have none', () => {
    const merged = mergeClusterState(withCnps, { namespaces: [], pods: [], policies: [], clusterNetworkPolicies: [cnp('b', 20), cnp('c', 3)] })
    expect(merged.clusterNetworkPolicies!.map((p) => `${p.name} ${p.spec.priority}`)).toEqual(['a 1', 'b 20', 'c 3'])
    expect(mergeClusterState(withCnps, { namespaces: [], pods: [], policies: [] }).clusterNetworkPolicies).toEqual(withCnps.clusterNetworkPolicies)
  })

  it('--prune removes those the manifests do not have', () => {
    expect(mergeClusterState(withCnps, { namespaces: [], pods: [], policies: [], clusterNetworkPolicies: [cnp('c', 3)] }, true).clusterNetworkPolicies).toEqual(
      [cnp('c', 3)],
    )
    expect(mergeClusterState(withCnps, { namespaces: [], pods: [], policies: [] }, true).clusterNetworkPolicies).toBeUndefined()
  })
})
