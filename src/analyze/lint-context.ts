/**
 * @module What lint rules share: the cluster, an engine over it, and a "probe" cluster with
 * stand-in pods so that checks about isolation also work on a file of policies alone.
 *
 * Stand-ins: when a policy's namespace has no pods in the input, a pod that its podSelector
 * selects is made up (and likewise for a ClusterNetworkPolicy whose subject selects no pod); when no DNS server pod is in the input, a CoreDNS-like pod
 * (`kube-system`, `k8s-app: kube-dns`, 53/UDP+TCP) is made up, as every cluster runs one.
 * Stand-ins are only used by the isolation rules and never reported as pods.
 */
import { createEngine, type Engine } from '../engine/engine.js'
import { matchesSelector } from '../model/label-selector.js'
import { NAMESPACE_NAME_LABEL, type ClusterState, type LabelSelector, type Namespace, type NetworkPolicy, type Pod } from '../model/types.js'
import { externalRanges, type ExternalRange } from './external-ranges.js'
import { clusterPolicySelectsPod } from '../engine/cluster-policy.js'
import type { ClusterNetworkPolicy } from '../model/cluster-network-policy-types.js'
import type { Cidr } from '../model/cidr.js'
import { DEFAULT_SERVICE_CIDR, parseServiceCidrs } from '../model/service-cidr.js'

export interface LintContext {
  readonly state: ClusterState
  /** Over the input as given. */
  readonly engine: Engine
  /** Over the input plus stand-in pods (see module comment). */
  readonly probeState: ClusterState
  readonly probeEngine: Engine
  /** Stand-in pods of `probeState`. */
  readonly standIns: ReadonlySet<Pod>
  /** DNS server pods in `probeState` (real ones when the input has them, else the stand-in). */
  readonly dnsPods: readonly Pod[]
  /** The cluster's Service address ranges (`--service-cidr`; default 10.96.0.0/12). */
  readonly serviceCidrs: readonly Cidr[]
  /** Address ranges outside the cluster, cut at every ipBlock boundary. */
  readonly external: readonly ExternalRange[]
  namespace(name: string): Namespace | undefined
  /** Pods of a namespace that policies can select (not hostNetwork). */
  podsIn(name: string): readonly Pod[]
}

const DNS_NAMESPACE = 'kube-system'
const DNS_APP_VALUES = new Set(['kube-dns', 'coredns'])

/** CoreDNS / kube-dns pods, as the common installers label them. */
function isDnsPod(pod: Pod): boolean {
  if (pod.hostNetwork) return false
  const app = pod.labels['k8s-app']
  if (app !== undefined && DNS_APP_VALUES.has(app)) return true
  if (pod.namespace === 'openshift-dns' && pod.labels['dns.operator.openshift.io/daemonset-dns'] !== undefined) return true
  const base = pod.owner?.name ?? pod.name
  return pod.namespace === DNS_NAMESPACE && (base.startsWith('coredns') || base.startsWith('kube-dns'))
}

/** Labels that a selector certainly matches, or undefined when the selector cannot be satisfied simply. */
function labelsSatisfying(selector: LabelSelector): Record<string, string> | undefined {
  const labels: Record<string, string> = { ...selector.matchLabels }
  for (const e of selector.matchExpressions) {
    if (e.operator === 'In' && labels[e.key] === undefined) labels[e.key] = e.values[0]
    else if (e.operator === 'Exists' && labels[e.key] === undefined) labels[e.key] = 'any'
  }
  for (const e of selector.matchExpressions) {
    if (e.operator === 'NotIn' && labels[e.key] !== undefined && e.values.includes(labels[e.key])) {
      const other = `not-${e.values.join('-')}`
      if (selector.matchLabels[e.key] !== undefined) return undefined
      labels[e.key] = other
    }
  }
  return matchesSelector(selector, labels) ? labels : undefined
}

function standInFor(policy: NetworkPolicy): Pod | undefined {
  const labels = labelsSatisfying(policy.podSelector)
  if (!labels) return undefined
  return {
    namespace: policy.namespace,
    name: `${policy.name}-selected-pod`,
    labels,
    ips: [],
    containerPorts: [],
    hostNetwork: false,
    source: policy.source,
  }
}

