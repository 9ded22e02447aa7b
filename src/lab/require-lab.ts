/**
 * @module Finding the lab a command is about, with a helpful error when there is none (or when it
 * is not ready to be used).
 */
import { UsageError } from '../model/errors.js'
import type { LabState } from './lab-state.js'
import { listLabDirs, readLabState } from './state-store.js'
import { validateLabName } from './lab-names.js'

/** The lab's state in whatever phase it is (for `lab status` and `lab apply`, which repairs). */
export async function readLab(root: string, lab: string): Promise<LabState> {
  const name = validateLabName(lab)
  const state = await readLabState(root, name)
  if (state === undefined) {
    const others = (await listLabDirs(root)).filter((n) => n !== name)
    const hint = others.length > 0 ? ` (labs: ${others.join(', ')}; pick one with --name)` : '; start one with `netpol lab up PATH...`'
    throw new UsageError(`lab "${name}" does not exist${hint}`)
  }
  return state
}

/** Why a lab in this phase cannot be used as it is, and what to do; undefined when it is ready. */
export function notReadyReason(state: LabState): string | undefined {
  const name = state.name
  switch (state.phase) {
    case 'ready':
      return undefined
    case 'building':
      return `lab "${name}" is not ready (its \`lab up\` is running or was killed); run \`netpol lab down --name ${name}\` and start again`
    case 'applying':
    case 'failed':
      return (
        `lab "${name}" is not ready: a \`lab apply\` is running, or was interrupted or failed half-way; run \`netpol lab apply\` again (it ` +
        `first puts the lab back as it was before), or \`netpol lab down --name ${name}\``
      )
  }
}

/** The lab, which must be ready (probe, exec, logs, export). */
export async function requireLab(root: string, lab: string): Promise<LabState> {
  const state = await readLab(root, lab)
  const reason = notReadyReason(state)
  if (reason !== undefined) throw new UsageError(reason)
  return state
}
