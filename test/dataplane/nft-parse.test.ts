import { describe, expect, it } from 'vitest'
import { NftParseError, parseNftScript } from '../../src/dataplane/nft-parse.js'
import type { NftTable } from '../../src/dataplane/nft-ruleset.js'
import { parseIp } from '../../src/model/cidr.js'

const ip = (text: string): bigint => parseIp(text)!.value

/** The one table `inet t` of a script made of `body` lines. */
function table(...body: string[]): NftTable {
  return parseNftScript(`table inet t {\n${body.join('\n')}\n}\n`).tables.get('inet t')!
}

/** The NftParseError a script raises (fails the test when it parses). */
function parseError(script: string): NftParseError {
  try {
    parseNftScript(script)
  } catch (e) {
    if (e instanceof NftParseError) return e
    throw e
  }
  throw new Error('the script parsed')
}

describe('parseNftScript: declarations', () => {
  it('add and delete table: the delete of a table just added removes it, the block after it creates it again', () => {
    const rs = parseNftScript('add table inet t\ndelete table inet t\ntable inet t {\n}\nadd table ip other\n')
    expect([...rs.tables.keys()]).toEqual(['inet t', 'ip other'])
    expect(parseNftScript('add table inet t\ndelete table inet t\n').tables.size).toBe(0)
  })

  it('a table holds its counters (with comments), sets, maps and chains by name', () => {
    const t = table(
      '\tcounter c1 {\n\t\tcomment "allowed ingress by x/y"\n\t}',
      '\tcounter c2 {\n\t}',
      '\tset s {\n\t\ttype ipv4_addr\n\t}',
      '\tmap m {\n\t\ttype ipv4_addr : verdict\n\t}',
      '\tchain c {\n\t}',
    )
    expect(t.family).toBe('inet')
    expect(t.name).toBe('t')
    expect([...t.counters]).toEqual([
      ['c1', { comment: 'allowed ingress by x/y' }],
      ['c2', {}],
    ])
    expect(t.sets.get('s')).toMatchObject({ name: 's', types: ['ipv4_addr'], isMap: false, dynamic: false, elements: [] })
    expect(t.sets.get('m')).toMatchObject({ name: 'm', types: ['ipv4_addr'], isMap: true })
    expect(t.chains.get('c')).toEqual({ name: 'c', rules: [] })
  })

  it('a base chain carries its hook, its priority (named, with an offset, or a number) and its policy; accept by default', () => {
    const t = table(
      '\tchain a {\n\t\ttype filter hook forward priority filter; policy drop;\n\t}',
      '\tchain b {\n\t\ttype filter hook input priority filter - 5;\n\t}',
      '\tchain c {\n\t\ttype filter hook output priority -200; policy accept;\n\t}',
      '\tchain d {\n\t\ttype filter hook prerouting priority raw + 1; policy accept;\n\t}',
    )
    expect(t.chains.get('a')!.base).toEqual({ hook: 'forward', priority: 0, policy: 'drop' })
    expect(t.chains.get('b')!.base).toEqual({ hook: 'input', priority: -5, policy: 'accept' })
    expect(t.chains.get('c')!.base).toEqual({ hook: 'output', priority: -200, policy: 'accept' })
    expect(t.chains.get('d')!.base).toEqual({ hook: 'prerouting', priority: -299, policy: 'accept' })
  })

  it('a dynamic set is marked dynamic; size, timeout, counter and comment are accepted and ignored', () => {
    const t = table('\tset d {\n\t\ttype ipv4_addr . inet_service\n\t\tsize 100\n\t\tflags dynamic,timeout\n\t\ttimeout 60s\n\t\tcounter\n\t\tcomment "x"\n\t}')
    expect(t.sets.get('d')).toMatchObject({ types: ['ipv4_addr', 'inet_service'], dynamic: true, elements: [] })
  })

  it('rules keep their line and their text; comments, `#` remarks and blank lines are not rules', () => {
    const t = table('\tchain c {', '\t\tcomment "who"', '', '\t\t# a remark', '\t\tip saddr 10.0.0.1 counter accept', '\t\tdrop', '\t}')
    expect(t.chains.get('c')!.rules.map((r) => [r.line, r.text])).toEqual([
      [6, 'ip saddr 10.0.0.1 counter accept'],
      [7, 'drop'],
    ])
  })

  it('statements: matches (negated, braced and comma lists), lookups, vmaps, dynamic set adds, counters, log, limit, verdicts', () => {
    const t = table(
      '\tset s {\n\t\ttype ipv4_addr . inet_service\n\t}',
      '\tmap m {\n\t\ttype ipv6_addr : verdict\n\t}',
      '\tcounter n {\n\t}',
      '\tchain x {\n\t}',
      '\tchain c {',
      '\t\tct state established,related accept',
      '\t\tmeta l4proto != { tcp, udp } th dport 80-90 drop',
      '\t\tip saddr . th dport @s jump x',
      '\t\tip6 daddr vmap @m',
      '\t\tct state new limit rate 10/second burst 20 packets log prefix "deny: " group 100',
      '\t\tadd @s { ip daddr . th sport } counter name "n" goto x',
      '\t\tcounter return',
      '\t}',
    )
    expect(t.chains.get('c')!.rules.map((r) => r.statements)).toEqual([
      [
        { kind: 'match', fields: ['ct state'], negate: false, values: [[{ lo: 1n, hi: 1n }], [{ lo: 2n, hi: 2n }]] },
        { kind: 'verdict', verdict: 'accept' },
      ],
      [
        { kind: 'match', fields: ['meta l4proto'], negate: true, values: [[{ lo: 6n, hi: 6n }], [{ lo: 17n, hi: 17n }]] },
        { kind: 'match', fields: ['th dport'], negate: false, values: [[{ lo: 80n, hi: 90n }]] },
        { kind: 'verdict', verdict: 'drop' },
      ],
      [
        { kind: 'lookup', fields: ['ip saddr', 'th dport'], set: 's' },
        { kind: 'verdict', verdict: 'jump', chain: 'x' },
      ],
      [{ kind: 'vmap', fields: ['ip6 daddr'], map: 'm' }],
      [
        { kind: 'match', fields: ['ct state'], negate: false, values: [[{ lo: 0n, hi: 0n }]] },
        { kind: 'limit' },
        { kind: 'log', prefix: 'deny: ', group: 100 },
      ],
      [
        { kind: 'dynset', set: 's', fields: ['ip daddr', 'th sport'] },
        { kind: 'counter', name: 'n' },
        { kind: 'verdict', verdict: 'goto', chain: 'x' },
      ],
      [{ kind: 'counter' }, { kind: 'verdict', verdict: 'return' }],
    ])
  })
})

