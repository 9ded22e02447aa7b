/**
 * Incremental updates (ruleset-delta.ts, applyRulesetDelta) in the real kernel:
 * - after random sequences of cluster events applied as deltas, `nft list table` equals the
 *   listing of a fresh full apply of the final state (only counter values, element order and
 *   object order normalised);
 * - named counters of unchanged chains keep counting, deny-log records stay;
 * - atomic: under a UDP flood at a denied port during many incremental updates (policy chains
 *   refilled, pods and their chains and map entries added and removed), not one datagram passes;
 * - a delta nft refuses changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { collectOutput, createTopology, firstLine, SERVER_SOURCE, type Topology } from '../../testing/dataplane-topology.js'
import { compileRuleset } from '../../src/dataplane/compile-ruleset.js'
import { applyRuleset, applyRulesetDelta, NftError, readCounters, runNft } from '../../src/dataplane/nft.js'
import { rulesetDelta } from '../../src/dataplane/ruleset-delta.js'
import type { ClusterState } from '../../src/model/types.js'
import { buildState } from '../cases/build-state.js'
import { applyEvent, eventSequenceArb } from './cluster-event-arbitrary.js'
import { UDP_FLOOD } from './netns-probe.js'
import { jumpChainScript, loopScript, straightJumpScript, straightJumpVariant } from './jump-chain-fixture.js'
import { parseNftScript } from '../../src/dataplane/nft-interpreter.js'

/**
 * A listing made comparable: counter values zeroed, each elements list sorted, the table's objects
 * sorted (the kernel lists objects in the order they were created, and hash sets in hash order).
 */
function normalisedListing(listing: string): string {
  const zeroed = listing.replace(/packets \d+ bytes \d+/g, 'packets 0 bytes 0')
  const withSortedElements = zeroed.replace(/elements = \{([^}]*)\}/g, (_, inner: string) => {
    const items = inner
      .split(',')
      .map((e) => e.replace(/\s+/g, ' ').trim())
      .filter((e) => e !== '')
      .sort()
    return `elements = { ${items.join(', ')} }`
  })
  const lines = withSortedElements.split('\n')
  const head = lines.findIndex((l) => l.startsWith('table '))
  const blocks: string[] = []
  let current: string[] = []
  for (const line of lines.slice(head + 1)) {
    if (line === '}') break
    if (line === '' && current.length === 0) continue
    current.push(line)
    if (line === '\t}') {
      blocks.push(current.join('\n'))
      current = []
    }
  }
  return [lines[head], ...blocks.sort(), '}'].join('\n')
}

async function listing(netns: string): Promise<string> {
  const r = await runNft(['list', 'table', 'inet', 'netpol'], { netns })
  expect(r.code, r.stderr).toBe(0)
  return r.stdout
}

const compile = (state: ClusterState): string => compileRuleset(state, { nodeName: 'n1' }).script

