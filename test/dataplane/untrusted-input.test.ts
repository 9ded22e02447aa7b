import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTopology, type Topology } from '../../testing/dataplane-topology.js'
import { compileRuleset } from '../../src/dataplane/compile-ruleset.js'
import { applyRuleset, carriedElements, deleteTable, NftError, readCounters, runNft, tableExists } from '../../src/dataplane/nft.js'
import { isNftName } from '../../src/dataplane/nft-names.js'
import { parseNftScript } from '../../src/dataplane/nft-interpreter.js'
import { simulateConnection } from '../../src/dataplane/simulate-connection.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import type { Traffic } from '../../src/engine/verdict.js'
import { InputError } from '../../src/model/diagnostic.js'
import type { ClusterState, NetworkPolicy, NetworkPolicyPort, Pod } from '../../src/model/types.js'

// The compiler is the last step before the kernel. The loader and the agent validate objects,
// but the compiler does not rely on it: these states are built directly, as unvalidated data
// from an API server or a state file could look.

const src = { file: 'cluster.yaml', line: 7 }
const HOSTILE_NS = 'ns"; flush ruleset; #'
const HOSTILE_NODE = 'n1"\nadd table ip evil\n#'

function pod(name: string, app: string, ip: string, extra: Partial<Pod> = {}): Pod {
  return { namespace: HOSTILE_NS, name, labels: { app }, ips: [ip], containerPorts: [], hostNetwork: false, nodeName: HOSTILE_NODE, source: src, ...extra }
}

function policy(name: string, target: string, from: string, ports: NetworkPolicyPort[] = [{ protocol: 'TCP', port: 80, source: src }]): NetworkPolicy {
  return {
    namespace: HOSTILE_NS,
    name,
    podSelector: { matchLabels: { app: target }, matchExpressions: [] },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: { matchLabels: { app: from }, matchExpressions: [] }, source: src }], ports, source: src }],
    egress: [],
    source: src,
  }
}

/** Names with quotes, newlines, semicolons, braces and `#`: each would end a string, a line or a statement in nft. */
function hostileState(): ClusterState {
  const namedPort = 'h"t;tp\n}'
  return {
    namespaces: [],
    pods: [
      pod('client\n}\ntable ip evil { chain c { type filter hook input priority 0; policy drop; } }', 'client', '10.250.0.2'),
      pod('server"; delete table inet netpol; "', 'server', '10.250.1.2', { containerPorts: [{ name: namedPort, containerPort: 8080, protocol: 'TCP' }] }),
      pod('other\\"\r\u0000\u001b[31m', 'other', '10.250.2.2'),
    ],
    policies: [
      policy('p"\\;\r\ndelete table inet netpol', 'server', 'client', [{ protocol: 'TCP', port: namedPort, source: src }]),
      policy('q}\n\tchain ingress { type filter hook forward priority -500; policy accept; }\n#', 'other', 'client'),
    ],
  }
}

/** What compiling `state` for the hostile node throws (undefined when it compiles). */
function compileError(state: ClusterState): unknown {
  try {
    compileRuleset(state, { nodeName: HOSTILE_NODE })
  } catch (e) {
    return e
  }
  return undefined
}

function traffic(state: ClusterState, from: number, to: number, port: number): Traffic {
  return { from: { kind: 'pod', pod: state.pods[from] }, to: { kind: 'pod', pod: state.pods[to] }, port, protocol: 'TCP' }
}

