/**
 * @module Which IPv4 addresses a lab pod may have. The kernel gives special meaning to some
 * ranges (loopback, multicast, broadcast, "this network", link-local): an interface address or a
 * /32 route there does not carry a pod's unicast traffic, or it captures traffic that is not the
 * pod's. The lab refuses such addresses instead of building a pod that cannot work. Pure.
 */
import { parseIp } from '../model/cidr.js'

/** Special-purpose IPv4 ranges (RFC 6890) the kernel treats differently from a unicast address. */
const SPECIAL: readonly { readonly base: number; readonly bits: number; readonly what: string }[] = [
  { base: 0x00000000, bits: 8, what: 'in 0.0.0.0/8 ("this network"; 0.0.0.0 is the unspecified address)' },
  { base: 0x7f000000, bits: 8, what: 'a loopback address (127.0.0.0/8)' },
  { base: 0xa9fe0000, bits: 16, what: "a link-local address (169.254.0.0/16; the lab uses 169.254.1.1 as every pod's gateway)" },
  { base: 0xe0000000, bits: 4, what: 'a multicast address (224.0.0.0/4)' },
  { base: 0xffffffff, bits: 32, what: 'the broadcast address' },
  { base: 0xf0000000, bits: 4, what: 'a reserved address (240.0.0.0/4)' },
]

/**
 * Why `ip` cannot be a lab pod's address (`is a multicast address ...`), or undefined when it can.
 * `ip` must be IPv4 text; anything else is "not an IPv4 address".
 */
export function podAddressProblem(ip: string): string | undefined {
  const parsed = parseIp(ip)
  if (parsed === undefined || parsed.family !== 4) return 'is not an IPv4 address'
  const value = Number(parsed.value)
  for (const s of SPECIAL) {
    const mask = s.bits === 0 ? 0 : (0xffffffff << (32 - s.bits)) >>> 0
    if ((value & mask) >>> 0 === s.base) return `is ${s.what}`
  }
  return undefined
}
