/**
 * @module Endpoints named by Service: `ns/service/name` (or `ns/svc/name`) with a Service port
 * (`80`, `80/TCP`, or the Service port's name) becomes every backend of that port and the port on
 * each (its `targetPort`, a name resolved per pod: engine/service-backends.ts). NetworkPolicy sees
 * the connection after the node translated it, so a question about a Service is a question about
 * each backend; the answer is per backend: all, some or none allowed. Used by explain, list and
 * test, so each reads a Service the same way. Pure.
 */
import { formatPort } from '../model/describe.js'
import { editDistance } from '../model/edit-distance.js'
import { UsageError } from '../model/errors.js'
import { portNameErrors } from '../model/name-validation.js'
import { PROTOCOLS, qualifiedName, type ClusterState, type Protocol, type Service, type ServicePort } from '../model/types.js'
import { findServicePort, selectedPods, serviceBackends } from '../engine/service-backends.js'
import type { Endpoint } from '../engine/verdict.js'

/** The middle part of `ns/<kind>/name` that names a Service (kubectl's names for the resource). */
const SERVICE_KINDS = ['service', 'svc', 'services']

/** `ns/service/name` or `ns/svc/name`: the namespace and name; undefined for any other form. */
export function parseServiceRef(text: string): { readonly namespace: string; readonly name: string } | undefined {
  const parts = text.trim().split('/')
  if (parts.length !== 3 || !SERVICE_KINDS.includes(parts[1].toLowerCase()) || parts[0] === '' || parts[2] === '') return undefined
  return { namespace: parts[0], name: parts[2] }
}

/** `prod/service/backend`: how netpol names a Service in output. */
export function serviceName(s: { readonly namespace: string; readonly name: string }): string {
  return `${s.namespace}/service/${s.name}`
}

/** The Service `text` names; a UsageError with the closest Service names when there is none. */
export function resolveService(state: ClusterState, text: string): Service {
  const ref = parseServiceRef(text)
  if (!ref) throw new UsageError(`cannot read "${text}" as a Service: expected ns/service/name (or ns/svc/name)`)
  const service = state.services?.find((s) => s.namespace === ref.namespace && s.name === ref.name)
  if (service) return service
  const names = (state.services ?? []).map(serviceName)
  if (names.length === 0) throw new UsageError(`service "${ref.namespace}/${ref.name}" not found (the input has no Services)`)
  const wanted = serviceName(ref)
  const close = names
    .map((n) => ({ n, d: editDistance(wanted, n) }))
    .sort((a, b) => a.d - b.d || (a.n < b.n ? -1 : 1))
    .slice(0, 5)
    .map((x) => x.n)
  throw new UsageError(`service "${ref.namespace}/${ref.name}" not found; did you mean ${close.join(', ')}?`)
}

/** A Service port in words: `http 80/TCP -> web`. */
export function describeServicePort(p: ServicePort): string {
  return `${p.name ? `${p.name} ` : ''}${formatPort(p)} -> ${p.targetPort}`
}

/**
 * The Service port `text` means: `80`, `80/TCP`, or the name of one of its ports (`http`,
 * `http/TCP`). A connection to a Service uses its `port`, never the `targetPort`: a UsageError says
 * so when the number is a targetPort.
 */
export function resolveServicePort(service: Service, text: string, state?: ClusterState): ServicePort {
  const t = text.trim()
  const [head = '', protoText] = t.split('/')
  const protocol = protoText === undefined ? undefined : (protoText.toUpperCase() as Protocol)
  const list = service.ports.map(describeServicePort).join(', ')
  const name = serviceName(service)
  if (service.type === 'ExternalName')
    throw new UsageError(
      `${name} is an ExternalName Service: clients are sent to ${service.externalName} by DNS, outside the cluster; give that address (an IP) instead`,
    )
  if (protocol !== undefined && !PROTOCOLS.includes(protocol))
    throw new UsageError(`invalid port "${text}": the protocol must be one of ${PROTOCOLS.join(', ')}`)
  if (/^\d+$/.test(head)) {
    const port = Number(head)
    const found = findServicePort(service, port, protocol)
    if (found) return found
    // The number a targetPort is, or resolves to on a backend (a named targetPort), is the usual mix-up.
    const asTarget = service.ports.find(
      (p) =>
        (protocol === undefined || p.protocol === protocol) &&
        (p.targetPort === port || (state !== undefined && serviceBackends(state, service, p).backends.some((b) => b.port === port))),
    )
    const hint = asTarget
      ? ` (${port} is the targetPort of port ${describeServicePort(asTarget)}: clients connect to the Service port, ${asTarget.port}, and the node sends ` +
        `it to ${port})`
      : ''
    throw new UsageError(`${name} has no port ${head}${protocol ? `/${protocol}` : ''}${hint}; its ports: ${list || 'none'}`)
  }
  if (portNameErrors(head).length > 0) throw new UsageError(`invalid port "${text}": expected a Service port (e.g. 80, 53/UDP) or its name (e.g. http)`)
  const found = findServicePort(service, head, protocol)
  if (!found) throw new UsageError(`${name} has no port named "${head}"${protocol ? ` of protocol ${protocol}` : ''}; its ports: ${list || 'none'}`)
  return found
}

