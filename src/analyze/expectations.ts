/**
 * @module `netpol test`: expectations ("frontend may reach the database on 5432/TCP", "nothing
 * from outside reaches the database") read from YAML and checked against the engine, offline.
 *
 * The file is a list, or a map with an `expectations:` list; each item has `from`, `to`, `port`
 * (`80`, `80/TCP`, `53/UDP`, or a container port name such as `http`), `allowed: true|false`
 * and an optional `name`; the map may carry `apiVersion`/`kind: Expectations` so the file can sit
 * among the manifests (the loader skips kinds it does not use). Endpoints are `ns/pod`, `ns/workload` (every pod of it),
 * `ns/<kind>/name`, `ns/service/name` (to: every backend of the Service port, on its targetPort; from: every pod
 * behind it), or an IP address. See docs/review.md.
 */
import { InputError, type Diagnostic } from '../model/diagnostic.js'
import { readManifestDocuments } from '../model/yaml-documents.js'
import type { ClusterState, SourceRef } from '../model/types.js'
import { endpointName, type Side } from '../model/describe.js'
import type { DirectionVerdict, Endpoint, Evaluator, Verdict } from '../engine/verdict.js'
import { explainVerdict, podsInNamespace, resolveEndpoint, resolveExplainPort } from './explain.js'
import type { PortSpec } from './matrix.js'
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

export interface Expectation {
  readonly name?: string
  /** Free text: why the expectation exists (shown with a failure, in JSON and JUnit). */
  readonly description?: string
  readonly from: string
  readonly to: string
  /** One port; an entry with `ports: [...]` becomes one expectation per port. */
  readonly port: string
  readonly allowed: boolean
  /** With `allowed: false`: the side that must deny (the other may allow or deny). */
  readonly deniedBy?: Side
  readonly source: SourceRef
}

const KEYS = new Set(['name', 'description', 'from', 'to', 'port', 'ports', 'allowed', 'deniedBy'])
const KNOWN = 'from, to, port or ports, allowed, name, description, deniedBy'
const PORT_FORMS = 'like 80, 80/TCP, 53/UDP or a port name'

/** `kind` of an expectations file that lives among manifests (with e.g. `apiVersion: netpol.dev/v1`). */
const EXPECTATIONS_KIND = 'Expectations'

