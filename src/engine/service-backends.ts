/**
 * @module Where a connection to a Service goes: its backends and the port on each, as the
 * EndpointSlice controller and kube-proxy compute them. The node translates the Service address
 * and `port` to one backend pod and its `targetPort` before NetworkPolicy sees the packet, so
 * every analysis of "client -> Service" is the analysis of "client -> each backend".
 *
 * - A Service with a selector: every pod of its namespace whose labels include the selector; the
 *   port on each is `targetPort`, a number as is, a name resolved on the pod against its container
 *   ports of that name and protocol (`resolveNamedPort`, the same lookup a policy's named port
 *   uses). A pod that does not declare the name is no endpoint for that port (the controller
 *   leaves it out), reported as `unresolved`.
 * - A Service without selector: the ready endpoints of its EndpointSlices (label
 *   `kubernetes.io/service-name`), the port the slice's port of the Service port's name. An
 *   address is the pod its `targetRef` names (or the pod holding that IP); otherwise an address
 *   outside the known pods.
 * - ExternalName: no backends; clients are sent to `externalName` by DNS (outside the cluster).
 */
import { type ClusterState, type EndpointSlice, type Pod, type Protocol, type Service, type ServicePort } from '../model/types.js'
import { resolveNamedPort } from './port.js'

/** One place a connection to a Service port may be sent to. */
export interface ServiceBackend {
  /** The backend pod; absent for an EndpointSlice address that is no pod of the state. */
  readonly pod?: Pod
  /** The endpoint address when it is not a pod's (selectorless Services only). */
  readonly ip?: string
  /** The port on the backend: `targetPort` resolved on it (or the EndpointSlice's port). */
  readonly port: number
  readonly protocol: Protocol
}

export interface ServicePortBackends {
  readonly service: Service
  readonly servicePort: ServicePort
  readonly backends: readonly ServiceBackend[]
  /** Pods the selector picks that do not declare the named `targetPort`: no endpoint of this port (traffic never reaches them). */
  readonly unresolved: readonly Pod[]
}

/** `ns/name` of a Service. */
export function findService(state: ClusterState, namespace: string, name: string): Service | undefined {
  return state.services?.find((s) => s.namespace === namespace && s.name === name)
}

/**
 * The Service port a client means: by number (`80`) or by the Service port's name (`http`), of
 * `protocol` when given. Undefined when none matches.
 */
export function findServicePort(service: Service, port: number | string, protocol?: Protocol): ServicePort | undefined {
  return service.ports.find((p) => (typeof port === 'number' ? p.port === port : p.name === port) && (protocol === undefined || p.protocol === protocol))
}

/** True when `pod` is picked by the Service's selector (same namespace, every selector label present with its value). */
export function serviceSelectsPod(service: Service, pod: Pod): boolean {
  if (!service.selector || pod.namespace !== service.namespace) return false
  for (const [k, v] of Object.entries(service.selector)) if (pod.labels[k] !== v) return false
  return true
}

/** The pods a Service with a selector picks, in state order (none for a Service without one). */
export function selectedPods(state: ClusterState, service: Service): Pod[] {
  return service.selector ? state.pods.filter((p) => serviceSelectsPod(service, p)) : []
}

/** The port `servicePort` is sent to on `pod`; undefined when its named targetPort is not declared by the pod. */
export function targetPortOn(pod: Pod, servicePort: ServicePort): number | undefined {
  if (typeof servicePort.targetPort === 'number') return servicePort.targetPort
  // The controller takes the first container port of that name and protocol.
  return resolveNamedPort(pod, servicePort.targetPort, servicePort.protocol)[0]
}

/** The EndpointSlices of a Service (same namespace, label kubernetes.io/service-name). */
export function endpointSlicesOf(state: ClusterState, service: Service): EndpointSlice[] {
  return (state.endpointSlices ?? []).filter((s) => s.namespace === service.namespace && s.serviceName === service.name)
}

/** Every backend of one Service port, and the pods left out of it. */
export function serviceBackends(state: ClusterState, service: Service, servicePort: ServicePort): ServicePortBackends {
  const backends: ServiceBackend[] = []
  const unresolved: Pod[] = []
  if (service.type === 'ExternalName') return { service, servicePort, backends, unresolved }
  if (service.selector) {
    for (const pod of selectedPods(state, service)) {
      const port = targetPortOn(pod, servicePort)
      if (port === undefined) unresolved.push(pod)
      else backends.push({ pod, port, protocol: servicePort.protocol })
    }
    return { service, servicePort, backends, unresolved }
  }
  const seen = new Set<string>()
  for (const slice of endpointSlicesOf(state, service)) {
    if (slice.addressType === 'FQDN') continue
    const slicePort = slice.ports.find((p) => p.name === servicePort.name && p.protocol === servicePort.protocol)
    if (!slicePort) continue
    // An unset port means every port: the connection keeps the port it was sent to.
    const port = slicePort.port ?? servicePort.port
    for (const endpoint of slice.endpoints) {
      if (!endpoint.ready) continue
      const ref = endpoint.targetRef
      const byRef = ref?.kind === 'Pod' ? state.pods.find((p) => p.namespace === ref.namespace && p.name === ref.name) : undefined
      for (const address of endpoint.addresses) {
        const pod = byRef ?? state.pods.find((p) => p.ips.includes(address))
        const key = `${pod ? `pod:${pod.namespace}/${pod.name}` : `ip:${address}`}:${port}`
        if (seen.has(key)) continue
        seen.add(key)
        backends.push(pod ? { pod, port, protocol: servicePort.protocol } : { ip: address, port, protocol: servicePort.protocol })
      }
    }
  }
  return { service, servicePort, backends, unresolved }
}
