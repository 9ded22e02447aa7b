/**
 * Test-only: turns the small YAML of the case tables into a ClusterState while H1's loader
 * (`src/cluster/load-manifests.ts`) is not there yet. It only knows what the tables use (Namespace,
 * Pod, NetworkPolicy) and applies the API defaults; it does not validate.
 */
import { parseAllDocuments } from 'yaml'
import type {
  ClusterState,
  ContainerPort,
  LabelSelector,
  Namespace,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  Pod,
  PolicyType,
  Protocol,
} from '../../src/model/types.js'
import { NAMESPACE_NAME_LABEL } from '../../src/model/types.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Raw = any

const src = { file: 'case.yaml', line: 1 }

function selector(raw: Raw): LabelSelector {
  return {
    matchLabels: { ...(raw?.matchLabels ?? {}) },
    matchExpressions: (raw?.matchExpressions ?? []).map((e: Raw) => ({ key: e.key, operator: e.operator, values: (e.values ?? []).map(String) })),
  }
}

function peer(raw: Raw): NetworkPolicyPeer {
  return {
    ...(raw.podSelector !== undefined ? { podSelector: selector(raw.podSelector) } : {}),
    ...(raw.namespaceSelector !== undefined ? { namespaceSelector: selector(raw.namespaceSelector) } : {}),
    ...(raw.ipBlock !== undefined ? { ipBlock: { cidr: raw.ipBlock.cidr, except: raw.ipBlock.except ?? [] } } : {}),
    source: src,
  }
}

function port(raw: Raw): NetworkPolicyPort {
  return {
    protocol: (raw.protocol ?? 'TCP') as Protocol,
    ...(raw.port !== undefined ? { port: raw.port } : {}),
    ...(raw.endPort !== undefined ? { endPort: raw.endPort } : {}),
    source: src,
  }
}

export function buildState(yamlText: string): ClusterState {
  const namespaces = new Map<string, Namespace>()
  const pods: Pod[] = []
  const policies: NetworkPolicy[] = []
  const ensureNs = (name: string): void => {
    if (!namespaces.has(name)) namespaces.set(name, { name, labels: { [NAMESPACE_NAME_LABEL]: name }, implicit: true })
  }
  for (const doc of parseAllDocuments(yamlText)) {
    const o: Raw = doc.toJS()
    if (o === null || o === undefined) continue
    const ns: string = o.metadata?.namespace ?? 'default'
    if (o.kind === 'Namespace') {
      namespaces.set(o.metadata.name, { name: o.metadata.name, labels: { ...(o.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: o.metadata.name }, implicit: false, source: src })
    } else if (o.kind === 'Pod') {
      ensureNs(ns)
      const containerPorts: ContainerPort[] = []
      for (const c of o.spec?.containers ?? []) {
        for (const p of c.ports ?? []) containerPorts.push({ ...(p.name ? { name: p.name } : {}), containerPort: p.containerPort, protocol: p.protocol ?? 'TCP' })
      }
      const ips: string[] = o.status?.podIPs ? o.status.podIPs.map((x: Raw) => x.ip) : o.status?.podIP ? [o.status.podIP] : []
      pods.push({ namespace: ns, name: o.metadata.name, labels: { ...(o.metadata.labels ?? {}) }, ips, containerPorts, hostNetwork: o.spec?.hostNetwork === true, source: src })
    } else if (o.kind === 'NetworkPolicy') {
      ensureNs(ns)
      const spec = o.spec ?? {}
      const ingress = (spec.ingress ?? []).map((r: Raw) => ({ from: (r?.from ?? []).map(peer), ports: (r?.ports ?? []).map(port), source: src }))
      const egress = (spec.egress ?? []).map((r: Raw) => ({ to: (r?.to ?? []).map(peer), ports: (r?.ports ?? []).map(port), source: src }))
      const policyTypes: PolicyType[] = spec.policyTypes ?? (spec.egress !== undefined ? ['Ingress', 'Egress'] : ['Ingress'])
      policies.push({ namespace: ns, name: o.metadata.name, podSelector: selector(spec.podSelector), policyTypes, ingress, egress, source: src })
    }
  }
  return { namespaces: [...namespaces.values()], pods, policies }
}
