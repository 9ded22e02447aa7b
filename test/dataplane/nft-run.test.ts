import { describe, expect, it } from 'vitest'
import { parseNftScript } from '../../src/dataplane/nft-parse.js'
import { runHook, type Packet } from '../../src/dataplane/nft-run.js'
import type { CtState } from '../../src/dataplane/nft-ruleset.js'
import { parseIp } from '../../src/model/cidr.js'

/** A TCP packet (or another protocol number) between two addresses of one family. */
function packet(saddr: string, daddr: string, dport: number, extra: { l4proto?: number; ctState?: CtState; sport?: number; icmpv6Type?: number } = {}): Packet {
  const s = parseIp(saddr)!
  return {
    family: s.family,
    saddr: s.value,
    daddr: parseIp(daddr)!.value,
    l4proto: extra.l4proto ?? 6,
    sport: extra.sport ?? 40000,
    dport,
    ctState: extra.ctState ?? 'new',
    ...(extra.icmpv6Type === undefined ? {} : { icmpv6Type: extra.icmpv6Type }),
  }
}

/** One table `inet t` whose body is the given lines. */
const ruleset = (...body: string[]) => parseNftScript(`table inet t {\n${body.join('\n')}\n}\n`)

describe('runHook: base chains of the hook, in priority order', () => {
  const twoTables = parseNftScript(
    [
      'table inet late {',
      '\tchain in {',
      '\t\ttype filter hook forward priority 10; policy accept;',
      '\t\tth dport 2 drop',
      '\t\tcounter',
      '\t}',
      '}',
      'table inet early {',
      '\tchain in {',
      '\t\ttype filter hook forward priority -10; policy accept;',
      '\t\tth dport 1 drop',
      '\t\tth dport 3 accept',
      '\t\tcounter',
      '\t}',
      '\tchain out {',
      '\t\ttype filter hook output priority 0; policy drop;',
      '\t}',
      '}',
    ].join('\n'),
  )

  it('runs the lowest priority first, whatever the order of the tables', () => {
    const r = runHook(twoTables, 'forward', packet('10.0.0.1', '10.0.0.2', 9))
    expect(r.verdict).toBe('accept')
    expect(r.visited).toEqual(['in', 'in'])
    expect(r.trace.map((s) => s.table)).toEqual(['inet early', 'inet early', 'inet late', 'inet late'])
    expect(r.counters).toEqual(['in#2', 'in#1'])
  })

  it('accept ends one base chain only; drop is final', () => {
    const accepted = runHook(twoTables, 'forward', packet('10.0.0.1', '10.0.0.2', 3))
    expect(accepted.verdict).toBe('accept')
    expect(accepted.trace.map((s) => [s.table, s.rule, s.verdict])).toEqual([
      ['inet early', 1, 'accept'],
      ['inet late', 1, undefined],
      ['inet late', -1, 'accept'],
    ])
    const dropped = runHook(twoTables, 'forward', packet('10.0.0.1', '10.0.0.2', 1))
    expect(dropped.verdict).toBe('drop')
    expect(dropped.visited).toEqual(['in'])
    expect(runHook(twoTables, 'forward', packet('10.0.0.1', '10.0.0.2', 2)).verdict).toBe('drop')
  })

  it('only the chains of the hook run; a hook without base chains accepts', () => {
    expect(runHook(twoTables, 'output', packet('10.0.0.1', '10.0.0.2', 1)).verdict).toBe('drop')
    const none = runHook(twoTables, 'input', packet('10.0.0.1', '10.0.0.2', 1))
    expect(none).toMatchObject({ verdict: 'accept', trace: [], visited: [], rulesEvaluated: 0 })
  })
})

describe('runHook: jumps, gotos and returns', () => {
  const rs = ruleset(
    '\tchain base {',
    '\t\ttype filter hook forward priority 0; policy drop;',
    '\t\tth dport 1 jump returns',
    '\t\tth dport 2 jump falls',
    '\t\tth dport 3 goto falls',
    '\t\tth dport 4 return',
    '\t\tth dport { 1, 2 } accept',
    '\t}',
    '\tchain returns {',
    '\t\treturn',
    '\t\tdrop',
    '\t}',
    '\tchain falls {',
    '\t\tth dport 9 drop',
    '\t}',
  )
  const run = (dport: number) => runHook(rs, 'forward', packet('10.0.0.1', '10.0.0.2', dport))

  it('a jump comes back to the next rule of the caller, after return or after falling off the chain', () => {
    for (const dport of [1, 2]) {
      const r = run(dport)
      expect(r.verdict).toBe('accept')
      expect(r.trace.at(-1)).toMatchObject({ chain: 'base', rule: 4, verdict: 'accept' })
    }
    expect(run(1).visited).toEqual(['base', 'returns'])
    expect(run(2).visited).toEqual(['base', 'falls'])
  })

  it('falling off a goto target, or a return in the base chain, applies the base chain policy', () => {
    expect(run(3)).toMatchObject({ verdict: 'drop', visited: ['base', 'falls'] })
    expect(run(3).trace.at(-1)).toMatchObject({ chain: 'falls', rule: -1, text: 'policy drop', verdict: 'drop' })
    expect(run(4).verdict).toBe('drop')
    expect(run(5).verdict).toBe('drop')
  })

  it('counts every rule it evaluates', () => {
    // base rules 0 and 1, returns rule 0, base rules 2 to 4 (no match on 2, 3; 4 accepts)
    expect(run(1).rulesEvaluated).toBe(6)
  })
})

