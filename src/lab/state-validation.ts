/**
 * @module Reading a lab's state.json back as untrusted input. The values in it go to `ip`, `nft`,
 * `kill` and file paths as root, so every one is checked the way the loader checks a manifest:
 * names by the API server's rules and by the lab's own naming scheme (lab-names.ts: a pod's
 * namespace, veth and hash are derived from its name, and must be exactly that), addresses
 * parsed, numbers in range, the topology consistent with the cluster. Anything else is a
 * `LabStateError` naming the file and the field (exit 2). Pure.
 */
import { UsageError } from '../model/errors.js'
import { parseCidr, parseIp } from '../model/cidr.js'
import {
  dns1035LabelErrors,
  dns1123LabelErrors,
  dns1123SubdomainErrors,
  labelValueErrors,
  portNameErrors,
  qualifiedNameErrors,
} from '../model/name-validation.js'
import { inServiceRange } from './lab-services.js'
import { isDnsName } from './cluster-dns.js'
import {
  PROTOCOLS,
  type ClusterState,
  type ContainerPort,
  type LabelSelector,
  type Labels,
  type Namespace,
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
  type OwnerRef,
  type Pod,
  type SourceRef,
  type Service,
  type ServicePort,
  type EndpointSlice,
  SERVICE_TYPES,
} from '../model/types.js'
import { fabricNetnsName, podHash, podNetnsName, podVethName, validateLabName } from './lab-names.js'
import { isLabReserved, planNodes, type LabPod, type LabTopology } from './topology.js'
import {
  CNP_ACTIONS,
  CNP_TIERS,
  type ClusterNetworkPolicy,
  type ClusterNetworkPolicyEgressPeer,
  type ClusterNetworkPolicyIngressPeer,
  type ClusterNetworkPolicyProtocol,
  type NamespacedPod,
  type Port,
} from '../model/cluster-network-policy-types.js'
import { InputError } from '../model/diagnostic.js'
import { loadManifestText } from '../cluster/load-manifests.js'
import { clusterNetworkPolicyManifest } from './export-manifests.js'
import { podAddressProblem } from './pod-address.js'
import { LAB_STATE_VERSION, type LabControlPlane, type LabPhase, type LabState, type PendingApply } from './lab-state.js'
import type { SctpSupport } from './sctp-support.js'

