/**
 * @module A `networking.k8s.io/v1` NetworkPolicy: decoded strictly, validated as the API server's
 * `ValidateNetworkPolicy` does (same field paths and messages), and defaulted (protocol TCP,
 * effective policyTypes, absent from/to/ports as empty lists meaning "all").
 */
import { cidrContains, formatCidr, formatIp, parseCidr, parseIp, type Cidr, type IpAddress } from './cidr.js'
import type { FieldPath } from './field-path.js'
import { readLabelSelector } from './labels.js'
import { portNameErrors, portNumberErrors } from './name-validation.js'
import type { ObjectMeta } from './object-meta.js'
import type { ObjectReader, PlainMap } from './object-reader.js'
import {
  PROTOCOLS,
  type IPBlock,
  type NetworkPolicy,
  type NetworkPolicyEgressRule,
  type NetworkPolicyIngressRule,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
  type PolicyType,
  type Protocol,
} from './types.js'

const OBJECT_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec']
const SPEC_FIELDS = ['podSelector', 'ingress', 'egress', 'policyTypes']
const INGRESS_FIELDS = ['from', 'ports']
const EGRESS_FIELDS = ['to', 'ports']
const PEER_FIELDS = ['podSelector', 'namespaceSelector', 'ipBlock']
const IPBLOCK_FIELDS = ['cidr', 'except']
const PORT_FIELDS = ['protocol', 'port', 'endPort']
const POLICY_TYPES: readonly PolicyType[] = ['Ingress', 'Egress']

/**
 * Where the top-level fields of a policy's spec are written (`spec.podSelector` -> line), for
 * findings about a field rather than a rule (lint). A side table, so the model's shape (and the
 * lab's state files) stay as they are; a copied policy simply falls back to its object's line.
 */
const fieldLines = new WeakMap<NetworkPolicy, Readonly<Record<string, number>>>()

/** The line of `field` (`spec`, `spec.podSelector`, `spec.ingress`, `spec.egress`, `spec.policyTypes`) of a policy read from text; undefined when unknown. */
export function policyFieldLine(policy: NetworkPolicy, field: string): number | undefined {
  return fieldLines.get(policy)?.[field]
}

/** Reads the spec of a policy whose metadata is already read; `namespace` is the effective one. */
export function readNetworkPolicy(r: ObjectReader, obj: PlainMap, meta: ObjectMeta, namespace: string): NetworkPolicy {
  const specPath: FieldPath = ['spec']
  r.unknownFields(obj, [], r.rules.networkPolicyStatus ? [...OBJECT_FIELDS, 'status'] : OBJECT_FIELDS)
  const spec = r.map(obj.spec, specPath) ?? {}
  r.unknownFields(spec, specPath, SPEC_FIELDS)
  if (spec.podSelector === undefined || spec.podSelector === null) {
    r.warn(['spec', 'podSelector'], 'not set: the policy selects every pod in its namespace (write `podSelector: {}` to say so)')
  }
  const podSelector = readLabelSelector(r, spec.podSelector, ['spec', 'podSelector'])

  const ingress: NetworkPolicyIngressRule[] = []
  const ingressList = r.list(spec.ingress, ['spec', 'ingress']) ?? []
  ingressList.forEach((raw, i) => {
    const path: FieldPath = ['spec', 'ingress', i]
    const rule = raw === null ? {} : r.map(raw, path)
    if (!rule) return
    r.unknownFields(rule, path, INGRESS_FIELDS)
    ingress.push({
      ports: readPorts(r, rule.ports, [...path, 'ports']),
      from: readPeers(r, rule.from, [...path, 'from']),
      source: { file: r.file, line: r.line(path) },
    })
  })

  const egress: NetworkPolicyEgressRule[] = []
  const egressList = r.list(spec.egress, ['spec', 'egress']) ?? []
  egressList.forEach((raw, i) => {
    const path: FieldPath = ['spec', 'egress', i]
    const rule = raw === null ? {} : r.map(raw, path)
    if (!rule) return
    r.unknownFields(rule, path, EGRESS_FIELDS)
    egress.push({
      ports: readPorts(r, rule.ports, [...path, 'ports']),
      to: readPeers(r, rule.to, [...path, 'to']),
      source: { file: r.file, line: r.line(path) },
    })
  })

  const policyTypes = readPolicyTypes(r, spec.policyTypes, egressList.length > 0)

  const policy: NetworkPolicy = {
    namespace,
    name: meta.name,
    podSelector,
    policyTypes,
    ingress,
    egress,
    source: { file: r.file, line: r.line([]) },
  }
  // An absent field gets the line of its nearest written ancestor (spec, else the object).
  const lines: Record<string, number> = {}
  for (const f of ['podSelector', 'ingress', 'egress', 'policyTypes']) lines[`spec.${f}`] = r.line(['spec', f])
  lines.spec = r.line(['spec'])
  fieldLines.set(policy, lines)
  return policy
}

