/**
 * @module How deep the kernel counts a table's jumps (pure): it refuses a transaction that leaves
 * any chain 16 jumps or gotos from a base chain ("Too many links", also for a loop a base chain
 * reaches: Linux 6.18, nft 1.0.6). It counts every rule, reachable or not, and every entry of a
 * verdict map a rule looks up; chains no base chain reaches are not checked.
 *
 * Used by the interpreter (nft-parse.ts refuses such a ruleset as the kernel does, so every
 * interpreter test also checks the depth) and by ruleset-delta.ts (an update whose old rules, left
 * below `return`, would make the jumps too deep is made as one transaction).
 */

/** The deepest level the kernel accepts: a base chain is level 0, each jump or goto (a map's verdict too) one more. */
export const MAX_JUMP_LEVEL = 15

/**
 * The longest path of jumps and gotos from the base chains: `targets(chain)` lists the chains one
 * chain's rules (and the maps they look up) jump or go to; a chain it does not know is a leaf.
 * Infinity for a loop.
 */
export function deepestJumpLevel(baseChains: Iterable<string>, targets: (chain: string) => Iterable<string>): number {
  const height = new Map<string, number>()
  const visit = (chain: string): number => {
    const known = height.get(chain)
    if (known !== undefined) return known
    height.set(chain, Infinity)
    let h = 0
    for (const next of targets(chain)) h = Math.max(h, 1 + visit(next))
    height.set(chain, h)
    return h
  }
  let deepest = 0
  for (const base of baseChains) deepest = Math.max(deepest, visit(base))
  return deepest
}
