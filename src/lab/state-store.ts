/**
 * @module Where labs keep their state: `$NETPOL_LAB_DIR` or `/run/netpol/labs`, one directory per
 * lab with `state.json` (written atomically: temporary file + rename), server logs and deny logs.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseLabState, type LabState } from './lab-state.js'

export const DEFAULT_LABS_DIR = '/run/netpol/labs'

export function labsDir(env: NodeJS.ProcessEnv): string {
  return env.NETPOL_LAB_DIR && env.NETPOL_LAB_DIR.length > 0 ? env.NETPOL_LAB_DIR : DEFAULT_LABS_DIR
}

export function labDir(root: string, lab: string): string {
  return join(root, lab)
}

export function stateFile(root: string, lab: string): string {
  return join(labDir(root, lab), 'state.json')
}

export async function readLabState(root: string, lab: string): Promise<LabState | undefined> {
  const file = stateFile(root, lab)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  return parseLabState(text, file)
}

export async function writeLabState(root: string, state: LabState): Promise<void> {
  const dir = labDir(root, state.name)
  await mkdir(dir, { recursive: true, mode: 0o755 })
  const file = stateFile(root, state.name)
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, `${JSON.stringify(state, null, 1)}\n`, { mode: 0o644 })
  await rename(tmp, file)
}

/** Names of labs that have a state directory. */
export async function listLabDirs(root: string): Promise<string[]> {
  try {
    const entries = await readdir(root, { withFileTypes: true })
    return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort()
  } catch {
    return []
  }
}

export async function removeLabDir(root: string, lab: string): Promise<void> {
  await rm(labDir(root, lab), { recursive: true, force: true })
}
