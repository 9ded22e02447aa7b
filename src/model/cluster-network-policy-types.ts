/**
 * @module The validated, read-only model of a `policy.networking.k8s.io/v1alpha2`
 * ClusterNetworkPolicy (kubernetes-sigs/network-policy-api; vendored CRD and Go types under
 * `vendor/network-policy-api/`).
 *
 * Names follow the Go types (`ClusterNetworkPolicySpec`, `ClusterNetworkPolicyEgressPeer`,
 * `NamespacedPod`, `Port`, `PortRange`, ...). Where the CRD says "exactly one field must be set"
 * the model keeps the optional fields of the API and validation guarantees that exactly one is
 * set. Every object, subject, rule, peer and protocol keeps where it was written (`source`).
 */
import type { LabelSelector, SourceRef } from './types.js'

export const CNP_API_VERSION = 'policy.networking.k8s.io/v1alpha2'
export const CNP_KIND = 'ClusterNetworkPolicy'

/** `spec.tier`: Admin is evaluated before NetworkPolicy, Baseline after it. */
export type ClusterNetworkPolicyTier = 'Admin' | 'Baseline'
export const CNP_TIERS: readonly ClusterNetworkPolicyTier[] = ['Admin', 'Baseline']

/** A rule's `action`. */
export type ClusterNetworkPolicyRuleAction = 'Accept' | 'Deny' | 'Pass'
export const CNP_ACTIONS: readonly ClusterNetworkPolicyRuleAction[] = ['Accept', 'Deny', 'Pass']

/** Pods selected by namespace AND pod selectors (an empty selector selects all). */
export interface NamespacedPod {
  /** @default {} (all namespaces) when absent */
  readonly namespaceSelector: LabelSelector
  readonly podSelector: LabelSelector
}

/** `spec.subject`: exactly one of `namespaces` or `pods` is set. Host-network pods are never selected. */
export interface ClusterNetworkPolicySubject {
  readonly namespaces?: LabelSelector
  readonly pods?: NamespacedPod
  readonly source: SourceRef
}

/** An inclusive port range; validation guarantees 1 <= start < end <= 65535. */
export interface PortRange {
  readonly start: number
  readonly end: number
}

/** `destinationPort`: exactly one of `number` (1-65535) or `range` is set. */
export interface Port {
  readonly number?: number
  readonly range?: PortRange
}

/** `tcp`/`udp`/`sctp` of a protocol entry; the CRD requires at least one property, so `destinationPort` is always set. */
export interface ClusterNetworkPolicyProtocolMatch {
  readonly destinationPort: Port
}

/**
 * One entry of `protocols`: exactly one of `tcp`, `udp`, `sctp` or `destinationNamedPort` is set.
 * A named port is resolved against the destination pod's container ports (of any protocol).
 */
export interface ClusterNetworkPolicyProtocol {
  readonly tcp?: ClusterNetworkPolicyProtocolMatch
  readonly udp?: ClusterNetworkPolicyProtocolMatch
  readonly sctp?: ClusterNetworkPolicyProtocolMatch
  readonly destinationNamedPort?: string
  readonly source: SourceRef
}

/** `from[i]`: exactly one of `namespaces` or `pods`. */
export interface ClusterNetworkPolicyIngressPeer {
  readonly namespaces?: LabelSelector
  readonly pods?: NamespacedPod
  readonly source: SourceRef
}

/**
 * `to[i]`: exactly one of `namespaces`, `pods`, `nodes` (experimental channel), `networks` or
 * `domainNames` (experimental channel).
 */
export interface ClusterNetworkPolicyEgressPeer {
  readonly namespaces?: LabelSelector
  readonly pods?: NamespacedPod
  /** Node IPs (`status.addresses`) of the nodes whose labels match. */
  readonly nodes?: LabelSelector
  /** CIDRs as written (each valid per CEL `isCIDR`: host bits allowed, v4 or v6), distinct, 1-25. */
  readonly networks?: readonly string[]
  /** Exact names or `*.`-prefixed wildcards as written, distinct, 1-25; only meaningful in Accept rules. */
  readonly domainNames?: readonly string[]
  readonly source: SourceRef
}

export interface ClusterNetworkPolicyIngressRule {
  /** At most 100 characters; absent when not written. */
  readonly name?: string
  readonly action: ClusterNetworkPolicyRuleAction
  /** 1-25 peers. */
  readonly from: readonly ClusterNetworkPolicyIngressPeer[]
  /** Empty when absent (the API forbids an empty list): the rule matches every protocol and port. */
  readonly protocols: readonly ClusterNetworkPolicyProtocol[]
  readonly source: SourceRef
}

export interface ClusterNetworkPolicyEgressRule {
  readonly name?: string
  readonly action: ClusterNetworkPolicyRuleAction
  /** 1-25 peers. */
  readonly to: readonly ClusterNetworkPolicyEgressPeer[]
  /** Empty when absent: every protocol and port. */
  readonly protocols: readonly ClusterNetworkPolicyProtocol[]
  readonly source: SourceRef
}

export interface ClusterNetworkPolicySpec {
  readonly tier: ClusterNetworkPolicyTier
  /** 0-1000; lower is evaluated first within the tier. */
  readonly priority: number
  readonly subject: ClusterNetworkPolicySubject
  /** In written order (first match wins); at most 25. Empty: the policy does not affect ingress. */
  readonly ingress: readonly ClusterNetworkPolicyIngressRule[]
  readonly egress: readonly ClusterNetworkPolicyEgressRule[]
}

export interface ClusterNetworkPolicy {
  /** `metadata.name` (cluster-scoped: no namespace). */
  readonly name: string
  readonly spec: ClusterNetworkPolicySpec
  readonly source: SourceRef
}

/** `ClusterNetworkPolicy "name"`, as diagnostics and explanations name it. */
export function describeClusterNetworkPolicy(p: { readonly name: string }): string {
  return `${CNP_KIND} ${JSON.stringify(p.name)}`
}
