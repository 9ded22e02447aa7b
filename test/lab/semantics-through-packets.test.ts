/**
 * The shared semantics case table (test/cases/semantics-cases.ts) through real packets: two labs
 * take turns; each case's manifests are applied to one of them (like `lab apply --prune`), then
 * every pod probes every pod on every port. Real connections must agree with the engine on every cell, and with the
 * case's own expectations for every pod-to-pod connection the lab can make (not SCTP, not
 * external IPs, not hostNetwork pods). The tables' YAML is read the way the engine tests read it
 * (test/cases/build-state.ts).
 */
import { describe, it, beforeAll, afterAll } from 'vitest'
import { buildState } from '../cases/build-state.js'
import { semanticsCases } from '../cases/semantics-cases.js'
import { LabPool } from './lab-harness.js'
import { checkCaseThroughPackets } from './case-through-packets.js'

describe.concurrent('semantics cases through real packets', () => {
  const pool = new LabPool()
  beforeAll(async () => {
    await pool.start('sem', buildState(semanticsCases[0].manifests), 2)
  })
  afterAll(async () => {
    await pool.stop()
  })
  for (const c of semanticsCases) {
    it(c.name, async () => {
      await pool.run((lab) => checkCaseThroughPackets(lab, c))
    })
  }
})
