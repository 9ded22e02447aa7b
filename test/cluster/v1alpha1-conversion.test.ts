/**
 * The v1alpha1 policies as the lab enforces them: the ClusterNetworkPolicies `netpol convert`
 * prints, added to the state, all or nothing.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { convertedPolicies, withConvertedV1alpha1 } from '../../src/cluster/v1alpha1-conversion.js'
import { InputError } from '../../src/model/diagnostic.js'

const V1ALPHA1 = readFileSync(new URL('../../vendor/network-policy-api/v1alpha1/conformance/standard-anp-np-banp.yaml', import.meta.url), 'utf8')
const noSources = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === 'source' ? undefined : x)))

function errorsOf(f: () => unknown): string[] {
  try {
    f()
  } catch (err) {
    if (err instanceof InputError) return err.diagnostics.map((d) => `${d.file}:${d.line} ${d.object ?? ''} ${d.field ?? ''} ${d.message}`)
    throw err
  }
  throw new Error('no InputError')
}

describe('withConvertedV1alpha1 (the lab enforces v1alpha1 objects as what netpol convert prints)', () => {
  it('adds an AdminNetworkPolicy and a BaselineAdminNetworkPolicy as the ClusterNetworkPolicies convert prints, placed at the v1alpha1 objects, each with a deprecation warning', () => {
    const loaded = loadManifestText(V1ALPHA1, { file: 'anp.yaml' })
    expect(loaded.state.clusterNetworkPolicies).toBeUndefined()
    const { state, warnings } = withConvertedV1alpha1(loaded.state, loaded.v1alpha1!, { baselinePriority: 1000 })
    expect(state.policies).toEqual(loaded.state.policies)
    const cnps = state.clusterNetworkPolicies!
    expect(cnps.map((p) => `${p.name} ${p.spec.tier} ${p.spec.priority}`)).toEqual(['pass-example Admin 10', 'default Baseline 1000'])
    // The very policies `netpol convert` prints, read back.
    const printed = convertedPolicies(loaded.v1alpha1!, { baselinePriority: 1000 }).policies.map((p) => JSON.stringify(p.object))
    expect(noSources(cnps)).toEqual(noSources(printed.flatMap((t) => loadManifestText(t).state.clusterNetworkPolicies!)))
    // Every source (rules, peers) is the v1alpha1 object's.
    const sources = new Set<string>()
    JSON.stringify(cnps, (k, x: unknown) => (k === 'source' ? (sources.add(JSON.stringify(x)), x) : x))
    expect([...sources]).toEqual(loaded.v1alpha1!.map((o) => JSON.stringify(o.source)))
    expect(warnings.map((w) => `${w.file}:${w.line} ${w.object}: ${w.message}`)).toEqual([
      `anp.yaml:${loaded.v1alpha1![0]!.source.line} AdminNetworkPolicy "pass-example": deprecated: AdminNetworkPolicy (policy.networking.k8s.io/v1alpha1) is replaced by ` +
        'ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2) and its CRD no longer ships; enforced as the equivalent ClusterNetworkPolicy (tier Admin), which `netpol convert` prints',
      `anp.yaml:${loaded.v1alpha1![1]!.source.line} BaselineAdminNetworkPolicy "default": deprecated: BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1) is replaced by ` +
        'ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2) and its CRD no longer ships; enforced as the equivalent ClusterNetworkPolicy (tier Baseline, priority 1000), ' +
        'which `netpol convert` prints',
    ])
  })

  it('changes nothing without v1alpha1 objects', () => {
    const state = loadManifestText('apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n').state
    expect(withConvertedV1alpha1(state, [], { baselinePriority: 1000 })).toEqual({ state, warnings: [] })
  })

  it('refuses, all or nothing, a policy that cannot be converted (sameLabels) and one whose name a ClusterNetworkPolicy has', () => {
    const text = `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: same}
spec:
  priority: 3
  subject: {namespaces: {}}
  ingress:
  - action: Deny
    from: [{namespaces: {sameLabels: [tenant]}}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: guard}
spec:
  priority: 4
  subject: {namespaces: {}}
  egress: [{action: Deny, to: [{namespaces: {}}]}]
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: guard}
spec:
  tier: Admin
  priority: 5
  subject: {namespaces: {}}
  egress: [{action: Accept, to: [{namespaces: {}}]}]
`
    const loaded = loadManifestText(text, { file: 'mixed.yaml' })
    const errors = errorsOf(() => withConvertedV1alpha1(loaded.state, loaded.v1alpha1!, { baselinePriority: 1000 }))
    expect(errors).toHaveLength(2)
    expect(errors[0]).toMatch(
      /^mixed\.yaml:9 AdminNetworkPolicy "same" spec\.ingress\[0\]\.from\[0\]\.namespaces\.sameLabels cannot convert to ClusterNetworkPolicy: /,
    )
    expect(errors[1]).toMatch(
      /^mixed\.yaml:11 AdminNetworkPolicy "guard" {2}it would become ClusterNetworkPolicy "guard", the name of the one at mixed\.yaml:19: rename one/,
    )
  })
})
