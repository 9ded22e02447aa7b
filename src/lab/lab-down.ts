/**
 * @module `lab down`: remove everything a lab made, whether it is running, half built, or its
 * `lab up` was killed. Idempotent.
 */
import type { LabContext } from './lab-context.js'
import type { LabState } from './lab-state.js'
import { teardown } from './lab-build.js'
import { findLabProcesses, isLabKubelet, stopProcesses } from './lab-processes.js'
import { readLabState, removeLabDir } from './state-store.js'
import { LabStateError } from './state-validation.js'
import { validateLabName } from './lab-names.js'

export interface DownResult {
  readonly name: string
  /** False when nothing of the lab was left. */
  readonly existed: boolean
  readonly netns: readonly string[]
  readonly processes: number
}

export async function labDown(ctx: Pick<LabContext, 'root'>, lab: string): Promise<DownResult> {
  const name = validateLabName(lab)
  let state
  try {
    state = await readLabState(ctx.root, name)
  } catch (err) {
    // A damaged state file must not keep the lab's leftovers alive: discovery by name still works,
    // and nothing from the file is used. A directory someone else could write is refused instead.
    if (!(err instanceof LabStateError)) throw err
    state = undefined
  }
  const removed = await teardown({
    lab: name,
    topology: state?.topology,
    pids: state ? [...Object.values(state.servers), ...Object.values(state.collectors), ...controlPlanePids(state)] : [],
  })
  await removeLabDir(ctx.root, name)
  return { name, existed: state !== undefined || removed.netns.length > 0 || removed.processes > 0, ...removed }
}

/** The PIDs a `--control-plane` lab recorded (each is checked against its command line before a signal). */
function controlPlanePids(state: LabState): number[] {
  const cp = state.controlPlane
  if (cp === undefined) return []
  return [cp.kubelet, ...Object.values(cp.agents), cp.apiServer, cp.etcd].filter((p): p is number => p !== undefined)
}

/**
 * Stops the lab's kubelet (found by its command line), so that `lab down` can take the lab's lock
 * and the kubelet makes no pod while the lab goes away.
 */
export async function stopLabKubelet(lab: string): Promise<void> {
  const name = validateLabName(lab)
  const pids: number[] = []
  for (const pid of await findLabProcesses(name)) if (await isLabKubelet(name, pid)) pids.push(pid)
  await stopProcesses(pids)
}