describe('parseNftScript: set elements', () => {
  it('addresses and prefixes become inclusive intervals (IPv4 and IPv6)', () => {
    const t = table(
      '\tset a {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 10.0.0.1, 10.1.0.0/16 }\n\t}',
      '\tset b {\n\t\ttype ipv6_addr\n\t\tflags interval\n\t\telements = { fd00::/64 }\n\t}',
    )
    expect(t.sets.get('a')!.elements).toEqual([
      { key: [{ lo: ip('10.0.0.1'), hi: ip('10.0.0.1') }] },
      { key: [{ lo: ip('10.1.0.0'), hi: ip('10.1.255.255') }] },
    ])
    expect(t.sets.get('b')!.elements).toEqual([{ key: [{ lo: ip('fd00::'), hi: ip('fd00::ffff:ffff:ffff:ffff') }] }])
  })

  it('ranges a-b of ports and addresses, protocols by name or number', () => {
    const t = table(
      '\tset p {\n\t\ttype inet_service\n\t\tflags interval\n\t\telements = { 80, 8000-8080 }\n\t}',
      '\tset r {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 10.0.0.5-10.0.0.9 }\n\t}',
      '\tset l {\n\t\ttype inet_proto\n\t\telements = { tcp, udp, sctp, ipv6-icmp, 200 }\n\t}',
    )
    expect(t.sets.get('p')!.elements.map((e) => e.key)).toEqual([[{ lo: 80n, hi: 80n }], [{ lo: 8000n, hi: 8080n }]])
    expect(t.sets.get('r')!.elements.map((e) => e.key)).toEqual([[{ lo: ip('10.0.0.5'), hi: ip('10.0.0.9') }]])
    expect(t.sets.get('l')!.elements.map((e) => e.key[0].lo)).toEqual([6n, 17n, 132n, 58n, 200n])
  })

  it('concatenations: one interval per component, in the order of the type', () => {
    const t = table(
      '\tset c {\n\t\ttype ipv4_addr . inet_proto . inet_service\n\t\tflags interval\n\t\telements = { 10.0.0.0/24 . tcp . ' +
        '80-81,\n\t\t\t10.0.1.1 . udp . 53 }\n\t}',
    )
    expect(t.sets.get('c')!.elements.map((e) => e.key)).toEqual([
      [
        { lo: ip('10.0.0.0'), hi: ip('10.0.0.255') },
        { lo: 6n, hi: 6n },
        { lo: 80n, hi: 81n },
      ],
      [
        { lo: ip('10.0.1.1'), hi: ip('10.0.1.1') },
        { lo: 17n, hi: 17n },
        { lo: 53n, hi: 53n },
      ],
    ])
  })

  it('verdict maps: each element carries its jump or goto target', () => {
    const t = table(
      '\tchain a {\n\t}',
      '\tchain b {\n\t}',
      '\tmap m {\n\t\ttype ipv4_addr : verdict\n\t\telements = { 10.0.0.1 : goto a, 10.0.0.2 : jump b }\n\t}',
    )
    expect(t.sets.get('m')!.elements).toEqual([
      { key: [{ lo: ip('10.0.0.1'), hi: ip('10.0.0.1') }], verdict: { kind: 'goto', chain: 'a' } },
      { key: [{ lo: ip('10.0.0.2'), hi: ip('10.0.0.2') }], verdict: { kind: 'jump', chain: 'b' } },
    ])
  })
})

