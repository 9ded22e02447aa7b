/**
 * Pods a (namespace tx) and b (namespace ty, tenant blue) on node n1, and k Admin-tier and k
 * Baseline-tier ClusterNetworkPolicies sharing one priority per tier and selecting b: one group
 * of k per tier, with ports where one policy decides, where all agree and where they conflict.
 * - 80: Admin policy 0 accepts; 81: the last Admin policy denies;
 * - 90: every Admin policy accepts; 91: Admin policies alternate Accept and Pass (a conflict);
 * - 200 + i: Admin policy i alone, Pass (even i) or Accept (odd i);
 * - 95: every Baseline policy accepts; 96: Baseline policies alternate Accept and Deny (a conflict);
 * - 97: nothing matches.
 */
import type { ClusterState } from '../../src/model/types.js'
import { buildState } from '../cases/build-state.js'

/** Pod a in namespace tx (tenant red), pod b in ty (tenant blue, named port web = 81). */
export const TWO_TENANT_PODS = `
apiVersion: v1
kind: Namespace
metadata: {name: tx, labels: {tenant: red}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ty, labels: {tenant: blue}}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: tx, labels: {app: a}}
status: {podIP: 10.250.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: ty, labels: {app: b}}
spec: {containers: [{name: c, ports: [{name: web, containerPort: 81}]}]}
status: {podIP: 10.250.1.2}
`

const rule = (action: string, port: number): string =>
  `  - {action: ${action}, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: ${port}}}}]}\n`

/** A ClusterNetworkPolicy whose subject is the tenant blue namespaces, with these ingress rules (YAML list items). */
export function tenantBlueCnp(name: string, tier: 'Admin' | 'Baseline', priority: number, rules: string): string {
  return `
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: ${name}}
spec:
  tier: ${tier}
  priority: ${priority}
  subject: {namespaces: {matchLabels: {tenant: blue}}}
  ingress:
${rules}`
}

export const PRIORITY_GROUP_PORTS = (k: number): number[] => [80, 81, 90, 91, 95, 96, 97, ...Array.from({ length: k }, (_, i) => 200 + i)]

export function priorityGroupState(k: number): ClusterState {
  let yaml = TWO_TENANT_PODS
  for (let i = 0; i < k; i++) {
    let rules = ''
    if (i === 0) rules += rule('Accept', 80)
    if (i === k - 1) rules += rule('Deny', 81)
    rules += rule('Accept', 90) + rule(i % 2 === 0 ? 'Accept' : 'Pass', 91) + rule(i % 2 === 0 ? 'Pass' : 'Accept', 200 + i)
    yaml += tenantBlueCnp(`admin-${String(i).padStart(2, '0')}`, 'Admin', 10, rules)
  }
  for (let i = 0; i < k; i++)
    yaml += tenantBlueCnp(`baseline-${String(i).padStart(2, '0')}`, 'Baseline', 20, rule('Accept', 95) + rule(i % 2 === 0 ? 'Accept' : 'Deny', 96))
  const state = buildState(yaml)
  return { ...state, pods: state.pods.map((p) => ({ ...p, nodeName: 'n1' })) }
}
