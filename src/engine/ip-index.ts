/**
 * @module Which ipBlocks contain an address, answered by binary search instead of a scan.
 *
 * Every distinct ipBlock (cidr + except) becomes a set of disjoint ranges. Cutting each family's
 * address space at every range boundary yields elementary intervals inside which every address
 * lies in exactly the same blocks; a lookup is one binary search.
 */
import { ipBlockRanges, parseIp, type IpAddress } from '../model/cidr.js'
import type { IPBlock } from '../model/types.js'

export function ipBlockKey(block: IPBlock): string {
  return `${block.cidr}|${block.except.join(',')}`
}

interface FamilyIndex {
  /** Interval i is [starts[i], starts[i+1]); the last one runs to the end of the space. */
  readonly starts: bigint[]
  /** Block ids containing interval i (sorted). */
  readonly blocks: number[][]
}

export interface IpBlockIndex {
  /** Block ids in the order they were given. */
  readonly size: number
  /** Sorted ids of the blocks containing the address (empty when it is in none or does not parse). */
  blocksOf(ip: string | IpAddress): readonly number[]
}

const NONE: readonly number[] = []

export function buildIpBlockIndex(blocks: readonly IPBlock[]): IpBlockIndex {
  const families = new Map<4 | 6, FamilyIndex>()
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
    for (const list of blocksAt) list.sort((a, b) => a - b)
    families.set(family, { starts, blocks: blocksAt })
  }
  return {
    size: blocks.length,
    blocksOf(ip) {
      const addr = typeof ip === 'string' ? parseIp(ip) : ip
      if (addr === undefined) return NONE
      const f = families.get(addr.family)
      if (f === undefined) return NONE
      // Last interval whose start <= value.
      const i = upperBound(f.starts, addr.value) - 1
      return i < 0 ? NONE : f.blocks[i]!
    },
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
