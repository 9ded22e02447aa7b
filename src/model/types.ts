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

/** `spec.type` of a core/v1 Service. @default 'ClusterIP' */
export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName'
export const SERVICE_TYPES: readonly ServiceType[] = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']

/** One entry of a Service's `spec.ports`, defaulted as the API server defaults it. */
export interface ServicePort {
  /** Required (and unique) when the Service has more than one port; '' when it has one and leaves it unnamed. */
  readonly name: string
  /** @default 'TCP' */
  readonly protocol: Protocol
  /** The port clients connect to on the Service's addresses (1-65535). */
  readonly port: number
  /**
   * Where the connection goes on each backend pod, after the Service address is translated: a
   * number, or an IANA port name resolved on each pod against its container ports of that name and
   * protocol (a pod that does not declare it is no backend for this port).
   * @default `port`
   */
  readonly targetPort: number | string
  /** NodePort and LoadBalancer Services: the port on every node, when set. */
  readonly nodePort?: number
  readonly source: SourceRef
}

/**
 * A core/v1 Service, validated as the API server validates it. Clients connect to its addresses
 * (`clusterIPs`, node ports, load balancers) and its name; the node translates the connection to a
 * backend pod and its `targetPort` before any NetworkPolicy sees the packet (see docs/semantics.md).
 */
export interface Service {
  readonly namespace: string
  readonly name: string
  readonly labels: Labels
  readonly type: ServiceType
  /**
   * Pods of `namespace` whose labels include all of these. Absent (or empty in the manifest): a
   * Service without selector, whose endpoints are written by hand as EndpointSlices.
   */
  readonly selector?: Labels
  /** `spec.clusterIPs` (or `spec.clusterIP`), canonical text; [] when not allocated yet (offline), headless, or ExternalName. */
  readonly clusterIPs: readonly string[]
  /** `clusterIP: None`: no address of its own; clients reach the backends' own addresses through DNS. */
  readonly headless: boolean
  /** ExternalName Services: the DNS name (a CNAME) clients are sent to, outside the cluster; without the trailing dot. */
  readonly externalName?: string
  /** `spec.externalIPs`, canonical text. @default [] */
  readonly externalIPs: readonly string[]
  readonly ports: readonly ServicePort[]
  readonly source: SourceRef
}

/** `addressType` of an EndpointSlice. */
export type EndpointAddressType = 'IPv4' | 'IPv6' | 'FQDN'

/** The object an endpoint stands for (`targetRef`), usually a Pod. */
export interface EndpointTargetRef {
  readonly kind: string
  /** @default the EndpointSlice's namespace */
  readonly namespace: string
  readonly name: string
}

/** One endpoint of an EndpointSlice. */
export interface Endpoint {
  /** 1 to 100 addresses of the slice's addressType (IPs canonical). */
  readonly addresses: readonly string[]
  /** `conditions.ready`; unset means ready (the API: "consumers should interpret this unknown state as ready"). */
  readonly ready: boolean
  readonly targetRef?: EndpointTargetRef
  readonly nodeName?: string
}

/** One entry of an EndpointSlice's `ports`. */
export interface EndpointPort {
  /** Matches the Service port of the same name. @default '' */
  readonly name: string
  /** @default 'TCP' */
  readonly protocol: Protocol
  /** Absent: every port (the API's "unset ... indicates all ports"). */
  readonly port?: number
}

/** A discovery.k8s.io/v1 EndpointSlice: the endpoints of a Service without selector, when given. */
export interface EndpointSlice {
  readonly namespace: string
  readonly name: string
  readonly labels: Labels
  /** The label `kubernetes.io/service-name`: the Service these are the endpoints of. */
  readonly serviceName?: string
  readonly addressType: EndpointAddressType
  readonly endpoints: readonly Endpoint[]
  readonly ports: readonly EndpointPort[]
  readonly source: SourceRef
}

/** The label linking an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'

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
  /** core/v1 Services, in input order. Absent means none: code that rebuilds a state must carry it over (spread the state). */
  readonly services?: readonly Service[]
  /** discovery.k8s.io/v1 EndpointSlices, in input order (used for Services without selector). Absent means none. */
  readonly endpointSlices?: readonly EndpointSlice[]
  /**
   * Deprecated `policy.networking.k8s.io/v1alpha1` AdminNetworkPolicies and
   * BaselineAdminNetworkPolicies of the input: not analysed (lint reports them). Absent means none.
   */
  readonly deprecatedPolicies?: readonly DeprecatedPolicy[]
}

/** A v1alpha1 AdminNetworkPolicy or BaselineAdminNetworkPolicy: where it is, for lint and messages. */
export interface DeprecatedPolicy {
  readonly kind: 'AdminNetworkPolicy' | 'BaselineAdminNetworkPolicy'
  readonly name: string
  readonly source: SourceRef
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