/**
 * As written when present (deduplicated, in Ingress, Egress order); otherwise Ingress, plus
 * Egress when the policy has egress rules (the API server's defaulting).
 */
function readPolicyTypes(r: ObjectReader, value: unknown, hasEgressRules: boolean): PolicyType[] {
  const path: FieldPath = ['spec', 'policyTypes']
  const list = r.list(value, path)
  if (list === undefined || list.length === 0) return hasEgressRules ? ['Ingress', 'Egress'] : ['Ingress']
  if (list.length > POLICY_TYPES.length) {
    r.invalid(path, list, 'may not specify more than two policyTypes')
    return [...POLICY_TYPES]
  }
  const seen = new Set<PolicyType>()
  list.forEach((raw, i) => {
    const t = r.string(raw, [...path, i])
    if (t === undefined) return
    if (!POLICY_TYPES.includes(t as PolicyType)) {
      r.notSupported([...path, i], t, POLICY_TYPES)
      return
    }
    // The API server accepts a repeated type; it means nothing more, so only warn.
    if (seen.has(t as PolicyType)) r.warn([...path, i], `Duplicate value: ${JSON.stringify(t)}`)
    seen.add(t as PolicyType)
  })
  return POLICY_TYPES.filter((t) => seen.has(t))
}

function readPorts(r: ObjectReader, value: unknown, path: FieldPath): NetworkPolicyPort[] {
  return r.items(value, path, (raw, at) => readPort(r, raw, at))
}

function readPort(r: ObjectReader, raw: unknown, path: FieldPath): NetworkPolicyPort | undefined {
  const map = raw === null ? {} : r.map(raw, path)
  if (!map) return undefined
  r.unknownFields(map, path, PORT_FIELDS)
  const before = r.errors.length
  const protocolText = r.string(map.protocol, [...path, 'protocol'])
  let protocol: Protocol = 'TCP'
  if (protocolText !== undefined) {
    if (PROTOCOLS.includes(protocolText as Protocol)) protocol = protocolText as Protocol
    else r.notSupported([...path, 'protocol'], protocolText, PROTOCOLS)
  }
  // IntOrString: a number is a port number, a string a port name (even "80").
  let port: number | string | undefined
  const portValue = map.port
  if (typeof portValue === 'number') {
    if (!Number.isInteger(portValue)) r.wrongType([...path, 'port'], portValue, 'int32 or string')
    else port = portValue
  } else if (typeof portValue === 'string') {
    port = portValue
  } else if (portValue !== undefined && portValue !== null) {
    r.wrongType([...path, 'port'], portValue, 'int32 or string')
  }
  const endPort = r.integer(map.endPort, [...path, 'endPort'])

  if (typeof port === 'number') {
    for (const msg of portNumberErrors(port)) r.invalid([...path, 'port'], port, msg)
    if (endPort !== undefined) {
      if (endPort < port) r.invalid([...path, 'endPort'], endPort, 'must be greater than or equal to `port`')
      for (const msg of portNumberErrors(endPort)) r.invalid([...path, 'endPort'], endPort, msg)
    }
  } else if (typeof port === 'string') {
    if (endPort !== undefined) r.invalid([...path, 'endPort'], endPort, 'may not be specified when `port` is non-numeric')
    // `port: "6379"` is a name (IntOrString), and no valid one: the quotes are the mistake.
    const quoted = /^[0-9]+$/.test(port) ? `; a quoted number is a port name: remove the quotes (port: ${port})` : ''
    for (const msg of portNameErrors(port)) r.invalid([...path, 'port'], port, msg.startsWith('must contain at least one letter') ? `${msg}${quoted}` : msg)
  } else if (endPort !== undefined && (portValue === undefined || portValue === null)) {
    r.invalid([...path, 'endPort'], endPort, 'may not be specified when `port` is not specified')
  }
  if (r.errors.length > before) return undefined
  return {
    protocol,
    ...(port !== undefined ? { port } : {}),
    ...(endPort !== undefined ? { endPort } : {}),
    source: { file: r.file, line: r.line(path) },
  }
}

