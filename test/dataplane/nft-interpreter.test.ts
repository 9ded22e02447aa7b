import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTopology, type Topology } from '../../testing/dataplane-topology.js'
import { NftParseError, parseNftScript } from '../../src/dataplane/nft-interpreter.js'

/** Two declarations of one chain, one set and one counter in one script, as a name collision would write them. */
const DUPLICATES = `table inet merged {
\tcounter cnt {
\t\tcomment "first"
\t}
\tcounter cnt {
\t\tcomment "second"
\t}
\tset addrs {
\t\ttype ipv4_addr
\t\telements = { 10.0.0.1 }
\t}
\tset addrs {
\t\ttype ipv4_addr
\t\telements = { 10.0.0.2 }
\t}
\tchain chx {
\t\tip saddr 10.0.0.1 accept
\t}
\tchain chx {
\t\tip saddr @addrs counter name "cnt" drop
\t}
}
`

describe('the interpreter reads a name declared twice as nft does: one merged object', () => {
  let topo: Topology

  beforeAll(async () => {
    topo = await createTopology([])
  })

  afterAll(async () => {
    await topo?.destroy()
  })

  it('a second chain block appends its rules, a second set adds its elements, a second counter is the first', async () => {
    const table = parseNftScript(DUPLICATES).tables.get('inet merged')!
    expect(table.chains.get('chx')!.rules.map((r) => r.text)).toEqual(['ip saddr 10.0.0.1 accept', 'ip saddr @ addrs counter name "cnt" drop'])
    expect(table.sets.get('addrs')!.elements).toHaveLength(2)
    expect(table.counters.get('cnt')).toEqual({ comment: 'first' })

    // The kernel, given the same script, holds the same merged objects.
    const r = spawnSync('ip', ['netns', 'exec', topo.nodeNetns, 'nft', '-f', '-'], { input: DUPLICATES, encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    const listing = await topo.exec(topo.nodeNetns, ['nft', 'list', 'table', 'inet', 'merged'])
    expect(listing).toMatch(/chain chx \{\n\t\tip saddr 10\.0\.0\.1 accept\n\t\tip saddr @addrs counter name "cnt" drop\n\t\}/)
    expect(listing).toContain('elements = { 10.0.0.1, 10.0.0.2 }')
    expect(listing).toMatch(/counter cnt \{\n\t\tcomment "first"/)
  })

  it('a second declaration with another type is an error, as in nft', () => {
    expect(() => parseNftScript('table inet t {\n\tset addrs {\n\t\ttype ipv4_addr\n\t}\n\tset addrs {\n\t\ttype ipv6_addr\n\t}\n}\n')).toThrow(NftParseError)
  })
})
