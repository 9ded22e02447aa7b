/**
 * The shared semantics case table (test/cases/semantics-cases.ts) through real packets: one lab,
 * each case's manifests applied in turn (like `lab apply --prune`), then every pod probes every
 * pod on every port. Real connections must agree with the engine on every cell, and with the
 * case's own expectations for every pod-to-pod connection the lab can make (not SCTP, not
 * external IPs, not hostNetwork pods). The tables' YAML is read the way the engine tests read it
 * (test/cases/build-state.ts).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { buildState } from '../cases/build-state.js'
import { defaultPorts, uniquePortSpecs } from '../../src/analyze/matrix.js'
import { labProbe } from '../../src/lab/lab-probe.js'
import { describeDisagreement } from '../../src/lab/probe-plan.js'
import { semanticsCases } from '../cases/semantics-cases.js'
import type { ReachabilityCase } from '../cases/case-types.js'
import { startTestLab, type TestLab } from './lab-harness.js'

const PROBE_TIMEOUT_MS = 1000

export async function checkCaseThroughPackets(lab: TestLab, c: ReachabilityCase): Promise<void> {
  const desired = buildState(c.manifests)
  const state = await lab.set(desired)
  const ports = uniquePortSpecs([...defaultPorts(state.cluster), ...c.expect.map((x) => ({ port: x.port, protocol: x.protocol }))])
  const report = await labProbe(state, { ports, timeoutMs: PROBE_TIMEOUT_MS })
  expect(report.disagreements.map(describeDisagreement)).toEqual([])
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

describe('semantics cases through real packets', () => {
  let lab: TestLab
  beforeAll(async () => {
    lab = await startTestLab('sem', buildState(semanticsCases[0].manifests))
  })
  afterAll(async () => {
    await lab?.down()
  })
  for (const c of semanticsCases) {
    it(c.name, async () => {
      await checkCaseThroughPackets(lab, c)
    })
  }
})
