/**
 * @module Raw API objects for tests, shaped as the API server stores them.
 */
import type { ApiObject } from '../../testing/test-api-server.js'

export function namespaceObject(name: string, labels: Record<string, string> = {}): ApiObject {
  return { metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } }
}

export interface PodOptions {
  readonly labels?: Record<string, string>
  readonly ip?: string
  readonly node?: string
  readonly ports?: readonly { containerPort: number; name?: string; protocol?: string }[]
  readonly hostNetwork?: boolean
  readonly phase?: string
}

export function podObject(namespace: string, name: string, o: PodOptions = {}): ApiObject {
  return {
    metadata: { name, namespace, labels: { ...(o.labels ?? {}) } },
    spec: {
      ...(o.node ? { nodeName: o.node } : {}),
      ...(o.hostNetwork ? { hostNetwork: true } : {}),
      containers: [{ name: 'main', image: 'registry.example/app:1', ports: (o.ports ?? [{ containerPort: 80 }]).map((p) => ({ protocol: 'TCP', ...p })) }],
    },
    status: {
      phase: o.phase ?? (o.ip ? 'Running' : 'Pending'),
      ...(o.ip ? { podIP: o.ip, podIPs: [{ ip: o.ip }] } : {}),
    },
  }
}

export function policyObject(namespace: string, name: string, spec: Record<string, unknown>): ApiObject {
  return { metadata: { name, namespace }, spec: { podSelector: {}, ...spec } }
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now()
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
