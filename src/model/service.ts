/**
 * @module core/v1 Services and discovery.k8s.io/v1 EndpointSlices, read, defaulted and validated
 * as the API server does (core's `ValidateService`, `validateServicePort` and
 * `ValidateServiceClusterIPsRelatedFields`; discovery's `ValidateEndpointSlice`), with the same
 * field paths and messages. Defaults: `type` ClusterIP, `protocol` TCP, `targetPort` the `port`,
 * `sessionAffinity` None.
 */
import { formatIp, parseIp } from './cidr.js'
import type { FieldPath } from './field-path.js'
import { readLabels } from './labels.js'
import { dns1123LabelErrors, dns1123SubdomainErrors, portNameErrors, portNumberErrors, qualifiedNameErrors } from './name-validation.js'
import type { ObjectMeta } from './object-meta.js'
import type { ObjectReader, PlainMap } from './object-reader.js'
import {
  PROTOCOLS,
  SERVICE_NAME_LABEL,
  SERVICE_TYPES,
  type Endpoint,
  type EndpointAddressType,
  type EndpointPort,
  type EndpointSlice,
  type Protocol,
  type Service,
  type ServicePort,
  type ServiceType,
  type SourceRef,
} from './types.js'

const SERVICE_SPEC_FIELDS = [
  'ports',
  'selector',
  'clusterIP',
  'clusterIPs',
  'type',
  'externalIPs',
  'sessionAffinity',
  'loadBalancerIP',
  'loadBalancerSourceRanges',
  'externalName',
  'externalTrafficPolicy',
  'healthCheckNodePort',
  'publishNotReadyAddresses',
  'sessionAffinityConfig',
  'ipFamilies',
  'ipFamilyPolicy',
  'allocateLoadBalancerNodePorts',
  'loadBalancerClass',
  'internalTrafficPolicy',
  'trafficDistribution',
]
const SERVICE_PORT_FIELDS = ['name', 'protocol', 'appProtocol', 'port', 'targetPort', 'nodePort']
const SESSION_AFFINITIES = ['ClientIP', 'None']
const IP_FAMILIES = ['IPv4', 'IPv6']
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack']
const IP_MESSAGE = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'

/** The API server's reading of a protocol field: default TCP, else one of the three. */
function readProtocol(r: ObjectReader, value: unknown, path: FieldPath): Protocol | undefined {
  const text = r.string(value, path)
  if (text === undefined || text === '') return 'TCP'
  if (PROTOCOLS.includes(text as Protocol)) return text as Protocol
  r.notSupported(path, text, PROTOCOLS)
  return undefined
}

/** An IP field: canonical text, or an error (undefined). */
function readIp(r: ObjectReader, text: string, path: FieldPath): string | undefined {
  const ip = parseIp(text)
  if (!ip) {
    r.invalid(path, text, IP_MESSAGE)
    return undefined
  }
  return formatIp(ip)
}

