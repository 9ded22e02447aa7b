import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collectOutput, createTopology, firstLine, SERVER_SOURCE, type Topology } from '../../testing/dataplane-topology.js'
import { compileRuleset } from '../../src/dataplane/compile-ruleset.js'
import { applyRuleset, deleteTable, NftError, readPolicyCounters, runNft, standInScript, standInTableName, tableExists } from '../../src/dataplane/nft.js'
import type { ClusterState } from '../../src/model/types.js'
import { buildState } from '../cases/build-state.js'
import { ECHO_CLIENT, ECHO_SERVER, lineReader, tcpProbe, UDP_FLOOD } from './netns-probe.js'

/** Pod a (10.250.0.2) and b (10.250.1.2) on node n1; b's ingress allows a on `allowPorts` only. */
function twoPodState(allowPorts: readonly number[], extraCidr?: string): ClusterState {
  const ports = allowPorts.map((p) => `{port: ${p}, protocol: TCP}, {port: ${p}, protocol: UDP}`).join(', ')
  const extra = extraCidr ? `\n  - from: [{ipBlock: {cidr: ${extraCidr}}}]` : ''
  const state = buildState(`
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {app: a}}
status: {podIP: 10.250.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {app: b}}
status: {podIP: 10.250.1.2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-ingress, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: a}}}]
    ports: [${ports}]${extra}
`)
  return { ...state, pods: state.pods.map((p) => ({ ...p, nodeName: 'n1' })) }
}

async function terseListing(topo: Topology): Promise<string> {
  return topo.exec(topo.nodeNetns, ['nft', '-t', 'list', 'table', 'inet', 'netpol'])
}

/**
 * A base chain on the ingress chain's hook and priority in which every packet walks 40,000
 * non-matching rules (200 jumps into 200 rules): it stretches the moment between two base chains
 * of the same priority, so a packet that meets the new netpol chain before the commit meets the
 * old one after it.
 */
const SLOW_TABLE = [
  'add table inet netpol_slow',
  'delete table inet netpol_slow',
  'table inet netpol_slow {',
  `\tchain work {\n${'\t\tmeta mark 0x00001234 counter\n'.repeat(200)}\t}`,
  `\tchain slow {\n\t\ttype filter hook forward priority filter; policy accept;\n${'\t\tjump work\n'.repeat(200)}\t}`,
  '}',
  '',
].join('\n')

