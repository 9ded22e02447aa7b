/**
 * @module `lab logs`: the denied connections every node of the lab recorded (see
 * src/dataplane/deny-log.ts for the mechanism), named with the lab's pods, with stable times
 * (deny-times.ts).
 */
import { createDenyLogFollower, readDenyLog, type DeniedConnection } from '../dataplane/deny-log.js'
import { NftError } from '../dataplane/nft.js'
import type { LabState } from './lab-state.js'
import { stableDenyTimes } from './deny-times.js'
import { listNetpolNetns } from './netns.js'

export interface LogsOptions {
  readonly follow: boolean
  readonly print: (records: readonly DeniedConnection[]) => void
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

export async function labLogs(state: LabState, o: LogsOptions): Promise<void> {
  if (!o.follow) {
    o.print(await readLabDenyLog(state, o.dir))
    return
  }
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
      if (fresh.length > 0) o.print(o.dir !== undefined ? await stableDenyTimes(o.dir, fresh) : fresh)
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
