import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadManifests, loadManifestText } from '../../src/cluster/load-manifests.js'
import { createEngine } from '../../src/engine/engine.js'
import { allowsSomethingNew, diffConnectivity, withPossiblyAllowed, type DiffResult } from '../../src/analyze/diff.js'
import { parseCidr, cidrRange, formatIp } from '../../src/model/cidr.js'
import type { ClusterState } from '../../src/model/types.js'
import { convertPod } from '../../src/cluster/live-objects.js'

const FIXTURES = join(import.meta.dirname, '../fixtures')

function diff(before: ClusterState, after: ClusterState, groupBy: 'workload' | 'pod' | 'namespace' = 'workload'): DiffResult {
  return diffConnectivity({ state: before, evaluator: createEngine(before) }, { state: after, evaluator: createEngine(after) }, { groupBy })
}

/** Our range labels (`128.0.0.0/1`) in netpol-analyzer's interval form (`128.0.0.0-255.255.255.255`). */
function asInterval(label: string): string {
  const parsed = parseCidr(label)
  if (!parsed.ok) return label
  const r = cidrRange(parsed.cidr)
  return `${formatIp({ family: r.family, value: r.start })}-${formatIp({ family: r.family, value: r.end })}`
}

function ourRow(r: DiffResult['rows'][number]): string {
  const end = (s: string) => (/^\d/.test(s) ? `${asInterval(s)}[External]` : s)
  const conns = (s: string) => (s === 'all ports' ? 'All Connections' : s === 'none' ? 'No Connections' : s)
  return `${r.change} | ${end(r.from)} | ${end(r.to)} | ${conns(r.before)} | ${conns(r.after)}`
}

function goldenRows(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('diff-type:'))
    .map((l) => {
      const m = /^diff-type: (\w+), source: (.+), destination: (.+), ref1: (.+), ref2: (.+)$/.exec(l.trim())!
      return `${m[1]} | ${m[2]} | ${m[3]} | ${m[4]} | ${m[5]}`
    })
}

describe('diff on Online Boutique (netpol-analyzer corpus)', () => {
  it('names the same changed connections as netpol-analyzer, with the same port sets', async () => {
    const base = join(FIXTURES, 'corpus/onlineboutique_workloads')
    const before = (await loadManifests([join(base, 'input')])).state
    const after = (await loadManifests([join(base, 'input-changed-netpols')])).state
    const result = diff(before, after)
    const golden = goldenRows(readFileSync(join(FIXTURES, 'diff/onlineboutique-netpol-analyzer-diff.txt'), 'utf8'))
    expect(golden).toHaveLength(8)
    expect(result.rows.map(ourRow).sort()).toEqual(golden.sort())
    expect(allowsSomethingNew(result)).toBe(true)
  })

  it('names the policy behind each change, with file:line', async () => {
    const base = join(FIXTURES, 'corpus/onlineboutique_workloads')
    const before = (await loadManifests([join(base, 'input')])).state
    const after = (await loadManifests([join(base, 'input-changed-netpols')])).state
    const rows = diff(before, after).rows
    const redisIn = rows.find((r) => r.to === 'default/redis-cart[Deployment]')!
    expect(redisIn.causes).toEqual([
      {
        side: 'ingress',
        kind: 'isolated-by',
        policies: [{ namespace: 'default', name: 'redis-cart-netpol', file: join(base, 'input-changed-netpols/netpols.yaml'), line: 1 }],
      },
    ])
    const added = rows.find((r) => r.from === 'default/cartservice[Deployment]' && r.to === 'default/emailservice[Deployment]')!
    expect(added.causes.map((c) => `${c.side} ${c.kind} ${c.policies.map((p) => p.name).join(',')}`)).toEqual([
      'egress allowed-by cartservice-netpol',
      'ingress allowed-by emailservice-netpol',
    ])
  })

  it('the same input twice has no changes', async () => {
    const before = (await loadManifests([join(FIXTURES, 'corpus/onlineboutique_workloads/input')])).state
    const result = diff(before, before)
    expect(result.rows).toEqual([])
    expect(allowsSomethingNew(result)).toBe(false)
  })
})

const PODS = `
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: a, labels: {app: web}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: b, labels: {app: db}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 5432}]}]}
`