describe('nft runner in a throwaway network namespace', () => {
  let topo: Topology
  let a: string
  let server: ReturnType<Topology['spawnNode']>

  beforeAll(async () => {
    topo = await createTopology(['a', 'b'])
    a = topo.pods[0].netns
    server = topo.spawnNode(topo.pods[1].netns, SERVER_SOURCE, ['80', '81'])
    expect(await firstLine(server)).toBe('ready')
  })

  afterAll(async () => {
    await topo?.destroy()
  })

  it('applies a compiled ruleset: the allowed port connects, the other is dropped', async () => {
    await applyRuleset(compileRuleset(twoPodState([81]), { nodeName: 'n1' }).script, { netns: topo.nodeNetns })
    expect(await tableExists({ netns: topo.nodeNetns })).toBe(true)
    expect(await tcpProbe(topo, a, '10.250.1.2', 81)).toBe('ok')
    expect(await tcpProbe(topo, a, '10.250.1.2', 80, 800)).toBe('timeout')
  })

  it('replacing the ruleset takes effect at once and leaves exactly one netpol table', async () => {
    await applyRuleset(compileRuleset(twoPodState([80, 81]), { nodeName: 'n1' }).script, { netns: topo.nodeNetns })
    expect(await tcpProbe(topo, a, '10.250.1.2', 80)).toBe('ok')
    await applyRuleset(compileRuleset(twoPodState([81]), { nodeName: 'n1' }).script, { netns: topo.nodeNetns })
    expect(await tcpProbe(topo, a, '10.250.1.2', 80, 800)).toBe('timeout')
    const tables = await topo.exec(topo.nodeNetns, ['nft', 'list', 'tables'])
    expect(tables.trim().split('\n')).toEqual(['table inet netpol'])
  })

  it('a broken script is refused with nft message and line, and the previous ruleset stays in force', async () => {
    const good = compileRuleset(twoPodState([81]), { nodeName: 'n1' }).script
    await applyRuleset(good, { netns: topo.nodeNetns })
    const before = await terseListing(topo)
    // Valid up to the last line: the table was already deleted and re-created inside the transaction.
    const broken = `${compileRuleset(twoPodState([80, 81]), { nodeName: 'n1' }).script}add rule inet netpol ingress ip daddr @no_such_set drop\n`
    const error = await applyRuleset(broken, { netns: topo.nodeNetns }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NftError)
    expect((error as NftError).message).toMatch(/no_such_set/)
    expect((error as NftError).message).toMatch(/stdin:\d+/)
    expect(await terseListing(topo)).toBe(before)
    expect(await tcpProbe(topo, a, '10.250.1.2', 80, 800)).toBe('timeout')
    expect(await tcpProbe(topo, a, '10.250.1.2', 81)).toBe('ok')
  })

  it('check mode validates without changing anything', async () => {
    const before = await terseListing(topo)
    await applyRuleset(compileRuleset(twoPodState([80, 81]), { nodeName: 'n1' }).script, { netns: topo.nodeNetns, check: true })
    expect(await terseListing(topo)).toBe(before)
    await expect(applyRuleset('table inet netpol { chain c { bogus } }\n', { netns: topo.nodeNetns, check: true })).rejects.toThrow(
      /nft --check .*failed[\s\S]*bogus/,
    )
  })

  it('counts allowed connections per policy and dropped packets per pod', async () => {
    const state = twoPodState([81])
    await applyRuleset(compileRuleset(state, { nodeName: 'n1' }).script, { netns: topo.nodeNetns })
    expect(await tcpProbe(topo, a, '10.250.1.2', 81)).toBe('ok')
    expect(await tcpProbe(topo, a, '10.250.1.2', 81)).toBe('ok')
    expect(await tcpProbe(topo, a, '10.250.1.2', 80, 500)).toBe('timeout')
    const counts = await readPolicyCounters(compileRuleset(state, { nodeName: 'n1' }).index, { netns: topo.nodeNetns })
    expect(counts.allowed).toEqual([{ namespace: 'x', policy: 'b-ingress', side: 'ingress', packets: 2 }])
    expect(counts.denied).toHaveLength(1)
    expect(counts.denied[0]).toMatchObject({ namespace: 'x', pod: 'b', side: 'ingress' })
    expect(counts.denied[0].packets).toBeGreaterThanOrEqual(1)
  })

  it('replacement is atomic: under a UDP flood during 60 replacements not one denied datagram gets through, the table is always listed', async () => {
    const node = topo.nodeNetns
    // Two different rulesets that both deny a -> b:80 and allow a -> b:81.
    const scripts = [compileRuleset(twoPodState([81]), { nodeName: 'n1' }).script, compileRuleset(twoPodState([81], '192.0.2.0/24'), { nodeName: 'n1' }).script]
    expect(scripts[0]).not.toBe(scripts[1])
    await applyRuleset(scripts[0], { netns: node })
    await topo.exec(node, ['conntrack', '-F']).catch(() => '')
    const received = await floodDuring(topo, async () => {
      let listings = 0
      let stop = false
      const lister = (async () => {
        while (!stop) {
          const r = await runNft(['-t', 'list', 'table', 'inet', 'netpol'], { netns: node })
          expect(r.code, r.stderr).toBe(0)
          listings++
        }
      })()
      for (let i = 0; i < 60; i++) await applyRuleset(scripts[i % 2], { netns: node })
      stop = true
      await lister
      expect(listings).toBeGreaterThan(10)
    })
    expect(received.sent['80']).toBeGreaterThan(1000)
    expect(received.got['81']).toBeGreaterThan(0)
    expect(received.got['80']).toBe(0)
  })

  it('replacement stays atomic when a packet crosses the commit: a slow chain between the new and the old base chains lets nothing through', async () => {
    const node = topo.nodeNetns
    const scripts = [compileRuleset(twoPodState([81]), { nodeName: 'n1' }).script, compileRuleset(twoPodState([81], '192.0.2.0/24'), { nodeName: 'n1' }).script]
    await applyRuleset(scripts[0], { netns: node })
    await topo.exec(node, ['conntrack', '-F'])
    try {
      const received = await floodDuring(topo, async () => {
        for (let i = 0; i < 60; i++) {
          // Re-created after netpol's chains, the slow chain sits right before them; the next
          // replacement's chains go in before it (a new hook goes first among equal priorities).
          const r = await runNft(['-f', '-'], { netns: node, input: SLOW_TABLE })
          expect(r.code, r.stderr).toBe(0)
          await applyRuleset(scripts[i % 2], { netns: node, keepDenyLog: false })
        }
      })
      expect(received.sent['80']).toBeGreaterThan(100)
      expect(received.got['81']).toBeGreaterThan(0)
      expect(received.got['80']).toBe(0)
    } finally {
      await runNft(['delete', 'table', 'inet', 'netpol_slow'], { netns: node })
      await topo.exec(node, ['conntrack', '-F'])
    }
  })

  it('the same flood catches a non-atomic replacement (delete, then add): the probe can fail', async () => {
    const node = topo.nodeNetns
    const script = compileRuleset(twoPodState([81]), { nodeName: 'n1' }).script
    await applyRuleset(script, { netns: node })
    await topo.exec(node, ['conntrack', '-F']).catch(() => '')
    try {
      const received = await floodDuring(topo, async () => {
        for (let i = 0; i < 30; i++) {
          await deleteTable({ netns: node })
          await applyRuleset(script, { netns: node, keepDenyLog: false })
        }
      })
      expect(received.got['80']).toBeGreaterThan(0)
    } finally {
      await applyRuleset(script, { netns: node })
      await topo.exec(node, ['conntrack', '-F']).catch(() => '')
    }
  })

  it('a policy change drops new connections at once and keeps established ones (documented behaviour)', async () => {
    const node = topo.nodeNetns
    await applyRuleset(compileRuleset(twoPodState([81, 90]), { nodeName: 'n1' }).script, { netns: node })
    const echo = topo.spawnNode(topo.pods[1].netns, ECHO_SERVER, ['90'])
    expect(await firstLine(echo)).toBe('ready')
    const client = topo.spawnNode(a, ECHO_CLIENT, ['10.250.1.2', '90'])
    const lines = lineReader(client)
    expect(await lines()).toBe('connected')
    client.stdin?.write('before\n')
    expect(await lines()).toBe('echo before')
    // Now only 81 is allowed: 90 is denied for new connections.
    await applyRuleset(compileRuleset(twoPodState([81]), { nodeName: 'n1' }).script, { netns: node })
    expect(await tcpProbe(topo, a, '10.250.1.2', 90, 800)).not.toBe('ok')
    client.stdin?.write('after\n')
    expect(await lines()).toBe('echo after')
    client.kill('SIGKILL')
    echo.kill('SIGKILL')
  })

  it('deleteTable removes the table and is idempotent', async () => {
    expect(await deleteTable({ netns: topo.nodeNetns })).toBe(true)
    expect(await deleteTable({ netns: topo.nodeNetns })).toBe(false)
    expect(await tableExists({ netns: topo.nodeNetns })).toBe(false)
    expect(await tcpProbe(topo, a, '10.250.1.2', 80)).toBe('ok')
  })

  it('a stand-in table left by a killed apply is replaced and removed by the next apply, and deleteTable removes it too', async () => {
    const node = topo.nodeNetns
    const script = compileRuleset(twoPodState([81]), { nodeName: 'n1' }).script
    const tables = async (): Promise<string[]> => (await topo.exec(node, ['nft', 'list', 'tables'])).split('\n').filter((l) => l.trim() !== '')
    const leaveStandIn = async (): Promise<void> => {
      const r = await runNft(['-f', '-'], {
        netns: node,
        input: standInScript(compileRuleset(twoPodState([80]), { nodeName: 'n1' }).script, 'netpol', standInTableName('netpol')),
      })
      expect(r.code, r.stderr).toBe(0)
    }
    await leaveStandIn()
    expect(await tables()).toEqual(['table inet netpol_standin'])
    await applyRuleset(script, { netns: node })
    expect(await tables()).toEqual(['table inet netpol'])
    // The stale stand-in (80 only) no longer narrows the new ruleset (81 only).
    expect(await tcpProbe(topo, a, '10.250.1.2', 81)).toBe('ok')
    await leaveStandIn()
    expect(await deleteTable({ netns: node })).toBe(true)
    expect(await tables()).toEqual([])
  })

  it('a script for another table is refused before anything changes', async () => {
    const node = topo.nodeNetns
    const error = await applyRuleset(compileRuleset(twoPodState([81]), { nodeName: 'n1', tableName: 'other' }).script, { netns: node }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NftError)
    expect((error as NftError).message).toMatch(/does not define table inet netpol/)
    expect(await topo.exec(node, ['nft', 'list', 'tables'])).toBe('')
  })

  it('an apply into a namespace that does not exist fails with a clear message', async () => {
    await expect(applyRuleset(compileRuleset(twoPodState([81]), { nodeName: 'n1' }).script, { netns: `${topo.nodeNetns}-missing` })).rejects.toThrow(
      /network namespace .*-missing failed/,
    )
  })

  /** Floods a -> b on 80 and 81 over UDP while `action` runs; returns datagrams sent and received per port. */
  async function floodDuring(t: Topology, action: () => Promise<void>): Promise<{ sent: Record<string, number>; got: Record<string, number> }> {
    // A fresh server so its counters cover only this flood.
    server.kill('SIGTERM')
    await collectOutput(server)
    server = t.spawnNode(t.pods[1].netns, SERVER_SOURCE, ['80', '81'])
    expect(await firstLine(server)).toBe('ready')
    const flooder = t.spawnNode(a, UDP_FLOOD, ['10.250.1.2', '80', '81'])
    expect(await firstLine(flooder)).toBe('ready')
    const flood = collectOutput(flooder)
    await new Promise((r) => setTimeout(r, 200))
    await action()
    await new Promise((r) => setTimeout(r, 200))
    flooder.kill('SIGTERM')
    const sent = JSON.parse((await flood).stdout.trim().split('\n').pop()!) as Record<string, number>
    const done = collectOutput(server)
    server.kill('SIGTERM')
    const got = JSON.parse((await done).stdout.trim().split('\n').pop()!) as Record<string, number>
    server = t.spawnNode(t.pods[1].netns, SERVER_SOURCE, ['80', '81'])
    expect(await firstLine(server)).toBe('ready')
    return { sent, got }
  }
})
