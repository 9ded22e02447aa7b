/**
 * @module The validated, fully defaulted, read-only model of the Kubernetes objects netpol reads.
 *
 * Names follow `networking.k8s.io/v1` and `core/v1` so a reader who knows the API feels at home.
 * Loading turns raw manifests (or live API objects) into these types after validation and
 * defaulting; the engine, compiler and analyses only ever see this model. Every object keeps the
 * place it came from (`source`) so messages can name file:line.
 */

import type { ClusterNetworkPolicy } from './cluster-network-policy-types.js'

/** Where an object (or a field of it) was read from. `file` is `-` for stdin, `api` for a live cluster. */
export interface SourceRef {
  readonly file: string
  /** 1-based line. */
  readonly line: number
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP'
export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP']

export type PolicyType = 'Ingress' | 'Egress'

export type Labels = Readonly<Record<string, string>>

export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'

export interface LabelSelectorRequirement {
  readonly key: string
  readonly operator: LabelSelectorOperator
  /** Empty for Exists/DoesNotExist; non-empty for In/NotIn (validation guarantees it). */
  readonly values: readonly string[]
}

/**
 * A label selector. Both parts are ANDed; an empty selector (`{}`) matches everything.
 * @default matchLabels {} and matchExpressions []
 */
export interface LabelSelector {
  readonly matchLabels: Labels
  readonly matchExpressions: readonly LabelSelectorRequirement[]
}

export interface IPBlock {
  /** Canonical CIDR text as written (validated: v4 or v6, no host bits beyond the prefix are required by the API). */
  readonly cidr: string
  /** Each a strict subset of `cidr`, same family. @default [] */
  readonly except: readonly string[]
}

/**
 * One peer. Exactly one of these shapes (validation guarantees it):
 * - `ipBlock` alone;
 * - `podSelector` and/or `namespaceSelector` (both present means AND; `podSelector` alone means
 *   the policy's own namespace; `namespaceSelector` alone means every pod of matching namespaces).
 */
export interface NetworkPolicyPeer {
  readonly podSelector?: LabelSelector
  readonly namespaceSelector?: LabelSelector
  readonly ipBlock?: IPBlock
  readonly source: SourceRef
}

export interface NetworkPolicyPort {
  /** @default 'TCP' */
  readonly protocol: Protocol
  /** A number (1-65535) or an IANA service name resolved against the destination pod's container ports. Absent: every port of the protocol. */
  readonly port?: number | string
  /** Inclusive end of a range starting at numeric `port`. */
  readonly endPort?: number
  readonly source: SourceRef
}

export interface NetworkPolicyIngressRule {
  /** Empty (or absent in the manifest) matches every source. */
  readonly from: readonly NetworkPolicyPeer[]
  /** Empty (or absent in the manifest) matches every port and protocol. */
  readonly ports: readonly NetworkPolicyPort[]
  readonly source: SourceRef
}

export interface NetworkPolicyEgressRule {
  /** Empty (or absent in the manifest) matches every destination. */
  readonly to: readonly NetworkPolicyPeer[]
  /** Empty (or absent in the manifest) matches every port and protocol. */
  readonly ports: readonly NetworkPolicyPort[]
  readonly source: SourceRef
}

export interface NetworkPolicy {
  readonly namespace: string
  readonly name: string
  /** Selects pods in `namespace`; empty selects all of them. */
  readonly podSelector: LabelSelector
  /**
   * Effective policy types after defaulting: as written when present; otherwise `Ingress` always,
   * plus `Egress` when the policy has egress rules.
   */
  readonly policyTypes: readonly PolicyType[]
  readonly ingress: readonly NetworkPolicyIngressRule[]
  readonly egress: readonly NetworkPolicyEgressRule[]
  readonly source: SourceRef
}

export interface Namespace {
  readonly name: string
  /** Always includes `kubernetes.io/metadata.name: <name>`. */
  readonly labels: Labels
  /** True when the namespace was only referenced, never declared. */
  readonly implicit: boolean
  readonly source?: SourceRef
}

export interface ContainerPort {
  readonly name?: string
  readonly containerPort: number
  /** @default 'TCP' */
  readonly protocol: Protocol
}

/** The workload a pod was made from, when it came from a pod template. */
export interface OwnerRef {
  readonly kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet' | 'ReplicationController' | 'Job' | 'CronJob'
  readonly name: string
}

export interface Pod {
  readonly namespace: string
  readonly name: string
  readonly labels: Labels
  /** From `status.podIPs`/`status.podIP` (or allocated by the lab); may be empty offline. */
  readonly ips: readonly string[]
  /** true when netpol chose the address because the manifest had none; see docs/semantics.md */
  readonly ipsAssumed?: boolean
  readonly containerPorts: readonly ContainerPort[]
  /** Policies neither select nor match hostNetwork pods by selector; only ipBlock sees their IPs. */
  readonly hostNetwork: boolean
  readonly nodeName?: string
  /**
   * The workload the pod belongs to: its controller from `ownerReferences` (a Deployment for a pod
   * of its ReplicaSet), or the workload whose template it was made from. Absent: its own workload.
   */
  readonly owner?: OwnerRef
  /** Set when netpol made the pod from this workload object's pod template (not read as a Pod). */
  readonly template?: OwnerRef
  readonly source: SourceRef
}

/** A cluster node, for the `nodes` peers of ClusterNetworkPolicies. */
export interface Node {
  readonly name: string
  readonly labels: Labels
  /** The IPs of `status.addresses` (InternalIP, ExternalIP, any other entry that is an IP), canonical text. */
  readonly addresses: readonly string[]
  readonly source: SourceRef
}

/** Everything the engine needs to know: the cluster as the API server would hold it. */
export interface ClusterState {
  readonly namespaces: readonly Namespace[]
  readonly pods: readonly Pod[]
  readonly policies: readonly NetworkPolicy[]
  /**
   * `policy.networking.k8s.io/v1alpha2` ClusterNetworkPolicies (both tiers), in input order.
   * Absent means none: code that rebuilds a state must carry it over (spread the state).
   */
  readonly clusterNetworkPolicies?: readonly ClusterNetworkPolicy[]
  /**
   * Nodes, when known (Node objects in the manifests, or read from a live cluster for `nodes`
   * peers). Absent: unknown, so a `nodes` peer cannot be resolved; present (even empty): these are all.
   */
  readonly nodes?: readonly Node[]
}

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name'

/** `ns/name`, the way kubectl and the matrix name a namespaced object. */
export function qualifiedName(o: { readonly namespace: string; readonly name: string }): string {
  return `${o.namespace}/${o.name}`
}

/** Namespace, then name, in code-unit order (locale independent, so output is the same on every machine). */
export function compareQualifiedNames(
  a: { readonly namespace: string; readonly name: string },
  b: { readonly namespace: string; readonly name: string },
): number {
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1
  if (a.name !== b.name) return a.name < b.name ? -1 : 1
  return 0
}
