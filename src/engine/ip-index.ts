/**
 * @module Which ipBlocks contain an address, answered by binary search instead of a scan.
 *
 * Every distinct ipBlock (cidr + except) becomes a set of disjoint ranges. Cutting each family's
 * address space at every range boundary yields elementary intervals inside which every address
 * lies in exactly the same blocks; a lookup is one binary search.
 */
import { ipBlockRanges, parseIPv4Number, parseIp, type IpAddress } from '../model/cidr.js'
import type { IPBlock } from '../model/types.js'

export function ipBlockKey(block: IPBlock): string {
  return `${block.cidr}|${block.except.join(',')}`
}

interface FamilyIndex {
  /** Interval i is [starts[i], starts[i+1]); the last one runs to the end of the space. */
  readonly starts: bigint[]
  /** The same starts as numbers, for IPv4 (exact: below 2^32). */
  readonly startNumbers: Float64Array
  /** Class (distinct set of containing blocks) of interval i. */
  readonly classes: number[]
}

export interface IpBlockIndex {
  /** Block ids in the order they were given. */
  readonly size: number
  /**
   * The address's class: addresses of one class lie in exactly the same blocks. Class 0 is "in no
   * block" (also for text that does not parse).
   */
  classOf(ip: string | IpAddress): number
  /** Sorted ids of the blocks of a class. */
  classBlocks(classId: number): readonly number[]
  /** Sorted ids of the blocks containing the address. */
  blocksOf(ip: string | IpAddress): readonly number[]
}

export function buildIpBlockIndex(blocks: readonly IPBlock[]): IpBlockIndex {
  const families = new Map<4 | 6, FamilyIndex>()
  const classIds = new Map<string, number>([['', 0]])
  const classLists: (readonly number[])[] = [[]]
  const perFamily = new Map<4 | 6, { start: bigint; end: bigint; id: number }[]>()
  blocks.forEach((b, id) => {
    for (const r of ipBlockRanges(b)) {
      const list = perFamily.get(r.family) ?? []
      list.push({ start: r.start, end: r.end, id })
      perFamily.set(r.family, list)
    }
  })
  for (const [family, ranges] of perFamily) {
    const cuts = new Set<bigint>([0n])
    for (const r of ranges) {
      cuts.add(r.start)
      cuts.add(r.end + 1n)
    }
    const limit = 1n << (family === 4 ? 32n : 128n)
    const starts = [...cuts].filter((c) => c < limit).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    const blocksAt: number[][] = starts.map(() => [])
    for (const r of ranges) {
      for (let i = lowerBound(starts, r.start); i < starts.length && starts[i]! <= r.end; i++) blocksAt[i]!.push(r.id)
    }
    const classes = blocksAt.map((list) => {
      list.sort((a, b) => a - b)
      const key = list.join(',')
      let id = classIds.get(key)
      if (id === undefined) {
        id = classLists.length
        classIds.set(key, id)
        classLists.push(list)
      }
      return id
    })
    families.set(family, { starts, startNumbers: family === 4 ? Float64Array.from(starts, Number) : new Float64Array(0), classes })
  }
  const v4 = families.get(4)
  const classOf = (ip: string | IpAddress): number => {
    if (typeof ip === 'string' && !ip.includes(':')) {
      // IPv4 fast path: no bigint per lookup.
      const n = parseIPv4Number(ip)
      if (n === undefined || v4 === undefined) return 0
      const i = upperBoundNumber(v4.startNumbers, n) - 1
      return i < 0 ? 0 : v4.classes[i]!
    }
    const addr = typeof ip === 'string' ? parseIp(ip) : ip
    if (addr === undefined) return 0
    const f = families.get(addr.family)
    if (f === undefined) return 0
    // Last interval whose start <= value.
    const i = upperBound(f.starts, addr.value) - 1
    return i < 0 ? 0 : f.classes[i]!
  }
  return {
    size: blocks.length,
    classOf,
    classBlocks: (id) => classLists[id]!,
    blocksOf: (ip) => classLists[classOf(ip)]!,
  }
}

/** First index with a[i] >= v. */
function lowerBound(a: readonly bigint[], v: bigint): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (a[mid]! < v) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** First index with a[i] > v. */
function upperBoundNumber(a: Float64Array, v: number): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (a[mid]! <= v) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** First index with a[i] > v (bigint). */
function upperBound(a: readonly bigint[], v: bigint): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (a[mid]! <= v) lo = mid + 1
    else hi = mid
  }
  return lo
}
