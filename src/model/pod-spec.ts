/**
 * @module The parts of a pod spec and status that policies care about: container ports (named
 * ports resolve against them), hostNetwork, nodeName and the pod IPs. Validated as the API
 * server's `validateContainerPorts` does.
 *
 * Only `containers` contribute ports, not `initContainers`: ordinary init containers have exited
 * before the pod serves, and named ports are looked up on the pod's running containers.
 */
import { formatIp, parseIp } from './cidr.js'
import type { FieldPath } from './field-path.js'
import { portNameErrors, portNumberErrors } from './name-validation.js'
import type { ObjectReader, PlainMap } from './object-reader.js'
import { PROTOCOLS, type ContainerPort, type Protocol } from './types.js'

export interface PodSpecParts {
  readonly containerPorts: readonly ContainerPort[]
  readonly hostNetwork: boolean
  readonly nodeName?: string
}

/** Reads `spec` of a pod, or of a pod template, at `path`. */
export function readPodSpec(r: ObjectReader, value: unknown, path: FieldPath): PodSpecParts {
  const spec = r.map(value, path) ?? {}
  const hostNetwork = r.boolean(spec.hostNetwork, [...path, 'hostNetwork']) ?? false
  const nodeName = r.string(spec.nodeName, [...path, 'nodeName'])
  const containerPorts: ContainerPort[] = []
  const containers = r.list(spec.containers, [...path, 'containers']) ?? []
  containers.forEach((rawContainer, ci) => {
    const cPath = [...path, 'containers', ci]
    const container = r.map(rawContainer, cPath)
    if (!container) return
    const names = new Set<string>()
    const ports = r.list(container.ports, [...cPath, 'ports']) ?? []
    ports.forEach((rawPort, pi) => {
      const port = readContainerPort(r, rawPort, [...cPath, 'ports', pi], names)
      if (port) containerPorts.push(port)
    })
  })
  return nodeName ? { containerPorts, hostNetwork, nodeName } : { containerPorts, hostNetwork }
}

function readContainerPort(r: ObjectReader, raw: unknown, path: FieldPath, names: Set<string>): ContainerPort | undefined {
  const map: PlainMap | undefined = r.map(raw, path)
  if (!map) return undefined
  const before = r.errors.length
  const name = r.string(map.name, [...path, 'name'])
  if (name) {
    const errs = portNameErrors(name)
    for (const msg of errs) r.invalid([...path, 'name'], name, msg)
    if (errs.length === 0) {
      if (names.has(name)) r.duplicate([...path, 'name'], name)
      names.add(name)
    }
  }
  const containerPort = r.integer(map.containerPort, [...path, 'containerPort'])
  if (containerPort === undefined || containerPort === 0) {
    if (map.containerPort === undefined || map.containerPort === null || containerPort === 0) r.required([...path, 'containerPort'])
  } else {
    for (const msg of portNumberErrors(containerPort)) r.invalid([...path, 'containerPort'], containerPort, msg)
  }
  const protocolText = r.string(map.protocol, [...path, 'protocol'])
  let protocol: Protocol = 'TCP'
  if (protocolText !== undefined && protocolText !== '') {
    if (PROTOCOLS.includes(protocolText as Protocol)) protocol = protocolText as Protocol
    else r.notSupported([...path, 'protocol'], protocolText, PROTOCOLS)
  }
  if (r.errors.length > before || containerPort === undefined) return undefined
  // Literals, not a conditional spread: an object spread costs about ten times more to build (per port of every pod).
  return name ? { name, containerPort, protocol } : { containerPort, protocol }
}

/** `status.podIPs[*].ip`, else `status.podIP`; each a valid IP, written canonically, without repeats. */
export function readPodIps(r: ObjectReader, value: unknown, path: FieldPath): string[] {
  const status = r.map(value, path)
  if (!status) return []
  const ips: string[] = []
  const add = (raw: unknown, ipPath: FieldPath): void => {
    const text = r.string(raw, ipPath)
    if (text === undefined || text === '') return
    const ip = parseIp(text)
    if (!ip) {
      r.invalid(ipPath, text, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')
      return
    }
    const canonical = formatIp(ip)
    if (!ips.includes(canonical)) ips.push(canonical)
  }
  const list = r.list(status.podIPs, [...path, 'podIPs']) ?? []
  list.forEach((raw, i) => {
    const entry = r.map(raw, [...path, 'podIPs', i])
    if (entry) add(entry.ip, [...path, 'podIPs', i, 'ip'])
  })
  if (list.length === 0) add(status.podIP, [...path, 'podIP'])
  return ips
}

/**
 * A pod in phase Succeeded or Failed has given its address back (it may already belong to another
 * pod) and takes no more connections: the analysis leaves it out, from a file or a live cluster.
 */
export function podHasFinished(status: unknown): boolean {
  if (typeof status !== 'object' || status === null) return false
  const phase = (status as { phase?: unknown }).phase
  return phase === 'Succeeded' || phase === 'Failed'
}
