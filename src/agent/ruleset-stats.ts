/**
 * @module Size of an nft script, for logs and metrics: bytes, rules (statements inside chains)
 * and sets/maps.
 */

export interface RulesetStats {
  readonly bytes: number
  readonly rules: number
  readonly sets: number
}

export function rulesetStats(script: string): RulesetStats {
  let rules = 0
  let sets = 0
  let inChain = false
  for (const raw of script.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    if (/^(set|map)\s+\S+\s*\{/.test(line)) sets++
    if (/^chain\s+\S+\s*\{/.test(line)) {
      inChain = true
      continue
    }
    if (!inChain) continue
    if (line === '}') {
      inChain = false
      continue
    }
    // Base-chain headers and policies are declarations, not rules.
    if (/^type\s+\S+\s+hook\b/.test(line) || /^policy\s+\S+;?$/.test(line) || line.startsWith('comment ')) continue
    rules++
  }
  return { bytes: Buffer.byteLength(script), rules, sets }
}
