import { describe, expect, it } from 'vitest'
import { ADMIN_NETWORK_POLICY_SCHEMA, BASELINE_ADMIN_NETWORK_POLICY_SCHEMA } from '../../src/model/admin-network-policy-v1alpha1.js'
import { CLUSTER_NETWORK_POLICY_SCHEMA } from '../../src/model/cluster-network-policy-schema.js'
import { differences, vendoredSchema, type Node } from './crd-schema-compare.js'

describe('the ClusterNetworkPolicy schema is the released CRD', () => {
  it('matches the experimental channel CRD field by field (types, limits, enums, patterns, list types, CEL rules)', () => {
    expect(
      differences(
        CLUSTER_NETWORK_POLICY_SCHEMA,
        vendoredSchema('v1alpha2', 'v1alpha2/crd/experimental/policy.networking.k8s.io_clusternetworkpolicies.yaml'),
        'experimental',
      ),
    ).toEqual([])
  })
  it('without its experimental fields, matches the standard channel CRD (except the experimental-only CEL rule)', () => {
    const diffs = differences(
      CLUSTER_NETWORK_POLICY_SCHEMA,
      vendoredSchema('v1alpha2', 'v1alpha2/crd/standard/policy.networking.k8s.io_clusternetworkpolicies.yaml'),
      'standard',
    )
    expect(diffs).toHaveLength(1)
    expect(diffs[0]).toMatch(
      /^spec\.egress\[\]: x-kubernetes-validations: netpol \[\{"message":"networks\/nodes\/domainNames peer cannot be set with namedPorts/,
    )
  })
  it('the comparison sees a changed limit (it is no tautology)', () => {
    const crd = vendoredSchema('v1alpha2', 'v1alpha2/crd/experimental/policy.networking.k8s.io_clusternetworkpolicies.yaml')
    const spec = (crd.properties as Record<string, Node>).spec
    ;((spec.properties as Record<string, Node>).priority as Node).maximum = 999
    expect(differences(CLUSTER_NETWORK_POLICY_SCHEMA, crd, 'experimental')).toEqual(['spec.priority: maximum: netpol 1000, CRD 999'])
  })
})

describe('the v1alpha1 schemas are their last released CRDs (v0.1.8)', () => {
  const cases = [
    ['AdminNetworkPolicy', ADMIN_NETWORK_POLICY_SCHEMA, 'adminnetworkpolicies'],
    ['BaselineAdminNetworkPolicy', BASELINE_ADMIN_NETWORK_POLICY_SCHEMA, 'baselineadminnetworkpolicies'],
  ] as const
  it.each(cases)('%s matches the experimental channel CRD', (_kind, schema, plural) => {
    expect(differences(schema, vendoredSchema('v1alpha1', `v1alpha1/crd/experimental/policy.networking.k8s.io_${plural}.yaml`), 'experimental')).toEqual([])
  })
  it.each(cases)(
    '%s without its experimental fields matches the standard channel CRD (except the experimental-only named port rule)',
    (_kind, schema, plural) => {
      const diffs = differences(schema, vendoredSchema('v1alpha1', `v1alpha1/crd/standard/policy.networking.k8s.io_${plural}.yaml`), 'standard')
      expect(diffs).toHaveLength(1)
      expect(diffs[0]).toMatch(/^spec\.egress\[\]: x-kubernetes-validations: netpol \[\{"message":"networks\/nodes/)
    },
  )
})
