/**
 * Test helper: reachability cases (test/cases/*-cases.ts) through real packets in running labs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildState } from '../cases/build-state.js'
import { defaultPorts, uniquePortSpecs } from '../../src/analyze/matrix.js'
import { labProbe } from '../../src/lab/lab-probe.js'
import { describeDisagreement } from '../../src/lab/probe-plan.js'
import type { ReachabilityCase } from '../cases/case-types.js'
import { LabPool, type TestLab } from './lab-harness.js'

const PROBE_TIMEOUT_MS = 1000

export async function checkCaseThroughPackets(lab: TestLab, c: ReachabilityCase): Promise<void> {
  const desired = buildState(c.manifests)
  const state = await lab.set(desired)
  const ports = uniquePortSpecs([...defaultPorts(state.cluster), ...c.expect.map((x) => ({ port: x.port, protocol: x.protocol }))])
  const report = await labProbe(lab.ctx.root, state, { ports, timeoutMs: PROBE_TIMEOUT_MS })
  expect(report.disagreements.map(describeDisagreement)).toEqual([])
  // SCTP cannot be served by the lab: such ports are reported as skipped, never as a verdict.
  expect(report.skipped.map((s) => `${s.port}/${s.protocol}`)).toEqual(ports.filter((p) => p.protocol === 'SCTP').map((p) => `${p.port}/${p.protocol}`))
  const observed = new Map(report.connections.map((o) => [`${o.from} ${o.to} ${o.port}/${o.protocol}`, o.allowed]))
  // Pods the lab runs at their manifest address (the lab is IPv4 only and reallocates others).
  const asWritten = new Set(
    state.topology.pods
      .filter((p) => {
        const manifest = desired.pods.find((d) => d.namespace === p.namespace && d.name === p.name)
        return manifest !== undefined && (manifest.ips.length === 0 || manifest.ips.includes(p.ip))
      })
      .map((p) => `${p.namespace}/${p.name}`),
  )
  const checked = c.expect.filter((x) => x.protocol !== 'SCTP' && asWritten.has(x.from) && asWritten.has(x.to))
  for (const x of checked) {
    expect({ ...x, observed: observed.get(`${x.from} ${x.to} ${x.port}/${x.protocol}`) }).toEqual({ ...x, observed: x.allowed })
  }
}

/**
 * One test per case, run concurrently on `labs` labs that take turns (started with the first
 * case's manifests; each case is then applied like `lab apply --prune`).
 */
export function describeCasesThroughPackets(title: string, tag: string, cases: readonly ReachabilityCase[], labs: number): void {
  describe.concurrent(title, () => {
    const pool = new LabPool()
    beforeAll(async () => {
      await pool.start(tag, buildState(cases[0].manifests), labs)
    })
    afterAll(async () => {
      await pool.stop()
    })
    for (const c of cases) {
      it(c.name, async () => {
        await pool.run((lab) => checkCaseThroughPackets(lab, c))
      })
    }
  })
}
