/**
 * A pod on node n1 under `admin` Admin-tier ClusterNetworkPolicies of one priority (each Passes
 * one port) and `baseline` Baseline-tier ones of one priority: each policy of a priority group is
 * one more goto deep, so the depth of the jumps is chosen by the counts (ruleset-delta tests).
 */
import type { ClusterState } from '../../src/model/types.js'
import { buildState } from '../cases/build-state.js'

const POD = `
apiVersion: v1
kind: Namespace
metadata: {name: ty, labels: {tenant: blue}}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: ty, labels: {app: b}}
status: {podIP: 10.250.1.2}
`

function cnp(name: string, tier: 'Admin' | 'Baseline', action: 'Pass' | 'Accept', port: number): string {
  return `
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: ${name}}
spec:
  tier: ${tier}
  priority: 10
  subject: {namespaces: {matchLabels: {tenant: blue}}}
  ingress:
  - {action: ${action}, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: ${port}}}}]}
`
}

export function deepTiersState(admin: number, baseline: number): ClusterState {
  let yaml = POD
  for (let i = 0; i < admin; i++) yaml += cnp(`admin-${admin}-${i}`, 'Admin', 'Pass', 80 + i)
  for (let i = 0; i < baseline; i++) yaml += cnp(`baseline-${baseline}-${i}`, 'Baseline', 'Accept', 180 + i)
  const state = buildState(yaml)
  return { ...state, pods: state.pods.map((p) => ({ ...p, nodeName: 'n1' })) }
}