/** Reads the Service whose metadata is already read (name rule: DNS-1035 label). Undefined when invalid (the errors are in `r`). */
export function readService(r: ObjectReader, obj: PlainMap, meta: ObjectMeta, namespace: string, source: SourceRef): Service | undefined {
  const before = r.errors.length
  const specPath: FieldPath = ['spec']
  const spec = r.map(obj.spec, specPath) ?? {}
  r.unknownFields(spec, specPath, SERVICE_SPEC_FIELDS)

  const typeText = r.string(spec.type, [...specPath, 'type'])
  let type: ServiceType = 'ClusterIP'
  if (typeText !== undefined && typeText !== '') {
    if (SERVICE_TYPES.includes(typeText as ServiceType)) type = typeText as ServiceType
    else r.notSupported([...specPath, 'type'], typeText, SERVICE_TYPES)
  }

  // clusterIP and clusterIPs: the API server copies one into the other; the first must agree.
  const clusterIP = r.string(spec.clusterIP, [...specPath, 'clusterIP']) ?? ''
  const clusterIPsPath = [...specPath, 'clusterIPs']
  const writtenIPs: string[] = []
  ;(r.list(spec.clusterIPs, clusterIPsPath) ?? []).forEach((raw, i) => {
    const s = r.string(raw, [...clusterIPsPath, i])
    if (s !== undefined) writtenIPs.push(s)
  })
  if (clusterIP !== '' && writtenIPs.length > 0 && writtenIPs[0] !== clusterIP) r.invalid(clusterIPsPath, writtenIPs, 'first value must match `clusterIP`')
  if (clusterIP === '' && writtenIPs.length > 0 && spec.clusterIP !== undefined && spec.clusterIP !== null)
    r.invalid(clusterIPsPath, writtenIPs, 'must be empty when `clusterIP` is not specified')
  // Where the addresses were written, for messages.
  const ipsPath = writtenIPs.length > 0 ? clusterIPsPath : [...specPath, 'clusterIP']
  const ips = writtenIPs.length > 0 ? writtenIPs : clusterIP !== '' ? [clusterIP] : []
  const headless = ips.length === 1 && ips[0] === 'None'
  const clusterIPs: string[] = []

  if (type === 'ExternalName') {
    if (ips.length > 0) r.forbidden(ipsPath, 'may not be set for ExternalName services')
    if (spec.ipFamilies !== undefined && spec.ipFamilies !== null && (!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length > 0))
      r.forbidden([...specPath, 'ipFamilies'], 'may not be set for ExternalName services')
    if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null)
      r.forbidden([...specPath, 'ipFamilyPolicy'], 'may not be set for ExternalName services')
  } else {
    if (headless && (type === 'LoadBalancer' || type === 'NodePort'))
      r.invalid(writtenIPs.length > 0 ? [...clusterIPsPath, 0] : ipsPath, 'None', `may not be set to 'None' for ${type} services`)
    let badIp = false
    ips.forEach((text, i) => {
      const at = writtenIPs.length > 0 ? [...clusterIPsPath, i] : ipsPath
      if (i === 0 && text === 'None') {
        if (ips.length > 1) {
          badIp = true
          r.invalid(clusterIPsPath, ips, "'None' must be the first and only value")
        }
        return
      }
      const ip = readIp(r, text, at)
      if (ip === undefined) badIp = true
      else clusterIPs.push(ip)
    })
    if (ips.length > 2) r.invalid(clusterIPsPath, ips, 'may only hold up to 2 values')
    else if (!badIp && clusterIPs.length === 2 && clusterIPs[0].includes(':') === clusterIPs[1].includes(':'))
      r.invalid(clusterIPsPath, ips, 'may specify no more than one IP for each IP family')
    const families: string[] = []
    ;(r.list(spec.ipFamilies, [...specPath, 'ipFamilies']) ?? []).forEach((raw, i) => {
      const at = [...specPath, 'ipFamilies', i]
      const f = r.string(raw, at)
      if (f === undefined) return
      if (!IP_FAMILIES.includes(f)) r.notSupported(at, f, IP_FAMILIES)
      if (families.includes(f)) r.duplicate(at, f)
      families.push(f)
    })
    const policy = r.string(spec.ipFamilyPolicy, [...specPath, 'ipFamilyPolicy'])
    if (policy !== undefined && !IP_FAMILY_POLICIES.includes(policy)) r.notSupported([...specPath, 'ipFamilyPolicy'], policy, IP_FAMILY_POLICIES)
    if (!headless && !badIp) {
      clusterIPs.forEach((ip, i) => {
        const family = families[i]
        if (family === 'IPv4' && ip.includes(':'))
          r.invalid(writtenIPs.length > 0 ? [...clusterIPsPath, i] : ipsPath, ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``)
        if (family === 'IPv6' && !ip.includes(':'))
          r.invalid(writtenIPs.length > 0 ? [...clusterIPsPath, i] : ipsPath, ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``)
      })
    }
  }

  // ExternalName: a CNAME, which may end in a dot to say it is fully qualified.
  let externalName: string | undefined
  const externalNameText = r.string(spec.externalName, [...specPath, 'externalName']) ?? ''
  if (type === 'ExternalName') {
    const cname = externalNameText.endsWith('.') ? externalNameText.slice(0, -1) : externalNameText
    if (cname === '') r.required([...specPath, 'externalName'])
    else {
      const errs = dns1123SubdomainErrors(cname)
      for (const msg of errs) r.invalid([...specPath, 'externalName'], cname, msg)
      if (errs.length === 0) externalName = cname
    }
  }

  // Ports: required unless headless or ExternalName; named (uniquely) when more than one.
  const portsPath = [...specPath, 'ports']
  const rawPorts = r.list(spec.ports, portsPath) ?? []
  if (rawPorts.length === 0 && !headless && type !== 'ExternalName') r.required(portsPath)
  const names = new Set<string>()
  const ports: ServicePort[] = []
  const seenPorts = new Set<string>()
  const seenNodePorts = new Set<string>()
  rawPorts.forEach((raw, i) => {
    const at = [...portsPath, i]
    const p = readServicePort(r, raw, at, rawPorts.length > 1, names, type)
    if (!p) return
    ports.push(p)
    const key = `${p.protocol}/${p.port}`
    if (seenPorts.has(key)) r.duplicate(at, { protocol: p.protocol, port: p.port })
    seenPorts.add(key)
    if (p.nodePort !== undefined) {
      const nodeKey = `${p.protocol}/${p.nodePort}`
      if (seenNodePorts.has(nodeKey)) r.duplicate([...at, 'nodePort'], p.nodePort)
      seenNodePorts.add(nodeKey)
    }
  })

  // An empty selector is no selector: the API stores `selector: {}` as none, and no controller makes endpoints for it.
  const selectorMap = readLabels(r, spec.selector, [...specPath, 'selector'])
  const selector = Object.keys(selectorMap).length > 0 ? selectorMap : undefined

  const externalIPs: string[] = []
  ;(r.list(spec.externalIPs, [...specPath, 'externalIPs']) ?? []).forEach((raw, i) => {
    const at = [...specPath, 'externalIPs', i]
    const text = r.string(raw, at)
    if (text === undefined) return
    const ip = readIp(r, text, at)
    if (ip !== undefined && !externalIPs.includes(ip)) externalIPs.push(ip)
  })

  const affinity = r.string(spec.sessionAffinity, [...specPath, 'sessionAffinity'])
  if (affinity !== undefined && affinity !== '' && !SESSION_AFFINITIES.includes(affinity))
    r.notSupported([...specPath, 'sessionAffinity'], affinity, SESSION_AFFINITIES)

  if (r.errors.length > before) return undefined
  return {
    namespace,
    name: meta.name,
    labels: meta.labels,
    type,
    ...(selector ? { selector } : {}),
    clusterIPs,
    headless,
    ...(externalName !== undefined ? { externalName } : {}),
    externalIPs,
    ports,
    source,
  }
}

