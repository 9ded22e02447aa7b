import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { IPv4, IPv6, IPv4CidrRange, IPv6CidrRange } from 'ip-num'
import {
  cidrContains,
  cidrContainsIp,
  cidrRange,
  formatIp,
  ipBlockRanges,
  parseCidr,
  parseIp,
  rangeToCidrs,
  rangesContainIp,
  type Cidr,
  type IpAddress,
} from '../../src/model/cidr.js'

const v4 = fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }).map((value): IpAddress => ({ family: 4, value }))
const v6 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((value): IpAddress => ({ family: 6, value }))

function mustCidr(text: string): Cidr {
  const r = parseCidr(text)
  if (!r.ok) throw new Error(r.error)
  return r.cidr
}

describe('parseIp is as strict as Go netip.ParseAddr', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['0001:0db8::0001', '1:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
  ])('accepts %s (canonical %s)', (text, canonical) => {
    const ip = parseIp(text)
    expect(ip).toBeDefined()
    expect(formatIp(ip!)).toBe(canonical)
  })

  it.each([
    '',
    '01.2.3.4',
    '1.2.3.04',
    '00.0.0.0',
    '0x1.2.3.4',
    '1.2.3',
    '10.1',
    '1.2.3.4.5',
    '1.2.3.256',
    '1..2.3',
    '.1.2.3',
    '1.2.3.',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1:2:3:4:5:6:7:8::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1::2::3',
    '12345::',
    ':1::',
    '1:',
    '::ffff:01.2.3.4',
    '1:2:3:4:5:1.2.3.4',
    '1.2.3.4::',
    'fe80::1%eth0',
    'g::',
    '1.2.3.4/32',
  ])('rejects %j', (text) => {
    expect(parseIp(text)).toBeUndefined()
  })

  it('round-trips every IPv4 address and prints it like ip-num', () => {
    fc.assert(
      fc.property(v4, (ip) => {
        const text = formatIp(ip)
        expect(text).toBe(IPv4.fromNumber(ip.value).toString())
        expect(parseIp(text)).toEqual(ip)
      }),
    )
  })

  it('round-trips every IPv6 address and agrees with ip-num on its value', () => {
    fc.assert(
      fc.property(v6, (ip) => {
        const text = formatIp(ip)
        expect(parseIp(text)).toEqual(ip)
        expect(IPv6.fromString(text).value).toBe(ip.value)
        expect(parseIp(IPv6.fromBigInt(ip.value).toString())).toEqual(ip)
      }),
    )
  })

  it('accepts any fully written IPv6 (1-4 hex digits per group, either case)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 3 }), fc.boolean()), { minLength: 8, maxLength: 8 }),
        (groups) => {
          const text = groups
            .map(([g, pad, upper]) => {
              const h = g.toString(16).padStart(Math.min(4, g.toString(16).length + pad), '0')
              return upper ? h.toUpperCase() : h
            })
            .join(':')
          const expected = groups.reduce((acc, [g]) => (acc << 16n) | BigInt(g), 0n)
          expect(parseIp(text)).toEqual({ family: 6, value: expected })
        },
      ),
    )
  })

  it('rejects an IPv4 octet with a leading zero anywhere', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 3 }), (octets, at) => {
        const parts = octets.map(String)
        parts[at] = `0${parts[at]}`
        expect(parseIp(parts.join('.'))).toBeUndefined()
        expect(parseIp(`::ffff:${parts.join('.')}`)).toBeUndefined()
      }),
    )
  })
})

describe('parseCidr is as strict as Go netip.ParsePrefix', () => {
  it('masks host bits and keeps the family of IPv4-mapped IPv6', () => {
    expect(mustCidr('10.1.2.3/8')).toEqual({ family: 4, base: 10n << 24n, prefix: 8 })
    expect(mustCidr('::ffff:1.2.3.4/104')).toEqual({ family: 6, base: 0xffff01000000n, prefix: 104 })
    expect(mustCidr('0.0.0.0/0')).toEqual({ family: 4, base: 0n, prefix: 0 })
    expect(mustCidr('::/0')).toEqual({ family: 6, base: 0n, prefix: 0 })
    expect(mustCidr('2001:db8::/128').prefix).toBe(128)
  })

  it.each([
    '10.0.0.0',
    '10.0.0.0/',
    '10.0.0.0/08',
    '10.0.0.0/+8',
    '10.0.0.0/-1',
    '10.0.0.0/33',
    '::/129',
    '010.0.0.0/8',
    'fe80::%eth0/64',
    '10.0.0.0/8/8',
    '10.0.0.0/ 8',
    'a/8',
  ])('rejects %j', (text) => {
    const r = parseCidr(text)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error).toContain(text)
  })

  it('agrees with ip-num on containment of IPv4 prefixes', () => {
    const arb = fc.tuple(v4, fc.integer({ min: 0, max: 32 }))
    fc.assert(
      fc.property(arb, arb, ([a, pa], [b, pb]) => {
        const outer = mustCidr(`${formatIp(a)}/${pa}`)
        const inner = mustCidr(`${formatIp(b)}/${pb}`)
        const oracle = IPv4CidrRange.fromCidr(`${formatIp({ family: 4, value: outer.base })}/${pa}`)
        const innerOracle = IPv4CidrRange.fromCidr(`${formatIp({ family: 4, value: inner.base })}/${pb}`)
        expect(cidrContains(outer, inner)).toBe(oracle.contains(innerOracle))
        expect(cidrContainsIp(outer, b)).toBe(oracle.contains(IPv4CidrRange.fromCidr(`${formatIp(b)}/32`)))
      }),
    )
  })

  it('agrees with ip-num on containment of IPv6 prefixes', () => {
    const arb = fc.tuple(v6, fc.integer({ min: 0, max: 128 }))
    fc.assert(
      fc.property(arb, v6, ([a, pa], b) => {
        const outer = mustCidr(`${formatIp(a)}/${pa}`)
        const oracle = IPv6CidrRange.fromCidr(`${IPv6.fromBigInt(outer.base).toString()}/${pa}`)
        expect(cidrContainsIp(outer, b)).toBe(oracle.contains(IPv6CidrRange.fromCidr(`${IPv6.fromBigInt(b.value).toString()}/128`)))
        expect(cidrContainsIp(outer, a)).toBe(true)
      }),
    )
  })

  it('never matches across families', () => {
    expect(cidrContainsIp(mustCidr('::/0'), parseIp('1.2.3.4')!)).toBe(false)
    expect(cidrContainsIp(mustCidr('0.0.0.0/0'), parseIp('::ffff:1.2.3.4')!)).toBe(false)
    expect(cidrContains(mustCidr('::/0'), mustCidr('1.2.3.4/32'))).toBe(false)
  })
})