/** Reads an expectations file; every problem is reported at once, with file:line (InputError). */
export function parseExpectations(text: string, file: string): Expectation[] {
  const { documents, errors } = readManifestDocuments(text, file)
  const problems: Diagnostic[] = [...errors]
  const out: Expectation[] = []
  if (problems.length === 0 && documents.length !== 1) {
    problems.push({
      severity: 'error',
      file,
      line: documents[1]?.lineAt([]) ?? 1,
      message: documents.length === 0 ? 'the file has no expectations' : 'expected one YAML document, found several',
    })
  }
  if (problems.length > 0) throw new InputError(problems)
  const doc = documents[0]
  let list: unknown = doc.value
  let base: (string | number)[] = []
  if (list !== null && typeof list === 'object' && !Array.isArray(list)) {
    const map = list as Record<string, unknown>
    // apiVersion/kind let the file sit next to the manifests: the loader skips kinds it does not use.
    const extra = Object.keys(map).filter((k) => k !== 'expectations' && k !== 'apiVersion' && k !== 'kind')
    if (!('expectations' in map) || extra.length > 0) {
      throw new InputError([
        {
          severity: 'error',
          file,
          line: doc.lineAt(extra.length ? [extra[0]] : []),
          message: 'expected a list of expectations, or a map with the key "expectations" (and optionally apiVersion and kind)',
        },
      ])
    }
    if (map.kind !== undefined && map.kind !== EXPECTATIONS_KIND) {
      throw new InputError([
        {
          severity: 'error',
          file,
          line: doc.lineAt(['kind']),
          message: `Unsupported value: ${JSON.stringify(map.kind)}: an expectations file has kind ${EXPECTATIONS_KIND}`,
        },
      ])
    }
    list = map.expectations
    base = ['expectations']
  }
  if (!Array.isArray(list)) throw new InputError([{ severity: 'error', file, line: doc.lineAt(base), message: 'expectations must be a list' }])
  // An empty list checks nothing: like an empty file, it is a lost input, not a pass.
  if (list.length === 0) throw new InputError([{ severity: 'error', file, line: doc.lineAt(base), message: 'the file has no expectations' }])
  list.forEach((item: unknown, i) => {
    const path = [...base, i]
    const line = doc.lineAt(path)
    const field = (key: string) => `${base.length ? 'expectations' : ''}[${i}].${key}`
    const bad = (key: string | undefined, message: string) =>
      problems.push({ severity: 'error', file, line: key ? doc.lineAt([...path, key]) : line, field: key ? field(key) : `[${i}]`, message })
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      bad(undefined, 'expected a map with from, to, port and allowed')
      return
    }
    const m = item as Record<string, unknown>
    for (const key of Object.keys(m)) if (!KEYS.has(key)) bad(key, `unknown field "${key}" (known: ${KNOWN})`)
    for (const key of ['from', 'to'] as const) {
      if (m[key] === undefined) bad(undefined, `Required value: ${key}`)
      else if (typeof m[key] !== 'string' || m[key] === '')
        bad(key, `Invalid value: ${JSON.stringify(m[key])}: ${key} must be ns/pod, ns/workload, ns/service/name or an IP address`)
    }
    const isPort = (v: unknown): v is string | number => typeof v === 'string' || typeof v === 'number'
    let ports: string[] | undefined
    if (m.port !== undefined && m.ports !== undefined) bad('ports', 'Invalid value: give port or ports, not both')
    else if (m.port !== undefined) {
      if (isPort(m.port)) ports = [String(m.port)]
      else bad('port', `Invalid value: ${JSON.stringify(m.port)}: port must be ${PORT_FORMS}`)
    } else if (m.ports !== undefined) {
      if (!Array.isArray(m.ports) || m.ports.length === 0)
        bad('ports', `Invalid value: ${JSON.stringify(m.ports)}: ports must be a non-empty list of ports ${PORT_FORMS}`)
      else {
        const list = m.ports as unknown[]
        list.forEach((p, k) => {
          if (!isPort(p))
            problems.push({
              severity: 'error',
              file,
              line: doc.lineAt([...path, 'ports', k]),
              field: `${field('ports')}[${k}]`,
              message: `Invalid value: ${JSON.stringify(p)}: a port must be ${PORT_FORMS}`,
            })
        })
        if (list.every(isPort)) ports = list.map(String)
      }
    } else bad(undefined, 'Required value: port (e.g. 80/TCP) or ports (e.g. [80/TCP, 443/TCP])')
    if (m.allowed === undefined) bad(undefined, 'Required value: allowed (true or false)')
    else if (typeof m.allowed !== 'boolean') bad('allowed', `Invalid value: ${JSON.stringify(m.allowed)}: allowed must be true or false`)
    if (m.name !== undefined && typeof m.name !== 'string') bad('name', 'Invalid value: name must be a string')
    if (m.description !== undefined && typeof m.description !== 'string') bad('description', 'Invalid value: description must be a string')
    let deniedBy: Side | undefined
    if (m.deniedBy !== undefined) {
      if (m.deniedBy !== 'egress' && m.deniedBy !== 'ingress')
        bad('deniedBy', `Unsupported value: ${JSON.stringify(m.deniedBy)}: supported values: "egress", "ingress"`)
      else if (m.allowed === true) bad('deniedBy', 'Invalid value: deniedBy says which side denies: only with allowed: false')
      else deniedBy = m.deniedBy
    }
    if (
      typeof m.from === 'string' &&
      typeof m.to === 'string' &&
      ports !== undefined &&
      typeof m.allowed === 'boolean' &&
      (m.deniedBy === undefined || deniedBy !== undefined)
    ) {
      for (const port of ports) {
        const name = typeof m.name === 'string' ? (ports.length > 1 ? `${m.name} (${port})` : m.name) : undefined
        out.push({
          ...(name !== undefined ? { name } : {}),
          ...(typeof m.description === 'string' ? { description: m.description } : {}),
          from: m.from,
          to: m.to,
          port,
          allowed: m.allowed,
          ...(deniedBy ? { deniedBy } : {}),
          source: { file, line },
        })
      }
    }
  })
  if (problems.length > 0) throw new InputError(problems)
  return out
}

export interface ExpectationResult {
  readonly expectation: Expectation
  readonly name: string
  readonly passed: boolean
  /** The engine's answer (for several pod pairs: false when any pair is denied). */
  readonly actual: boolean
  /** Why, from the verdict (of the first pair that disagrees, else of the first pair). */
  readonly reason: string
  /** Pod pairs checked (a workload stands for all its pods). */
  readonly pairs: number
  /** The sides that deny the connection shown in `reason` (empty when it is allowed). */
  readonly deniedBy: readonly Side[]
  /**
   * Set when the pair shown in `reason` is neither proven allowed nor proven denied (ClusterNetworkPolicies
   * of one tier and priority conflict, or a domainNames/nodes peer): such a pair fails every expectation.
   */
  readonly unproven?: 'undefined' | 'unknown'
  /** Set when `to` (or `from`) is a Service: the translation and the answer per backend. */
  readonly service?: ExpectationService
}

