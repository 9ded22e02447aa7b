import { describe, expect, it } from 'vitest'
import { convertClusterNetworkPolicy, FAIL_CLOSED_RULE, failClosedClusterPolicy } from '../../src/cluster/live-objects.js'
import { LiveStateBuilder } from '../../src/cluster/live-state.js'
import type { RawObject } from '../../src/cluster/live-api.js'
import { createEngine } from '../../src/engine/engine.js'
import type { ClusterState } from '../../src/model/types.js'

let rv = 0
function cnp(spec: Record<string, unknown>, name = 'guard'): RawObject {
  return { metadata: { name, resourceVersion: String(++rv), generation: 1, uid: 'u' }, spec }
}
const ns = (name: string, labels: Record<string, string> = {}): RawObject => ({
  metadata: { name, resourceVersion: String(++rv), labels: { 'kubernetes.io/metadata.name': name, ...labels } },
})
const pod = (namespace: string, name: string, ip: string, labels: Record<string, string> = {}): RawObject => ({
  metadata: { name, namespace, resourceVersion: String(++rv), labels },
  spec: { nodeName: 'node-a', containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] },
  status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
})

const ALL = { matchLabels: {}, matchExpressions: [] }

/** An Admin Accept of everything at priority 5: what an invalid policy must never outrank when its own priority is readable and lower. */
const ACCEPT_ALL = cnp({ tier: 'Admin', priority: 5, subject: { namespaces: {} }, ingress: [{ action: 'Accept', from: [{ namespaces: {} }] }] }, 'accept-all')

function build(cnps: RawObject[]): { state: ClusterState; invalid: string[] } {
  const built = new LiveStateBuilder({ nodeName: 'node-a' }).build(
    [ns('a', { team: 'a' }), ns('b')],
    [pod('a', 'x', '10.0.0.1', { app: 'x' }), pod('b', 'y', '10.0.0.2', { app: 'y' })],
    [],
    cnps,
  )
  return { state: built.state, invalid: built.invalid.map((o) => `${o.kind} ${o.object}`) }
}

function allowed(state: ClusterState, from: string, to: string): boolean {
  const end = (name: string) => ({ kind: 'pod' as const, pod: state.pods.find((p) => `${p.namespace}/${p.name}` === name)! })
  return createEngine(state).isAllowed({ from: end(from), to: end(to), port: 80, protocol: 'TCP' })
}

describe('an invalid live ClusterNetworkPolicy is enforced fail-closed, as an invalid NetworkPolicy is', () => {
  it('keeps a readable tier, priority and subject, and denies everything in the directions it has rules for', () => {
    // protocols: [] is refused by the CRD (minItems 1): a policy the API server would not have stored.
    const raw = cnp({
      tier: 'Baseline',
      priority: 7,
      subject: { pods: { namespaceSelector: { matchLabels: { team: 'a' } }, podSelector: {} } },
      ingress: [{ action: 'Accept', from: [{ namespaces: {} }], protocols: [] }],
    })
    expect(convertClusterNetworkPolicy(raw).ok).toBe(false)
    const p = failClosedClusterPolicy(raw)
    expect(p.name).toBe('guard')
    expect(p.spec.tier).toBe('Baseline')
    expect(p.spec.priority).toBe(7)
    expect(p.spec.subject.pods).toEqual({ namespaceSelector: { matchLabels: { team: 'a' }, matchExpressions: [] }, podSelector: ALL })
    expect(p.spec.ingress.map((r) => [r.name, r.action, r.from, r.protocols])).toEqual([
      [FAIL_CLOSED_RULE, 'Deny', [{ namespaces: ALL, source: p.source }], []],
    ])
    expect(p.spec.egress).toEqual([])

    const { state, invalid } = build([raw])
    expect(invalid).toEqual(['ClusterNetworkPolicy ClusterNetworkPolicy "guard"'])
    expect(state.clusterNetworkPolicies?.map((c) => c.name)).toEqual(['guard'])
    // Its subject (namespace a) accepts nothing; namespace b is untouched.
    expect(allowed(state, 'b/y', 'a/x')).toBe(false)
    expect(allowed(state, 'a/x', 'b/y')).toBe(true)
  })

  it('an unreadable tier, priority or subject becomes Admin, 0 and every pod: it outranks every readable policy', () => {
    const raw = cnp({ tier: 'Middle', priority: 'high', subject: { namespaces: { matchExpressions: [{ key: 'x', operator: 'Near' }] } }, egress: 'all' })
    const p = failClosedClusterPolicy(raw)
    expect([p.spec.tier, p.spec.priority, p.spec.subject.namespaces]).toEqual(['Admin', 0, ALL])
    expect(p.spec.ingress).toEqual([])
    expect(p.spec.egress.map((r) => [r.action, r.to.map((t) => t.networks)])).toEqual([['Deny', [['0.0.0.0/0', '::/0']]]])
    const { state } = build([raw, ACCEPT_ALL])
    expect(allowed(state, 'a/x', 'b/y')).toBe(false)
    expect(allowed(state, 'b/y', 'a/x')).toBe(false)
  })

  it('a subject with both namespaces and pods, or an unknown field, is unreadable (every pod); rules in neither direction deny nothing', () => {
    expect(
      failClosedClusterPolicy(cnp({ tier: 'Admin', priority: 1, subject: { namespaces: {}, pods: { podSelector: {} } } })).spec.subject.namespaces,
    ).toEqual(ALL)
    expect(failClosedClusterPolicy(cnp({ tier: 'Admin', priority: 1, subject: { pods: { podSelector: {}, extra: 1 } } })).spec.subject.namespaces).toEqual(ALL)
    const none = failClosedClusterPolicy(cnp({ tier: 'Admin', priority: 1, subject: { namespaces: {} }, ingress: [], unknown: true }))
    expect([none.spec.ingress, none.spec.egress]).toEqual([[], []])
  })

  it('a readable priority keeps its place: an Admin Accept of a lower priority still decides first', () => {
    const raw = cnp({ tier: 'Admin', priority: 9, subject: { namespaces: {} }, ingress: [{ action: 'Sideways', from: [{ namespaces: {} }] }] })
    const { state } = build([raw, ACCEPT_ALL])
    expect(allowed(state, 'a/x', 'b/y')).toBe(true)
    expect(build([raw]).state.clusterNetworkPolicies?.[0]?.spec.priority).toBe(9)
    expect(allowed(build([raw]).state, 'a/x', 'b/y')).toBe(false)
  })

  it('valid policies are read as written; no list given means none were read (no clusterNetworkPolicies key)', () => {
    const { state, invalid } = build([ACCEPT_ALL])
    expect(invalid).toEqual([])
    expect(state.clusterNetworkPolicies?.[0]?.spec.ingress[0]?.action).toBe('Accept')
    expect('clusterNetworkPolicies' in new LiveStateBuilder().build([], [], []).state).toBe(false)
  })
})
