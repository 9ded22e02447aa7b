/**
 * @module The lab's cluster state as Kubernetes manifests (`lab export`): Namespaces, Pods with
 * their lab node and addresses in `spec.nodeName`/`status.podIPs`, the Services with the ClusterIPs
 * the lab gave them (and their EndpointSlices), the NetworkPolicies and the ClusterNetworkPolicies
 * (v1alpha1 objects as the v1alpha2 ones the lab runs), so `netpol matrix`, `explain` and `test`
 * can answer for exactly what the lab runs. Pure.
 */
import type { ClusterState, EndpointSlice, LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, Pod, Service } from '../model/types.js'
import {
  CNP_API_VERSION,
  CNP_KIND,
  type ClusterNetworkPolicy,
  type ClusterNetworkPolicyEgressPeer,
  type ClusterNetworkPolicyIngressPeer,
  type ClusterNetworkPolicyProtocol,
  type NamespacedPod,
  type Port,
} from '../model/cluster-network-policy-types.js'

type Manifest = Record<string, unknown>

function selector(s: LabelSelector): Manifest {
  return {
    ...(Object.keys(s.matchLabels).length > 0 ? { matchLabels: { ...s.matchLabels } } : {}),
    ...(s.matchExpressions.length > 0
      ? { matchExpressions: s.matchExpressions.map((e) => ({ key: e.key, operator: e.operator, ...(e.values.length > 0 ? { values: [...e.values] } : {}) })) }
      : {}),
  }
}

function peer(p: NetworkPolicyPeer): Manifest {
  return {
    ...(p.podSelector ? { podSelector: selector(p.podSelector) } : {}),
    ...(p.namespaceSelector ? { namespaceSelector: selector(p.namespaceSelector) } : {}),
    ...(p.ipBlock ? { ipBlock: { cidr: p.ipBlock.cidr, ...(p.ipBlock.except.length > 0 ? { except: [...p.ipBlock.except] } : {}) } } : {}),
  }
}

function port(p: NetworkPolicyPort): Manifest {
  return { protocol: p.protocol, ...(p.port !== undefined ? { port: p.port } : {}), ...(p.endPort !== undefined ? { endPort: p.endPort } : {}) }
}

function policy(p: NetworkPolicy): Manifest {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: p.name, namespace: p.namespace },
    spec: {
      podSelector: selector(p.podSelector),
      policyTypes: [...p.policyTypes],
      ...(p.ingress.length > 0
        ? { ingress: p.ingress.map((r) => ({ ...(r.from.length ? { from: r.from.map(peer) } : {}), ...(r.ports.length ? { ports: r.ports.map(port) } : {}) })) }
        : {}),
      ...(p.egress.length > 0
        ? { egress: p.egress.map((r) => ({ ...(r.to.length ? { to: r.to.map(peer) } : {}), ...(r.ports.length ? { ports: r.ports.map(port) } : {}) })) }
        : {}),
    },
  }
}

function pod(p: Pod): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      ...(Object.keys(p.labels).length > 0 ? { labels: { ...p.labels } } : {}),
    },
    spec: {
      ...(p.nodeName ? { nodeName: p.nodeName } : {}),
      containers: [
        {
          name: 'server',
          image: 'netpol-lab-server',
          ...(p.containerPorts.length > 0
            ? { ports: p.containerPorts.map((c) => ({ ...(c.name ? { name: c.name } : {}), containerPort: c.containerPort, protocol: c.protocol })) }
            : {}),
        },
      ],
    },
    ...(p.ips.length > 0 ? { status: { podIP: p.ips[0], podIPs: p.ips.map((ip) => ({ ip })) } } : {}),
  }
}

function namespacedPod(p: NamespacedPod): Manifest {
  return { namespaceSelector: selector(p.namespaceSelector), podSelector: selector(p.podSelector) }
}

/** A subject or peer: its one set field (namespaces, pods, nodes, networks or domainNames). */
function cnpPeer(p: ClusterNetworkPolicyIngressPeer & Partial<ClusterNetworkPolicyEgressPeer>): Manifest {
  return {
    ...(p.namespaces ? { namespaces: selector(p.namespaces) } : {}),
    ...(p.pods ? { pods: namespacedPod(p.pods) } : {}),
    ...(p.nodes ? { nodes: selector(p.nodes) } : {}),
    ...(p.networks ? { networks: [...p.networks] } : {}),
    ...(p.domainNames ? { domainNames: [...p.domainNames] } : {}),
  }
}