/** An expectation by Service, as checked: each backend connection and how many are allowed. */
export interface ExpectationService {
  /** `prod/service/backend`: the destination Service, else the source Service. */
  readonly name: string
  /** The Service port (`80/TCP`) for a destination Service. */
  readonly port?: string
  /** all, some or none of the backend connections allowed. */
  readonly answer: ServiceAnswer
  readonly allowed: number
  readonly connections: number
  /** `prod/service/backend:80 -> prod/backend-0:8080`, one per backend connection. */
  readonly translations: readonly string[]
}

function expectationName(e: Expectation): string {
  return e.name ?? `${e.from} -> ${e.to} on ${e.port} is ${e.allowed ? 'allowed' : e.deniedBy ? `denied by ${e.deniedBy}` : 'denied'}`
}

/** `ns/name` that is no pod but a workload stands for every pod of that workload. */
function resolveAll(state: ClusterState, text: string): Endpoint[] {
  const parts = text.trim().split('/')
  if (parts.length === 2) {
    const [ns, name] = parts
    const inNamespace = podsInNamespace(state, ns)
    if (!inNamespace.some((p) => p.name === name)) {
      const pods = inNamespace.filter((p) => p.owner?.name === name)
      if (pods.length > 0) return pods.map((pod) => ({ kind: 'pod', pod }))
    }
  }
  return [resolveEndpoint(state, text)]
}

/** One line of "why" from a verdict: the summary and, per side that decides, the policies and rules. */
function verdictReason(state: ClusterState, verdict: Verdict): string {
  const e = explainVerdict(state, verdict)
  if (e.loopback || e.fromNode) return e.summary
  if (e.outcome !== undefined) {
    // With ClusterNetworkPolicies: per side, the layer that decided and how.
    const sides = [e.egress, e.ingress]
      .filter((s) => (e.allowed ? s.tiers?.decidedBy !== 'default' : !s.allowed))
      .map((s) => {
        const t = s.tiers!
        const decided =
          t.decidedBy === 'Admin'
            ? `Admin tier: ${t.admin.summary}`
            : t.decidedBy === 'Baseline' && t.baseline
              ? `Baseline tier: ${t.baseline.summary}`
              : t.decidedBy === 'NetworkPolicy'
                ? s.summary
                : 'no tier decided: allowed by default'
        return `${s.direction.toLowerCase()} of ${s.endpoint} (${t.outcome}) — ${decided}`
      })
    return [e.summary, ...sides].join('; ')
  }
  const sides = [e.egress, e.ingress].filter((s) => (e.allowed ? s.isolated && s.enforced : !s.allowed))
  const parts = sides.map((s) => {
    const policies = s.policies
      .filter((p) => (e.allowed ? p.allowed : true))
      .map((p) => (p.allowed ? `${p.policy} ${p.allowedBy.map((r) => `${r.rule} (${r.source})`).join(', ')}` : `${p.policy} (${p.source})`))
    return `${s.summary}${policies.length ? `: ${policies.join('; ')}` : ''}`
  })
  if (e.allowed && parts.length === 0) return `${e.summary}; neither side is isolated`
  return [e.summary, ...parts].join('; ')
}

/** One connection an expectation stands for. */
interface Case {
  readonly from: Endpoint
  readonly to: Endpoint
  readonly port: PortSpec
  /** The Service translation behind it, when an end is a Service. */
  readonly translation?: string
}

/**
 * The connections an expectation stands for: every pod of a workload, every pod behind a source
 * Service, every backend (and its targetPort) of a destination Service's port. `empty` says why
 * there are none (a Service without backends).
 */
function expectationCases(state: ClusterState, ex: Expectation): { cases: Case[]; service?: { name: string; port?: string }; empty?: string } {
  const fromService = parseServiceRef(ex.from) ? resolveService(state, ex.from) : undefined
  const froms: { endpoint: Endpoint; translation?: string }[] = fromService
    ? serviceSourceEndpoints(state, fromService).map((endpoint) => ({ endpoint, translation: `${serviceName(fromService)} -> ${endpointName(endpoint)}` }))
    : resolveAll(state, ex.from).map((endpoint) => ({ endpoint }))
  const cases: Case[] = []
  if (parseServiceRef(ex.to)) {
    const service = resolveService(state, ex.to)
    const servicePort = resolveServicePort(service, ex.port, state)
    const t = translateServicePort(state, service, servicePort)
    for (const f of froms)
      for (const target of t.targets) {
        const translation = [f.translation, target.translation].filter((x) => x !== undefined).join('; ')
        cases.push({ from: f.endpoint, to: target.endpoint, port: { port: target.port, protocol: target.protocol }, translation })
      }
    const empty = t.noBackends ?? (froms.length === 0 ? `${fromService ? serviceName(fromService) : ex.from} has no pods behind it` : undefined)
    return { cases, service: { name: serviceName(service), port: `${servicePort.port}/${servicePort.protocol}` }, ...(empty ? { empty } : {}) }
  }
  const tos = resolveAll(state, ex.to)
  for (const f of froms)
    for (const to of tos) cases.push({ from: f.endpoint, to, port: resolveExplainPort(ex.port, to), ...(f.translation ? { translation: f.translation } : {}) })
  if (!fromService) return { cases }
  return { cases, service: { name: serviceName(fromService) }, ...(froms.length === 0 ? { empty: `${serviceName(fromService)} has no pods behind it` } : {}) }
}