/** A state file that cannot be trusted or used: exit 2, with what to do about it. */
export class LabStateError extends UsageError {
  constructor(file: string, problem: string, lab?: string) {
    super(`lab state ${file} cannot be used: ${problem}${lab !== undefined ? `; remove the lab with \`netpol lab down --name ${lab}\`` : ''}`)
    this.name = 'LabStateError'
  }
}

/** Largest PID Linux hands out (`pid_max` is at most 2^22). */
const PID_MAX = 4_194_304
const PHASES: readonly LabPhase[] = ['building', 'ready', 'applying', 'failed']
const OWNER_KINDS: readonly OwnerRef['kind'][] = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob']

type Json = Record<string, unknown>

class Checker {
  constructor(
    private readonly file: string,
    private readonly lab: string,
  ) {}

  fail(path: string, problem: string): never {
    throw new LabStateError(this.file, `${path}: ${problem}`, this.lab)
  }

  /**
   * With `fields`, any other key is refused: a field this reader does not know would be dropped
   * silently, and the lab would then run something else than what it was built with.
   */
  object(v: unknown, path: string, fields?: readonly string[]): Json {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(path, `expected an object, got ${describe(v)}`)
    if (fields !== undefined) for (const k of Object.keys(v)) if (!fields.includes(k)) this.fail(path, `unknown field ${JSON.stringify(k.slice(0, 80))}`)
    return v as Json
  }

  array(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, `expected a list, got ${describe(v)}`)
    return v
  }

  /** Names are checked further by `rule`; paths and messages may hold anything (they are escaped where printed). */
  string(v: unknown, path: string, max = 4096): string {
    if (typeof v !== 'string') this.fail(path, `expected a string, got ${describe(v)}`)
    if (v.length > max) this.fail(path, `longer than ${max} characters`)
    return v
  }

  optionalString(v: unknown, path: string): string | undefined {
    return v === undefined ? undefined : this.string(v, path)
  }

  boolean(v: unknown, path: string): boolean {
    if (typeof v !== 'boolean') this.fail(path, `expected true or false, got ${describe(v)}`)
    return v
  }

  integer(v: unknown, path: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(path, `expected an integer from ${min} to ${max}, got ${describe(v)}`)
    return v
  }

  oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) this.fail(path, `expected one of ${allowed.join(', ')}, got ${describe(v)}`)
    return v as T
  }

  rule(value: string, path: string, errors: (v: string) => string[]): string {
    const errs = errors(value)
    if (errs.length > 0) this.fail(path, `invalid value ${JSON.stringify(value)}: ${errs.join('; ')}`)
    return value
  }

  time(v: unknown, path: string): string {
    const s = this.string(v, path, 64)
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(s) || Number.isNaN(Date.parse(s)))
      this.fail(path, `expected an ISO 8601 UTC time, got ${JSON.stringify(s)}`)
    return s
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'string') return v.length > 40 ? 'a long string' : JSON.stringify(v)
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return typeof v === 'object' ? 'an object' : typeof v
}

function source(c: Checker, v: unknown, path: string): SourceRef {
  const o = c.object(v, path, ['file', 'line'])
  return { file: c.string(o.file, `${path}.file`), line: c.integer(o.line, `${path}.line`, 0, Number.MAX_SAFE_INTEGER) }
}

function labels(c: Checker, v: unknown, path: string): Labels {
  const o = c.object(v, path)
  const out: Record<string, string> = {}
  for (const [k, value] of Object.entries(o)) {
    c.rule(c.string(k, `${path} key`), `${path} key`, qualifiedNameErrors)
    out[k] = c.rule(c.string(value, `${path}.${k}`), `${path}.${k}`, labelValueErrors)
  }
  return out
}

function selector(c: Checker, v: unknown, path: string): LabelSelector {
  const o = c.object(v, path, ['matchLabels', 'matchExpressions'])
  const matchExpressions = c.array(o.matchExpressions, `${path}.matchExpressions`).map((e, i) => {
    const p = `${path}.matchExpressions[${i}]`
    const x = c.object(e, p, ['key', 'operator', 'values'])
    const operator = c.oneOf(x.operator, `${p}.operator`, ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const)
    const values = c.array(x.values, `${p}.values`).map((s, j) => c.rule(c.string(s, `${p}.values[${j}]`), `${p}.values[${j}]`, labelValueErrors))
    if ((operator === 'In' || operator === 'NotIn') !== values.length > 0)
      c.fail(`${p}.values`, `must be ${values.length > 0 ? 'empty' : 'non-empty'} for operator ${operator}`)
    return { key: c.rule(c.string(x.key, `${p}.key`), `${p}.key`, qualifiedNameErrors), operator, values }
  })
  return { matchLabels: labels(c, o.matchLabels, `${path}.matchLabels`), matchExpressions }
}

function cidr(c: Checker, v: unknown, path: string): string {
  const s = c.string(v, path, 64)
  const parsed = parseCidr(s)
  if (!parsed.ok) c.fail(path, parsed.error)
  return s
}

function peer(c: Checker, v: unknown, path: string): NetworkPolicyPeer {
  const o = c.object(v, path, ['podSelector', 'namespaceSelector', 'ipBlock', 'source'])
  const podSelector = o.podSelector === undefined ? undefined : selector(c, o.podSelector, `${path}.podSelector`)
  const namespaceSelector = o.namespaceSelector === undefined ? undefined : selector(c, o.namespaceSelector, `${path}.namespaceSelector`)
  let ipBlock: NetworkPolicyPeer['ipBlock']
  if (o.ipBlock !== undefined) {
    const b = c.object(o.ipBlock, `${path}.ipBlock`, ['cidr', 'except'])
    ipBlock = {
      cidr: cidr(c, b.cidr, `${path}.ipBlock.cidr`),
      except: c.array(b.except, `${path}.ipBlock.except`).map((e, i) => cidr(c, e, `${path}.ipBlock.except[${i}]`)),
    }
  }
  if (ipBlock !== undefined ? podSelector !== undefined || namespaceSelector !== undefined : podSelector === undefined && namespaceSelector === undefined) {
    c.fail(path, 'must have either ipBlock alone, or podSelector and/or namespaceSelector')
  }
  return {
    ...(podSelector ? { podSelector } : {}),
    ...(namespaceSelector ? { namespaceSelector } : {}),
    ...(ipBlock ? { ipBlock } : {}),
    source: source(c, o.source, `${path}.source`),
  }
}

function policyPort(c: Checker, v: unknown, path: string): NetworkPolicyPort {
  const o = c.object(v, path, ['protocol', 'port', 'endPort', 'source'])
  const protocol = c.oneOf(o.protocol, `${path}.protocol`, PROTOCOLS)
  let port: number | string | undefined
  if (typeof o.port === 'number') port = c.integer(o.port, `${path}.port`, 1, 65535)
  else if (o.port !== undefined) port = c.rule(c.string(o.port, `${path}.port`), `${path}.port`, portNameErrors)
  let endPort: number | undefined
  if (o.endPort !== undefined) {
    if (typeof port !== 'number') c.fail(`${path}.endPort`, 'needs a numeric port')
    endPort = c.integer(o.endPort, `${path}.endPort`, port, 65535)
  }
  return { protocol, ...(port !== undefined ? { port } : {}), ...(endPort !== undefined ? { endPort } : {}), source: source(c, o.source, `${path}.source`) }
}

function policy(c: Checker, v: unknown, path: string): NetworkPolicy {
  const o = c.object(v, path, ['namespace', 'name', 'podSelector', 'policyTypes', 'ingress', 'egress', 'source'])
  const rules = <K extends 'from' | 'to'>(list: unknown, p: string, peers: K) =>
    c.array(list, p).map((r, i) => {
      const rp = `${p}[${i}]`
      const x = c.object(r, rp, [peers, 'ports', 'source'])
      return {
        [peers]: c.array(x[peers], `${rp}.${peers}`).map((e, j) => peer(c, e, `${rp}.${peers}[${j}]`)),
        ports: c.array(x.ports, `${rp}.ports`).map((e, j) => policyPort(c, e, `${rp}.ports[${j}]`)),
        source: source(c, x.source, `${rp}.source`),
      } as { [P in K]: NetworkPolicyPeer[] } & { ports: NetworkPolicyPort[]; source: SourceRef }
    })
  const policyTypes = c.array(o.policyTypes, `${path}.policyTypes`).map((t, i) => c.oneOf(t, `${path}.policyTypes[${i}]`, ['Ingress', 'Egress'] as const))
  if (policyTypes.length === 0 || new Set(policyTypes).size !== policyTypes.length) c.fail(`${path}.policyTypes`, 'must list Ingress and/or Egress once each')
  return {
    namespace: c.rule(c.string(o.namespace, `${path}.namespace`), `${path}.namespace`, dns1123LabelErrors),
    name: c.rule(c.string(o.name, `${path}.name`), `${path}.name`, dns1123SubdomainErrors),
    podSelector: selector(c, o.podSelector, `${path}.podSelector`),
    policyTypes,
    ingress: rules(o.ingress, `${path}.ingress`, 'from'),
    egress: rules(o.egress, `${path}.egress`, 'to'),
    source: source(c, o.source, `${path}.source`),
  }
}

function containerPorts(c: Checker, v: unknown, path: string): ContainerPort[] {
  return c.array(v, path).map((e, i) => {
    const p = `${path}[${i}]`
    const o = c.object(e, p, ['name', 'containerPort', 'protocol'])
    const name = o.name === undefined ? undefined : c.rule(c.string(o.name, `${p}.name`), `${p}.name`, portNameErrors)
    return {
      ...(name !== undefined ? { name } : {}),
      containerPort: c.integer(o.containerPort, `${p}.containerPort`, 1, 65535),
      protocol: c.oneOf(o.protocol, `${p}.protocol`, PROTOCOLS),
    }
  })
}

function pod(c: Checker, v: unknown, path: string): Pod {
  const o = c.object(v, path, ['namespace', 'name', 'labels', 'ips', 'ipsAssumed', 'containerPorts', 'hostNetwork', 'nodeName', 'owner', 'template', 'source'])
  const ips = c.array(o.ips, `${path}.ips`).map((ip, i) => {
    const s = c.string(ip, `${path}.ips[${i}]`, 64)
    if (parseIp(s) === undefined) c.fail(`${path}.ips[${i}]`, `not an IP address: ${JSON.stringify(s)}`)
    return s
  })
  const ownerRef = (value: unknown, p: string): OwnerRef => {
    const w = c.object(value, p, ['kind', 'name'])
    return { kind: c.oneOf(w.kind, `${p}.kind`, OWNER_KINDS), name: c.rule(c.string(w.name, `${p}.name`), `${p}.name`, dns1123SubdomainErrors) }
  }
  const owner = o.owner === undefined ? undefined : ownerRef(o.owner, `${path}.owner`)
  const template = o.template === undefined ? undefined : ownerRef(o.template, `${path}.template`)
  const nodeName = c.optionalString(o.nodeName, `${path}.nodeName`)
  if (nodeName !== undefined) c.rule(nodeName, `${path}.nodeName`, dns1123SubdomainErrors)
  return {
    namespace: c.rule(c.string(o.namespace, `${path}.namespace`), `${path}.namespace`, dns1123LabelErrors),
    name: c.rule(c.string(o.name, `${path}.name`), `${path}.name`, dns1123SubdomainErrors),
    labels: labels(c, o.labels, `${path}.labels`),
    ips,
    ...(o.ipsAssumed !== undefined ? { ipsAssumed: c.boolean(o.ipsAssumed, `${path}.ipsAssumed`) } : {}),
    containerPorts: containerPorts(c, o.containerPorts, `${path}.containerPorts`),
    hostNetwork: c.boolean(o.hostNetwork, `${path}.hostNetwork`),
    ...(nodeName !== undefined ? { nodeName } : {}),
    ...(owner ? { owner } : {}),
    ...(template ? { template } : {}),
    source: source(c, o.source, `${path}.source`),
  }
}

function namespace(c: Checker, v: unknown, path: string): Namespace {
  const o = c.object(v, path, ['name', 'labels', 'implicit', 'source'])
  return {
    name: c.rule(c.string(o.name, `${path}.name`), `${path}.name`, dns1123LabelErrors),
    labels: labels(c, o.labels, `${path}.labels`),
    implicit: c.boolean(o.implicit, `${path}.implicit`),
    ...(o.source !== undefined ? { source: source(c, o.source, `${path}.source`) } : {}),
  }
}

function ipList(c: Checker, v: unknown, path: string): string[] {
  return c.array(v, path).map((ip, i) => {
    const s = c.string(ip, `${path}[${i}]`, 64)
    if (parseIp(s) === undefined) c.fail(`${path}[${i}]`, `not an IP address: ${JSON.stringify(s)}`)
    return s
  })
}

function servicePort(c: Checker, v: unknown, path: string): ServicePort {
  const o = c.object(v, path, ['name', 'protocol', 'port', 'targetPort', 'nodePort', 'source'])
  const name = c.string(o.name, `${path}.name`, 63)
  if (name !== '') c.rule(name, `${path}.name`, portNameErrors)
  const targetPort =
    typeof o.targetPort === 'number'
      ? c.integer(o.targetPort, `${path}.targetPort`, 1, 65535)
      : c.rule(c.string(o.targetPort, `${path}.targetPort`), `${path}.targetPort`, portNameErrors)
  return {
    name,
    protocol: c.oneOf(o.protocol, `${path}.protocol`, PROTOCOLS),
    port: c.integer(o.port, `${path}.port`, 1, 65535),
    targetPort,
    ...(o.nodePort !== undefined ? { nodePort: c.integer(o.nodePort, `${path}.nodePort`, 1, 65535) } : {}),
    source: source(c, o.source, `${path}.source`),
  }
}

/**
 * A Service as the lab runs it: its ClusterIP (the one the lab gave it) goes into every node's
 * nft table, so it must be one IPv4 address of the lab's service range, used by no other Service.
 */
function service(c: Checker, v: unknown, path: string, clusterIps: Set<string>): Service {
  const o = c.object(v, path, ['namespace', 'name', 'labels', 'type', 'selector', 'clusterIPs', 'headless', 'externalName', 'externalIPs', 'ports', 'source'])
  const type = c.oneOf(o.type, `${path}.type`, SERVICE_TYPES)
  const headless = c.boolean(o.headless, `${path}.headless`)
  const ips = ipList(c, o.clusterIPs, `${path}.clusterIPs`)
  if (type === 'ExternalName' || headless) {
    if (ips.length > 0) c.fail(`${path}.clusterIPs`, `must be empty for a ${headless ? 'headless' : 'ExternalName'} Service`)
  } else {
    if (ips.length !== 1 || !inServiceRange(ips[0]))
      c.fail(`${path}.clusterIPs`, `expected the one IPv4 address the lab gave the Service, in its service range`)
    if (clusterIps.has(ips[0])) c.fail(`${path}.clusterIPs`, `${ips[0]} is given to two Services`)
    clusterIps.add(ips[0])
  }
  let externalName: string | undefined
  if (o.externalName !== undefined) {
    externalName = c.string(o.externalName, `${path}.externalName`, 253)
    if (!isDnsName(externalName.toLowerCase())) c.fail(`${path}.externalName`, `not a DNS name: ${JSON.stringify(externalName.slice(0, 80))}`)
  }
  return {
    namespace: c.rule(c.string(o.namespace, `${path}.namespace`), `${path}.namespace`, dns1123LabelErrors),
    name: c.rule(c.string(o.name, `${path}.name`), `${path}.name`, dns1035LabelErrors),
    labels: labels(c, o.labels, `${path}.labels`),
    type,
    ...(o.selector !== undefined ? { selector: labels(c, o.selector, `${path}.selector`) } : {}),
    clusterIPs: ips,
    headless,
    ...(externalName !== undefined ? { externalName } : {}),
    externalIPs: ipList(c, o.externalIPs, `${path}.externalIPs`),
    ports: c.array(o.ports, `${path}.ports`).map((p, i) => servicePort(c, p, `${path}.ports[${i}]`)),
    source: source(c, o.source, `${path}.source`),
  }
}

function endpointSlice(c: Checker, v: unknown, path: string): EndpointSlice {
  const o = c.object(v, path, ['namespace', 'name', 'labels', 'serviceName', 'addressType', 'endpoints', 'ports', 'source'])
  const addressType = c.oneOf(o.addressType, `${path}.addressType`, ['IPv4', 'IPv6', 'FQDN'] as const)
  const endpoints = c.array(o.endpoints, `${path}.endpoints`).map((e, i) => {
    const p = `${path}.endpoints[${i}]`
    const x = c.object(e, p, ['addresses', 'ready', 'targetRef', 'nodeName'])
    const addresses = c.array(x.addresses, `${p}.addresses`).map((a, j) => {
      const s = c.string(a, `${p}.addresses[${j}]`, 253)
      if (addressType === 'FQDN' ? !isDnsName(s.toLowerCase()) : parseIp(s)?.family !== (addressType === 'IPv4' ? 4 : 6))
        c.fail(`${p}.addresses[${j}]`, `not an ${addressType} address: ${JSON.stringify(s.slice(0, 80))}`)
      return s
    })
    let targetRef: { kind: string; namespace: string; name: string } | undefined
    if (x.targetRef !== undefined) {
      const t = c.object(x.targetRef, `${p}.targetRef`, ['kind', 'namespace', 'name'])
      targetRef = {
        kind: c.rule(c.string(t.kind, `${p}.targetRef.kind`, 63), `${p}.targetRef.kind`, qualifiedNameErrors),
        namespace: c.rule(c.string(t.namespace, `${p}.targetRef.namespace`), `${p}.targetRef.namespace`, dns1123LabelErrors),
        name: c.rule(c.string(t.name, `${p}.targetRef.name`), `${p}.targetRef.name`, dns1123SubdomainErrors),
      }
    }
    const nodeName = c.optionalString(x.nodeName, `${p}.nodeName`)
    if (nodeName !== undefined) c.rule(nodeName, `${p}.nodeName`, dns1123SubdomainErrors)
    return { addresses, ready: c.boolean(x.ready, `${p}.ready`), ...(targetRef ? { targetRef } : {}), ...(nodeName !== undefined ? { nodeName } : {}) }
  })
  const ports = c.array(o.ports, `${path}.ports`).map((e, i) => {
    const p = `${path}.ports[${i}]`
    const x = c.object(e, p, ['name', 'protocol', 'port'])
    const name = c.string(x.name, `${p}.name`, 63)
    if (name !== '') c.rule(name, `${p}.name`, portNameErrors)
    return {
      name,
      protocol: c.oneOf(x.protocol, `${p}.protocol`, PROTOCOLS),
      ...(x.port !== undefined ? { port: c.integer(x.port, `${p}.port`, 1, 65535) } : {}),
    }
  })
  const serviceName =
    o.serviceName === undefined ? undefined : c.rule(c.string(o.serviceName, `${path}.serviceName`), `${path}.serviceName`, dns1035LabelErrors)
  return {
    namespace: c.rule(c.string(o.namespace, `${path}.namespace`), `${path}.namespace`, dns1123LabelErrors),
    name: c.rule(c.string(o.name, `${path}.name`), `${path}.name`, dns1123SubdomainErrors),
    labels: labels(c, o.labels, `${path}.labels`),
    ...(serviceName !== undefined ? { serviceName } : {}),
    addressType,
    endpoints,
    ports,
    source: source(c, o.source, `${path}.source`),
  }
}

function namespacedPod(c: Checker, v: unknown, path: string): NamespacedPod {
  const o = c.object(v, path, ['namespaceSelector', 'podSelector'])
  return { namespaceSelector: selector(c, o.namespaceSelector, `${path}.namespaceSelector`), podSelector: selector(c, o.podSelector, `${path}.podSelector`) }
}

/** A subject or peer: the selectors and lists its kind may have, each only when present. */
function cnpPeer(c: Checker, v: unknown, path: string, fields: readonly string[]): ClusterNetworkPolicyIngressPeer & Partial<ClusterNetworkPolicyEgressPeer> {
  const o = c.object(v, path, [...fields, 'source'])
  const strings = (key: string): readonly string[] | undefined =>
    o[key] === undefined ? undefined : c.array(o[key], `${path}.${key}`).map((s, i) => c.string(s, `${path}.${key}[${i}]`, 256))
  const networks = strings('networks')
  const domainNames = strings('domainNames')
  return {
    ...(o.namespaces !== undefined ? { namespaces: selector(c, o.namespaces, `${path}.namespaces`) } : {}),
    ...(o.pods !== undefined ? { pods: namespacedPod(c, o.pods, `${path}.pods`) } : {}),
    ...(o.nodes !== undefined ? { nodes: selector(c, o.nodes, `${path}.nodes`) } : {}),
    ...(networks !== undefined ? { networks } : {}),
    ...(domainNames !== undefined ? { domainNames } : {}),
    source: source(c, o.source, `${path}.source`),
  }
}

function cnpPort(c: Checker, v: unknown, path: string): Port {
  const o = c.object(v, path, ['number', 'range'])
  if (o.range === undefined) return { number: c.integer(o.number, `${path}.number`, 1, 65535) }
  const r = c.object(o.range, `${path}.range`, ['start', 'end'])
  return { range: { start: c.integer(r.start, `${path}.range.start`, 1, 65535), end: c.integer(r.end, `${path}.range.end`, 1, 65535) } }
}

function cnpProtocol(c: Checker, v: unknown, path: string): ClusterNetworkPolicyProtocol {
  const o = c.object(v, path, ['tcp', 'udp', 'sctp', 'destinationNamedPort', 'source'])
  const match = (key: 'tcp' | 'udp' | 'sctp'): Partial<ClusterNetworkPolicyProtocol> => {
    if (o[key] === undefined) return {}
    const m = c.object(o[key], `${path}.${key}`, ['destinationPort'])
    return { [key]: { destinationPort: cnpPort(c, m.destinationPort, `${path}.${key}.destinationPort`) } }
  }
  return {
    ...match('tcp'),
    ...match('udp'),
    ...match('sctp'),
    ...(o.destinationNamedPort !== undefined ? { destinationNamedPort: c.string(o.destinationNamedPort, `${path}.destinationNamedPort`, 64) } : {}),
    source: source(c, o.source, `${path}.source`),
  }
}

/** Canonical text without any `source` (keys sorted), so a policy can be compared with the one its manifest reads back as. */
function withoutSources(v: unknown): string {
  return JSON.stringify(v, (k, x: unknown) =>
    k === 'source'
      ? undefined
      : x !== null && typeof x === 'object' && !Array.isArray(x)
        ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : x,
  )
}

/**
 * A ClusterNetworkPolicy: its shape field by field (every field known, every `source` kept), then
 * every rule of its API (the CRD's schema and CEL rules, the selectors) by reading its manifest
 * back through the manifest loader, the one implementation of those rules; what reads back must be
 * the very same policy.
 */
function clusterPolicy(c: Checker, v: unknown, path: string): ClusterNetworkPolicy {
  const o = c.object(v, path, ['name', 'spec', 'source'])
  const s = c.object(o.spec, `${path}.spec`, ['tier', 'priority', 'subject', 'ingress', 'egress'])
  const rules = <K extends 'from' | 'to'>(list: unknown, p: string, peers: K, peerFields: readonly string[]) =>
    c.array(list, p).map((r, i) => {
      const rp = `${p}[${i}]`
      const x = c.object(r, rp, ['name', 'action', peers, 'protocols', 'source'])
      return {
        ...(x.name !== undefined ? { name: c.string(x.name, `${rp}.name`, 256) } : {}),
        action: c.oneOf(x.action, `${rp}.action`, CNP_ACTIONS),
        peers: c.array(x[peers], `${rp}.${peers}`).map((e, j) => cnpPeer(c, e, `${rp}.${peers}[${j}]`, peerFields)),
        protocols: c.array(x.protocols, `${rp}.protocols`).map((e, j) => cnpProtocol(c, e, `${rp}.protocols[${j}]`)),
        source: source(c, x.source, `${rp}.source`),
      }
    })
  const policy: ClusterNetworkPolicy = {
    name: c.rule(c.string(o.name, `${path}.name`), `${path}.name`, dns1123SubdomainErrors),
    spec: {
      tier: c.oneOf(s.tier, `${path}.spec.tier`, CNP_TIERS),
      priority: c.integer(s.priority, `${path}.spec.priority`, 0, 1000),
      subject: cnpPeer(c, s.subject, `${path}.spec.subject`, ['namespaces', 'pods']),
      ingress: rules(s.ingress, `${path}.spec.ingress`, 'from', ['namespaces', 'pods']).map(({ peers, ...r }) => ({ ...r, from: peers })),
      egress: rules(s.egress, `${path}.spec.egress`, 'to', ['namespaces', 'pods', 'nodes', 'networks', 'domainNames']).map(({ peers, ...r }) => ({
        ...r,
        to: peers,
      })),
    },
    source: source(c, o.source, `${path}.source`),
  }
  let readBack: readonly ClusterNetworkPolicy[] | undefined
  try {
    readBack = loadManifestText(JSON.stringify(clusterNetworkPolicyManifest(policy)), { file: path }).state.clusterNetworkPolicies
  } catch (err) {
    if (!(err instanceof InputError)) throw err
    const d = err.diagnostics.find((x) => x.severity === 'error') ?? err.diagnostics[0]
    c.fail(path, `not a valid ClusterNetworkPolicy: ${d?.field !== undefined ? `${d.field}: ` : ''}${d?.message ?? err.message}`)
  }
  if (readBack?.length !== 1 || withoutSources(readBack[0]) !== withoutSources(policy)) c.fail(path, 'does not read back as the same ClusterNetworkPolicy')
  return policy
}

function clusterState(c: Checker, v: unknown, path: string): ClusterState {
  const o = c.object(v, path, ['namespaces', 'pods', 'policies', 'services', 'endpointSlices', 'clusterNetworkPolicies'])
  const cnps =
    o.clusterNetworkPolicies === undefined
      ? undefined
      : c.array(o.clusterNetworkPolicies, `${path}.clusterNetworkPolicies`).map((p, i) => clusterPolicy(c, p, `${path}.clusterNetworkPolicies[${i}]`))
  const names = new Set<string>()
  cnps?.forEach((p, i) => {
    if (names.has(p.name)) c.fail(`${path}.clusterNetworkPolicies[${i}].name`, `ClusterNetworkPolicy ${JSON.stringify(p.name)} is listed twice`)
    names.add(p.name)
  })
  const clusterIps = new Set<string>()
  const services =
    o.services === undefined ? undefined : c.array(o.services, `${path}.services`).map((s, i) => service(c, s, `${path}.services[${i}]`, clusterIps))
  const endpointSlices =
    o.endpointSlices === undefined
      ? undefined
      : c.array(o.endpointSlices, `${path}.endpointSlices`).map((s, i) => endpointSlice(c, s, `${path}.endpointSlices[${i}]`))
  return {
    namespaces: c.array(o.namespaces, `${path}.namespaces`).map((n, i) => namespace(c, n, `${path}.namespaces[${i}]`)),
    pods: c.array(o.pods, `${path}.pods`).map((p, i) => pod(c, p, `${path}.pods[${i}]`)),
    policies: c.array(o.policies, `${path}.policies`).map((p, i) => policy(c, p, `${path}.policies[${i}]`)),
    ...(services !== undefined ? { services } : {}),
    ...(endpointSlices !== undefined ? { endpointSlices } : {}),
    ...(cnps !== undefined && cnps.length > 0 ? { clusterNetworkPolicies: cnps } : {}),
  }
}

/** The topology, which must be exactly what the lab's naming scheme derives for `lab`, and match `cluster`. */
function topology(c: Checker, v: unknown, path: string, lab: string, cluster: ClusterState, clusterPath: string): LabTopology {
  const o = c.object(v, path, ['lab', 'fabricNetns', 'nodes', 'pods'])
  if (o.lab !== lab) c.fail(`${path}.lab`, `expected ${JSON.stringify(lab)}, got ${describe(o.lab)}`)
  if (o.fabricNetns !== fabricNetnsName(lab)) c.fail(`${path}.fabricNetns`, `expected ${JSON.stringify(fabricNetnsName(lab))}, got ${describe(o.fabricNetns)}`)
  const rawNodes = c.array(o.nodes, `${path}.nodes`)
  if (rawNodes.length < 2 || rawNodes.length > 16) c.fail(`${path}.nodes`, `a lab has 2 to 16 nodes, got ${rawNodes.length}`)
  const nodes = planNodes(lab, rawNodes.length)
  rawNodes.forEach((raw, i) => {
    const n = c.object(raw, `${path}.nodes[${i}]`, Object.keys(nodes[i]))
    for (const [k, want] of Object.entries(nodes[i])) {
      if (n[k] !== want) c.fail(`${path}.nodes[${i}].${k}`, `expected ${JSON.stringify(want)}, got ${describe(n[k])}`)
    }
  })
  const nodeNames = new Set(nodes.map((n) => n.name))
  const statePods = new Map(cluster.pods.filter((p) => !p.hostNetwork).map((p) => [`${p.namespace}/${p.name}`, p]))
  const seenIps = new Set<string>()
  const seenHashes = new Set<string>()
  const pods: LabPod[] = c.array(o.pods, `${path}.pods`).map((raw, i) => {
    const p = `${path}.pods[${i}]`
    const x = c.object(raw, p, ['namespace', 'name', 'hash', 'netns', 'veth', 'node', 'ip', 'containerPorts'])
    const ns = c.rule(c.string(x.namespace, `${p}.namespace`), `${p}.namespace`, dns1123LabelErrors)
    const name = c.rule(c.string(x.name, `${p}.name`), `${p}.name`, dns1123SubdomainErrors)
    const hash = podHash(ns, name)
    const expect = { hash, netns: podNetnsName(lab, hash), veth: podVethName(hash) }
    for (const [k, want] of Object.entries(expect))
      if (x[k] !== want) c.fail(`${p}.${k}`, `expected ${JSON.stringify(want)} (derived from ${ns}/${name}), got ${describe(x[k])}`)
    if (seenHashes.has(hash)) c.fail(p, `pod ${ns}/${name} is listed twice`)
    seenHashes.add(hash)
    const node = c.string(x.node, `${p}.node`, 64)
    if (!nodeNames.has(node)) c.fail(`${p}.node`, `${JSON.stringify(node)} is not a node of this lab`)
    const ip = c.string(x.ip, `${p}.ip`, 64)
    const problem = parseIp(ip)?.family === 4 ? podAddressProblem(ip) : 'is not an IPv4 address'
    if (problem !== undefined) c.fail(`${p}.ip`, `${JSON.stringify(ip)} ${problem}`)
    if (isLabReserved(ip)) c.fail(`${p}.ip`, `${ip} is reserved by the lab`)
    if (seenIps.has(ip)) c.fail(`${p}.ip`, `${ip} is given to two pods`)
    seenIps.add(ip)
    const ports = containerPorts(c, x.containerPorts, `${p}.containerPorts`)
    const inCluster = statePods.get(`${ns}/${name}`)
    if (inCluster === undefined) c.fail(p, `pod ${ns}/${name} is not in ${clusterPath}.pods`)
    if (inCluster.ips.length !== 1 || inCluster.ips[0] !== ip || inCluster.nodeName !== node)
      c.fail(p, `pod ${ns}/${name} has another address or node in ${clusterPath}.pods`)
    statePods.delete(`${ns}/${name}`)
    return { namespace: ns, name, ...expect, node, ip, containerPorts: ports }
  })
  const missing = [...statePods.keys()]
  if (missing.length > 0) c.fail(`${path}.pods`, `pod ${missing[0]} of ${clusterPath}.pods is missing`)
  return { lab, fabricNetns: fabricNetnsName(lab), nodes, pods }
}

function pidMap(c: Checker, v: unknown, path: string, keys: ReadonlySet<string>): Record<string, number> {
  const o = c.object(v, path)
  const out: Record<string, number> = {}
  for (const [k, pid] of Object.entries(o)) {
    if (!keys.has(k)) c.fail(`${path}`, `${JSON.stringify(k.slice(0, 80))} is not a pod or node of this lab`)
    out[k] = c.integer(pid, `${path}.${k}`, 2, PID_MAX)
  }
  return out
}

/** `data` (parsed JSON from `file`) as the state of lab `lab`, or a LabStateError. */
export function validateLabState(data: unknown, file: string, lab: string): LabState {
  const c = new Checker(file, validateLabName(lab))
  const o = c.object(data, '(top level)', [
    'version',
    'name',
    'phase',
    'createdAt',
    'updatedAt',
    'manifests',
    'cluster',
    'topology',
    'servers',
    'collectors',
    'warnings',
    'sctp',
    'pending',
    'controlPlane',
  ])
  if (o.version !== LAB_STATE_VERSION) c.fail('version', `expected ${LAB_STATE_VERSION}, got ${describe(o.version)} (not a netpol lab state of this version)`)
  if (o.name !== lab) c.fail('name', `expected ${JSON.stringify(lab)} (the lab's directory name), got ${describe(o.name)}`)
  const cluster = clusterState(c, o.cluster, 'cluster')
  const topo = topology(c, o.topology, 'topology', lab, cluster, 'cluster')
  const podKeys = new Set(topo.pods.map((p) => `${p.namespace}/${p.name}`))
  const sctp = c.object(o.sctp, 'sctp', ['supported', 'reason'])
  let pending: PendingApply | undefined
  if (o.pending !== undefined) {
    const p = c.object(o.pending, 'pending', ['cluster', 'topology'])
    const pendingCluster = clusterState(c, p.cluster, 'pending.cluster')
    pending = { cluster: pendingCluster, topology: topology(c, p.topology, 'pending.topology', lab, pendingCluster, 'pending.cluster') }
    if (pending.topology.nodes.length !== topo.nodes.length) c.fail('pending.topology.nodes', 'a lab keeps its number of nodes')
  }
  const phase = c.oneOf(o.phase, 'phase', PHASES)
  const servers = pidMap(c, o.servers, 'servers', new Set([...podKeys, ...(pending?.topology.pods ?? []).map((p) => `${p.namespace}/${p.name}`)]))
  return {
    version: LAB_STATE_VERSION,
    name: lab,
    phase,
    createdAt: c.time(o.createdAt, 'createdAt'),
    updatedAt: c.time(o.updatedAt, 'updatedAt'),
    manifests: c.array(o.manifests, 'manifests').map((m, i) => c.string(m, `manifests[${i}]`)),
    cluster,
    topology: topo,
    servers,
    collectors: pidMap(c, o.collectors, 'collectors', new Set(topo.nodes.map((n) => n.name))),
    warnings: c.array(o.warnings, 'warnings').map((w, i) => c.string(w, `warnings[${i}]`, 65_536)),
    sctp: { supported: c.boolean(sctp.supported, 'sctp.supported'), reason: c.string(sctp.reason, 'sctp.reason') } satisfies SctpSupport,
    ...(pending ? { pending } : {}),
    ...(o.controlPlane !== undefined ? { controlPlane: controlPlane(c, o.controlPlane, new Set(topo.nodes.map((n) => n.name))) } : {}),
  }
}

function controlPlane(c: Checker, v: unknown, nodes: ReadonlySet<string>): LabControlPlane {
  const path = 'controlPlane'
  const o = c.object(v, path, ['apiServerPort', 'etcdClientPort', 'etcdPeerPort', 'etcd', 'apiServer', 'kubelet', 'agents'])
  const pid = (key: 'etcd' | 'apiServer' | 'kubelet'): { [k: string]: number } =>
    o[key] === undefined ? {} : { [key]: c.integer(o[key], `${path}.${key}`, 2, PID_MAX) }
  return {
    apiServerPort: c.integer(o.apiServerPort, `${path}.apiServerPort`, 1, 65535),
    etcdClientPort: c.integer(o.etcdClientPort, `${path}.etcdClientPort`, 1, 65535),
    etcdPeerPort: c.integer(o.etcdPeerPort, `${path}.etcdPeerPort`, 1, 65535),
    ...pid('etcd'),
    ...pid('apiServer'),
    ...pid('kubelet'),
    agents: pidMap(c, o.agents, `${path}.agents`, nodes),
  }
}
