/**
 * Hand-built cluster states for lab tests (the loader has its own tests).
 */
import type { ClusterState, ContainerPort, Labels, Namespace, Pod } from '../../src/model/types.js'

const src = { file: 'test', line: 1 }

export function ns(name: string, labels: Labels = {}): Namespace {
  return { name, labels: { ...labels, 'kubernetes.io/metadata.name': name }, implicit: false, source: src }
}

export function pod(namespace: string, name: string, labels: Labels, ports: readonly ContainerPort[] = [], extra: Partial<Pod> = {}): Pod {
  return { namespace, name, labels, ips: [], containerPorts: ports, hostNetwork: false, source: src, ...extra }
}

export const tcp = (containerPort: number, name?: string): ContainerPort => ({ containerPort, protocol: 'TCP', ...(name ? { name } : {}) })
export const udp = (containerPort: number, name?: string): ContainerPort => ({ containerPort, protocol: 'UDP', ...(name ? { name } : {}) })

export function cluster(namespaces: Namespace[], pods: Pod[]): ClusterState {
  return { namespaces, pods, policies: [] }
}

/** A lab name unique to this test process, so parallel test files never collide. */
export function uniqueLabName(tag: string): string {
  return `t${tag}-${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`.slice(0, 24)
}

/** Both tiers and every field a ClusterNetworkPolicy can have, read by the manifest loader (so with its sources). */
export const EVERY_CNP_SHAPE_YAML = `
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata:
  name: tenant-guard
spec:
  tier: Admin
  priority: 10
  subject:
    pods:
      namespaceSelector:
        matchExpressions:
        - key: tenant
          operator: Exists
      podSelector: {}
  ingress:
  - name: deny-other-tenants
    action: Deny
    from:
    - namespaces:
        matchLabels:
          tenant: b
    - pods:
        namespaceSelector: {}
        podSelector:
          matchLabels:
            app: api
    protocols:
    - tcp:
        destinationPort:
          number: 80
    - udp:
        destinationPort:
          range:
            start: 5000
            end: 5010
    - sctp:
        destinationPort:
          number: 9003
    - destinationNamedPort: http
  - action: Pass
    from:
    - namespaces: {}
  egress:
  - name: internet
    action: Accept
    to:
    - networks: [10.0.0.0/8, 'fd00::/64']
    - nodes:
        matchLabels:
          role: infra
    - domainNames: ['*.example.com', example.org]
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata:
  name: default-deny
spec:
  tier: Baseline
  priority: 1000
  subject:
    namespaces: {}
  egress:
  - action: Deny
    to:
    - namespaces: {}
`
