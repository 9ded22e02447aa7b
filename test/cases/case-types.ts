/**
 * Shape of the shared reachability case tables (test/cases/*-cases.ts).
 *
 * Each case is self-contained: `manifests` is YAML with every Namespace, Pod (with IPs in status
 * where ipBlocks matter, and a containerPort for every port an expectation probes on that
 * destination) and NetworkPolicy it needs. `expect` lists connections and whether they must be
 * allowed. `from`/`to` are `namespace/pod`, or an IP address outside the cluster.
 *
 * The same tables run against the reference evaluator and the fast engine (test/engine/), and
 * through real packets in the lab (test/lab/).
 */
import type { Protocol } from '../../src/model/types.js'

export interface Expectation {
  readonly from: string
  readonly to: string
  readonly port: number
  readonly protocol: Protocol
  readonly allowed: boolean
}

export interface ReachabilityCase {
  /** The behaviour the case pins, as a test name. */
  readonly name: string
  readonly manifests: string
  readonly expect: readonly Expectation[]
}

export interface PortSpecLike {
  readonly port: number
  readonly protocol: Protocol
  readonly name?: string
}

/** YAML for a namespace (the API server adds kubernetes.io/metadata.name itself). */
export function namespaceYaml(name: string, labels: Record<string, string> = {}): string {
  const l = Object.entries(labels)
  return [
    'apiVersion: v1',
    'kind: Namespace',
    'metadata:',
    `  name: ${JSON.stringify(name)}`,
    ...(l.length > 0 ? ['  labels:', ...l.map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)] : []),
  ].join('\n')
}

/** YAML for a pod with one container serving `ports`, and its IPs in status. */
export function podYaml(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  ips: readonly string[],
  ports: readonly PortSpecLike[],
  options: { hostNetwork?: boolean; nodeName?: string } = {},
): string {
  const l = Object.entries(labels)
  return [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    `  name: ${JSON.stringify(name)}`,
    `  namespace: ${JSON.stringify(namespace)}`,
    ...(l.length > 0 ? ['  labels:', ...l.map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)] : []),
    'spec:',
    ...(options.hostNetwork ? ['  hostNetwork: true'] : []),
    ...(options.nodeName ? [`  nodeName: ${JSON.stringify(options.nodeName)}`] : []),
    '  containers:',
    '  - name: server',
    '    image: registry.k8s.io/e2e-test-images/agnhost:2.53',
    ...(ports.length > 0
      ? [
          '    ports:',
          ...ports.flatMap((p) => [`    - containerPort: ${p.port}`, `      protocol: ${p.protocol}`, ...(p.name ? [`      name: ${p.name}`] : [])]),
        ]
      : []),
    ...(ips.length > 0 ? ['status:', `  podIP: ${JSON.stringify(ips[0])}`, '  podIPs:', ...ips.map((ip) => `  - ip: ${JSON.stringify(ip)}`)] : []),
  ].join('\n')
}

export function documents(...docs: readonly string[]): string {
  return docs.map((d) => d.trim()).join('\n---\n') + '\n'
}

/** Every ordered pair of `pods` for one port, with the answer from `allowed(from, to)`. */
export function table(pods: readonly string[], port: number, protocol: Protocol, allowed: (from: string, to: string) => boolean): Expectation[] {
  const out: Expectation[] = []
  for (const from of pods) for (const to of pods) out.push({ from, to, port, protocol, allowed: allowed(from, to) })
  return out
}
