/**
 * @module What the data plane cannot enforce yet, refused before anything is built or applied.
 *
 * The nftables compiler enforces NetworkPolicy only. A state with ClusterNetworkPolicies enforced
 * as if they were absent would fail open (an Admin Deny would not drop anything) and, for Accept,
 * fail closed where the cluster allows: so every enforcement path (lab up/apply, the compiler)
 * refuses such a state, naming the objects. The analyses (matrix, explain, test) handle them.
 */
import type { ClusterState } from '../model/types.js'
import { UsageError } from '../model/errors.js'
import { formatSource } from '../model/diagnostic.js'

export function refuseUnenforcedKinds(state: ClusterState, what: string): void {
  const cnps = state.clusterNetworkPolicies ?? []
  if (cnps.length === 0) return
  const shown = cnps.slice(0, 5).map((p) => `ClusterNetworkPolicy ${JSON.stringify(p.name)} (${formatSource(p.source)})`)
  const more = cnps.length > shown.length ? `, and ${cnps.length - shown.length} more` : ''
  throw new UsageError(
    `${what} does not enforce ClusterNetworkPolicy yet, and enforcing only the NetworkPolicies would open what their Admin Deny rules close: ` +
      `remove ${shown.join(', ')}${more} from the input; netpol matrix, explain and test analyse them`,
  )
}