function readServicePort(r: ObjectReader, raw: unknown, path: FieldPath, requireName: boolean, names: Set<string>, type: ServiceType): ServicePort | undefined {
  const map = r.map(raw, path)
  if (!map) return undefined
  const before = r.errors.length
  r.unknownFields(map, path, SERVICE_PORT_FIELDS)
  const name = r.string(map.name, [...path, 'name']) ?? ''
  if (requireName && name === '') r.required([...path, 'name'])
  else if (name !== '') {
    for (const msg of dns1123LabelErrors(name)) r.invalid([...path, 'name'], name, msg)
    if (names.has(name)) r.duplicate([...path, 'name'], name)
    names.add(name)
  }
  const port = r.integer(map.port, [...path, 'port']) ?? (map.port === undefined || map.port === null ? 0 : undefined)
  if (port !== undefined) for (const msg of portNumberErrors(port)) r.invalid([...path, 'port'], port, msg)
  const protocol = readProtocol(r, map.protocol, [...path, 'protocol'])
  // targetPort: an int-or-string; 0 or "" (or absent) defaults to `port`.
  let targetPort: number | string | undefined = port
  const tpPath = [...path, 'targetPort']
  const tp = map.targetPort
  if (typeof tp === 'number') {
    if (!Number.isInteger(tp)) r.wrongType(tpPath, tp, 'int-or-string')
    else if (tp !== 0) {
      targetPort = tp
      for (const msg of portNumberErrors(tp)) r.invalid(tpPath, tp, msg)
    }
  } else if (typeof tp === 'string') {
    if (tp !== '') {
      targetPort = tp
      for (const msg of portNameErrors(tp)) r.invalid(tpPath, tp, msg)
    }
  } else if (tp !== undefined && tp !== null) r.wrongType(tpPath, tp, 'int-or-string')
  const nodePort = r.integer(map.nodePort, [...path, 'nodePort'])
  if (nodePort !== undefined && nodePort !== 0) {
    if (type === 'ClusterIP') r.forbidden([...path, 'nodePort'], "may not be used when `type` is 'ClusterIP'")
    else for (const msg of portNumberErrors(nodePort)) r.invalid([...path, 'nodePort'], nodePort, msg)
  }
  const appProtocol = r.string(map.appProtocol, [...path, 'appProtocol'])
  if (appProtocol !== undefined) for (const msg of qualifiedNameErrors(appProtocol)) r.invalid([...path, 'appProtocol'], appProtocol, msg)
  if (r.errors.length > before || port === undefined || protocol === undefined || targetPort === undefined) return undefined
  return { name, protocol, port, targetPort, ...(nodePort ? { nodePort } : {}), source: { file: r.file, line: r.line(path) } }
}