describe('parseNftScript: a name declared twice is one object, merged as nft merges it', () => {
  it('chains append rules (a later block may add the hook), sets add elements, a counter keeps its first comment', () => {
    const t = table(
      '\tcounter n {\n\t\tcomment "first"\n\t}',
      '\tcounter n {\n\t\tcomment "second"\n\t}',
      '\tset s {\n\t\ttype inet_service\n\t\telements = { 1 }\n\t}',
      '\tset s {\n\t\ttype inet_service\n\t\telements = { 2 }\n\t}',
      '\tchain c {\n\t\tth dport 1 accept\n\t}',
      '\tchain c {\n\t\ttype filter hook input priority 0; policy drop;\n\t\tth dport 2 accept\n\t}',
    )
    expect(t.counters.get('n')).toEqual({ comment: 'first' })
    expect(t.sets.get('s')!.elements.map((e) => e.key[0].lo)).toEqual([1n, 2n])
    expect(t.chains.get('c')!.rules.map((r) => r.text)).toEqual(['th dport 1 accept', 'th dport 2 accept'])
    expect(t.chains.get('c')!.base).toEqual({ hook: 'input', priority: 0, policy: 'drop' })
  })

  it('the same table in two blocks is one table', () => {
    const rs = parseNftScript('table inet t {\n\tchain a {\n\t}\n}\ntable inet t {\n\tchain b {\n\t}\n}\n')
    expect([...rs.tables.get('inet t')!.chains.keys()]).toEqual(['a', 'b'])
  })

  it('a second declaration of another kind of set or another hook is refused, at its line', () => {
    expect(parseError('table inet t {\n\tset s {\n\t\ttype ipv4_addr\n\t}\n\tmap s {\n\t\ttype ipv4_addr : verdict\n\t}\n}\n').line).toBe(5)
    const e = parseError(
      'table inet t {\n\tchain c {\n\t\ttype filter hook input priority 0;\n\t}\n\tchain c {\n\t\ttype filter hook forward priority 0;\n\t}\n}\n',
    )
    expect(e.line).toBe(5)
    expect(e.message).toBe('line 5: chain c declared again with a different hook, priority or policy')
  })
})

