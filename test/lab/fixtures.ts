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
