/**
 * @module `lab logs`: the denied connections every node of the lab recorded (see
 * src/dataplane/deny-log.ts for the mechanism), named with the lab's pods, with stable times
 * (deny-times.ts), filtered by ends and time, and without the lab's own probes unless asked
 * (probe-records.ts).
 */
import { createDenyLogFollower, readDenyLog, type DeniedConnection } from '../dataplane/deny-log.js'
import { NftError } from '../dataplane/nft.js'
import { parseEndpointFilter, type EndpointFilter } from '../analyze/endpoint-filter.js'
import { formatIp, parseIp, type IpRange } from '../model/cidr.js'
import { UsageError } from '../model/errors.js'
import type { LabState } from './lab-state.js'
import { stableDenyTimes } from './deny-times.js'
import { listNetpolNetns } from './netns.js'
import { classifyDenied, NO_PROBE_RUNS, readProbeRuns, type ProbeRuns } from './probe-records.js'

/** A denied connection as `lab logs` shows it: `probe` when `lab probe` sent it. */
export interface LabDeniedConnection extends DeniedConnection {
  readonly probe: boolean
}

/** Which records `lab logs` shows. */
export interface DenyFilter {
  /** Any of them (none: every source). */
  readonly from: readonly EndpointFilter[]
  readonly to: readonly EndpointFilter[]
  /** Either end is any of them. */
  readonly pod: readonly EndpointFilter[]
  /** Only records first denied at or after this time (ms since the epoch). */
  readonly sinceMs?: number
  /** Also the connections `lab probe` made. */
  readonly probes: boolean
}

export const NO_FILTER: DenyFilter = { from: [], to: [], pod: [], probes: true }

const DURATION = /^(?:\d+(?:\.\d+)?(?:h|ms|m|s))+$/
const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }

/** `--since`: a duration like kubectl's (`30s`, `5m`, `1h30m`, `500ms`) in milliseconds; UsageError otherwise. */
export function parseSince(text: string): number {
  const t = text.trim()
  if (!DURATION.test(t))
    throw new UsageError(`--since: ${JSON.stringify(text)} is not a duration: give a number with a unit, e.g. 30s, 5m, 2h or 1h30m (units: h, m, s, ms)`)
  let ms = 0
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) ms += Number(m[1]) * UNIT_MS[m[2]]
  if (!(ms >= 1) || !Number.isFinite(ms)) throw new UsageError(`--since: ${JSON.stringify(text)} is not a positive duration (e.g. 30s, 5m, 1h)`)
  return Math.round(ms)
}

/** The filter of `--from`, `--to`, `--pod` (forms of \`netpol list --from\`), `--since` (ms) and `--probes`, for the lab's pods. */
export function denyFilter(
  state: LabState,
  flags: { from?: readonly string[]; to?: readonly string[]; pod?: readonly string[]; sinceMs?: number; probes?: boolean },
  nowMs: number = Date.now(),
): DenyFilter {
  const ends = (list: readonly string[] | undefined) => (list ?? []).map((text) => parseEndpointFilter(state.cluster, text))
  return {
    from: ends(flags.from),
    to: ends(flags.to),
    pod: ends(flags.pod),
    ...(flags.sinceMs !== undefined ? { sinceMs: nowMs - flags.sinceMs } : {}),
    probes: Boolean(flags.probes),
  }
}

function inRange(ip: string, range: IpRange): boolean {
  const a = parseIp(ip)
  return a !== undefined && a.family === range.family && a.value >= range.start && a.value <= range.end
}

/** Pure: does an address belong to what the filter names (one of its pods, or its range)? */
function endMatches(f: EndpointFilter, ip: string): boolean {
  const a = parseIp(ip)
  const normal = a ? formatIp(a) : ip
  for (const pod of f.pods) if (pod.ips.some((p) => p === normal || p === ip)) return true
  return f.range !== undefined && inRange(ip, f.range)
}

/** Pure: the ends and time of a record against the filter (probes are judged separately). */
export function matchesDenyFilter(r: DeniedConnection, f: DenyFilter): boolean {
  if (f.sinceMs !== undefined && Date.parse(r.time) < f.sinceMs) return false
  if (f.from.length > 0 && !f.from.some((e) => endMatches(e, r.sourceIp))) return false
  if (f.to.length > 0 && !f.to.some((e) => endMatches(e, r.destinationIp))) return false
  return f.pod.length === 0 || f.pod.some((e) => endMatches(e, r.sourceIp) || endMatches(e, r.destinationIp))
}

/**
 * Pure: the records to show, marked; `held` are those a probe run under way may have sent (shown
 * once it ends, as probes or not); `hidden` counts the probes left out.
 */