/** Checks each expectation; unknown pods or ports throw an InputError naming the expectation's file:line. */
export function checkExpectations(state: ClusterState, evaluator: Evaluator, expectations: readonly Expectation[]): ExpectationResult[] {
  const problems: Diagnostic[] = []
  const results: ExpectationResult[] = []
  for (const ex of expectations) {
    let planned: ReturnType<typeof expectationCases>
    try {
      planned = expectationCases(state, ex)
    } catch (err) {
      problems.push({ severity: 'error', file: ex.source.file, line: ex.source.line, message: (err as Error).message })
      continue
    }
    if (planned.cases.length === 0) {
      // A Service without backends checks nothing: neither allowed nor denied is proven.
      results.push({
        expectation: ex,
        name: expectationName(ex),
        passed: false,
        actual: false,
        reason: `${planned.empty ?? 'nothing to check'}: no connection to check`,
        pairs: 0,
        deniedBy: [],
        ...(planned.service ? { service: { ...planned.service, answer: 'none', allowed: 0, connections: 0, translations: [] } } : {}),
      })
      continue
    }
    let first: { verdict: Verdict; c: Case } | undefined
    let disagreeing: { verdict: Verdict; c: Case } | undefined
    let pairs = 0
    let allowedPairs = 0
    for (const c of planned.cases) {
      const verdict = evaluator.evaluate({ from: c.from, to: c.to, port: c.port.port, protocol: c.port.protocol })
      pairs++
      if (verdict.allowed) allowedPairs++
      first ??= { verdict, c }
      // Fail closed: an undefined or unknown connection may be allowed or denied in the cluster, so it
      // proves neither `allowed: true` nor `allowed: false`.
      if (verdict.allowed !== ex.allowed || unprovenOutcome(verdict) !== undefined || (ex.deniedBy !== undefined && !deniedBySide(verdict, ex.deniedBy)))
        disagreeing ??= { verdict, c }
    }
    const shown = (disagreeing ?? first)!
    const unproven = unprovenOutcome(shown.verdict)
    const reason = verdictReason(state, shown.verdict)
    const what = planned.service ? 'backend connections' : 'pod pairs'
    const pairNote =
      pairs > 1 && disagreeing ? ` (${endpointName(shown.verdict.traffic.from)} -> ${endpointName(shown.verdict.traffic.to)}, one of ${pairs} ${what})` : ''
    const translation = shown.c.translation ? `${shown.c.translation}: ` : ''
    results.push({
      expectation: ex,
      name: expectationName(ex),
      passed: !disagreeing,
      actual: allowedPairs === pairs,
      reason: `${translation}${reason}${pairNote}`,
      pairs,
      deniedBy: shown.verdict.allowed
        ? []
        : (['egress', 'ingress'] as const).filter((side) => sideDenies(side === 'egress' ? shown.verdict.egress : shown.verdict.ingress)),
      ...(unproven !== undefined ? { unproven } : {}),
      ...(planned.service
        ? {
            service: {
              ...planned.service,
              answer: serviceAnswer(allowedPairs, pairs),
              allowed: allowedPairs,
              connections: pairs,
              translations: planned.cases.map((c) => c.translation ?? ''),
            },
          }
        : {}),
    })
  }
  if (problems.length > 0) throw new InputError(problems)
  return results
}

/** The named side denies this connection (it is enforced and does not allow it, and is not merely undefined or unknown). */
function deniedBySide(verdict: Verdict, side: Side): boolean {
  return !verdict.allowed && sideDenies(side === 'egress' ? verdict.egress : verdict.ingress)
}

function sideDenies(side: DirectionVerdict): boolean {
  return !side.allowed && (side.tiers === undefined || side.tiers.outcome === 'denied')
}

/** `undefined` or `unknown` when the connection is neither proven allowed nor proven denied. */
function unprovenOutcome(verdict: Verdict): 'undefined' | 'unknown' | undefined {
  return verdict.outcome === 'undefined' || verdict.outcome === 'unknown' ? verdict.outcome : undefined
}