describe('diff details', () => {
  it('a new default deny shows as newly denied, grouped by namespace when asked', () => {
    const before = loadManifestText(PODS, { file: 'before.yaml' }).state
    const after = loadManifestText(
      `${PODS}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: b}
spec: {podSelector: {}, policyTypes: [Ingress]}
`,
      { file: 'after.yaml' },
    ).state
    const result = diff(before, after, 'namespace')
    expect(result.rows.map((r) => `${r.change} ${r.from} -> ${r.to}: ${r.newlyDenied}`)).toEqual([
      'removed 0.0.0.0/0 -> b: all ports',
      'removed a -> b: all ports',
    ])
    expect(allowsSomethingNew(result)).toBe(false)
  })

  it('a ClusterNetworkPolicy added with the same pods and NetworkPolicies is a change (not a NetworkPolicy edit to derive from BEFORE)', () => {
    const before = loadManifestText(PODS, { file: 'before.yaml' }).state
    const src = { file: 'cnp.yaml', line: 1 }
    const everyNamespace = { matchLabels: {}, matchExpressions: [] }
    const after: ClusterState = {
      ...loadManifestText(PODS, { file: 'after.yaml' }).state,
      clusterNetworkPolicies: [
        {
          name: 'deny-into-b',
          spec: {
            tier: 'Admin',
            priority: 10,
            subject: { namespaces: { matchLabels: { 'kubernetes.io/metadata.name': 'b' }, matchExpressions: [] }, source: src },
            ingress: [{ action: 'Deny', from: [{ namespaces: everyNamespace, source: src }], protocols: [], source: src }],
            egress: [],
          },
          source: src,
        },
      ],
    }
    const sides = [
      { state: before, evaluator: createEngine(before) },
      { state: after, evaluator: createEngine(after) },
    ] as const
    const derived = diffConnectivity(sides[0], sides[1], { groupBy: 'namespace' })
    expect(derived.rows.map((r) => `${r.change} ${r.from} -> ${r.to}: ${r.newlyDenied}`)).toEqual(['removed a -> b: all ports'])
    expect(derived).toEqual(diffConnectivity(sides[0], sides[1], { groupBy: 'namespace', incremental: false }))
    // The cause names the ClusterNetworkPolicy rule that decides now: tier, policy, priority, rule, action, file:line.
    expect(derived.rows[0]!.causes).toEqual([
      {
        side: 'ingress',
        kind: 'denied-by-cnp',
        policies: [],
        clusterRules: [{ tier: 'Admin', policy: 'deny-into-b', priority: 10, direction: 'ingress', ruleIndex: 0, action: 'Deny', file: 'cnp.yaml', line: 1 }],
      },
    ])
    // Nothing may be newly allowed: every outcome of either side is proven.
    expect(withPossiblyAllowed(derived, sides[0], sides[1]).possiblyNewlyAllowed).toEqual([])
  })

  it('ipBlock boundaries cut the outside into ranges, and only the changed range is named', () => {
    const policy = (except: string) => `${PODS}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ext, namespace: b}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [${except}]}}]
    ports: [{port: 5432}]
`
    const before = loadManifestText(policy('10.1.0.0/16'), { file: 'before.yaml' }).state
    const after = loadManifestText(policy('10.1.0.0/17'), { file: 'after.yaml' }).state
    const result = diff(before, after, 'pod')
    expect(result.rows.map((r) => `${r.change} ${r.from} -> ${r.to}: ${r.newlyAllowed}`)).toEqual(['added 10.1.128.0/17 -> b/db[Pod]: TCP 5432'])
  })

  it('a workload that only exists after is marked as added and counts as new', () => {
    const before = loadManifestText(PODS, { file: 'before.yaml' }).state
    const after = loadManifestText(
      `${PODS}---
apiVersion: v1
kind: Pod
metadata: {name: cache, namespace: a, labels: {app: cache}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 6379}]}]}
`,
      { file: 'after.yaml' },
    ).state
    const result = diff(before, after, 'pod')
    expect(result.groupsAdded).toEqual(['a/cache[Pod]'])
    expect(result.rows.every((r) => r.note === 'pod added')).toBe(true)
    expect(allowsSomethingNew(result)).toBe(true)
  })
})

describe('diff of a live cluster against manifests', () => {
  it('live pods (owned by a ReplicaSet) and manifest pods of the same Deployment are one workload', () => {
    const manifests = loadManifestText(
      `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: a}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: b, labels: {app: db}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 5432}]}]}
`,
      { file: 'k8s.yaml' },
    ).state
    // As the live source converts it: owned by the Deployment's ReplicaSet, named by the ReplicaSet.
    const web = manifests.pods.find((p) => p.name === 'web-0')!
    const converted = convertPod({
      metadata: {
        name: 'web-7d9f8c6b5-x2x9q',
        namespace: 'a',
        labels: { app: 'web', 'pod-template-hash': '7d9f8c6b5' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f8c6b5', uid: 'u1', controller: true }],
      },
      spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80, protocol: 'TCP' }] }] },
      status: { phase: 'Running' },
    })
    if (!converted.ok || !converted.value) throw new Error('not converted')
    const livePod = converted.value
    const live: ClusterState = { ...manifests, pods: manifests.pods.map((p) => (p === web ? livePod : p)) }
    const result = diff(live, manifests)
    expect(result.rows).toEqual([])
    expect(result.groupsAdded).toEqual([])
  })
})
