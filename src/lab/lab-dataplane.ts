/**
 * @module What the lab needs from a data plane: put one node's policy into force, atomically.
 * The real one (nft-lab-dataplane.ts) compiles with src/dataplane and applies with `nft -f`.
 */
import type { ClusterState } from '../model/types.js'
import type { LabNode } from './topology.js'

export interface LabDataplane {
  /** Compiles the ruleset for the pods on `node` and replaces the node's table in one transaction. */
  applyNode(state: ClusterState, node: LabNode): Promise<void>
  /** Validates the node's ruleset without changing anything (`nft --check`). */
  checkNode(state: ClusterState, node: LabNode): Promise<void>
}
