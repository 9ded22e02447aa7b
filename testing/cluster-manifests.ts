/**
 * @module YAML manifests for a generated cluster, so people can run the CLI on the very clusters
 * the benchmark measures (pure: returns file names and texts; the caller writes them).
 *
 * Two styles:
 * - `pods` (default): what `kubectl get ns,pods,networkpolicies -A -o yaml` would show — Pods with
 *   `spec.nodeName`, `status.podIP(s)` and owner references — so loading them gives back exactly the
 *   generated state, IPs included (ipBlock peers then match pods as they do in the benchmark).
 * - `workloads`: the Deployments and StatefulSets as a user would write them; loading them makes
 *   the same pods but without IPs or nodes (offline manifests have none).
 * One file per namespace: the Namespace, then its pods or workloads, then its NetworkPolicies.
 */
import { stringify } from 'yaml'
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, Pod } from '../src/model/types.js'
import { NAMESPACE_NAME_LABEL } from '../src/model/types.js'
import type { GeneratedCluster, GeneratedWorkload } from './generate-cluster.js'

export type ManifestStyle = 'pods' | 'workloads'

export interface ManifestFile {
  /** Relative file name, `<namespace>.yaml`. */
  readonly path: string
  readonly text: string
}

/** FNV-1a, for stable fake UIDs and ReplicaSet hashes (no randomness in manifests). */
function fnv(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

function hex(text: string, length: number): string {
  let out = ''
  for (let i = 0; out.length < length; i++) out += fnv(`${i}:${text}`).toString(16).padStart(8, '0')
  return out.slice(0, length)
}

function uid(text: string): string {
  const h = hex(text, 32)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** ReplicaSet-style hash suffix: lower-case consonants and digits, like `pod-template-hash`. */
function templateHash(text: string): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'
  let h = fnv(text)
  let out = ''
  for (let i = 0; i < 10; i++) {
    out += alphabet[h % alphabet.length]
    h = (Math.floor(h / alphabet.length) ^ fnv(`${i}${text}`)) >>> 0
  }
  return out
}

function selectorYaml(s: LabelSelector): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (Object.keys(s.matchLabels).length > 0) out.matchLabels = { ...s.matchLabels }
  if (s.matchExpressions.length > 0) {
    out.matchExpressions = s.matchExpressions.map((e) =>
      e.values.length > 0 ? { key: e.key, operator: e.operator, values: [...e.values] } : { key: e.key, operator: e.operator },
    )
  }
  return out
}

function peerYaml(p: NetworkPolicyPeer): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (p.ipBlock) out.ipBlock = p.ipBlock.except.length > 0 ? { cidr: p.ipBlock.cidr, except: [...p.ipBlock.except] } : { cidr: p.ipBlock.cidr }
  if (p.namespaceSelector) out.namespaceSelector = selectorYaml(p.namespaceSelector)
  if (p.podSelector) out.podSelector = selectorYaml(p.podSelector)
  return out
}

function portYaml(p: NetworkPolicyPort): Record<string, unknown> {
  const out: Record<string, unknown> = { protocol: p.protocol }
  if (p.port !== undefined) out.port = p.port
  if (p.endPort !== undefined) out.endPort = p.endPort
  return out
}

/** An ingress (`from`) or egress (`to`) rule; empty lists are left out, as a user writes them. */
function ruleYaml(peersField: 'from' | 'to', peers: readonly NetworkPolicyPeer[], ports: readonly NetworkPolicyPort[]): Record<string, unknown> {
  const rule: Record<string, unknown> = {}
  if (peers.length > 0) rule[peersField] = peers.map(peerYaml)
  if (ports.length > 0) rule.ports = ports.map(portYaml)
  return rule
}

function policyYaml(p: NetworkPolicy): Record<string, unknown> {
  const spec: Record<string, unknown> = { podSelector: selectorYaml(p.podSelector), policyTypes: [...p.policyTypes] }
  if (p.ingress.length > 0) spec.ingress = p.ingress.map((r) => ruleYaml('from', r.from, r.ports))
  if (p.egress.length > 0) spec.egress = p.egress.map((r) => ruleYaml('to', r.to, r.ports))
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: p.name, namespace: p.namespace }, spec }
}

