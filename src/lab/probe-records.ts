/**
 * @module The lab's record of its own probes, so that `lab logs` can leave the connections
 * `lab probe` made (and the nodes denied) out of the user's view, or mark them (`--probes`).
 *
 * Every probe binds its own source port (prober.ts) and reports it, so a denied probe is known
 * exactly: source address and port, destination address and port, protocol, and the time of the
 * run. Each `lab probe` run writes one file in the lab's directory, `probes-<start ms>-<pid>.json`:
 * `{"started": ms, "pid": n}` while the run is under way (records that could be its probes are
 * held back by `lab logs -f` until it ends), then the same with `"finished": ms` and `"probes":
 * [[sourceIp, sourcePort, destinationIp, port, protocol], ...]` for every probe that was not let
 * through. Files are written atomically and read as untrusted: not followed through links, owned
 * by the user running netpol and not writable by others, bounded in size, every value checked;
 * a file that is not what we write is ignored. When a run starts, files older than KEEP_MS (deny
 * records live an hour) and all but the newest MAX_FILES are removed.
 */
import { constants } from 'node:fs'
import { open, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { formatIp, parseIp } from '../model/cidr.js'
import type { DeniedConnection } from '../dataplane/deny-log.js'

/** A deny record's first-seen time is an estimate (deny-times.ts): this much slack around a run. */
const TOLERANCE_MS = 10_000
const KEEP_MS = 3 * 3_600_000
const MAX_FILES = 200
const MAX_BYTES = 64 * 1024 * 1024
/** A run whose file says "under way" for longer than this was killed: its probes are unknown. */
const MAX_RUN_MS = 15 * 60_000
const FILE = /^probes-(\d{1,16})-(\d{1,10})\.json$/

/** One probe that was not let through: [sourceIp, sourcePort, destinationIp, port, protocol]. */
export type ProbeRecord = readonly [sourceIp: string, sourcePort: number, destinationIp: string, port: number, protocol: 'TCP' | 'UDP']

interface ProbeRun {
  readonly started: number
  readonly pid: number
  readonly finished?: number
  readonly probes?: readonly ProbeRecord[]
}

/** What `lab logs` knows of the lab's probe runs. */
export interface ProbeRuns {
  /** Finished runs' probes by connection key, with the run's time window. */
  readonly known: ReadonlyMap<string, readonly { readonly from: number; readonly to: number }[]>
  /** Start times of runs under way. */
  readonly running: readonly number[]
}

export const NO_PROBE_RUNS: ProbeRuns = { known: new Map(), running: [] }

function key(sourceIp: string, sourcePort: number, destinationIp: string, port: number, protocol: string): string {
  return `${sourceIp}|${sourcePort}|${destinationIp}|${port}|${protocol}`
}

function port(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535
}

function time(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0
}

function address(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length > 64) return undefined
  const ip = parseIp(v)
  return ip ? formatIp(ip) : undefined
}