describe('text from objects never becomes nft syntax', () => {
  it('names with quotes, newlines and semicolons stay inside names, comments and log prefixes', () => {
    const state = hostileState()
    const script = compileRuleset(state, { nodeName: HOSTILE_NODE }).script
    const lines = script.trimEnd().split('\n')
    // Structure: comments, the three commands, then only the table's own (indented) lines, then `}`.
    expect(lines.slice(0, 5)).toEqual([
      expect.stringMatching(/^# netpol ruleset for node "n1\?\?add table ip evil\?#": /),
      expect.stringMatching(/^# /),
      'add table inet netpol',
      'delete table inet netpol',
      'table inet netpol {',
    ])
    expect(lines[lines.length - 1]).toBe('}')
    for (const line of lines.slice(5, -1)) expect(line).toMatch(/^\t/)
    // Only printable ASCII, quotes only in pairs around strings.
    expect(script).toMatch(/^[\x20-\x7e\t\n]*$/)
    for (const line of lines) expect((line.match(/"/g) ?? []).length % 2).toBe(0)
    for (const m of script.matchAll(/^\t(?:chain|set|map|counter) (\S+) \{$/gm)) expect(isNftName(m[1]), m[1]).toBe(true)
    expect(script).toContain('log prefix "netpol deny ingress ns?; flush ruleset; #/server?; delete table inet netpol; ?: "')

    const rs = parseNftScript(script)
    expect([...rs.tables.keys()]).toEqual(['inet netpol'])
    const engine = referenceEvaluator(state)
    const rulesets = new Map([[HOSTILE_NODE, rs]])
    const cases = [traffic(state, 0, 1, 8080), traffic(state, 0, 1, 80), traffic(state, 0, 2, 80), traffic(state, 1, 2, 80), traffic(state, 2, 1, 8080)]
    expect(cases.map((t) => simulateConnection(rulesets, t).allowed)).toEqual(cases.map((t) => engine.isAllowed(t)))
    expect(cases.map((t) => engine.isAllowed(t))).toEqual([true, false, true, false, false])
  })

  it('two objects with the same namespace/name (never from a real API server) stay two policies', () => {
    const base = hostileState()
    // Both named "dup": one lets client reach server, the other lets only other reach other.
    const state: ClusterState = { ...base, policies: [policy('dup', 'server', 'client'), policy('dup', 'other', 'other')] }
    const script = compileRuleset(state, { nodeName: HOSTILE_NODE }).script
    const rulesets = new Map([[HOSTILE_NODE, parseNftScript(script)]])
    const engine = referenceEvaluator(state)
    const cases = [traffic(state, 0, 1, 80), traffic(state, 2, 1, 80), traffic(state, 0, 2, 80), traffic(state, 1, 2, 80)]
    expect(cases.map((t) => simulateConnection(rulesets, t).allowed)).toEqual(cases.map((t) => engine.isAllowed(t)))
    expect(cases.map((t) => engine.isAllowed(t))).toEqual([true, false, false, false])
    expect(compileRuleset(state, { nodeName: HOSTILE_NODE }).index.allowCounters).toHaveLength(2)
  })

  it('a port that is not an integer in 1..65535 is refused with the object and the field, not written as nft text', () => {
    for (const bad of [Number.NaN, 1e21, -1, 65536, 80.5]) {
      const state: ClusterState = { ...hostileState(), policies: [policy('p', 'server', 'client', [{ protocol: 'TCP', port: bad, source: src }])] }
      const error = compileError(state)
      expect(error, String(bad)).toBeInstanceOf(InputError)
      expect((error as InputError).message).toContain(
        `cluster.yaml:7: NetworkPolicy "${JSON.stringify(`${HOSTILE_NS}/p`).slice(1, -1)}" is invalid: spec.ingress[0].ports[0].port: Invalid value`,
      )
    }
    const endPort: ClusterState = {
      ...hostileState(),
      policies: [policy('p', 'server', 'client', [{ protocol: 'TCP', port: 80, endPort: Number.POSITIVE_INFINITY, source: src }])],
    }
    expect(() => compileRuleset(endPort, { nodeName: HOSTILE_NODE }).script).toThrow(/spec\.ingress\[0\]\.ports\[0\]\.endPort: Invalid value/)
    const proto: ClusterState = {
      ...hostileState(),
      policies: [policy('p', 'server', 'client', [{ protocol: 'constructor' as 'TCP', port: 80, source: src }])],
    }
    expect(() => compileRuleset(proto, { nodeName: HOSTILE_NODE }).script).toThrow(/spec\.ingress\[0\]\.ports\[0\]\.protocol: Unsupported value: "constructor"/)
  })

  it('an ipBlock whose except does not parse is refused: skipping it would open its hole', () => {
    const state = hostileState()
    const withExcept = (except: string[]): ClusterState => ({
      ...state,
      policies: [
        { ...policy('p', 'server', 'client'), ingress: [{ from: [{ ipBlock: { cidr: '10.250.0.0/16', except }, source: src }], ports: [], source: src }] },
      ],
    })
    // The valid form: client (10.250.0.2) is inside the hole, so it is denied.
    const rulesets = new Map([[HOSTILE_NODE, parseNftScript(compileRuleset(withExcept(['10.250.0.0/24']), { nodeName: HOSTILE_NODE }).script)]])
    expect(simulateConnection(rulesets, traffic(state, 0, 1, 80)).allowed).toBe(false)
    for (const bad of ['10.250.0.0/33', '10.250.0.0', 'fd00::/64']) {
      expect(() => compileRuleset(withExcept([bad]), { nodeName: HOSTILE_NODE }).script, bad).toThrow(
        /spec\.ingress\[0\]\.from\[0\]\.ipBlock\.except\[0\]: Invalid value/,
      )
    }
    const badCidr: ClusterState = {
      ...state,
      policies: [
        { ...policy('p', 'server', 'client'), ingress: [{ from: [{ ipBlock: { cidr: '10.250.0.0/99', except: [] }, source: src }], ports: [], source: src }] },
      ],
    }
    expect(() => compileRuleset(badCidr, { nodeName: HOSTILE_NODE }).script).toThrow(InputError)
  })

  it('every policy is checked before the engine reads the state, also one selecting no pod of this node; every problem at once', () => {
    const elsewhere = policy('far', 'nobody-here', 'client', [{ protocol: 'ICMP' as 'TCP', port: 70000, source: src }])
    const brokenBlock: NetworkPolicy = {
      ...policy('hole', 'server', 'client'),
      ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: '10.1.0.0/16' as unknown as string[] }, source: src }], ports: [], source: src }],
    }
    const state: ClusterState = { ...hostileState(), policies: [...hostileState().policies, elsewhere, brokenBlock] }
    const error = compileError(state)
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).diagnostics.map((d) => d.field)).toEqual([
      'spec.ingress[0].ports[0].protocol',
      'spec.ingress[0].ports[0].port',
      'spec.ingress[0].from[0].ipBlock.except',
    ])
  })

  it('the table name and the numeric options must be plain words and integers', () => {
    const state = hostileState()
    for (const tableName of ['netpol; flush ruleset', 'net pol', 'x\n', '9x', '-x', '', 'x'.repeat(65)]) {
      expect(() => compileRuleset(state, { nodeName: HOSTILE_NODE, tableName }).script, tableName).toThrow(RangeError)
    }
    expect(() => compileRuleset(state, { nodeName: HOSTILE_NODE, logGroup: Number.NaN }).script).toThrow(/logGroup "NaN"/)
    expect(() => compileRuleset(state, { nodeName: HOSTILE_NODE, denyLogTimeoutSeconds: 0.5 }).script).toThrow(RangeError)
    expect(() => compileRuleset(state, { nodeName: HOSTILE_NODE, denyLogSize: -1 }).script).toThrow(RangeError)
    expect(compileRuleset(state, { nodeName: HOSTILE_NODE, tableName: 'netpol_test-1' }).script).toContain('table inet netpol_test-1 {')
  })

  it('the nft runner refuses table and namespace names that nft or ip would read as more than a name', async () => {
    for (const tableName of ['netpol; flush ruleset', 'a b']) {
      await expect(tableExists({ tableName })).rejects.toThrow(NftError)
      await expect(readCounters({ tableName })).rejects.toThrow(/invalid nft table name/)
      await expect(deleteTable({ tableName })).rejects.toThrow(NftError)
    }
    for (const netns of ['../../proc/1/ns/net', '-all', 'a b', '..', '']) {
      await expect(runNft(['list', 'tables'], { netns }), netns).rejects.toThrow(/invalid network namespace name/)
    }
  })

  it('deny-log records are carried into the next script only in the exact shape nft lists them', () => {
    const listing = `table inet netpol {
\tset denied_in_v4 {
\t\ttype ipv4_addr . ipv4_addr . inet_proto . inet_service . inet_service
\t\ttimeout 1h
\t\telements = { 10.0.0.1 . 10.0.0.2 . tcp . 40000 . 80 counter packets 3 bytes 180 expires 59m50s,
\t\t\t     fd00::1 . fd00::2 . udp . 5 . 53 expires 10s500ms,
\t\t\t     10.0.0.1 . 10.0.0.2 . tcp . 1 . 2 expires 1s; flush ruleset }
\t}
}
`
    expect(carriedElements(listing)).toEqual([
      '10.0.0.1 . 10.0.0.2 . tcp . 40000 . 80 counter packets 3 bytes 180 timeout 1h expires 59m50s',
      'fd00::1 . fd00::2 . udp . 5 . 53 timeout 1h expires 10s500ms',
    ])
  })
})