describe('parseNftScript: anything outside the subset is an error naming its line', () => {
  const cases: readonly (readonly [string, string, number, RegExp])[] = [
    ['unknown command', 'flush ruleset\n', 1, /unsupported command 'flush ruleset'/],
    ['delete of a missing table', 'add table inet a\n\ndelete table inet b\n', 3, /No such file or directory: table inet b/],
    ['unknown statement', 'table inet t {\n\tchain c {\n\t\tmasquerade\n\t}\n}\n', 3, /unsupported statement 'masquerade'/],
    ['unknown expression', 'table inet t {\n\tchain c {\n\t\ttcp flags syn accept\n\t}\n}\n', 3, /unsupported statement 'tcp'/],
    ['bad port', 'table inet t {\n\tchain c {\n\n\t\tth dport 70000 accept\n\t}\n}\n', 4, /bad port 70000/],
    ['address of the other family', 'table inet t {\n\tchain c {\n\t\tip saddr fd00::1 accept\n\t}\n}\n', 3, /bad ipv4_addr fd00::1/],
    [
      'element of the wrong arity',
      'table inet t {\n\tset s {\n\t\ttype ipv4_addr . inet_service\n\t\telements = { 10.0.0.1 }\n\t}\n}\n',
      4,
      /does not fit type ipv4_addr \. inet_service/,
    ],
    ['a map of data, not verdicts', 'table inet t {\n\tmap m {\n\t\ttype ipv4_addr : ipv4_addr\n\t}\n}\n', 3, /only verdict maps are supported/],
    ['a set without a type', 'table inet t {\n\tset s {\n\t\tflags interval\n\t}\n}\n', 4, /set s has no type/],
    ['a missing set', 'table inet t {\n\tchain c {\n\t\tip saddr @nope accept\n\t}\n}\n', 3, /set 'nope' does not exist/],
    [
      'a key of other types than the set',
      'table inet t {\n\tset s {\n\t\ttype inet_service\n\t}\n\tchain c {\n\t\tip saddr @s accept\n\t}\n}\n',
      6,
      /datatype mismatch: ipv4_addr vs set s inet_service/,
    ],
    ['a missing chain', 'table inet t {\n\tchain c {\n\t\tjump nowhere\n\t}\n}\n', 3, /chain 'nowhere' does not exist/],
    [
      'a map entry to a missing chain',
      'table inet t {\n\tmap m {\n\t\ttype ipv4_addr : verdict\n\t\telements = { 10.0.0.1 : goto gone }\n\t}\n\tchain c {\n\t\tip daddr vmap @m\n\t}\n}\n',
      7,
      /chain 'gone' does not exist/,
    ],
    ['a missing named counter', 'table inet t {\n\tchain c {\n\t\tcounter name "n" accept\n\t}\n}\n', 3, /counter 'n' does not exist/],
    ['an unterminated string', 'table inet t {\n\tchain c {\n\t\tlog prefix "x\n\t}\n}\n', 3, /unterminated string/],
    ['an unclosed table', 'table inet t {\n\tchain c {\n\t}\n', 3, /unexpected end of script/],
  ]
  for (const [what, script, line, message] of cases) {
    it(what, () => {
      const e = parseError(script)
      expect(e.line).toBe(line)
      expect(e.message).toMatch(new RegExp(`^line ${line}: `))
      expect(e.message).toMatch(message)
    })
  }
})
