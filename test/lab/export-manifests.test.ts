import { describe, it, expect } from 'vitest'
import { stringify } from 'yaml'
import { clusterStateManifests } from '../../src/lab/export-manifests.js'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { planTopology } from '../../src/lab/topology.js'
import { EVERY_CNP_SHAPE_YAML } from './fixtures.js'
import { createEngine } from '../../src/engine/engine.js'
import { computeMatrix, defaultPorts } from '../../src/analyze/matrix.js'

const MANIFESTS = `
apiVersion: v1
kind: Namespace
metadata: {name: "y", labels: {team: blue}}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: "y", labels: {app: a}}
spec: {containers: [{name: c, image: x, ports: [{name: http, containerPort: 80}, {containerPort: 53, protocol: UDP}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: "y", labels: {app: b}}
spec: {containers: [{name: c, image: x, ports: [{containerPort: 8080}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: "y"}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - from:
    - ipBlock: {cidr: 10.244.0.0/16, except: [10.244.1.0/24]}
    - namespaceSelector: {matchExpressions: [{key: team, operator: Exists}]}
      podSelector: {matchLabels: {app: b}}
    ports: [{port: http}, {port: 50, endPort: 60, protocol: UDP}]
  egress:
  - {}
`

describe('lab export', () => {
  it('round-trips through the loader: the same pods, addresses, nodes, and the same matrix', () => {
    const loaded = loadManifestText(MANIFESTS).state
    const { state } = planTopology(loaded, { lab: 'l', nodeCount: 2 })
    const text = clusterStateManifests(state)
      .map((d) => `---\n${stringify(d, { version: '1.1' })}`)
      .join('')
    const again = loadManifestText(text).state
    expect(again.pods.map((p) => [p.namespace, p.name, p.ips, p.nodeName, p.labels, p.containerPorts])).toEqual(
      state.pods.map((p) => [p.namespace, p.name, p.ips, p.nodeName, p.labels, p.containerPorts]),
    )
    expect(again.namespaces.find((n) => n.name === 'y')!.labels.team).toBe('blue')
    const ports = defaultPorts(state)
    const strip = (m: ReturnType<typeof computeMatrix>) => m.connections.map((c) => `${c.from} ${c.to} ${c.port}/${c.protocol} ${c.allowed}`)
    expect(strip(computeMatrix(createEngine(again), again, ports))).toEqual(strip(computeMatrix(createEngine(state), state, ports)))
  })
})

describe('lab export of ClusterNetworkPolicies', () => {
  it('prints every tier, subject, peer and protocol shape as a v1alpha2 manifest that reads back as the same policies', () => {
    const loaded = loadManifestText(EVERY_CNP_SHAPE_YAML, { file: 'guard.yaml' }).state
    expect(loaded.clusterNetworkPolicies).toHaveLength(2)
    const text = clusterStateManifests(loaded)
      .map((d) => `---\n${stringify(d, { version: '1.1' })}`)
      .join('')
    const again = loadManifestText(text, { file: 'export.yaml' }).state
    const noSources = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === 'source' ? undefined : x)))
    expect(noSources(again.clusterNetworkPolicies)).toEqual(noSources(loaded.clusterNetworkPolicies))
  })
})
