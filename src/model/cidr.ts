/**
 * @module IP addresses, CIDR prefixes and address ranges on bigint, parsed strictly.
 *
 * Parsing mirrors Go's `net/netip` `ParseAddr`/`ParsePrefix`, which the API server uses for
 * strict IP/CIDR validation: IPv4 is exactly four decimal octets without leading zeros (no hex,
 * no octal, no short forms like `10.1`); IPv6 groups are 1-4 hex digits with at most one `::`
 * that must stand for at least one zero group, and may end in an embedded dotted IPv4 (so
 * IPv4-mapped `::ffff:1.2.3.4` is accepted, and stays an IPv6 address as in Go); the prefix
 * length is decimal without sign or leading zeros and within 0..32 / 0..128. Zones (`%eth0`) are
 * refused: neither pod IPs nor CIDRs may carry one.
 *
 * As in Go, an IPv4 address never matches an IPv6 prefix and an IPv4-mapped IPv6 address never
 * matches an IPv4 prefix: the families are kept apart everywhere.
 */
import type { IPBlock } from './types.js'

export type IpFamily = 4 | 6

export interface IpAddress {
  readonly family: IpFamily
  readonly value: bigint
}

/** A prefix; `base` has every bit beyond `prefix` cleared (host bits written in the text are dropped, like Go's `Prefix.Masked`). */
export interface Cidr {
  readonly family: IpFamily
  readonly base: bigint
  readonly prefix: number
}

/** Inclusive address range of one family. */
export interface IpRange {
  readonly family: IpFamily
  readonly start: bigint
  readonly end: bigint
}

export function familyBits(family: IpFamily): number {
  return family === 4 ? 32 : 128
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}

/** Dotted quad, Go's parseIPv4Fields: four fields, each 0-255, no leading zero, nothing else. */
function parseIPv4Text(s: string): bigint | undefined {
  const n = parseIPv4Number(s)
  return n === undefined ? undefined : BigInt(n)
}

/**
 * A dotted-quad IPv4 address as a plain number (0 to 2^32-1), as strictly as `parseIp`; for hot
 * paths that would otherwise create a bigint per address.
 */
export function parseIPv4Number(s: string): number | undefined {
  let value = 0
  let field = 0
  let digits = 0
  let pos = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (isDigit(c)) {
      if (digits === 1 && field === 0) return undefined // leading zero
      field = field * 10 + (c - 48)
      digits++
      if (field > 255) return undefined
    } else if (c === 46 /* . */) {
      if (i === 0 || i === s.length - 1 || s.charCodeAt(i - 1) === 46) return undefined
      if (pos === 3) return undefined
      value = value * 256 + field
      pos++
      field = 0
      digits = 0
    } else {
      return undefined
    }
  }
  if (pos < 3 || digits === 0) return undefined
  return value * 256 + field
}

/** Go's parseIPv6 without zones: returns the 128-bit value. */
function parseIPv6Text(input: string): bigint | undefined {
  const groups: number[] = [] // 16-bit groups in order; an embedded IPv4 adds two
  let ellipsis = -1 // index into groups where `::` stands
  let s = input
  if (s.startsWith('::')) {
    ellipsis = 0
    s = s.slice(2)
    if (s.length === 0) return 0n
  }
  while (groups.length < 8) {
    let off = 0
    let acc = 0
    for (; off < s.length; off++) {
      const h = hexValue(s.charCodeAt(off))
      if (h < 0) break
      acc = acc * 16 + h
      if (off > 3) return undefined // more than 4 digits
    }
    if (off === 0) return undefined
    if (off < s.length && s[off] === '.') {
      // Trailing IPv4: only in the last 32 bits (or anywhere after an ellipsis, then expanded).
      if (ellipsis < 0 && groups.length !== 6) return undefined
      if (groups.length + 2 > 8) return undefined
      const v4 = parseIPv4Text(s)
      if (v4 === undefined) return undefined
      groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn))
      s = ''
      break
    }
    groups.push(acc)
    s = s.slice(off)
    if (s.length === 0) break
    if (s[0] !== ':' || s.length === 1) return undefined
    s = s.slice(1)
    if (s[0] === ':') {
      if (ellipsis >= 0) return undefined
      ellipsis = groups.length
      s = s.slice(1)
      if (s.length === 0) break
    }
  }
  if (s.length !== 0) return undefined
  if (groups.length < 8) {
    if (ellipsis < 0) return undefined
    groups.splice(ellipsis, 0, ...new Array<number>(8 - groups.length).fill(0))
  } else if (ellipsis >= 0) {
    return undefined // `::` must stand for at least one group
  }
  let value = 0n
  for (const g of groups) value = (value << 16n) | BigInt(g)
  return value
}

/** Parses one IP address strictly (Go `netip.ParseAddr` without zones); undefined when invalid. */
export function parseIp(text: string): IpAddress | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '.') {
      const v = parseIPv4Text(text)
      return v === undefined ? undefined : { family: 4, value: v }
    }
    if (c === ':') {
      if (text.includes('%')) return undefined
      const v = parseIPv6Text(text)
      return v === undefined ? undefined : { family: 6, value: v }
    }
    if (c === '%') return undefined
  }
  return undefined
}

/** All-ones mask of the host part of a prefix. */
function hostMask(family: IpFamily, prefix: number): bigint {
  return (1n << BigInt(familyBits(family) - prefix)) - 1n
}