/** Pure: a file's text as a run, or undefined when it is not what recordProbeRun writes. */
export function parseProbeRun(text: string): ProbeRun | undefined {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return undefined
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined
  const o = data as Record<string, unknown>
  if (!time(o.started) || !(typeof o.pid === 'number' && Number.isSafeInteger(o.pid) && o.pid > 0)) return undefined
  if (o.finished === undefined) return { started: o.started, pid: o.pid }
  if (!time(o.finished) || !Array.isArray(o.probes)) return undefined
  const probes: ProbeRecord[] = []
  for (const p of o.probes as unknown[]) {
    if (!Array.isArray(p) || p.length !== 5) return undefined
    const [s, sp, d, dp, proto] = p as unknown[]
    const src = address(s)
    const dst = address(d)
    if (src === undefined || dst === undefined || !port(sp) || !port(dp) || (proto !== 'TCP' && proto !== 'UDP')) return undefined
    probes.push([src, sp, dst, dp, proto])
  }
  return { started: o.started, pid: o.pid, finished: o.finished, probes }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Pure (but for `alive`): the runs as `lab logs` uses them. */
export function probeRunsOf(runs: readonly ProbeRun[], nowMs: number, alive: (pid: number) => boolean = pidAlive): ProbeRuns {
  const known = new Map<string, { from: number; to: number }[]>()
  const running: number[] = []
  for (const run of runs) {
    if (run.finished === undefined) {
      if (nowMs - run.started <= MAX_RUN_MS && alive(run.pid)) running.push(run.started)
      continue
    }
    const window = { from: run.started - TOLERANCE_MS, to: run.finished + TOLERANCE_MS }
    for (const [s, sp, d, dp, proto] of run.probes ?? []) {
      const k = key(s, sp, d, dp, proto)
      known.set(k, [...(known.get(k) ?? []), window])
    }
  }
  return { known, running }
}

export type ProbeClass = 'probe' | 'pending' | 'other'

/**
 * Pure: a denied connection is a probe when a finished run sent it; `pending` when a run under way
 * may have (both ends are pods of the lab and it came after the run started); else `other`.
 */
export function classifyDenied(r: DeniedConnection, runs: ProbeRuns): ProbeClass {
  const t = Date.parse(r.time)
  const windows = runs.known.get(key(r.sourceIp, r.sourcePort, r.destinationIp, r.port, r.protocol))
  if (windows?.some((w) => t >= w.from && t <= w.to)) return 'probe'
  const podToPod = r.source !== r.sourceIp && r.destination !== r.destinationIp
  if (podToPod && runs.running.some((started) => t >= started - TOLERANCE_MS)) return 'pending'
  return 'other'
}

async function readOwnFile(path: string): Promise<string | undefined> {
  try {
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    try {
      const st = await handle.stat()
      const me = typeof process.getuid === 'function' ? process.getuid() : 0
      if (!st.isFile() || st.uid !== me || (st.mode & 0o022) !== 0 || st.size > MAX_BYTES) return undefined
      return await handle.readFile('utf8')
    } finally {
      await handle.close()
    }
  } catch {
    return undefined
  }
}

async function runFiles(dir: string): Promise<{ name: string; started: number }[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return []
  }
  return names.flatMap((name) => {
    const m = FILE.exec(name)
    return m ? [{ name, started: Number(m[1]) }] : []
  })
}

/** The lab's probe runs, from its directory `dir` (none when it has no readable record). */
export async function readProbeRuns(dir: string): Promise<ProbeRuns> {
  const runs: ProbeRun[] = []
  for (const { name } of await runFiles(dir)) {
    const text = await readOwnFile(join(dir, name))
    const run = text === undefined ? undefined : parseProbeRun(text)
    if (run) runs.push(run)
  }
  return probeRunsOf(runs, Date.now())
}

async function writeAtomically(dir: string, name: string, run: ProbeRun): Promise<void> {
  const tmp = join(dir, `.${name}.tmp`)
  try {
    await rm(tmp, { force: true })
    const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644)
    try {
      await handle.writeFile(JSON.stringify(run))
    } finally {
      await handle.close()
    }
    await rename(tmp, join(dir, name))
  } catch {
    // Best effort (the lab may be going down): without the record, lab logs shows these probes.
    await rm(tmp, { force: true }).catch(() => undefined)
  }
}

export interface ProbeRunRecorder {
  /** Records the probes of the run that were not let through; `sourceIp` of each source pod. */
  finish(probes: readonly ProbeRecord[]): Promise<void>
}

/** Starts recording a `lab probe` run in the lab directory `dir` (and drops old runs' files). */
export async function recordProbeRun(dir: string): Promise<ProbeRunRecorder> {
  const started = Date.now()
  const files = (await runFiles(dir)).sort((a, b) => b.started - a.started)
  for (const [i, f] of files.entries()) {
    if (i >= MAX_FILES - 1 || started - f.started > KEEP_MS) await rm(join(dir, f.name), { force: true }).catch(() => undefined)
  }
  const name = `probes-${started}-${process.pid}.json`
  await writeAtomically(dir, name, { started, pid: process.pid })
  return {
    finish: (probes) => writeAtomically(dir, name, { started, pid: process.pid, finished: Date.now(), probes }),
  }
}
