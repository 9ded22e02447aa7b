/**
 * @module `netpol explain` when an end is a Service (`ns/service/name`): the connection is
 * translated to each backend and its targetPort (a Service as the source stands for the pods behind
 * it), each backend connection explained as any other, and the answer given per backend: all, some
 * or none allowed. Pure: plain data out (the JSON of `explain -o json` for a Service).
 */
import { formatPort } from '../model/describe.js'
import type { ClusterState, Protocol, Service, ServicePort, ServiceType } from '../model/types.js'
import type { Endpoint, Evaluator, Outcome } from '../engine/verdict.js'
import { explainVerdict, resolveEndpoint, resolveExplainPort, type Explanation, type ResolveOptions } from './explain.js'
import {
  parseServiceRef,
  resolveService,
  resolveServicePort,
  serviceAnswer,
  serviceName,
  serviceSourceEndpoints,
  translateServicePort,
  type ServiceAnswer,
} from './service-endpoint.js'

/** A Service as explain shows it. */
export interface ServiceSummary {
  /** `prod/service/backend`. */
  readonly name: string
  readonly type: ServiceType
  readonly clusterIPs: readonly string[]
  /** The Service port connected to (destination Services only). */
  readonly port?: { readonly name: string; readonly port: number; readonly protocol: Protocol; readonly targetPort: number | string }
}

/** One backend connection. */
export interface ServiceConnection {
  /** `prod/service/backend:80 -> prod/backend-0:8080` (destination Service), or `prod/service/web -> prod/web-0` (source Service). */
  readonly translation: string
  readonly allowed: boolean
  /** Only with ClusterNetworkPolicies. */
  readonly outcome?: Outcome
  readonly explanation: Explanation
}

export interface ServiceExplanation {
  /** As given: a pod, an address, or `ns/service/name`. */
  readonly from: string
  readonly to: string
  /** The port asked about: the Service port for a destination Service. */
  readonly port: number
  readonly protocol: Protocol
  readonly fromService?: ServiceSummary
  readonly toService?: ServiceSummary
  /** all: every backend connection is allowed; some; none (also when there is no backend). */
  readonly answer: ServiceAnswer
  /** answer is `all`. */
  readonly allowed: boolean
  readonly summary: string
  readonly connections: readonly ServiceConnection[]
  /** Pods the destination Service selects that are no backend of the port (named targetPort not declared). */
  readonly unresolved: readonly { readonly pod: string; readonly reason: string }[]
}

/** True when either end names a Service: explain answers per backend. */
export function namesService(from: string, to: string): boolean {
  return parseServiceRef(from) !== undefined || parseServiceRef(to) !== undefined
}

function summary(service: Service, port?: ServicePort): ServiceSummary {
  return {
    name: serviceName(service),
    type: service.type,
    clusterIPs: service.clusterIPs,
    ...(port ? { port: { name: port.name, port: port.port, protocol: port.protocol, targetPort: port.targetPort } } : {}),
  }
}

function nameOf(e: Endpoint): string {
  return e.kind === 'pod' ? `${e.pod.namespace}/${e.pod.name}` : e.ip
}

/** Explains `from -> to` on `portText` where one end or both are Services. */
export function explainByService(
  state: ClusterState,
  evaluator: Evaluator,
  fromText: string,
  toText: string,
  portText: string,
  options: ResolveOptions = {},
): ServiceExplanation {
  const fromService = parseServiceRef(fromText) ? resolveService(state, fromText) : undefined
  const toService = parseServiceRef(toText) ? resolveService(state, toText) : undefined
  const sources: { endpoint: Endpoint; translation?: string }[] = fromService
    ? serviceSourceEndpoints(state, fromService).map((endpoint) => ({ endpoint, translation: `${serviceName(fromService)} -> ${nameOf(endpoint)}` }))
    : [{ endpoint: resolveEndpoint(state, fromText, options) }]
  let port: number
  let protocol: Protocol
  let targets: { endpoint: Endpoint; port: number; protocol: Protocol; translation?: string }[]
  let unresolved: ServiceExplanation['unresolved'] = []
  let noBackends: string | undefined
  let servicePort: ServicePort | undefined
  if (toService) {
    servicePort = resolveServicePort(toService, portText, state)
    const t = translateServicePort(state, toService, servicePort)
    port = servicePort.port
    protocol = servicePort.protocol
    targets = t.targets.map((x) => ({ endpoint: x.endpoint, port: x.port, protocol: x.protocol, translation: x.translation }))
    unresolved = t.unresolved
    noBackends = t.noBackends
  } else {
    const to = resolveEndpoint(state, toText, options)
    const spec = resolveExplainPort(portText, to)
    port = spec.port
    protocol = spec.protocol
    targets = [{ endpoint: to, port: spec.port, protocol: spec.protocol }]
  }
  if (fromService && sources.length === 0) noBackends ??= `${serviceName(fromService)} has no pods behind it`
  const connections: ServiceConnection[] = []
  for (const s of sources) {
    for (const t of targets) {
      const verdict = evaluator.evaluate({ from: s.endpoint, to: t.endpoint, port: t.port, protocol: t.protocol })
      const translation = [s.translation, t.translation].filter((x) => x !== undefined).join('; ')
      connections.push({
        translation,
        allowed: verdict.allowed,
        ...(verdict.outcome === undefined ? {} : { outcome: verdict.outcome }),
        explanation: explainVerdict(state, verdict),
      })
    }
  }
  const allowedCount = connections.filter((c) => c.allowed).length
  const answer = serviceAnswer(allowedCount, connections.length)
  const head = `${fromText.trim()} -> ${toText.trim()} on ${formatPort({ port, protocol })}`
  // Per backend when only the destination is a Service; per pod pair when the source is one.
  const unit = fromService ? 'connections' : 'backends'
  const n = connections.length
  let text: string
  if (n === 0) text = `${head} reaches nothing: ${noBackends ?? 'no backend'}`
  else if (answer === 'all') text = n === 1 ? `${head} is allowed (one ${unit.slice(0, -1)})` : `${head} is allowed to all ${n} ${unit}`
  else if (answer === 'none') text = n === 1 ? `${head} is denied (one ${unit.slice(0, -1)})` : `${head} is denied to all ${n} ${unit}`
  else {
    const denied = connections.filter((c) => !c.allowed).map((c) => `${c.explanation.from} -> ${c.explanation.to}:${c.explanation.port}`)
    text = `${head} is allowed to ${allowedCount} of ${n} ${unit}; denied: ${denied.join(', ')}`
  }
  if (toService && toService.headless && n > 0) text += ' (headless: clients reach the pods at their own addresses, no translation by the node)'
  return {
    from: fromText.trim(),
    to: toText.trim(),
    port,
    protocol,
    ...(fromService ? { fromService: summary(fromService) } : {}),
    ...(toService ? { toService: summary(toService, servicePort) } : {}),
    answer,
    allowed: answer === 'all',
    summary: text,
    connections,
    unresolved,
  }
}
