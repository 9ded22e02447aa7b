/**
 * @module `lab logs`: the denied connections every node of the lab recorded (see
 * src/dataplane/deny-log.ts for the mechanism), named with the lab's pods.
 */
import { createDenyLogFollower, readDenyLog, type DeniedConnection } from '../dataplane/deny-log.js'
import type { LabState } from './lab-state.js'

export interface LogsOptions {
  readonly follow: boolean
  readonly print: (records: readonly DeniedConnection[]) => void
  /** Polling interval for `follow`. @default 500 */
  readonly intervalMs?: number
  /** Stops following (default: SIGINT/SIGTERM). */
  readonly signal?: AbortSignal
}

/** Every record of every node, oldest first. */
export async function readLabDenyLog(state: LabState): Promise<DeniedConnection[]> {
  const all: DeniedConnection[] = []
  for (const node of state.topology.nodes) all.push(...(await readDenyLog(state.cluster, { netns: node.netns, node: node.name })))
  return all.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0))
}

export async function labLogs(state: LabState, o: LogsOptions): Promise<void> {
  if (!o.follow) {
    o.print(await readLabDenyLog(state))
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
      const fresh = await follower.poll(state.cluster)
      if (fresh.length > 0) o.print(fresh)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, o.intervalMs ?? 500)
        signal.addEventListener('abort', () => {
          clearTimeout(t)
          resolve()
        }, { once: true })
      })
    }
  } finally {
    process.removeListener('SIGINT', stop)
    process.removeListener('SIGTERM', stop)
  }
}