describe('incremental updates in the kernel', () => {
  let incrementalNode: Topology
  let freshNode: Topology

  beforeAll(async () => {
    incrementalNode = await createTopology([])
    freshNode = await createTopology([])
  })
  afterAll(async () => {
    await incrementalNode?.destroy()
    await freshNode?.destroy()
  })

  it('after random event sequences applied as deltas, nft lists the same table as a fresh full apply of the final state', async () => {
    let deltas = 0
    await fc.assert(
      fc.asyncProperty(eventSequenceArb(Number(process.env.DELTA_EVENTS ?? 6)), async ({ start, pool, events }) => {
        let state = start
        let script = compile(state)
        await applyRuleset(script, { netns: incrementalNode.nodeNetns })
        for (const [i, event] of events.entries()) {
          state = applyEvent(state, pool, event, i + 1)
          const next = compile(state)
          const delta = rulesetDelta(script, next)
          if (delta.kind === 'incremental') {
            deltas++
            await applyRulesetDelta(delta.script, { netns: incrementalNode.nodeNetns })
            await applyRulesetDelta(delta.tidy, { netns: incrementalNode.nodeNetns })
          } else {
            await applyRuleset(next, { netns: incrementalNode.nodeNetns })
          }
          script = next
        }
        await applyRuleset(script, { netns: freshNode.nodeNetns })
        expect(normalisedListing(await listing(incrementalNode.nodeNetns))).toBe(normalisedListing(await listing(freshNode.nodeNetns)))
      }),
      { numRuns: Number(process.env.DELTA_KERNEL_RUNS ?? 25) },
    )
    expect(deltas).toBeGreaterThan(25)
  })

  it('a delta whose old rules below `return` would reach 16 jumps deep is applied, as one transaction (nft counts those rules too)', async () => {
    const node = incrementalNode.nodeNetns
    for (const n of [6, 7]) {
      const before = jumpChainScript('before', n)
      const after = jumpChainScript('after', n)
      // Each ruleset alone is accepted.
      await applyRuleset(after, { netns: node })
      await applyRuleset(before, { netns: node })
      const delta = rulesetDelta(before, after)
      expect(delta.kind).toBe('incremental')
      if (delta.kind !== 'incremental') return
      await applyRulesetDelta(delta.script, { netns: node })
      await applyRulesetDelta(delta.tidy, { netns: node })
      await applyRuleset(after, { netns: freshNode.nodeNetns })
      expect(normalisedListing(await listing(node))).toBe(normalisedListing(await listing(freshNode.nodeNetns)))
    }
    // Why: the old path to z (9 deep) with the new one from z (7 more), which the split's first transaction would leave, is refused.
    const before = jumpChainScript('before', 7)
    await applyRuleset(before, { netns: node })
    const bChains = jumpChainScript('after', 7).replace(/^[\s\S]*?table inet netpol \{\n[\s\S]*?(\tchain b1 )/, 'table inet netpol {\n$1')
    const split = `${bChains}insert rule inet netpol z jump b1\n`
    await expect(applyRulesetDelta(split, { netns: node })).rejects.toThrow(/Too many links/)
    expect(() => parseNftScript(split, parseNftScript(before))).toThrow(/Too many links/)
  })

  it('the kernel and the interpreter refuse the same depth: a chain 15 jumps from a base chain is accepted, 16 is "Too many links"', async () => {
    const node = freshNode.nodeNetns
    await applyRuleset(straightJumpScript(15), { netns: node })
    expect(() => parseNftScript(straightJumpScript(15))).not.toThrow()
    await expect(applyRuleset(straightJumpScript(16), { netns: node })).rejects.toThrow(/Too many links/)
    expect(() => parseNftScript(straightJumpScript(16))).toThrow(/Too many links/)
    // Rules after a `return` count too.
    const unreachable = straightJumpScript(16).replace('\t\tjump c1\n', '\t\treturn\n\t\tjump c1\n')
    await expect(applyRuleset(unreachable, { netns: node })).rejects.toThrow(/Too many links/)
    expect(() => parseNftScript(unreachable)).toThrow(/Too many links/)
  })

  it('the kernel and the interpreter count a goto and a verdict map entry as a level, refuse a loop a base chain reaches, and check no chain it does not reach', async () => {
    const node = freshNode.nodeNetns
    for (const step of ['goto', 'vmap'] as const) {
      await applyRuleset(straightJumpVariant(15, step), { netns: node })
      expect(() => parseNftScript(straightJumpVariant(15, step))).not.toThrow()
      await expect(applyRuleset(straightJumpVariant(16, step), { netns: node }), step).rejects.toThrow(/Too many links/)
      expect(() => parseNftScript(straightJumpVariant(16, step)), step).toThrow(/Too many links/)
    }
    await expect(applyRuleset(loopScript(true), { netns: node })).rejects.toThrow(/Too many links/)
    expect(() => parseNftScript(loopScript(true))).toThrow(/Too many links/)
    await applyRuleset(loopScript(false), { netns: node })
    expect(() => parseNftScript(loopScript(false))).not.toThrow()
  })

  it('the normalised comparison still sees a difference in one rule or one map entry', async () => {
    const state = buildState(POD_YAML(3, [81]))
    await applyRuleset(compile(state), { netns: incrementalNode.nodeNetns })
    await applyRuleset(compile(buildState(POD_YAML(3, [82]))), { netns: freshNode.nodeNetns })
    expect(normalisedListing(await listing(incrementalNode.nodeNetns))).not.toBe(normalisedListing(await listing(freshNode.nodeNetns)))
    await applyRuleset(compile(buildState(POD_YAML(4, [81]))), { netns: freshNode.nodeNetns })
    expect(normalisedListing(await listing(incrementalNode.nodeNetns))).not.toBe(normalisedListing(await listing(freshNode.nodeNetns)))
  })

  it('does not recreate the named counters and chains it leaves unchanged (a full replace does)', async () => {
    const node = incrementalNode.nodeNetns
    const before = compile(buildState(POD_YAML(3, [81])))
    await applyRuleset(before, { netns: node })
    const deny = [...(await readCounters({ netns: node })).keys()].find((n) => n.startsWith('deny_in_x_p1_'))!
    expect(deny).toBeDefined()
    const handles = async (): Promise<string[]> => {
      const r = await runNft(['-a', 'list', 'counter', 'inet', 'netpol', deny], { netns: node })
      const s = await runNft(['-a', 'list', 'set', 'inet', 'netpol', 'denied_in_v4'], { netns: node })
      expect([r.code, s.code], r.stderr + s.stderr).toEqual([0, 0])
      return [/# handle (\d+)/.exec(r.stdout)![1], /# handle (\d+)/.exec(s.stdout)![1]]
    }
    const original = await handles()
    const after = compile(buildState(POD_YAML(4, [81, 82])))
    const delta = rulesetDelta(before, after)
    expect(delta.kind).toBe('incremental')
    if (delta.kind === 'incremental') {
      await applyRulesetDelta(delta.script, { netns: node })
      await applyRulesetDelta(delta.tidy, { netns: node })
    }
    // The same objects (same handles): their values and records stay.
    expect(await handles()).toEqual(original)
    await applyRuleset(after, { netns: node })
    expect(await handles()).not.toEqual(original)
  })

  it('a delta nft refuses changes nothing, and a delta for another table is refused before nft runs', async () => {
    const node = incrementalNode.nodeNetns
    const script = compile(buildState(POD_YAML(3, [81])))
    await applyRuleset(script, { netns: node })
    const before = await listing(node)
    const delta = rulesetDelta(script, compile(buildState(POD_YAML(4, [81]))))
    expect(delta.kind).toBe('incremental')
    if (delta.kind !== 'incremental') return
    // A last command that fails (its element is not there): the whole transaction is refused.
    const broken = `${delta.script}delete element inet netpol in_v4 { 10.9.9.9 }\n`
    await expect(applyRulesetDelta(broken, { netns: node })).rejects.toThrow(NftError)
    expect(await listing(node)).toBe(before)
    await expect(applyRulesetDelta(delta.script.replaceAll('inet netpol', 'inet other'), { netns: node })).rejects.toThrow(/not for table inet netpol/)
  })
})

/**
 * `pods` pods x/p<i> on n1 (10.250.1.2 is p1, the flood's target), all isolated for ingress; x/p0
 * may reach them on `ports` (TCP and UDP).
 */
function POD_YAML(pods: number, ports: readonly number[]): string {
  const portList = ports.map((p) => `{port: ${p}, protocol: TCP}, {port: ${p}, protocol: UDP}`).join(', ')
  return [
    ...Array.from(
      { length: pods },
      (_, i) =>
        `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}, namespace: x, labels: {app: ${i === 0 ? 'client' : 'web'}}}\nspec: {nodeName: n1}\nstatus: {podIP: 10.250.${i}.2}`,
    ),
    'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: x}\nspec:\n  podSelector: {}\n  ingress:\n' +
      `  - from: [{podSelector: {matchLabels: {app: client}}}]\n    ports: [${portList}]`,
  ].join('\n---\n')
}

describe('incremental updates are atomic', () => {
  let topo: Topology
  beforeAll(async () => {
    topo = await createTopology(['a', 'b'])
  })
  afterAll(async () => {
    await topo?.destroy()
  })

  it('under a UDP flood at a denied port during 60 incremental updates (both transactions each) not one datagram gets through, and the allowed port keeps working', async () => {
    const node = topo.nodeNetns
    // Three states that all deny a (x/p0) -> b (x/p1):80 and allow :81, and differ in what a delta
    // changes: the policy chain refilled (an extra port), pods with their chains, counters and map entries added and removed
    // (a removal flushes the dispatch map and fills it again).
    const scripts = [compile(buildState(POD_YAML(2, [81]))), compile(buildState(POD_YAML(4, [81, 9000]))), compile(buildState(POD_YAML(3, [81, 82])))]
    await applyRuleset(scripts[0], { netns: node })
    await topo.exec(node, ['conntrack', '-F']).catch(() => '')
    const server = topo.spawnNode(topo.pods[1].netns, SERVER_SOURCE, ['80', '81'])
    expect(await firstLine(server)).toBe('ready')
    const flooder = topo.spawnNode(topo.pods[0].netns, UDP_FLOOD, ['10.250.1.2', '80', '81'])
    expect(await firstLine(flooder)).toBe('ready')
    const flood = collectOutput(flooder)
    await new Promise((r) => setTimeout(r, 200))
    let deltas = 0
    for (let i = 1; i <= 60; i++) {
      const delta = rulesetDelta(scripts[(i - 1) % 3], scripts[i % 3])
      expect(delta.kind).toBe('incremental')
      if (delta.kind !== 'incremental') continue
      await applyRulesetDelta(delta.script, { netns: node })
      await applyRulesetDelta(delta.tidy, { netns: node })
      deltas++
    }
    await new Promise((r) => setTimeout(r, 200))
    flooder.kill('SIGTERM')
    const sent = JSON.parse((await flood).stdout.trim().split('\n').pop()!) as Record<string, number>
    const done = collectOutput(server)
    server.kill('SIGTERM')
    const got = JSON.parse((await done).stdout.trim().split('\n').pop()!) as Record<string, number>
    expect(deltas).toBe(60)
    expect(sent['80']).toBeGreaterThan(1000)
    expect(got['81']).toBeGreaterThan(0)
    expect(got['80']).toBe(0)
  })

  it('the same flood catches updates that are not one transaction (each command its own nft run): datagrams get through', async () => {
    const node = topo.nodeNetns
    // x/p2 added and removed: the removal flushes the dispatch map, which is empty until the next command.
    const scripts = [compile(buildState(POD_YAML(3, [81]))), compile(buildState(POD_YAML(2, [81])))]
    await applyRuleset(scripts[0], { netns: node })
    await topo.exec(node, ['conntrack', '-F']).catch(() => '')
    const server = topo.spawnNode(topo.pods[1].netns, SERVER_SOURCE, ['80', '81'])
    expect(await firstLine(server)).toBe('ready')
    const flooder = topo.spawnNode(topo.pods[0].netns, UDP_FLOOD, ['10.250.1.2', '80', '81'])
    expect(await firstLine(flooder)).toBe('ready')
    const flood = collectOutput(flooder)
    for (let i = 1; i <= 30; i++) {
      const delta = rulesetDelta(scripts[(i - 1) % 2], scripts[i % 2])
      if (delta.kind !== 'incremental') throw new Error(delta.reason)
      // Each command (the table block as one) in its own nft run, in the delta's order.
      const commands: string[] = []
      for (const line of `${delta.script}${delta.tidy}`.split('\n')) {
        if (line === '' || line.startsWith('#')) continue
        if (line.startsWith('\t') || line === '}') commands[commands.length - 1] += `${line}\n`
        else commands.push(`${line}\n`)
      }
      for (const c of commands) await applyRulesetDelta(c, { netns: node })
    }
    flooder.kill('SIGTERM')
    await flood
    const done = collectOutput(server)
    server.kill('SIGTERM')
    const got = JSON.parse((await done).stdout.trim().split('\n').pop()!) as Record<string, number>
    expect(got['80']).toBeGreaterThan(0)
  })
})
