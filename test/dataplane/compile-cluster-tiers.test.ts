import { describe, expect, it } from 'vitest'
import { compileRuleset } from '../../src/dataplane/compile-ruleset.js'
import { InputError } from '../../src/model/diagnostic.js'
import type { ClusterNetworkPolicy } from '../../src/model/cluster-network-policy-types.js'
import type { ClusterState } from '../../src/model/types.js'
import { buildState } from '../cases/build-state.js'

const BASE = `
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {tenant: shop}}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop, labels: {app: api}}
spec: {nodeName: n1, containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
status: {podIP: 10.244.1.3}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {nodeName: n1}
status: {podIP: 10.244.1.4}
`

const CNP = `
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: tenant-isolation}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {}}
  ingress:
  - {name: deny-cross-tenant, action: Deny, from: [{namespaces: {matchLabels: {tenant: other}}}]}
  - {action: Accept, from: [{pods: {podSelector: {matchLabels: {app: web}}}}], protocols: [{destinationNamedPort: http}]}
`

describe('ClusterNetworkPolicy tiers in the compiled ruleset', () => {
  it('a state without ClusterNetworkPolicies compiles the same whether the list is absent or empty, with no tier objects', () => {
    const state = buildState(BASE)
    const absent = compileRuleset({ ...state, clusterNetworkPolicies: undefined }, { nodeName: 'n1' })
    const empty = compileRuleset({ ...state, clusterNetworkPolicies: [] }, { nodeName: 'n1' })
    expect(empty.script).toBe(absent.script)
    expect(absent.script).not.toMatch(/pass_in|cnp_|cdeny_|cgrp_|cundef_/)
    expect(absent.index.clusterRuleCounters).toEqual([])
  })

  it('names rule counters and drop chains by tier, policy, rule name or index, and priority', () => {
    const { script, index } = compileRuleset(buildState(BASE + CNP), { nodeName: 'n1' })
    expect(index.clusterRuleCounters.map((c) => [c.tier, c.policy, c.priority, c.side, c.ruleIndex, c.ruleName, c.action])).toEqual([
      // The Deny's peer selects no pod: it has no line and no counter on this node.
      ['Admin', 'tenant-isolation', 10, 'ingress', 1, undefined, 'Accept'],
    ])
    expect(script).toContain('comment "Accept ingress by admin ClusterNetworkPolicy tenant-isolation rule ingress[1] (priority 10)"')
    // Named port resolved on the destination pod: 10.244.1.3 . tcp . 8080, from web's address.
    expect(script).toMatch(
      /ip saddr 10\.244\.1\.4 ip daddr 10\.244\.1\.3 meta l4proto tcp th dport 8080 counter name "cnp_in_tenant_isolation_ingress_1_[0-9a-f]+" accept/,
    )
    const withPeer = compileRuleset(buildState(BASE.replace('tenant: shop', 'tenant: other') + CNP), { nodeName: 'n1' })
    expect(withPeer.script).toContain('log prefix "netpol deny ingress admin tenant-isolation rule deny-cross-tenant: " group 100')
  })

  it('refuses a ClusterNetworkPolicy with values that cannot become nft text, naming the object and field, and compiles nothing', () => {
    const state = buildState(BASE + CNP)
    const bad: ClusterNetworkPolicy = {
      ...state.clusterNetworkPolicies![0]!,
      spec: {
        ...state.clusterNetworkPolicies![0]!.spec,
        ingress: [
          {
            action: 'Accept',
            from: [],
            protocols: [{ tcp: { destinationPort: { number: 70000 } }, source: { file: 'c.yaml', line: 9 } }],
            source: { file: 'c.yaml', line: 8 },
          },
        ],
      },
    }
    const broken: ClusterState = { ...state, clusterNetworkPolicies: [bad] }
    const error = (() => {
      try {
        compileRuleset(broken, { nodeName: 'n1' })
      } catch (e) {
        return e
      }
      return undefined
    })()
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).diagnostics[0]).toMatchObject({
      object: 'ClusterNetworkPolicy "tenant-isolation"',
      field: 'spec.ingress[0].protocols[0].tcp.destinationPort.number',
    })
  })
})
