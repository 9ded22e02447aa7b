/**
 * @module The agent's data plane on nftables: netpol's ruleset compiler, one `nft -f -` transaction
 * per apply (inside a network namespace when asked), counters and deny-log sets read back with nft.
 */
import { compileRuleset, DEFAULT_TABLE_NAME, rulesetIndex, type CompileOptions, type RulesetIndex } from '../dataplane/compile-ruleset.js'
import { applyRuleset, extractElements, readCounters, runNft } from '../dataplane/nft.js'
import type { ClusterState } from '../model/types.js'
import type { AgentDataplane, CompiledRuleset, DeniedRecord, Side } from './agent-dataplane.js'

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
  // The deny-log sets are fixed names, whatever the state.
  const denySets = rulesetIndex({ namespaces: [], pods: [], policies: [] }, compileOptions).denySets
  return {
    compile(state: ClusterState): CompiledRuleset {
      const script = compileRuleset(state, compileOptions)
      // The index costs a second planning pass: computed only when counters are read.
      let index: RulesetIndex | undefined
      const indexOf = (): RulesetIndex => (index ??= rulesetIndex(state, compileOptions))
      return {
        script,
        get allowCounters() {
          return indexOf().allowCounters
        },
      }
    },
    async apply(script: string): Promise<void> {
      await applyRuleset(script, target)
    },
    async readCounters(): Promise<ReadonlyMap<string, number>> {
      const counters = await readCounters(target)
      return new Map([...counters].map(([name, v]) => [name, v.packets]))
    },
    async readDenied(): Promise<readonly DeniedRecord[]> {
      const out: DeniedRecord[] = []
      for (const set of denySets) {
        const r = await runNft(['list', 'set', 'inet', target.tableName, set.name], target)
        if (r.code !== 0) continue
        for (const element of extractElements(r.stdout)) {
          const rec = parseDenyElement(element, set.side)
          if (rec) out.push(rec)
        }
      }
      return out
    },
  }
}

/** `10.0.0.1 . 10.0.0.2 . tcp . 40000 . 80 counter packets 1 bytes 60 expires 59m58s` -> a record. */
export function parseDenyElement(element: string, side: Side): DeniedRecord | undefined {
  const parts = element.split(' . ').map((p) => p.trim())
  if (parts.length < 5) return undefined
  const dport = /^(\d+)/.exec(parts[4])
  const sport = Number(parts[3])
  if (!dport || !Number.isInteger(sport)) return undefined
  return { side, sourceIp: parts[0], destinationIp: parts[1], protocol: parts[2], sourcePort: sport, destinationPort: Number(dport[1]) }
}