function readPeers(r: ObjectReader, value: unknown, path: FieldPath): NetworkPolicyPeer[] {
  return r.items(value, path, (raw, at) => readPeer(r, raw, at))
}

function readPeer(r: ObjectReader, raw: unknown, path: FieldPath): NetworkPolicyPeer | undefined {
  const map = raw === null ? {} : r.map(raw, path)
  if (!map) return undefined
  r.unknownFields(map, path, PEER_FIELDS)
  const before = r.errors.length
  // A null selector is an absent one (Go decodes `podSelector: null` to a nil pointer).
  const has = (k: string): boolean => map[k] !== undefined && map[k] !== null
  let numPeers = 0
  const peer: { -readonly [K in keyof NetworkPolicyPeer]: NetworkPolicyPeer[K] } = { source: { file: r.file, line: r.line(path) } }
  if (has('podSelector')) {
    numPeers++
    peer.podSelector = readLabelSelector(r, map.podSelector, [...path, 'podSelector'])
  }
  if (has('namespaceSelector')) {
    numPeers++
    peer.namespaceSelector = readLabelSelector(r, map.namespaceSelector, [...path, 'namespaceSelector'])
  }
  if (has('ipBlock')) {
    numPeers++
    const block = readIpBlock(r, map.ipBlock, [...path, 'ipBlock'])
    if (block) peer.ipBlock = block
  }
  if (numPeers === 0) r.required(path, 'must specify a peer')
  else if (numPeers > 1 && has('ipBlock')) r.forbidden(path, 'may not specify both ipBlock and another peer')
  if (r.errors.length > before) return undefined
  return peer
}

const CIDR_EXAMPLE = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'

function readIpBlock(r: ObjectReader, raw: unknown, path: FieldPath): IPBlock | undefined {
  const map = r.map(raw, path)
  if (!map) return undefined
  r.unknownFields(map, path, IPBLOCK_FIELDS)
  const cidrText = r.string(map.cidr, [...path, 'cidr']) ?? ''
  const exceptList = r.list(map.except, [...path, 'except']) ?? []
  if (cidrText === '') {
    if (map.cidr === undefined || map.cidr === null || map.cidr === '') r.required([...path, 'cidr'])
    return undefined
  }
  const block = checkCidr(r, cidrText, [...path, 'cidr'])
  if (!block) return undefined
  const except: string[] = []
  exceptList.forEach((rawExcept, i) => {
    const exceptPath = [...path, 'except', i]
    const text = r.string(rawExcept, exceptPath)
    if (text === undefined) {
      if (rawExcept === null) r.invalid(exceptPath, '', CIDR_EXAMPLE)
      return
    }
    const e = checkCidr(r, text, exceptPath)
    if (!e) return
    if (!(cidrContains(block.cidr, e.cidr) && e.cidr.prefix > block.cidr.prefix)) r.invalid(exceptPath, text, 'must be a strict subset of `cidr`')
    except.push(e.text)
  })
  return { cidr: block.text, except }
}

/**
 * The API server's CIDR check for this (legacy) field. With strict validation (the
 * StrictIPCIDRValidation feature gate, on by default from Kubernetes 1.36; see kube-version.ts)
 * leading zeros, an IPv4-mapped IPv6 address and bits set beyond the prefix length are errors;
 * before, each is accepted with the API server's warning, read as Go's sloppy parser reads it
 * (leading zeros decimal, `::ffff:a.b.c.d/n` as the IPv4 prefix `a.b.c.d/(n-96)`, host bits
 * ignored). `text` is what netpol keeps: as written, or the standard form of a sloppy value.
 */