describe('runHook: ct state, families and set lookups', () => {
  const rs = ruleset(
    '\tset pairs {\n\t\ttype ipv4_addr . inet_proto . inet_service\n\t\tflags interval\n\t\telements = { 10.0.0.0/24 . tcp . 80-81 }\n\t}',
    '\tset seen {\n\t\ttype ipv4_addr . inet_service\n\t\tflags dynamic\n\t}',
    '\tchain deny {\n\t\tcomment "the deny tail"\n\t\tlog prefix "denied " group 7\n\t\tadd @seen { ip daddr . th dport }\n\t\tdrop\n\t}',
    '\tchain allow {\n\t\taccept\n\t}',
    '\tmap by_dst {\n\t\ttype ipv4_addr : verdict\n\t\telements = { 10.9.0.1 : goto deny, 10.9.0.2 : jump allow }\n\t}',
    '\tchain base {',
    '\t\ttype filter hook forward priority 0; policy drop;',
    '\t\tct state established,related accept',
    '\t\ticmpv6 type { nd-neighbor-solicit } accept',
    '\t\tip daddr vmap @by_dst',
    '\t\tip saddr . meta l4proto . th dport @pairs accept',
    '\t\tip6 saddr fd00::/8 accept',
    '\t}',
  )

  it('established and related connections are accepted before any policy; new ones are not', () => {
    expect(runHook(rs, 'forward', packet('192.0.2.1', '192.0.2.2', 22, { ctState: 'established' })).verdict).toBe('accept')
    expect(runHook(rs, 'forward', packet('192.0.2.1', '192.0.2.2', 22, { ctState: 'related' })).verdict).toBe('accept')
    expect(runHook(rs, 'forward', packet('192.0.2.1', '192.0.2.2', 22, { ctState: 'invalid' })).verdict).toBe('drop')
    expect(runHook(rs, 'forward', packet('192.0.2.1', '192.0.2.2', 22)).verdict).toBe('drop')
  })

  it('a concatenated lookup matches when every component is inside its interval', () => {
    expect(runHook(rs, 'forward', packet('10.0.0.200', '192.0.2.2', 81)).verdict).toBe('accept')
    expect(runHook(rs, 'forward', packet('10.0.1.1', '192.0.2.2', 81)).verdict).toBe('drop')
    expect(runHook(rs, 'forward', packet('10.0.0.200', '192.0.2.2', 82)).verdict).toBe('drop')
    expect(runHook(rs, 'forward', packet('10.0.0.200', '192.0.2.2', 81, { l4proto: 17 })).verdict).toBe('drop')
  })

  it('a verdict map dispatches on the key; the target chain logs, records the connection and drops', () => {
    const denied = runHook(rs, 'forward', packet('192.0.2.1', '10.9.0.1', 443))
    expect(denied).toMatchObject({ verdict: 'drop', visited: ['base', 'deny'], logs: [{ prefix: 'denied ', group: 7 }] })
    expect(denied.setAdds).toEqual([{ set: 'seen', key: [parseIp('10.9.0.1')!.value, 443n] }])
    expect(denied.trace.find((s) => s.chain === 'base')).toMatchObject({ text: 'ip daddr vmap @ by_dst', verdict: 'goto deny' })
    expect(runHook(rs, 'forward', packet('192.0.2.1', '10.9.0.2', 443))).toMatchObject({ verdict: 'accept', visited: ['base', 'allow'] })
    // no element for the key: the rule does not match and the chain goes on
    expect(runHook(rs, 'forward', packet('10.0.0.1', '10.9.0.3', 80))).toMatchObject({ verdict: 'accept', visited: ['base'] })
  })

  it('an address match implies its family: ip matches only IPv4, ip6 only IPv6, icmpv6 type only ICMPv6', () => {
    expect(runHook(rs, 'forward', packet('fd00::1', 'fd00::2', 80)).verdict).toBe('accept')
    expect(runHook(rs, 'forward', packet('fe80::1', 'fe80::2', 80)).verdict).toBe('drop')
    expect(runHook(rs, 'forward', packet('fe80::1', 'fe80::2', 0, { l4proto: 58, icmpv6Type: 135 })).verdict).toBe('accept')
    expect(runHook(rs, 'forward', packet('fe80::1', 'fe80::2', 0, { l4proto: 58, icmpv6Type: 128 })).verdict).toBe('drop')
  })
})

describe('runHook: named counters', () => {
  it('a rule counts in its named counter only when every match before it matched', () => {
    const rs = ruleset(
      '\tcounter hits {\n\t}',
      '\tchain base {\n\t\ttype filter hook input priority 0; policy accept;\n\t\tth dport 80 counter name "hits" accept\n\t}',
    )
    expect(runHook(rs, 'input', packet('10.0.0.1', '10.0.0.2', 80)).counters).toEqual(['hits'])
    expect(runHook(rs, 'input', packet('10.0.0.1', '10.0.0.2', 81)).counters).toEqual([])
  })
})