describe('hostile names through the kernel', () => {
  let topo: Topology

  beforeAll(async () => {
    topo = await createTopology([])
  })

  afterAll(async () => {
    await topo?.destroy()
  })

  it("nft accepts the script as it is, and the kernel holds only netpol's table with plain names", async () => {
    const netns = topo.nodeNetns
    const script = compileRuleset(hostileState(), { nodeName: HOSTILE_NODE }).script
    await applyRuleset(script, { netns, check: true })
    await applyRuleset(script, { netns })
    expect((await topo.exec(netns, ['nft', 'list', 'tables'])).trim().split('\n')).toEqual(['table inet netpol'])
    const listing = await topo.exec(netns, ['nft', 'list', 'table', 'inet', 'netpol'])
    const chains = [...listing.matchAll(/^\tchain (\S+) \{$/gm)].map((m) => m[1])
    expect(chains.length).toBeGreaterThan(5)
    for (const c of chains) expect(isNftName(c), c).toBe(true)
    // Exactly the base chains the compiler writes: none was added by a name.
    expect(listing.match(/^\t\ttype filter hook/gm)).toHaveLength(3)
  })

  it('nft runs without a shell: shell syntax in an argument stays one literal argument', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpol-noshell-'))
    try {
      const marker = join(dir, 'ran')
      const r = await runNft(['list', 'table', 'inet', `x; touch ${marker}`, `$(touch ${marker})`, `\`touch ${marker}\``], { netns: topo.nodeNetns })
      expect(r.code).not.toBe(0)
      expect(existsSync(marker)).toBe(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
