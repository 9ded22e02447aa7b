/** Hand-built model objects for tests of the analyses (no loader involved). */
import type { ClusterState, ContainerPort, LabelSelector, Namespace, NetworkPolicy, OwnerRef, Pod } from '../../src/model/types.js'
import { NAMESPACE_NAME_LABEL } from '../../src/model/types.js'

export const everything: LabelSelector = { matchLabels: {}, matchExpressions: [] }

export function labelsSelector(matchLabels: Record<string, string>): LabelSelector {
  return { matchLabels, matchExpressions: [] }
}

export function pod(ns: string, name: string, extra: Partial<Omit<Pod, 'namespace' | 'name'>> & { ports?: ContainerPort[]; owner?: OwnerRef } = {}): Pod {
  return {
    namespace: ns,
    name,
    labels: extra.labels ?? {},
    ips: extra.ips ?? [],
    containerPorts: extra.ports ?? extra.containerPorts ?? [],
    hostNetwork: extra.hostNetwork ?? false,
    owner: extra.owner,
    source: { file: 'pods.yaml', line: 1 },
  }
}

export function namespace(name: string, labels: Record<string, string> = {}): Namespace {
  return { name, labels: { ...labels, [NAMESPACE_NAME_LABEL]: name }, implicit: false, source: { file: 'ns.yaml', line: 1 } }
}

export function cluster(pods: Pod[], policies: NetworkPolicy[] = []): ClusterState {
  const names = [...new Set(pods.map((p) => p.namespace))].sort()
  return { namespaces: names.map((n) => namespace(n)), pods, policies }
}
