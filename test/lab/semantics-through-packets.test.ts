/**
 * The shared semantics case table (test/cases/semantics-cases.ts) through real packets: two labs
 * take turns; each case's manifests are applied to one of them (like `lab apply --prune`), then
 * every pod probes every pod on every port. Real connections must agree with the engine on every cell, and with the
 * case's own expectations for every pod-to-pod connection the lab can make (not SCTP, not
 * external IPs, not hostNetwork pods). The tables' YAML is read the way the engine tests read it
 * (test/cases/build-state.ts).
 */
import { semanticsCases } from '../cases/semantics-cases.js'
import { describeCasesThroughPackets } from './case-through-packets.js'

describeCasesThroughPackets('semantics cases through real packets', 'sem', semanticsCases, 2)