function containerYaml(name: string, ns: string, version: string | undefined, w: { containerPorts: Pod['containerPorts'] }): Record<string, unknown> {
  return {
    name,
    image: `registry.example.com/${ns}/${name}:${version ?? 'latest'}`,
    ports: w.containerPorts.map((p) =>
      p.name ? { name: p.name, containerPort: p.containerPort, protocol: p.protocol } : { containerPort: p.containerPort, protocol: p.protocol },
    ),
  }
}

function podYaml(pod: Pod): Record<string, unknown> {
  const metadata: Record<string, unknown> = { name: pod.name, namespace: pod.namespace, labels: { ...pod.labels } }
  const ownerName = pod.owner?.name ?? pod.name
  if (pod.owner) {
    const isDeployment = pod.owner.kind === 'Deployment'
    const kind = isDeployment ? 'ReplicaSet' : pod.owner.kind
    const name = isDeployment ? `${pod.owner.name}-${templateHash(`${pod.namespace}/${pod.owner.name}`)}` : pod.owner.name
    metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind, name, uid: uid(`${pod.namespace}/${kind}/${name}`), controller: true, blockOwnerDeletion: true }]
  }
  const spec: Record<string, unknown> = {}
  if (pod.nodeName) spec.nodeName = pod.nodeName
  if (pod.hostNetwork) spec.hostNetwork = true
  spec.containers = [containerYaml(ownerName, pod.namespace, pod.labels.version, pod)]
  const out: Record<string, unknown> = { apiVersion: 'v1', kind: 'Pod', metadata, spec }
  if (pod.ips.length > 0) out.status = { phase: 'Running', podIP: pod.ips[0], podIPs: pod.ips.map((ip) => ({ ip })) }
  return out
}

function workloadYaml(w: GeneratedWorkload): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    replicas: w.replicas,
    selector: { matchLabels: { ...w.labels } },
    template: {
      metadata: { labels: { ...w.labels } },
      spec: { containers: [containerYaml(w.name, w.namespace, w.labels.version, w)] },
    },
  }
  if (w.kind === 'StatefulSet') spec.serviceName = w.name
  return { apiVersion: 'apps/v1', kind: w.kind, metadata: { name: w.name, namespace: w.namespace }, spec }
}

/** The objects of each namespace's file, in file order (the Namespace, its pods or workloads, its policies). */
function clusterManifestDocuments(cluster: GeneratedCluster, style: ManifestStyle = 'pods'): Map<string, Record<string, unknown>[]> {
  const { state } = cluster
  const byNs = new Map<string, Record<string, unknown>[]>()
  for (const ns of state.namespaces) {
    const labels = Object.fromEntries(Object.entries(ns.labels).filter(([k]) => k !== NAMESPACE_NAME_LABEL))
    const metadata: Record<string, unknown> = { name: ns.name }
    if (Object.keys(labels).length > 0) metadata.labels = labels
    byNs.set(ns.name, [{ apiVersion: 'v1', kind: 'Namespace', metadata }])
  }
  const docs = (ns: string): Record<string, unknown>[] => {
    let list = byNs.get(ns)
    if (!list) byNs.set(ns, (list = []))
    return list
  }
  if (style === 'pods') for (const pod of state.pods) docs(pod.namespace).push(podYaml(pod))
  else for (const w of cluster.workloads) docs(w.namespace).push(workloadYaml(w))
  for (const p of state.policies) docs(p.namespace).push(policyYaml(p))
  return byNs
}

/**
 * One file per namespace: YAML documents (`<ns>.yaml`), or with `json` a `kind: List` as
 * `kubectl get -o json` writes it (`<ns>.json`, four-space indent).
 */
export function clusterManifests(cluster: GeneratedCluster, style: ManifestStyle = 'pods', format: 'yaml' | 'json' = 'yaml'): ManifestFile[] {
  return [...clusterManifestDocuments(cluster, style)].map(([ns, list]) =>
    format === 'json'
      ? { path: `${ns}.json`, text: `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: list, metadata: { resourceVersion: '' } }, null, 4)}\n` }
      : { path: `${ns}.yaml`, text: list.map((d) => stringify(d, { lineWidth: 0 })).join('---\n') },
  )
}
