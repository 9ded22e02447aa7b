/**
 * @module For enforcement paths that do not take ClusterNetworkPolicies yet: refuse such a state
 * before anything is built or applied, naming the objects.
 *
 * The nftables compiler enforces both tiers (compile-cluster-tiers.ts). A path that enforced only
 * the NetworkPolicies of a state with ClusterNetworkPolicies would fail open (an Admin Deny would
 * drop nothing) and, for Accept, fail closed where the cluster allows: such a path calls this
 * first. The analyses (matrix, explain, test) handle them.
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