/** Parses `addr/bits` strictly (Go `netip.ParsePrefix`). Host bits are allowed and masked off. */
export function parseCidr(text: string): { ok: true; cidr: Cidr } | { ok: false; error: string } {
  const slash = text.lastIndexOf('/')
  if (slash < 0) return { ok: false, error: `invalid CIDR address: ${text}: no '/'` }
  const addrText = text.slice(0, slash)
  if (addrText.includes('%')) return { ok: false, error: `invalid CIDR address: ${text}: zones are not allowed` }
  const ip = parseIp(addrText)
  if (ip === undefined) return { ok: false, error: `invalid CIDR address: ${text}: ${JSON.stringify(addrText)} is not a valid IP address` }
  const bitsText = text.slice(slash + 1)
  if (!/^(0|[1-9][0-9]{0,2})$/.test(bitsText)) {
    return { ok: false, error: `invalid CIDR address: ${text}: bad prefix length ${JSON.stringify(bitsText)}` }
  }
  const prefix = Number(bitsText)
  if (prefix > familyBits(ip.family)) {
    return { ok: false, error: `invalid CIDR address: ${text}: prefix length out of range (0-${familyBits(ip.family)})` }
  }
  return { ok: true, cidr: { family: ip.family, base: ip.value & ~hostMask(ip.family, prefix), prefix } }
}

/** The inclusive range a prefix covers. */
export function cidrRange(c: Cidr): IpRange {
  return { family: c.family, start: c.base, end: c.base | hostMask(c.family, c.prefix) }
}

export function cidrContainsIp(c: Cidr, ip: IpAddress): boolean {
  if (c.family !== ip.family) return false
  return (ip.value & ~hostMask(c.family, c.prefix)) === c.base
}

/** True when every address of `inner` is in `outer` (equal prefixes contain each other). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false
  return (inner.base & ~hostMask(outer.family, outer.prefix)) === outer.base
}

function rangeContainsIp(r: IpRange, ip: IpAddress): boolean {
  return r.family === ip.family && ip.value >= r.start && ip.value <= r.end
}

/**
 * The addresses an ipBlock matches: `cidr` minus every `except`, as sorted, disjoint,
 * non-adjacent-merged inclusive ranges. Unparsable entries (validation rejects them before) and
 * excepts of the other family are ignored.
 */
export function ipBlockRanges(block: IPBlock): IpRange[] {
  const parsed = parseCidr(block.cidr)
  if (!parsed.ok) return []
  const family = parsed.cidr.family
  const holes: IpRange[] = []
  for (const e of block.except) {
    const p = parseCidr(e)
    if (p.ok && p.cidr.family === family) holes.push(cidrRange(p.cidr))
  }
  holes.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
  const whole = cidrRange(parsed.cidr)
  const out: IpRange[] = []
  let cursor = whole.start
  let done = false
  for (const h of holes) {
    if (h.end < cursor) continue
    if (h.start > whole.end) break
    if (h.start > cursor) out.push({ family, start: cursor, end: h.start - 1n })
    if (h.end >= whole.end) {
      done = true
      break
    }
    cursor = h.end + 1n
  }
  if (!done) out.push({ family, start: cursor, end: whole.end })
  return out
}

/** True when `ip` is in any of the ranges (linear; callers with many ranges index them). */
export function rangesContainIp(ranges: readonly IpRange[], ip: IpAddress): boolean {
  for (const r of ranges) if (rangeContainsIp(r, ip)) return true
  return false
}

/** The fewest CIDRs (as text, `addr/bits`) that exactly cover an inclusive range, in address order. */
export function rangeToCidrs(r: IpRange): string[] {
  const bits = familyBits(r.family)
  const out: string[] = []
  let start = r.start
  while (start <= r.end) {
    // Largest block aligned at `start` that does not pass `end`.
    let size = bits
    while (size > 0) {
      const blockBits = BigInt(bits - size + 1)
      const mask = (1n << blockBits) - 1n
      if ((start & mask) !== 0n || start + mask > r.end) break
      size--
    }
    out.push(`${formatIp({ family: r.family, value: start })}/${size}`)
    const hostBits = BigInt(bits - size)
    start += 1n << hostBits
  }
  return out
}

const MAPPED_V4_PREFIX = 0xffffn << 32n

/** Canonical text: dotted quad, or RFC 5952 IPv6 (as Go prints it, IPv4-mapped as `::ffff:a.b.c.d`). */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) {
    const v = ip.value
    return `${(v >> 24n) & 255n}.${(v >> 16n) & 255n}.${(v >> 8n) & 255n}.${v & 255n}`
  }
  if (ip.value >> 32n === MAPPED_V4_PREFIX >> 32n) {
    return `::ffff:${formatIp({ family: 4, value: ip.value & 0xffffffffn })}`
  }
  const groups: number[] = []
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn))
  // Longest run of two or more zero groups (the first one on a tie) becomes `::`.
  let bestStart = -1
  let bestLen = 1
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) {
      bestStart = i
      bestLen = j - i
    }
    i = j
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':')
  if (bestStart < 0) return hex(groups)
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`
}

export function formatCidr(c: Cidr): string {
  return `${formatIp({ family: c.family, value: c.base })}/${c.prefix}`
}