const ENDPOINT_SLICE_FIELDS = ['apiVersion', 'kind', 'metadata', 'addressType', 'endpoints', 'ports']
const ENDPOINT_FIELDS = ['addresses', 'conditions', 'hostname', 'targetRef', 'nodeName', 'zone', 'hints', 'deprecatedTopology']
const ENDPOINT_PORT_FIELDS = ['name', 'protocol', 'port', 'appProtocol']
const ADDRESS_TYPES: readonly EndpointAddressType[] = ['FQDN', 'IPv4', 'IPv6']
const MAX_ENDPOINTS = 1000
const MAX_ADDRESSES = 100
const MAX_PORTS = 100

/** Reads the EndpointSlice whose metadata is already read. Undefined when invalid (the errors are in `r`). */
export function readEndpointSlice(r: ObjectReader, obj: PlainMap, meta: ObjectMeta, namespace: string, source: SourceRef): EndpointSlice | undefined {
  const before = r.errors.length
  r.unknownFields(obj, [], ENDPOINT_SLICE_FIELDS)
  const typeText = r.string(obj.addressType, ['addressType']) ?? ''
  let addressType: EndpointAddressType | undefined
  if (typeText === '') r.required(['addressType'])
  else if (!ADDRESS_TYPES.includes(typeText as EndpointAddressType)) r.notSupported(['addressType'], typeText, ADDRESS_TYPES)
  else addressType = typeText as EndpointAddressType

  const endpoints: Endpoint[] = []
  const rawEndpoints = r.list(obj.endpoints, ['endpoints']) ?? []
  if (rawEndpoints.length > MAX_ENDPOINTS) r.error(['endpoints'], `Too many: ${rawEndpoints.length}: must have at most ${MAX_ENDPOINTS} items`)
  else
    rawEndpoints.forEach((raw, i) => {
      const e = readEndpoint(r, raw, ['endpoints', i], addressType, namespace)
      if (e) endpoints.push(e)
    })

  const ports: EndpointPort[] = []
  const rawPorts = r.list(obj.ports, ['ports']) ?? []
  const names = new Set<string>()
  if (rawPorts.length > MAX_PORTS) r.error(['ports'], `Too many: ${rawPorts.length}: must have at most ${MAX_PORTS} items`)
  else
    rawPorts.forEach((raw, i) => {
      const at: FieldPath = ['ports', i]
      const map = r.map(raw, at)
      if (!map) return
      r.unknownFields(map, at, ENDPOINT_PORT_FIELDS)
      const name = r.string(map.name, [...at, 'name']) ?? ''
      if (name !== '') for (const msg of dns1123LabelErrors(name)) r.invalid([...at, 'name'], name, msg)
      if (names.has(name)) r.duplicate([...at, 'name'], name)
      names.add(name)
      const protocol = readProtocol(r, map.protocol, [...at, 'protocol'])
      const port = r.integer(map.port, [...at, 'port'])
      if (port !== undefined) for (const msg of portNumberErrors(port)) r.invalid([...at, 'port'], port, msg)
      const appProtocol = r.string(map.appProtocol, [...at, 'appProtocol'])
      if (appProtocol !== undefined) for (const msg of qualifiedNameErrors(appProtocol)) r.invalid([...at, 'appProtocol'], appProtocol, msg)
      if (protocol !== undefined) ports.push({ name, protocol, ...(port !== undefined ? { port } : {}) })
    })

  if (r.errors.length > before || addressType === undefined) return undefined
  const serviceName = meta.labels[SERVICE_NAME_LABEL]
  return {
    namespace,
    name: meta.name,
    labels: meta.labels,
    ...(serviceName !== undefined && serviceName !== '' ? { serviceName } : {}),
    addressType,
    endpoints,
    ports,
    source,
  }
}

