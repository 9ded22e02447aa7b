import { describe, it, expect } from 'vitest'
import { compileRuleset } from '../../src/dataplane/compile-ruleset.js'
import { UsageError } from '../../src/model/errors.js'
import { refuseUnenforcedKinds } from '../../src/dataplane/unenforced-kinds.js'
import type { ClusterState } from '../../src/model/types.js'

const state: ClusterState = {
  namespaces: [{ name: 'a', labels: { 'kubernetes.io/metadata.name': 'a' }, implicit: false }],
  pods: [
    { namespace: 'a', name: 'p', labels: {}, ips: ['10.0.0.1'], containerPorts: [], hostNetwork: false, nodeName: 'n1', source: { file: 'p.yaml', line: 1 } },
  ],
  policies: [],
}

describe('refuseUnenforcedKinds (for enforcement paths that do not take ClusterNetworkPolicies yet)', () => {
  it('compiles a state without ClusterNetworkPolicies', () => {
    expect(compileRuleset(state, { nodeName: 'n1' }).script).toContain('table inet netpol {')
  })

  it('refuses a state with ClusterNetworkPolicies, naming them with file:line; the compiler itself compiles them', () => {
    const withCnp: ClusterState = {
      ...state,
      clusterNetworkPolicies: [
        {
          name: 'deny-all',
          spec: {
            tier: 'Admin',
            priority: 1,
            subject: { namespaces: { matchLabels: {}, matchExpressions: [] }, source: { file: 'c.yaml', line: 6 } },
            ingress: [
              {
                action: 'Deny',
                from: [{ namespaces: { matchLabels: {}, matchExpressions: [] }, source: { file: 'c.yaml', line: 10 } }],
                protocols: [],
                source: { file: 'c.yaml', line: 9 },
              },
            ],
            egress: [],
          },
          source: { file: 'c.yaml', line: 1 },
        },
      ],
    }
    expect(() => refuseUnenforcedKinds(withCnp, 'the lab')).toThrow(UsageError)
    expect(() => refuseUnenforcedKinds(withCnp, 'the lab')).toThrow(/does not enforce ClusterNetworkPolicy yet.*"deny-all" \(c\.yaml:1\)/)
    expect(() => refuseUnenforcedKinds(state, 'the lab')).not.toThrow()
    // The nftables compiler enforces them (compiled-semantics.test.ts, cluster-tiers-kernel.test.ts).
    expect(compileRuleset(withCnp, { nodeName: 'n1' }).script).toContain('ClusterNetworkPolicy deny-all')
  })
})
