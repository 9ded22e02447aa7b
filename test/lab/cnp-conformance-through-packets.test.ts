/**
 * The upstream ClusterNetworkPolicy conformance suite (kubernetes-sigs/network-policy-api v1alpha2,
 * standard channel; the case data of test/cases/cnp-conformance-table.ts, the model and mutations
 * of test/cases/cnp-conformance-model.ts) through real packets. A few labs take turns: each upstream
 * test is applied step by step to a running lab like `lab apply --prune` (pods keep their
 * namespaces, addresses and servers), and at every step the lab probes every pod to every pod on
 * every port the cases use: the kernel must agree with the engine on every cell, and with the
 * upstream statement on every probe the suite makes (TCP and UDP; SCTP is skipped, as for the v1
 * cases: Node.js has no SCTP sockets).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CNP_CONFORMANCE, type ConformanceEvent, type ConformanceTest } from '../cases/cnp-conformance-table.js'
import { apply, manifests, newModel, PREFIX } from '../cases/cnp-conformance-model.js'
import { buildState } from '../cases/build-state.js'
import { defaultPorts } from '../../src/analyze/matrix.js'
import { labProbe } from '../../src/lab/lab-probe.js'
import { describeDisagreement } from '../../src/lab/probe-plan.js'
import { LabPool, type TestLab } from './lab-harness.js'

const LABS = 3
const PROBE_TIMEOUT_MS = 1000
const STANDARD = CNP_CONFORMANCE.filter((t) => !t.source.includes('experimental'))

type Probe = Extract<ConformanceEvent, { op: 'probe' }>

/** The upstream test's steps: the mutations before each run of consecutive probes, then those probes. */
function steps(t: ConformanceTest): { run: string; state: ReturnType<typeof buildState>; probes: Probe[] }[] {
  const m = newModel(t.manifest)
  const out: { run: string; state: ReturnType<typeof buildState>; probes: Probe[] }[] = []
  for (const run of t.runs) {
    let current: Probe[] | undefined
    for (const e of run.events) {
      if (e.op !== 'probe') {
        apply(m, e)
        current = undefined
        continue
      }
      if (current === undefined) {
        current = []
        out.push({ run: run.name, state: buildState(manifests(m, { served: true }), t.manifest), probes: current })
      }
      current.push(e)
    }
  }
  return out
}

async function runThroughPackets(lab: TestLab, t: ConformanceTest): Promise<{ checked: number; cells: number }> {
  let checked = 0
  let cells = 0
  for (const step of steps(t)) {
    const state = await lab.set(step.state)
    // `networks` rules name pod addresses: every pod runs at the address its manifest gives it.
    expect(state.topology.pods.map((p) => `${p.namespace}/${p.name} ${p.ip}`).sort()).toEqual(
      step.state.pods
        .filter((p) => !p.hostNetwork)
        .map((p) => `${p.namespace}/${p.name} ${p.ips[0]}`)
        .sort(),
    )
    const ports = defaultPorts(state.cluster)
    const report = await labProbe(lab.ctx.root, state, { ports, timeoutMs: PROBE_TIMEOUT_MS })
    expect(report.disagreements.map((d) => `${step.run}: ${describeDisagreement(d)}`)).toEqual([])
    expect(report.skipped.map((s) => `${s.port}/${s.protocol}`)).toEqual(ports.filter((p) => p.protocol === 'SCTP').map((p) => `${p.port}/${p.protocol}`))
    cells += report.connections.length
    const observed = new Map(report.connections.map((o) => [`${o.from} ${o.to} ${o.port}/${o.protocol}`, o.allowed]))
    for (const p of step.probes.filter((x) => x.protocol !== 'SCTP')) {
      const key = `${PREFIX}${p.from} ${PREFIX}${p.to} ${p.port}/${p.protocol}`
      expect({ run: step.run, probe: key, observed: observed.get(key) }).toEqual({ run: step.run, probe: key, observed: p.allowed })
      checked++
    }
  }
  return { checked, cells }
}

describe.concurrent('upstream ClusterNetworkPolicy conformance (v1alpha2, standard channel) through real packets', () => {
  const pool = new LabPool()
  beforeAll(async () => {
    // The base model without policies: every test brings its own, applied like `lab apply --prune`.
    await pool.start('cnp', buildState(manifests({ ...newModel(STANDARD[0]!.manifest), docs: [] }, { served: true })), LABS)
  })
  afterAll(async () => {
    await pool.stop()
  })

  it('covers every standard-channel test of the suite (18 tests; 196 TCP/UDP probes and 88 SCTP ones)', () => {
    const probes = STANDARD.flatMap((t) => t.runs.flatMap((r) => r.events.filter((e): e is Probe => e.op === 'probe')))
    expect(STANDARD.length).toBe(18)
    expect([probes.filter((p) => p.protocol !== 'SCTP').length, probes.filter((p) => p.protocol === 'SCTP').length]).toEqual([196, 88])
  })

  for (const t of STANDARD) {
    it(`${t.shortName} (${t.source})`, async () => {
      const { checked, cells } = await pool.run((lab) => runThroughPackets(lab, t))
      // Every upstream TCP/UDP probe checked (an SCTP-only test has none), and every step probed in full.
      expect(checked).toBe(t.runs.flatMap((r) => r.events.filter((e) => e.op === 'probe' && e.protocol !== 'SCTP')).length)
      expect(cells).toBeGreaterThan(0)
    })
  }
})
