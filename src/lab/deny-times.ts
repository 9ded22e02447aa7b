/**
 * @module Stable times for denied-connection records. A record in the kernel (an element of a
 * node's deny-log set, see src/dataplane/deny-log.ts) carries no timestamp, only its remaining
 * lifetime; the time it was first denied is estimated from when `nft` listed it, which moves by a
 * few milliseconds from one read to the next. So the first estimate the lab makes for a record
 * is kept, in `deny-times.json` in the lab's directory, and every later read of the same record
 * (same node, side, addresses, ports and protocol, and an estimate within TOLERANCE_MS of the
 * kept one) shows exactly that time. A record that expires and comes back an hour later is
 * another record, with its own time.
 *
 * The file is a cache: written atomically, read without following links, bounded, and ignored
 * (rebuilt) when it is not what we write. Losing it only means times are estimated again.
 */
import { constants } from 'node:fs'
import { open, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { DeniedConnection } from '../dataplane/deny-log.js'

/** Far above the estimate's jitter (the duration of one `nft list`), far below a record's lifetime (1 h). */
export const TOLERANCE_MS = 10_000
/** Kept times older than this are dropped: no record lives that long (deny-log timeout: 1 h). */
const KEEP_MS = 3 * 3_600_000
const MAX_BYTES = 16 * 1024 * 1024
const FILE = 'deny-times.json'

export type KeptTimes = Record<string, number>

function recordKey(r: DeniedConnection): string {
  return [r.node ?? '', r.side, r.sourceIp, r.sourcePort, r.destinationIp, r.port, r.protocol].join('|')
}

/**
 * Pure: `records` with each time replaced by the kept one when there is one (within
 * TOLERANCE_MS), and the kept times updated (new records added, old ones dropped).
 */
export function stabilizeTimes(
  records: readonly DeniedConnection[],
  kept: KeptTimes,
  nowMs: number,
): { records: DeniedConnection[]; kept: KeptTimes; changed: boolean } {
  const next: KeptTimes = {}
  let changed = false
  for (const [k, t] of Object.entries(kept)) {
    if (nowMs - t <= KEEP_MS) next[k] = t
    else changed = true
  }
  const out = records.map((r) => {
    const key = recordKey(r)
    const estimate = Date.parse(r.time)
    const known = next[key]
    if (known !== undefined && Math.abs(known - estimate) <= TOLERANCE_MS) return known === estimate ? r : { ...r, time: new Date(known).toISOString() }
    next[key] = estimate
    changed = true
    return r
  })
  out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0))
  return { records: out, kept: next, changed }
}

function parseKept(text: string): KeptTimes {
  const data: unknown = JSON.parse(text)
  const out: KeptTimes = {}
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return out
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (k.length <= 200 && typeof v === 'number' && Number.isSafeInteger(v) && v > 0) out[k] = v
  }
  return out
}

async function readKept(dir: string): Promise<KeptTimes> {
  try {
    const handle = await open(join(dir, FILE), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    try {
      const st = await handle.stat()
      const me = typeof process.getuid === 'function' ? process.getuid() : 0
      if (!st.isFile() || st.uid !== me || (st.mode & 0o022) !== 0 || st.size > MAX_BYTES) return {}
      return parseKept(await handle.readFile('utf8'))
    } finally {
      await handle.close()
    }
  } catch {
    return {}
  }
}

async function writeKept(dir: string, kept: KeptTimes): Promise<void> {
  const tmp = join(dir, `.${FILE}.${process.pid}.tmp`)
  try {
    await rm(tmp, { force: true })
    const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644)
    try {
      await handle.writeFile(JSON.stringify(kept))
    } finally {
      await handle.close()
    }
    await rename(tmp, join(dir, FILE))
  } catch {
    // Best effort (the lab may be going down): the next read estimates again.
    await rm(tmp, { force: true }).catch(() => undefined)
  }
}

/** `records` with the times first shown for them, kept in the lab directory `dir`. */
export async function stableDenyTimes(dir: string, records: readonly DeniedConnection[]): Promise<DeniedConnection[]> {
  const r = stabilizeTimes(records, await readKept(dir), Date.now())
  if (r.changed) await writeKept(dir, r.kept)
  return r.records
}
