/**
 * The upstream e2e model (namespaces x/y/z, pods a/b/c, ports 80/81 over TCP and UDP; SCTP is
 * skipped: Node.js has no SCTP sockets) through real packets. A few labs take turns: each
 * scenario's policies (and label changes) are applied to a running lab like `lab apply --prune`,
 * so pods keep their namespaces, addresses and servers between scenarios.
 */
import { xyzCases } from '../cases/xyz-cases.js'
import { describeCasesThroughPackets } from './case-through-packets.js'

describeCasesThroughPackets('x/y/z scenarios through real packets', 'xyz', xyzCases, 3)