export function selectDenied(
  records: readonly DeniedConnection[],
  f: DenyFilter,
  runs: ProbeRuns,
): { shown: LabDeniedConnection[]; held: DeniedConnection[]; hidden: number } {
  const shown: LabDeniedConnection[] = []
  const held: DeniedConnection[] = []
  let hidden = 0
  for (const r of records) {
    if (!matchesDenyFilter(r, f)) continue
    const c = classifyDenied(r, runs)
    if (c === 'pending') held.push(r)
    else if (c === 'probe' && !f.probes) hidden++
    else shown.push({ ...r, probe: c === 'probe' })
  }
  return { shown, held, hidden }
}

export interface LogsOptions {
  readonly follow: boolean
  readonly print: (records: readonly LabDeniedConnection[]) => void
  /** What to show (default: everything, probes marked). */
  readonly filter?: DenyFilter
  /** Told how many of the lab's own probes were left out (without follow; before `print`). */
  readonly hidden?: (count: number) => void
  /** The lab's directory: where the times first shown for records are kept. Absent: times are estimated on each read. */
  readonly dir?: string
  /** Polling interval for `follow`. @default 500 */
  readonly intervalMs?: number
  /** Stops following (default: SIGINT/SIGTERM). */
  readonly signal?: AbortSignal
  /** Told why following ended on its own (the lab was removed meanwhile). */
  readonly note?: (message: string) => void
}

/** True while every node namespace of the lab is there (`lab down` in another terminal removes them). */
async function labPresent(state: LabState): Promise<boolean> {
  const present = new Set(await listNetpolNetns())
  return state.topology.nodes.every((n) => present.has(n.netns))
}

/** Every record of every node, oldest first; with `dir`, at the times first shown for them. */
export async function readLabDenyLog(state: LabState, dir?: string): Promise<DeniedConnection[]> {
  const all: DeniedConnection[] = []
  for (const node of state.topology.nodes) all.push(...(await readDenyLog(state.cluster, { netns: node.netns, node: node.name })))
  if (dir !== undefined) return stableDenyTimes(dir, all)
  return all.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0))
}

/** Resolves true as soon as `signal` aborts, false after `ms`. */
export function abortedWithin(signal: AbortSignal, ms: number): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true)
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(signal.aborted), ms)
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t)
        resolve(true)
      },
      { once: true },
    )
  })
}

const byTime = (a: { time: string }, b: { time: string }): number => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0)

export async function labLogs(state: LabState, o: LogsOptions): Promise<void> {
  const filter = o.filter ?? NO_FILTER
  const runs = async (): Promise<ProbeRuns> => (o.dir !== undefined ? readProbeRuns(o.dir) : NO_PROBE_RUNS)
  if (!o.follow) {
    // A run under way has not said yet which of its probes it sent: shown, as what they may be.
    const { shown, held, hidden } = selectDenied(await readLabDenyLog(state, o.dir), filter, await runs())
    if (hidden > 0) o.hidden?.(hidden)
    o.print([...shown, ...held.map((r) => ({ ...r, probe: false }))].sort(byTime))
    return
  }
  let held: DeniedConnection[] = []
  const follower = createDenyLogFollower(state.topology.nodes.map((n) => ({ netns: n.netns, node: n.name })))
  const controller = new AbortController()
  const stop = (): void => controller.abort()
  const signal = o.signal ?? controller.signal
  if (!o.signal) {
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  }
  try {
    while (!signal.aborted) {
      let fresh: DeniedConnection[]
      try {
        fresh = await follower.poll(state.cluster)
      } catch (err) {
        // Ctrl-C in a terminal signals the whole process group: the `nft` being run dies of it
        // (no exit code), possibly before our own handler has run. That is the end of following,
        // not a failure; an nft that fails on its own is still an error.
        if (err instanceof NftError && err.exitCode === null && (await abortedWithin(signal, 1000))) break
        if (err instanceof NftError && !(await labPresent(state))) fresh = []
        else throw err
      }
      if (signal.aborted) break
      const timed = fresh.length > 0 && o.dir !== undefined ? await stableDenyTimes(o.dir, fresh) : fresh
      // Records a probe run under way may have sent wait until it says which it sent.
      const known = fresh.length + held.length > 0 ? await runs() : NO_PROBE_RUNS
      const picked = selectDenied([...held, ...timed], filter, known)
      held = picked.held
      if (picked.shown.length > 0) o.print(picked.shown.sort(byTime))
      // The lab went away under us (`lab down`): the end of the stream, like a deleted pod's logs.
      if (!(await labPresent(state))) {
        o.note?.(`lab "${state.name}" was removed; no more denied connections to follow`)
        break
      }
      await abortedWithin(signal, o.intervalMs ?? 500)
    }
  } finally {
    process.removeListener('SIGINT', stop)
    process.removeListener('SIGTERM', stop)
  }
}
