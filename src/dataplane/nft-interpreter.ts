/**
 * @module A pure interpreter for the subset of nft that compileRuleset emits (no kernel needed):
 * the public entry over its three parts.
 *
 * - nft-ruleset.ts: the typed model (tables, counters, sets and verdict maps, chains, rules).
 * - nft-parse.ts: `parseNftScript(text)`, script -> model, merging duplicates as nft does and
 *   refusing anything outside the subset with the line.
 * - nft-run.ts: `runHook(ruleset, hook, packet)`, one packet through a hook's base chains.
 *
 * Used by the tests and benchmarks to prove compile + interpret equals the reference evaluator,
 * and by simulate-connection.ts to walk a connection through the nodes it crosses.
 */
export { L4PROTO, type CtState, type Hook, type NftChain, type NftRule, type NftRuleset, type NftSet, type NftTable } from './nft-ruleset.js'
export { NftParseError, parseNftScript } from './nft-parse.js'
export { runHook, type HookResult, type Packet, type TraceStep } from './nft-run.js'