function dnsStandIn(): Pod {
  return {
    namespace: DNS_NAMESPACE,
    name: 'coredns-stand-in',
    labels: { 'k8s-app': 'kube-dns' },
    ips: [],
    containerPorts: [
      { name: 'dns', containerPort: 53, protocol: 'UDP' },
      { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
    ],
    hostNetwork: false,
    source: { file: '(stand-in)', line: 0 },
  }
}

/**
 * A pod (and, when needed, its namespace) that the ClusterNetworkPolicy's subject selects; undefined
 * when its selectors cannot be satisfied simply or name a namespace of the input that does not match.
 */
function cnpStandIn(cnp: ClusterNetworkPolicy, namespaces: readonly Namespace[]): { pod: Pod; namespace?: Namespace } | undefined {
  const s = cnp.spec.subject
  const nsSelector = s.namespaces ?? s.pods?.namespaceSelector
  if (nsSelector === undefined) return undefined
  const wanted = labelsSatisfying(nsSelector)
  const podLabels = s.pods === undefined ? {} : labelsSatisfying(s.pods.podSelector)
  if (wanted === undefined || podLabels === undefined) return undefined
  const name = wanted[NAMESPACE_NAME_LABEL] ?? `${cnp.name}-subject`
  const existing = namespaces.find((n) => n.name === name)
  if (existing !== undefined && !matchesSelector(nsSelector, existing.labels)) return undefined
  const pod: Pod = {
    namespace: name,
    name: `${cnp.name}-selected-pod`,
    labels: podLabels,
    ips: [],
    containerPorts: [],
    hostNetwork: false,
    source: cnp.source,
  }
  return existing !== undefined ? { pod } : { pod, namespace: { name, labels: { ...wanted, [NAMESPACE_NAME_LABEL]: name }, implicit: true } }
}

export function createLintContext(state: ClusterState, serviceCidrs: readonly Cidr[] = parseServiceCidrs(DEFAULT_SERVICE_CIDR)): LintContext {
  const engine = createEngine(state)
  const podsByNamespace = new Map<string, Pod[]>()
  for (const pod of state.pods) {
    if (pod.hostNetwork) continue
    const list = podsByNamespace.get(pod.namespace) ?? []
    list.push(pod)
    podsByNamespace.set(pod.namespace, list)
  }
  const standIns = new Set<Pod>()
  const extraPods: Pod[] = []
  for (const policy of state.policies) {
    if ((podsByNamespace.get(policy.namespace) ?? []).length > 0) continue
    const pod = standInFor(policy)
    if (pod) {
      standIns.add(pod)
      extraPods.push(pod)
    }
  }
  let dnsPods = state.pods.filter(isDnsPod)
  const extraNamespaces: Namespace[] = []
  if (dnsPods.length === 0) {
    const dns = dnsStandIn()
    standIns.add(dns)
    extraPods.push(dns)
    dnsPods = [dns]
    if (!state.namespaces.some((n) => n.name === DNS_NAMESPACE)) {
      extraNamespaces.push({ name: DNS_NAMESPACE, labels: { [NAMESPACE_NAME_LABEL]: DNS_NAMESPACE }, implicit: true })
    }
  }
  // ClusterNetworkPolicies whose subject selects no pod (a file of cluster policies alone) get one.
  const nsLabels = (name: string) => [...state.namespaces, ...extraNamespaces].find((n) => n.name === name)?.labels ?? { [NAMESPACE_NAME_LABEL]: name }
  for (const cnp of state.clusterNetworkPolicies ?? []) {
    // DNS pods do not count: the rules about DNS ask for the pods that need it.
    if ([...state.pods, ...extraPods].some((pod) => !dnsPods.includes(pod) && clusterPolicySelectsPod(cnp, pod, nsLabels))) continue
    const standIn = cnpStandIn(cnp, [...state.namespaces, ...extraNamespaces])
    if (standIn === undefined) continue
    standIns.add(standIn.pod)
    extraPods.push(standIn.pod)
    if (standIn.namespace !== undefined) extraNamespaces.push(standIn.namespace)
  }
  for (const pod of extraPods) {
    if (![...state.namespaces, ...extraNamespaces].some((n) => n.name === pod.namespace)) {
      extraNamespaces.push({ name: pod.namespace, labels: { [NAMESPACE_NAME_LABEL]: pod.namespace }, implicit: true })
    }
  }
  const probeState: ClusterState =
    // Spread: the tiers (and nodes) decide for stand-ins as for real pods.
    extraPods.length === 0 ? state : { ...state, namespaces: [...state.namespaces, ...extraNamespaces], pods: [...state.pods, ...extraPods] }
  const probeEngine = probeState === state ? engine : createEngine(probeState)
  const namespaces = new Map(state.namespaces.map((n) => [n.name, n]))
  return {
    state,
    engine,
    probeState,
    probeEngine,
    standIns,
    dnsPods,
    serviceCidrs,
    external: externalRanges([state]),
    namespace: (name) => namespaces.get(name),
    podsIn: (name) => podsByNamespace.get(name) ?? [],
  }
}