function cnpPort(p: Port): Manifest {
  return p.range ? { range: { start: p.range.start, end: p.range.end } } : { number: p.number }
}

function cnpProtocol(p: ClusterNetworkPolicyProtocol): Manifest {
  const match = (key: 'tcp' | 'udp' | 'sctp'): Manifest => {
    const m = p[key]
    return m ? { [key]: { destinationPort: cnpPort(m.destinationPort) } } : {}
  }
  return {
    ...match('tcp'),
    ...match('udp'),
    ...match('sctp'),
    ...(p.destinationNamedPort !== undefined ? { destinationNamedPort: p.destinationNamedPort } : {}),
  }
}

/** A ClusterNetworkPolicy of the model as the v1alpha2 manifest it reads back from. */
export function clusterNetworkPolicyManifest(p: ClusterNetworkPolicy): Manifest {
  const rule = (r: { name?: string; action: string; protocols: readonly ClusterNetworkPolicyProtocol[] }, peers: Manifest): Manifest => ({
    ...(r.name !== undefined ? { name: r.name } : {}),
    action: r.action,
    ...peers,
    ...(r.protocols.length > 0 ? { protocols: r.protocols.map(cnpProtocol) } : {}),
  })
  const { spec } = p
  return {
    apiVersion: CNP_API_VERSION,
    kind: CNP_KIND,
    metadata: { name: p.name },
    spec: {
      tier: spec.tier,
      priority: spec.priority,
      subject: cnpPeer(spec.subject),
      ...(spec.ingress.length > 0 ? { ingress: spec.ingress.map((r) => rule(r, { from: r.from.map(cnpPeer) })) } : {}),
      ...(spec.egress.length > 0 ? { egress: spec.egress.map((r) => rule(r, { to: r.to.map(cnpPeer) })) } : {}),
    },
  }
}

function service(s: Service): Manifest {
  const address =
    s.type === 'ExternalName'
      ? {}
      : s.headless
        ? { clusterIP: 'None' }
        : s.clusterIPs.length > 0
          ? { clusterIP: s.clusterIPs[0], clusterIPs: [...s.clusterIPs] }
          : {}
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, namespace: s.namespace, ...(Object.keys(s.labels).length > 0 ? { labels: { ...s.labels } } : {}) },
    spec: {
      type: s.type,
      ...(s.selector ? { selector: { ...s.selector } } : {}),
      ...address,
      ...(s.externalName !== undefined ? { externalName: s.externalName } : {}),
      ...(s.externalIPs.length > 0 ? { externalIPs: [...s.externalIPs] } : {}),
      ...(s.ports.length > 0
        ? {
            ports: s.ports.map((p) => ({
              ...(p.name ? { name: p.name } : {}),
              protocol: p.protocol,
              port: p.port,
              targetPort: p.targetPort,
              ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
            })),
          }
        : {}),
    },
  }
}

function endpointSlice(e: EndpointSlice): Manifest {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: e.name, namespace: e.namespace, ...(Object.keys(e.labels).length > 0 ? { labels: { ...e.labels } } : {}) },
    addressType: e.addressType,
    endpoints: e.endpoints.map((x) => ({
      addresses: [...x.addresses],
      conditions: { ready: x.ready },
      ...(x.targetRef ? { targetRef: { kind: x.targetRef.kind, namespace: x.targetRef.namespace, name: x.targetRef.name } } : {}),
      ...(x.nodeName !== undefined ? { nodeName: x.nodeName } : {}),
    })),
    ports: e.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), protocol: p.protocol, ...(p.port !== undefined ? { port: p.port } : {}) })),
  }
}

export function clusterStateManifests(state: ClusterState): Manifest[] {
  return [
    ...state.namespaces.map((n) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n.name, labels: { ...n.labels } } })),
    ...state.pods.map(pod),
    ...(state.services ?? []).map(service),
    ...(state.endpointSlices ?? []).map(endpointSlice),
    ...state.policies.map(policy),
    ...(state.clusterNetworkPolicies ?? []).map(clusterNetworkPolicyManifest),
  ]
}