describe('ipBlockRanges and rangeToCidrs', () => {
  // Small prefixes inside 10.0.0.0/16 so excepts overlap the cidr and each other often.
  const smallCidr = fc
    .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 16, max: 32 }))
    .map(([host, p]) => `${formatIp({ family: 4, value: (10n << 24n) | BigInt(host) })}/${p}`)

  it('matches exactly the addresses in cidr and in no except', () => {
    fc.assert(
      fc.property(
        smallCidr,
        fc.array(smallCidr, { maxLength: 5 }),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 20 }),
        (cidr, except, hosts) => {
          const ranges = ipBlockRanges({ cidr, except })
          for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.start).toBeGreaterThan(ranges[i - 1]!.end + 1n)
          for (const h of hosts) {
            const ip: IpAddress = { family: 4, value: (10n << 24n) | BigInt(h) }
            const expected = cidrContainsIp(mustCidr(cidr), ip) && !except.some((e) => cidrContainsIp(mustCidr(e), ip))
            expect(rangesContainIp(ranges, ip)).toBe(expected)
          }
        },
      ),
    )
  })

  it('computes 0.0.0.0/0 except the metadata address as two ranges', () => {
    const ranges = ipBlockRanges({ cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] })
    expect(ranges.length).toBe(2)
    expect(rangesContainIp(ranges, parseIp('169.254.169.254')!)).toBe(false)
    expect(rangesContainIp(ranges, parseIp('169.254.169.253')!)).toBe(true)
    expect(rangeToCidrs(ranges[1]!)[0]).toBe('169.254.169.255/32')
  })

  it('handles IPv6 with except', () => {
    const ranges = ipBlockRanges({ cidr: 'fd00::/8', except: ['fd00:1::/32'] })
    expect(rangesContainIp(ranges, parseIp('fd00:1::5')!)).toBe(false)
    expect(rangesContainIp(ranges, parseIp('fd00:2::5')!)).toBe(true)
    expect(rangesContainIp(ranges, parseIp('10.0.0.1')!)).toBe(false)
  })

  it('covers a range with the fewest aligned CIDRs', () => {
    const fam = fc.constantFrom<4 | 6>(4, 6)
    fc.assert(
      fc.property(fam, fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), fc.bigInt({ min: 0n, max: 1n << 20n }), (family, s, len) => {
        const bits = family === 4 ? 32n : 128n
        const max = (1n << bits) - 1n
        const start = s
        const end = start + len > max ? max : start + len
        const cidrs = rangeToCidrs({ family, start, end }).map(mustCidr)
        let next = start
        for (const c of cidrs) {
          const r = cidrRange(c)
          expect(r.start).toBe(next)
          next = r.end + 1n
        }
        expect(next).toBe(end + 1n)
        // Minimal: no two neighbours form one aligned prefix.
        for (let i = 1; i < cidrs.length; i++) {
          const a = cidrs[i - 1]!
          const b = cidrs[i]!
          if (a.prefix === b.prefix && a.prefix > 0) {
            const parent = mustCidr(`${formatIp({ family, value: a.base })}/${a.prefix - 1}`)
            expect(parent.base === a.base && cidrContains(parent, b)).toBe(false)
          }
        }
      }),
    )
    expect(rangeToCidrs({ family: 4, start: 0n, end: (1n << 32n) - 1n })).toEqual(['0.0.0.0/0'])
    expect(rangeToCidrs({ family: 6, start: 0n, end: (1n << 128n) - 1n })).toEqual(['::/0'])
  })
})
