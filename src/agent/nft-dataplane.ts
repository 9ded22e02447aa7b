/**
 * @module The agent's data plane on nftables: netpol's ruleset compiler (incremental: each state
 * reuses what the previous one computed; the same script as a full compile), `applyRuleset` for a
 * full replace (one `nft -f -` transaction guarded by a stand-in table; inside a network namespace
 * when asked), `rulesetDelta` + `applyRulesetDelta` for an incremental update (one `nft -f -`
 * transaction of what changed, then one that removes what it superseded), counters and deny-log
 * sets read back with nft.
 */
import { DEFAULT_TABLE_NAME, type CompileOptions } from '../dataplane/compile-ruleset.js'
import { IncrementalCompiler } from '../dataplane/incremental-compile.js'
import { readRawDenyLog } from '../dataplane/deny-log.js'
import { applyRuleset, applyRulesetDelta, readCounters, WarmNft } from '../dataplane/nft.js'
import { parseTableObjects, rulesetDelta, type TableObjects } from '../dataplane/ruleset-delta.js'
import type { ClusterState } from '../model/types.js'
import type { AgentDataplane, CompiledRuleset, DeniedRecord, IncrementalResult } from './agent-dataplane.js'

export interface NftDataplaneOptions {
  readonly nodeName: string
  /** @default 'netpol' */
  readonly tableName?: string
  /** Apply inside this network namespace (`ip netns exec`), e.g. a lab node. */
  readonly netns?: string
  readonly logGroup?: number
}

export function createNftDataplane(options: NftDataplaneOptions): AgentDataplane {
  const compileOptions: CompileOptions = {
    nodeName: options.nodeName,
    ...(options.tableName ? { tableName: options.tableName } : {}),
    ...(options.logGroup !== undefined ? { logGroup: options.logGroup } : {}),
  }
  const target = { ...(options.netns ? { netns: options.netns } : {}), tableName: options.tableName ?? DEFAULT_TABLE_NAME }
  const compiler = new IncrementalCompiler(compileOptions)
  // The incremental updates' nft runs: one started ahead, so an update only writes its script (see WarmNft).
  const warm = new WarmNft(options.netns)
  // The objects of the last script applied (the next delta starts from them) and of the last one
  // compiled (the compiler's own: a delta never reads a compiled script back).
  let last: { script: string; objects: TableObjects } | undefined
  let compiled: { script: string; objects: TableObjects } | undefined
  const objectsOf = (script: string, previous?: TableObjects): TableObjects =>
    last?.script === script ? last.objects : compiled?.script === script ? compiled.objects : parseTableObjects(script, previous)
  return {
    compile(state: ClusterState): CompiledRuleset {
      const { script, index, objects } = compiler.compile(state)
      compiled = { script, objects }
      return { script, allowCounters: index.allowCounters, clusterRuleCounters: index.clusterRuleCounters }
    },
    async apply(script: string): Promise<void> {
      last = undefined
      await applyRuleset(script, target)
    },
    async applyIncremental(previous: string, next: string): Promise<IncrementalResult> {
      let before: TableObjects
      let after: TableObjects
      try {
        before = objectsOf(previous)
        after = objectsOf(next, before)
      } catch (e) {
        return { kind: 'full', reason: `not a compiled ruleset (${e instanceof Error ? e.message : String(e)})` }
      }
      const delta = rulesetDelta(before, after)
      if (delta.kind === 'full') return delta
      last = undefined
      await applyRulesetDelta(delta.script, { ...target, nft: warm })
      const tidy = async (): Promise<void> => {
        await applyRulesetDelta(delta.tidy, { ...target, nft: warm })
        last = { script: next, objects: after }
      }
      return { kind: 'incremental', bytes: delta.script.length + delta.tidy.length, tidy }
    },
    close(): void {
      warm.stop()
    },
    async readCounters(): Promise<ReadonlyMap<string, number>> {
      const counters = await readCounters(target)
      return new Map([...counters].map(([name, v]) => [name, v.packets]))
    },
    async readDenied(): Promise<readonly DeniedRecord[]> {
      const records = await readRawDenyLog(target)
      return records.map((r) => ({
        side: r.side,
        protocol: r.protocol.toLowerCase(),
        sourceIp: r.sourceIp,
        destinationIp: r.destinationIp,
        sourcePort: r.sourcePort,
        destinationPort: r.destinationPort,
      }))
    },
  }
}