function checkCidr(r: ObjectReader, text: string, path: FieldPath): { cidr: Cidr; text: string } | undefined {
  const strict = r.rules.strictCidr
  let parsed = parseCidr(text)
  let standard = text
  let sloppy = false
  if (!parsed.ok) {
    const fixed = withoutLeadingZeros(text)
    if (fixed === undefined) {
      r.invalid(path, text, CIDR_EXAMPLE)
      return undefined
    }
    parsed = parseCidr(fixed)
    if (!parsed.ok) return undefined // withoutLeadingZeros only returns what parses
    if (strict) r.invalid(path, text, 'must not have leading 0s in IP or prefix length')
    standard = fixed
    sloppy = true
  }
  // As in the API server, a value its sloppy parser reads is still checked against `cidr` and the
  // excepts after a strict error, so every error is reported at once.
  let cidr = parsed.cidr
  const addr = parseIp(standard.slice(0, standard.lastIndexOf('/')))
  if (!addr) return undefined // parseCidr took it, so it has an address
  let full: IpAddress = addr
  const mapped = cidr.family === 6 && addr.value >> 32n === 0xffffn
  if (mapped) {
    sloppy = true
    // Go's net.IPNet matches IPv4 addresses against such a prefix as the IPv4 one it ends in.
    if (cidr.prefix >= 96) {
      full = { family: 4, value: addr.value & 0xffffffffn }
      const prefix = cidr.prefix - 96
      cidr = { family: 4, base: full.value & ~((1n << BigInt(32 - prefix)) - 1n), prefix }
    }
  }
  const hostBits = full.value !== cidr.base
  if (strict) {
    // One error per value, in the API server's order (leading zeros were reported above).
    if (standard !== text) return { cidr, text: formatCidr(cidr) }
    if (mapped) r.invalid(path, text, 'must not have an IPv4-mapped IPv6 address')
    else if (hostBits) r.invalid(path, text, 'must not have bits set beyond the prefix length')
    if (mapped || hostBits) return { cidr, text: formatCidr(cidr) }
  } else if (hostBits) {
    const single = `${formatIp(full)}/${full.family === 4 ? 32 : 128}`
    r.warn(
      path,
      `CIDR value ${JSON.stringify(text)} is ambiguous in this context (should be ${JSON.stringify(formatCidr(cidr))} or ${JSON.stringify(single)}?)`,
    )
  }
  if (sloppy) {
    r.warn(
      path,
      `non-standard CIDR value ${JSON.stringify(text)} will be considered invalid in a future Kubernetes release: use ${JSON.stringify(formatCidr(cidr))}`,
    )
    return { cidr, text: formatCidr(cidr) }
  }
  if (!hostBits && cidr.family === 6 && `${formatIp(addr)}/${cidr.prefix}` !== text) {
    r.warn(path, `IPv6 CIDR value ${JSON.stringify(text)} should be in RFC 5952 canonical format (${JSON.stringify(`${formatIp(addr)}/${cidr.prefix}`)})`)
  }
  return { cidr, text }
}

/**
 * The text with leading zeros dropped from IPv4 octets and the prefix length, when that is what
 * made it unparsable (Go's sloppy parser reads such octets as decimal); undefined otherwise.
 */
function withoutLeadingZeros(text: string): string | undefined {
  const slash = text.lastIndexOf('/')
  if (slash < 0) return undefined
  const strip = (s: string): string => s.replace(/^0+(?=\d)/, '')
  const addr = text.slice(0, slash)
  const fixedAddr = addr.includes(':')
    ? addr.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a: string, b: string, c: string, d: string) => [a, b, c, d].map(strip).join('.'))
    : addr.split('.').map(strip).join('.')
  const fixed = `${fixedAddr}/${strip(text.slice(slash + 1))}`
  return fixed !== text && parseCidr(fixed).ok ? fixed : undefined
}
