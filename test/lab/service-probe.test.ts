/**
 * How `lab probe --services` compares connections to a Service (random backend per connection)
 * with the engine's per-backend answer (pure): the plan's cells and attempts, and each rule of
 * the comparison failing when the observations break it.
 */
import { describe, it, expect } from 'vitest'
import type { ClusterState, NetworkPolicy, Service } from '../../src/model/types.js'
import { createEngine } from '../../src/engine/engine.js'
import { planTopology } from '../../src/lab/topology.js'
import { planServices } from '../../src/lab/lab-services.js'
import { compareServiceProbes, planServiceProbes, serviceProbeSources, type ServiceProbePlan } from '../../src/lab/service-probe.js'
import type { ProbeOutcome, ProbeResult } from '../../src/lab/prober.js'
import { cluster, ns, pod, tcp } from './fixtures.js'

const src = { file: 'p.yaml', line: 1 }
const web: Service = {
  namespace: 'x',
  name: 'web',
  labels: {},
  type: 'ClusterIP',
  selector: { app: 'web' },
  clusterIPs: [],
  headless: false,
  externalIPs: [],
  ports: [{ name: '', protocol: 'TCP', port: 80, targetPort: 8080, source: src }],
  source: src,
}
/** web-2 admits nobody: from the client, 2 of 3 backends are allowed. */
const isolateWeb2: NetworkPolicy = {
  namespace: 'x',
  name: 'isolate-web-2',
  podSelector: { matchLabels: { pod: 'web-2' }, matchExpressions: [] },
  policyTypes: ['Ingress'],
  ingress: [],
  egress: [],
  source: src,
}
const input: ClusterState = {
  ...cluster([ns('x')], [pod('x', 'client', {}), ...[0, 1, 2].map((i) => pod('x', `web-${i}`, { app: 'web', pod: `web-${i}` }, [tcp(8080)]))]),
  policies: [isolateWeb2],
  services: [web],
}
const state = planTopology(planServices(input).state, { lab: 'l', nodeCount: 2 })
const plan = planServiceProbes(createEngine(state.state), state.state, state.topology)
const cell = plan.cells.find((c) => c.from === 'x/client' && c.service === 'x/web')!

/** Results for the client's web cell: each attempt's outcome and who answered. */
function observe(attempts: readonly [ProbeOutcome, string?][]): ServiceProbePlan & { results: Map<string, ProbeResult[]> } {
  const only = { cells: [{ ...cell, attempts: attempts.length }], skipped: [] }
  const results = attempts.map(([outcome, who]) => ({
    ip: cell.clusterIP,
    port: 80,
    protocol: 'TCP' as const,
    outcome,
    ...(who ? { answeredBy: `${who} port 8080/TCP` } : {}),
    ms: 1,
  }))
  return { ...only, results: new Map([['x/client', results]]) }
}

describe('planServiceProbes', () => {
  it('answers per backend, and gives a cell the engine allows only partly enough attempts', () => {
    expect(cell.backends).toEqual([
      { pod: 'x/web-0', port: 8080, allowed: true },
      { pod: 'x/web-1', port: 8080, allowed: true },
      { pod: 'x/web-2', port: 8080, allowed: false },
    ])
    expect(cell.expected).toBe('some')
    expect(cell.attempts).toBe(30) // 20 × 3 backends / 2 allowed
    // A backend to its own Service is not compared (hairpin); the kube-dns cells are there too.
    expect(plan.cells.some((c) => c.from === 'x/web-0' && c.service === 'x/web')).toBe(false)
    expect(plan.skipped).toContainEqual({
      from: 'x/web-0',
      service: 'x/web',
      port: 80,
      protocol: 'TCP',
      reason: 'the pod is a backend of the Service (hairpin)',
    })
    const sources = serviceProbeSources(plan, state.topology)
    expect(sources.find((s) => s.from === 'x/client')!.targets.filter((t) => t.to === 'x/web')).toHaveLength(30)
    expect(sources[0].targets.every((t) => t.identify === true)).toBe(true)
  })
})

describe('compareServiceProbes', () => {
  const compare = (attempts: readonly [ProbeOutcome, string?][]) => {
    const o = observe(attempts)
    return compareServiceProbes(o, o.results)[0]
  }

  it('agrees when every answer came from an allowed backend and the denied one dropped', () => {
    expect(compare([['connected', 'x/web-0'], ['timeout'], ['connected', 'x/web-1']])).toMatchObject({
      agrees: true,
      connected: 2,
      dropped: 1,
      reached: ['x/web-0', 'x/web-1'],
    })
  })

  it('disagrees when a denied backend answered, when nothing got through, and on errors', () => {
    expect(compare([['connected', 'x/web-2']])).toMatchObject({ agrees: false, problem: 'reached x/web-2, which the engine denies' })
    expect(compare([['timeout'], ['timeout']])).toMatchObject({
      agrees: false,
      problem: 'every connection was dropped, but the engine allows x/web-0, x/web-1',
    })
    expect(compare([['error']]).agrees).toBe(false)
  })

  it('for a cell the engine allows fully, a drop disagrees; for one it denies fully, a connection does', () => {
    const all = { ...cell, expected: 'all' as const, backends: cell.backends.map((b) => ({ ...b, allowed: true })) }
    const none = { ...cell, expected: 'none' as const, backends: cell.backends.map((b) => ({ ...b, allowed: false })) }
    const run = (c: typeof cell, outcomes: ProbeOutcome[]) =>
      compareServiceProbes(
        { cells: [{ ...c, attempts: outcomes.length }], skipped: [] },
        new Map([['x/client', outcomes.map((outcome) => ({ ip: c.clusterIP, port: 80, protocol: 'TCP' as const, outcome, ms: 1 }))]]),
      )[0]
    expect(run(all, ['connected', 'timeout']).problem).toMatch(/1 of 2 connections were dropped, but the engine allows every backend/)
    expect(run(none, ['timeout', 'connected']).problem).toMatch(/1 of 2 connections got through, but the engine denies every backend/)
    expect(run(none, ['timeout', 'timeout']).agrees).toBe(true)
  })
})
