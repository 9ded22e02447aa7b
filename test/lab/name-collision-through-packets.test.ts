/**
 * Two policies whose names collide in a 40-bit hash (test/cases/name-collision-cases.ts) through
 * real packets: the lab's probes must agree with the engine on every cell.
 */
import { nameCollisionCases } from '../cases/name-collision-cases.js'
import { describeCasesThroughPackets } from './case-through-packets.js'

describeCasesThroughPackets('policies with colliding name hashes through real packets', 'nam', nameCollisionCases, 1)
