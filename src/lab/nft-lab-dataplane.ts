/**
 * @module The lab's data plane: the same compiler and nft runner the node agent uses, one table
 * per node namespace.
 */
import { compileRuleset } from '../dataplane/compile-ruleset.js'
import { applyRuleset } from '../dataplane/nft.js'
import type { LabDataplane } from './lab-dataplane.js'

export const nftLabDataplane: LabDataplane = {
  async applyNode(state, node) {
    await applyRuleset(compileRuleset(state, { nodeName: node.name }).script, { netns: node.netns })
  },
  async checkNode(state, node) {
    await applyRuleset(compileRuleset(state, { nodeName: node.name }).script, { netns: node.netns, check: true })
  },
}
