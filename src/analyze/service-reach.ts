/**
 * @module `netpol list --group-by service`: who reaches each Service port. Every source workload
 * (pods grouped by workload) is checked against every backend of the port on its targetPort, as
 * the node translates it; a row says whether all or only some of those connections are allowed.
 * A pod reaching itself through its own Service is left out (as `list` leaves out a pod to itself).
 * Pure: state and evaluator in, rows out (the JSON of `list --group-by service -o json`).
 */
import type { ClusterState, Pod, Protocol } from '../model/types.js'
import type { Evaluator } from '../engine/verdict.js'
import type { EndpointFilter } from './endpoint-filter.js'
import { groupLabel, podGroup } from './group.js'
import { describeServicePort, serviceAnswer, serviceName, translateServicePort, type ServiceAnswer } from './service-endpoint.js'

/** One workload that reaches a Service port (some or all of its backend connections allowed). */
export interface ServiceClient {
  /** `Deployment`, ..., or `Pod`. */
  readonly kind: string
  readonly namespace: string
  readonly name: string
  /** `ns/name[Kind]`. */
  readonly label: string
  readonly answer: Exclude<ServiceAnswer, 'none'>
  /** Allowed (pod, backend) connections, of `connections`. */
  readonly allowed: number
  readonly connections: number
}

export interface ServicePortReach {
  /** `prod/service/backend`. */
  readonly service: string
  readonly namespace: string
  readonly name: string
  readonly port: { readonly name: string; readonly port: number; readonly protocol: Protocol; readonly targetPort: number | string }
  /** `http 80/TCP -> api`. */
  readonly label: string
  /** `prod/service/backend:80 -> prod/backend-0:8080`, one per backend. */
  readonly translations: readonly string[]
  /** Why the port has no backend, when it has none. */
  readonly noBackends?: string
  /** Workloads with at least one allowed connection, by label. */
  readonly clients: readonly ServiceClient[]
}

export interface ServiceReachResult {
  readonly groupBy: 'service'
  /** By Service (namespace, name), then port as written. ExternalName Services are left out (no backends in the cluster). */
  readonly services: readonly ServicePortReach[]
}

export interface ServiceReachOptions {
  /** Keep clients holding a pod of one of these. */
  readonly from?: readonly EndpointFilter[]
  /** Keep Service ports with a backend pod in one of these (`ns/service/name` names its own backends). */
  readonly to?: readonly EndpointFilter[]
}

/** Who reaches each Service port; see the module comment. */
export function listServiceReach(state: ClusterState, evaluator: Evaluator, options: ServiceReachOptions = {}): ServiceReachResult {
  const groups = new Map<string, { label: string; kind: string; namespace: string; name: string; pods: Pod[] }>()
  for (const pod of state.pods) {
    const g = podGroup(pod, 'workload')
    if (options.from && options.from.length > 0 && !options.from.some((f) => f.pods.has(pod))) continue
    let entry = groups.get(g.key)
    if (!entry)
      groups.set(g.key, (entry = { label: groupLabel(g), kind: g.kind, namespace: g.namespace, name: g.name.slice(g.namespace.length + 1), pods: [] }))
    entry.pods.push(pod)
  }
  const sortedGroups = [...groups.values()].sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
  const services = [...(state.services ?? [])]
    .filter((s) => s.type !== 'ExternalName')
    .sort((a, b) => (a.namespace !== b.namespace ? (a.namespace < b.namespace ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const out: ServicePortReach[] = []
  for (const service of services) {
    for (const servicePort of service.ports) {
      const t = translateServicePort(state, service, servicePort)
      if (options.to && options.to.length > 0) {
        const backendPods = t.targets.flatMap((x) => (x.endpoint.kind === 'pod' ? [x.endpoint.pod] : []))
        if (!options.to.some((f) => backendPods.some((p) => f.pods.has(p)))) continue
      }
      const clients: ServiceClient[] = []
      for (const g of sortedGroups) {
        let allowed = 0
        let connections = 0
        for (const pod of g.pods) {
          for (const target of t.targets) {
            // A pod reaching itself through its own Service is left out, as list leaves out a pod to itself (always allowed).
            if (target.endpoint.kind === 'pod' && target.endpoint.pod === pod) continue
            connections++
            if (evaluator.evaluate({ from: { kind: 'pod', pod }, to: target.endpoint, port: target.port, protocol: target.protocol }).allowed) allowed++
          }
        }
        if (allowed === 0) continue
        clients.push({
          kind: g.kind,
          namespace: g.namespace,
          name: g.name,
          label: g.label,
          answer: serviceAnswer(allowed, connections) as Exclude<ServiceAnswer, 'none'>,
          allowed,
          connections,
        })
      }
      out.push({
        service: serviceName(service),
        namespace: service.namespace,
        name: service.name,
        port: { name: servicePort.name, port: servicePort.port, protocol: servicePort.protocol, targetPort: servicePort.targetPort },
        label: describeServicePort(servicePort),
        translations: t.targets.map((x) => x.translation),
        ...(t.noBackends !== undefined ? { noBackends: t.noBackends } : {}),
        clients,
      })
    }
  }
  return { groupBy: 'service', services: out }
}
