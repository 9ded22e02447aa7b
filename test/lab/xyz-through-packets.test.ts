/**
 * The upstream e2e model (namespaces x/y/z, pods a/b/c, ports 80/81 over TCP and UDP; SCTP is
 * skipped: Node.js has no SCTP sockets) through real packets. A few labs take turns: each
 * scenario's policies (and label changes) are applied to a running lab like `lab apply --prune`,
 * so pods keep their namespaces, addresses and servers between scenarios.
 */
import { describe, it, beforeAll, afterAll } from 'vitest'
import { buildState } from '../cases/build-state.js'
import { xyzCases } from '../cases/xyz-cases.js'
import { LabPool } from './lab-harness.js'
import { checkCaseThroughPackets } from './case-through-packets.js'

describe.concurrent('x/y/z scenarios through real packets', () => {
  const pool = new LabPool()
  beforeAll(async () => {
    await pool.start('xyz', buildState(xyzCases[0].manifests), 3)
  })
  afterAll(async () => {
    await pool.stop()
  })
  for (const c of xyzCases) {
    it(c.name, async () => {
      await pool.run((lab) => checkCaseThroughPackets(lab, c))
    })
  }
})
