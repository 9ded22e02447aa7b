/**
 * Every bundled example (examples/*) through real packets: loaded with the same loader as
 * `netpol matrix`, applied to a running lab like `lab apply --prune`, probed from every pod to
 * every pod on every declared port; the kernel must agree with the engine on every cell.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { loadManifests } from '../../src/cluster/load-manifests.js'
import { assumePodIPs, DEFAULT_POD_CIDR } from '../../src/cluster/assume-pod-ips.js'
import { labProbe } from '../../src/lab/lab-probe.js'
import { describeDisagreement } from '../../src/lab/probe-plan.js'
import { LabPool } from './lab-harness.js'

const examples = readdirSync('examples', { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort()

describe.concurrent('examples through real packets', () => {
  const pool = new LabPool()
  beforeAll(async () => {
    await pool.start('ex', (await loadManifests([join('examples', 'three-tier')])).state, 2)
  })
  afterAll(async () => {
    await pool.stop()
  })
  it('include the three-tier example', () => {
    expect(examples).toContain('three-tier')
  })
  for (const example of examples) {
    it(example, async () => {
      // With the pod addresses `netpol matrix` assumes by default, as `lab up` gives them.
      const desired = assumePodIPs((await loadManifests([join('examples', example)])).state, { podCidr: DEFAULT_POD_CIDR })
      await pool.run(async (lab) => {
        const state = await lab.set(desired)
        // Every pod of the example runs (the lab may add cluster DNS's coredns-0 for an example with Services).
        const running = new Set(state.topology.pods.map((p) => `${p.namespace}/${p.name}`))
        expect(desired.pods.filter((p) => !p.hostNetwork && !running.has(`${p.namespace}/${p.name}`))).toEqual([])
        expect(state.topology.pods.length).toBeLessThanOrEqual(desired.pods.filter((p) => !p.hostNetwork).length + 1)
        const report = await labProbe(lab.ctx.root, state, { timeoutMs: 1000 })
        expect(report.connections.length).toBeGreaterThan(0)
        expect(report.disagreements.map(describeDisagreement)).toEqual([])
      })
    })
  }
})
