/**
 * The upstream e2e model (namespaces x/y/z, pods a/b/c, ports 80/81 over TCP and UDP; SCTP is
 * skipped: Node.js has no SCTP sockets) through real packets. One lab for the whole suite: each
 * scenario's policies (and label changes) are applied to the running lab like `lab apply
 * --prune`, so pods keep their namespaces, addresses and servers between scenarios.
 */
import { describe, it, beforeAll, afterAll } from 'vitest'
import { buildState } from '../cases/build-state.js'
import { xyzCases } from '../cases/xyz-cases.js'
import { startTestLab, type TestLab } from './lab-harness.js'
import { checkCaseThroughPackets } from './case-through-packets.js'

describe('x/y/z scenarios through real packets', () => {
  let lab: TestLab
  beforeAll(async () => {
    lab = await startTestLab('xyz', buildState(xyzCases[0].manifests))
  })
  afterAll(async () => {
    await lab?.down()
  })
  for (const c of xyzCases) {
    it(c.name, async () => {
      await checkCaseThroughPackets(lab, c)
    })
  }
})