function readEndpoint(r: ObjectReader, raw: unknown, path: FieldPath, addressType: EndpointAddressType | undefined, namespace: string): Endpoint | undefined {
  const map = r.map(raw, path)
  if (!map) return undefined
  r.unknownFields(map, path, ENDPOINT_FIELDS)
  const addrPath = [...path, 'addresses']
  const rawAddresses = r.list(map.addresses, addrPath) ?? []
  if (rawAddresses.length === 0) r.required(addrPath, 'must contain at least 1 address')
  else if (rawAddresses.length > MAX_ADDRESSES) r.error(addrPath, `Too many: ${rawAddresses.length}: must have at most ${MAX_ADDRESSES} items`)
  const addresses: string[] = []
  rawAddresses.forEach((rawAddress, i) => {
    const at = [...addrPath, i]
    const text = r.string(rawAddress, at)
    // Addresses of an unknown type are not checked (the type itself is the error), as the API server does.
    if (text === undefined || addressType === undefined) return
    if (addressType === 'FQDN') {
      const errs = dns1123SubdomainErrors(text)
      for (const msg of errs) r.invalid(at, text, msg)
      if (errs.length === 0) addresses.push(text)
      return
    }
    const ip = parseIp(text)
    const family = addressType === 'IPv6' ? 6 : 4
    if (!ip || ip.family !== family) {
      r.invalid(at, text, `must be a valid IPv${family} address`)
      return
    }
    addresses.push(formatIp(ip))
  })
  const conditions = r.map(map.conditions, [...path, 'conditions']) ?? {}
  const ready = r.boolean(conditions.ready, [...path, 'conditions', 'ready'])
  const hostname = r.string(map.hostname, [...path, 'hostname'])
  if (hostname !== undefined) for (const msg of dns1123LabelErrors(hostname)) r.invalid([...path, 'hostname'], hostname, msg)
  const nodeName = r.string(map.nodeName, [...path, 'nodeName'])
  let targetRef: Endpoint['targetRef']
  const ref = r.map(map.targetRef, [...path, 'targetRef'])
  if (ref) {
    const kind = r.string(ref.kind, [...path, 'targetRef', 'kind']) ?? ''
    const name = r.string(ref.name, [...path, 'targetRef', 'name']) ?? ''
    const refNamespace = r.string(ref.namespace, [...path, 'targetRef', 'namespace']) || namespace
    if (name !== '') targetRef = { kind, namespace: refNamespace, name }
  }
  return { addresses, ready: ready ?? true, ...(targetRef ? { targetRef } : {}), ...(nodeName ? { nodeName } : {}) }
}
