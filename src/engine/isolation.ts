/**
 * @module Which policies select a pod, per direction (isolation), spec-literally.
 *
 * API reference (NetworkPolicySpec): "podSelector selects the pods to which this NetworkPolicy
 * object applies. ... An empty podSelector selects all pods in this namespace." "policyTypes ...
 * If this field is not specified, it will default based on the existence of ingress or egress
 * rules; policies that contain an egress section are assumed to affect egress, and all policies
 * (whether or not they contain an ingress section) are assumed to affect ingress." (The model is
 * already defaulted.) Concepts, "The two sorts of pod isolation": "By default, a pod is
 * non-isolated for egress/ingress ... A pod is isolated for ingress if there is any NetworkPolicy
 * that both selects the pod and has "Ingress" in its policyTypes". hostNetwork pods are never
 * selected: policies are not enforced on the node's own network namespace.
 */
import { compareQualifiedNames, type NetworkPolicy, type Pod, type PolicyType } from '../model/types.js'
import { matchesSelector } from '../model/label-selector.js'

/** The policy applies to the pod (either direction): its namespace, its podSelector, never hostNetwork. */
export function policyAppliesTo(policy: NetworkPolicy, pod: Pod): boolean {
  return !pod.hostNetwork && policy.namespace === pod.namespace && matchesSelector(policy.podSelector, pod.labels)
}

/** The policy isolates the pod for `direction`: it applies to the pod and has the direction in its policyTypes. */
export function policySelectsPod(policy: NetworkPolicy, pod: Pod, direction: PolicyType): boolean {
  return policy.policyTypes.includes(direction) && policyAppliesTo(policy, pod)
}

/** The verdict's stable policy order: namespace, then name (code-unit order, locale independent). */
export const comparePolicies = compareQualifiedNames
