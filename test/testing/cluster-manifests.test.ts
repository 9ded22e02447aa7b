import { describe, it, expect } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { clusterManifests } from '../../testing/cluster-manifests.js'
import { generateCluster, SIZES } from '../../testing/generate-cluster.js'
import { loadManifestText, mergeLoadResults } from '../../src/cluster/load-manifests.js'
import type { ClusterState } from '../../src/model/types.js'

/** The state without source positions (which differ: generated vs read from YAML) and owners of pods (ReplicaSets in a dump). */
function comparable(state: ClusterState, withIps: boolean): unknown {
  const strip = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === 'source' ? undefined : x)))
  const byName = <T extends { namespace?: string; name: string }>(xs: readonly T[]): T[] =>
    [...xs].sort((a, b) => `${a.namespace ?? ''}/${a.name}`.localeCompare(`${b.namespace ?? ''}/${b.name}`))
  return strip({
    namespaces: byName(state.namespaces).map((n) => ({ name: n.name, labels: n.labels, implicit: n.implicit })),
    pods: byName(state.pods).map((p) => ({
      namespace: p.namespace,
      name: p.name,
      labels: p.labels,
      containerPorts: p.containerPorts,
      hostNetwork: p.hostNetwork,
      ...(withIps ? { ips: p.ips, nodeName: p.nodeName } : {}),
    })),
    policies: byName(state.policies),
  })
}

function load(files: readonly { path: string; text: string }[]) {
  return mergeLoadResults(files.map((f) => loadManifestText(f.text, { file: f.path })))
}

describe('clusterManifests', () => {
  const S = generateCluster(SIZES.S)

  it('writes one file per namespace, each starting with its Namespace', () => {
    const files = clusterManifests(S)
    expect(files.map((f) => f.path).sort()).toEqual(S.state.namespaces.map((n) => `${n.name}.yaml`).sort())
    for (const f of files) {
      const docs = parseAllDocuments(f.text) as unknown as { toJS(): { kind: string } }[]
      expect(docs[0].toJS().kind).toBe('Namespace')
    }
  })

  it('pods-style manifests load through the loader without errors and give back the generated state, IPs and nodes included', () => {
    const loaded = load(clusterManifests(S, 'pods'))
    expect(loaded.warnings).toEqual([])
    expect(loaded.skipped).toEqual([])
    expect(comparable(loaded.state, true)).toEqual(comparable(S.state, true))
  })

  it('workloads-style manifests load into the same pods (named <workload>-<i>, owned by their workload), without IPs', () => {
    const loaded = load(clusterManifests(S, 'workloads'))
    expect(loaded.warnings).toEqual([])
    expect(comparable(loaded.state, false)).toEqual(comparable(S.state, false))
    expect(loaded.state.pods.every((p) => p.ips.length === 0)).toBe(true)
    const owners = new Set(loaded.state.pods.map((p) => `${p.namespace}/${p.owner?.kind}/${p.owner?.name}`))
    expect(owners).toEqual(new Set(S.state.pods.map((p) => `${p.namespace}/${p.owner?.kind}/${p.owner?.name}`)))
  })

  it('M loads without errors too', () => {
    const M = generateCluster(SIZES.M)
    const loaded = load(clusterManifests(M))
    expect(loaded.state.pods).toHaveLength(1000)
    expect(loaded.state.policies).toHaveLength(200)
    expect(loaded.state.namespaces.filter((n) => !n.implicit)).toHaveLength(50)
  })

  it('is deterministic', () => {
    expect(clusterManifests(generateCluster(SIZES.S))).toEqual(clusterManifests(S))
  })
})
