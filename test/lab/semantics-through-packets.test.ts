/**
 * The shared semantics case table (test/cases/semantics-cases.ts) through real packets: one lab,
 * each case's manifests applied in turn (like `lab apply --prune`), then every pod probes every
 * pod on every port. Real connections must agree with the engine on every cell, and with the
 * case's own expectations for every pod-to-pod connection the lab can make (not SCTP, not
 * external IPs, not hostNetwork pods). The tables' YAML is read the way the engine tests read it
 * (test/cases/build-state.ts).
 */
import { describe, it, beforeAll, afterAll } from 'vitest'
import { buildState } from '../cases/build-state.js'
import { semanticsCases } from '../cases/semantics-cases.js'
import { startTestLab, type TestLab } from './lab-harness.js'
import { checkCaseThroughPackets } from './case-through-packets.js'

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
