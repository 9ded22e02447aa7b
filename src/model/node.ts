/**
 * @module The parts of a core/v1 Node that policies care about: its name, labels (a
 * ClusterNetworkPolicy `nodes` peer selects nodes by label) and the IP addresses of
 * `status.addresses` (the peer matches traffic to those addresses).
 */
import { formatIp, parseIp } from './cidr.js'
import type { FieldPath } from './field-path.js'
import type { ObjectMeta } from './object-meta.js'
import type { ObjectReader, PlainMap } from './object-reader.js'
import type { Node, SourceRef } from './types.js'

/** Address types that carry an IP; Hostname and the DNS names do not. */
const IP_ADDRESS_TYPES = ['InternalIP', 'ExternalIP']

/** Reads the node whose metadata is already read. */
export function readNode(r: ObjectReader, obj: PlainMap, meta: ObjectMeta, source: SourceRef): Node {
  const path: FieldPath = ['status', 'addresses']
  const status = r.map(obj.status, ['status']) ?? {}
  const addresses: string[] = []
  ;(r.list(status.addresses, path) ?? []).forEach((raw, i) => {
    const at = [...path, i]
    const entry = r.map(raw, at)
    if (!entry) return
    const type = r.string(entry.type, [...at, 'type']) ?? ''
    const text = r.string(entry.address, [...at, 'address']) ?? ''
    const ip = parseIp(text)
    if (ip) {
      const canonical = formatIp(ip)
      if (!addresses.includes(canonical)) addresses.push(canonical)
    } else if (IP_ADDRESS_TYPES.includes(type)) {
      // A node address netpol cannot read would let a `nodes` rule miss it.
      r.invalid([...at, 'address'], text, `must be a valid IP address for type ${type}, (e.g. 10.9.8.7 or 2001:db8::ffff)`)
    }
  })
  return { name: meta.name, labels: meta.labels, addresses, source }
}
