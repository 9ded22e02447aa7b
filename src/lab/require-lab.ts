/**
 * @module Finding the running lab a command is about, with a helpful error when there is none.
 */
import { UsageError } from '../cli/errors.js'
import type { LabState } from './lab-state.js'
import { listLabDirs, readLabState } from './state-store.js'
import { validateLabName } from './lab-names.js'

export async function requireLab(root: string, lab: string): Promise<LabState> {
  const name = validateLabName(lab)
  const state = await readLabState(root, name)
  if (state === undefined) {
    const others = await listLabDirs(root)
    const hint = others.length > 0 ? ` (labs: ${others.join(', ')}; pick one with --name)` : '; start one with `netpol lab up PATH...`'
    throw new UsageError(`lab "${name}" does not exist${hint}`)
  }
  if (state.phase === 'failed') {
    throw new UsageError(`lab "${name}" is broken: a \`lab apply\` failed half-way; run \`netpol lab down --name ${name}\` and start again`)
  }
  if (state.phase !== 'ready') {
    throw new UsageError(`lab "${name}" is not ready (its \`lab up\` is running or was killed); run \`netpol lab down --name ${name}\` and start again`)
  }
  return state
}