/** One backend a connection to a Service port is sent to. */
export interface ServiceTarget {
  readonly endpoint: Endpoint
  /** The port on the backend (the resolved targetPort). */
  readonly port: number
  readonly protocol: Protocol
  /** `prod/service/backend:80 -> prod/backend-0:8080` (`/UDP` after ports of other protocols than TCP). */
  readonly translation: string
}

/** What a Service port is translated to. */
export interface ServiceTranslation {
  readonly service: Service
  readonly servicePort: ServicePort
  readonly targets: readonly ServiceTarget[]
  /** Pods the selector picks that are no backend of this port (they do not declare the named targetPort), with why. */
  readonly unresolved: readonly { readonly pod: string; readonly reason: string }[]
  /** Why there is no backend at all, when there is none. */
  readonly noBackends?: string
}

function endpointText(e: Endpoint): string {
  return e.kind === 'pod' ? qualifiedName(e.pod) : e.ip
}

function portSuffix(port: number, protocol: Protocol): string {
  return protocol === 'TCP' ? `:${port}` : `:${port}/${protocol}`
}

/** Every backend of `servicePort` and its port; see the module comment. */
export function translateServicePort(state: ClusterState, service: Service, servicePort: ServicePort): ServiceTranslation {
  const name = serviceName(service)
  const b = serviceBackends(state, service, servicePort)
  const targets: ServiceTarget[] = b.backends.map((backend) => {
    const endpoint: Endpoint = backend.pod ? { kind: 'pod', pod: backend.pod } : { kind: 'ip', ip: backend.ip! }
    return {
      endpoint,
      port: backend.port,
      protocol: backend.protocol,
      translation: `${name}${portSuffix(servicePort.port, servicePort.protocol)} -> ${endpointText(endpoint)}${portSuffix(backend.port, backend.protocol)}`,
    }
  })
  const unresolved = b.unresolved.map((pod) => ({
    pod: qualifiedName(pod),
    reason: `declares no container port named "${servicePort.targetPort}" of protocol ${servicePort.protocol}: no endpoint of this port`,
  }))
  let noBackends: string | undefined
  if (targets.length === 0) {
    if (service.type === 'ExternalName')
      noBackends = `${name} is an ExternalName Service: clients are sent to ${service.externalName} by DNS, outside the cluster (give that address instead)`
    else if (service.selector === undefined)
      noBackends = `${name} has no selector and no ready endpoint for port ${describeServicePort(servicePort)} in its EndpointSlices (label kubernetes.io/service-name)`
    else if (unresolved.length > 0) noBackends = `none of the ${unresolved.length} pods ${name} selects declares its targetPort "${servicePort.targetPort}"`
    else
      noBackends = `${name} selects no pod (selector ${Object.entries(service.selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')})`
  }
  return { service, servicePort, targets, unresolved, ...(noBackends !== undefined ? { noBackends } : {}) }
}

/**
 * `ns/service/name` as a source: the pods it selects (or, without a selector, the endpoints of its
 * EndpointSlices), each once. Connections start at pods, not at Services.
 */
export function serviceSourceEndpoints(state: ClusterState, service: Service): Endpoint[] {
  if (service.selector) return selectedPods(state, service).map((pod) => ({ kind: 'pod', pod }))
  const seen = new Set<string>()
  const out: Endpoint[] = []
  for (const port of service.ports) {
    for (const b of serviceBackends(state, service, port).backends) {
      const key = b.pod ? `pod:${qualifiedName(b.pod)}` : `ip:${b.ip}`
      if (seen.has(key)) continue
      seen.add(key)
      out.push(b.pod ? { kind: 'pod', pod: b.pod } : { kind: 'ip', ip: b.ip! })
    }
  }
  return out
}

/** All, some or none of the backends allowed. */
export type ServiceAnswer = 'all' | 'some' | 'none'

export function serviceAnswer(allowed: number, total: number): ServiceAnswer {
  return total > 0 && allowed === total ? 'all' : allowed > 0 ? 'some' : 'none'
}
