/**
 * @module Where labs keep their state: `$NETPOL_LAB_DIR` or `/run/netpol/labs`, one directory per
 * lab with `state.json` (written atomically: a new temporary file, then rename), server logs and the
 * pods' control sockets.
 *
 * The lab runs as root and acts on what it reads back, so, like ssh with its keys, it refuses a
 * labs directory, lab directory or state file that someone else could have written: each must be
 * owned by the user running netpol (root) and not writable by group or others, and the
 * directories above the labs directory must be owned by root (or that user) and not writable by
 * others unless sticky (like /tmp). Files are opened without following symbolic links. A state
 * file that is unreadable, truncated or inconsistent is a `LabStateError` (exit 2), never used.
 */
import { constants, type Stats } from 'node:fs'
import { lstat, mkdir, open, readdir, realpath, rename, rm, type FileHandle } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { EnvironmentError } from '../model/errors.js'
import type { LabState } from './lab-state.js'
import { LabStateError, validateLabState } from './state-validation.js'
import { isValidLabName } from './lab-names.js'

const DEFAULT_LABS_DIR = '/run/netpol/labs'
/** Far more than a lab of 16 nodes full of pods needs; a bigger file is not one we wrote. */
const MAX_STATE_BYTES = 64 * 1024 * 1024

export function labsDir(env: NodeJS.ProcessEnv): string {
  return env.NETPOL_LAB_DIR && env.NETPOL_LAB_DIR.length > 0 ? env.NETPOL_LAB_DIR : DEFAULT_LABS_DIR
}

export function labDir(root: string, lab: string): string {
  return join(root, lab)
}

function stateFile(root: string, lab: string): string {
  return join(labDir(root, lab), 'state.json')
}

/** A lab path another user could write (or not a plain directory/file): the lab will not use it. */
class UnsafeLabPathError extends EnvironmentError {
  constructor(path: string, problem: string) {
    super(
      `refusing to use ${path}: ${problem}; another user could change what the lab runs as root (fix the ownership and mode, remove it, or set ` +
        `NETPOL_LAB_DIR to a directory of your own)`,
    )
    this.name = 'UnsafeLabPathError'
  }
}

function uid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0
}

function ownerProblem(st: { uid: number; mode: number }, allowRoot: boolean, allowSticky: boolean): string | undefined {
  const me = uid()
  if (st.uid !== me && !(allowRoot && st.uid === 0)) return `it is owned by uid ${st.uid}, not by uid ${me}${me === 0 ? ' (root)' : ''}`
  if ((st.mode & 0o022) !== 0 && !(allowSticky && (st.mode & 0o1000) !== 0)) {
    const who = [(st.mode & 0o020) !== 0 ? 'its group' : '', (st.mode & 0o002) !== 0 ? 'others' : ''].filter(Boolean).join(' and ')
    return `it is writable by ${who} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`
  }
  return undefined
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new EnvironmentError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
}

/**
 * `mkdir -p` one level at a time (Node's recursive mkdir never returns for some paths, e.g.
 * under /proc): a missing parent is made first, an existing one is fine.
 */
async function mkdirs(dir: string): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o755 })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return
    if (code !== 'ENOENT' || dirname(dir) === dir) throw err
    await mkdirs(dirname(dir))
    await mkdir(dir, { mode: 0o755 })
  }
}

/**
 * Checks the labs directory and the directories above it; with `create`, makes it first (mode
 * 0755). Resolves false when it does not exist (and `create` is off).
 */
export async function checkLabsRoot(root: string, create = false): Promise<boolean> {
  if (create) {
    try {
      await mkdirs(resolve(root))
    } catch (err) {
      throw new EnvironmentError(`cannot create the labs directory ${root}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
    }
  }
  let real: string
  try {
    real = await realpath(root)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw new EnvironmentError(`cannot read the labs directory ${root}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  const st = await lstat(real)
  if (!st.isDirectory()) throw new UnsafeLabPathError(root, 'it is not a directory')
  const problem = ownerProblem(st, false, false)
  if (problem !== undefined) throw new UnsafeLabPathError(root === real ? root : `${root} (${real})`, problem)
  for (let dir = dirname(real); ; dir = dirname(dir)) {
    const up = await lstat(dir)
    const p = ownerProblem(up, true, true)
    if (p !== undefined) throw new UnsafeLabPathError(dir, `${p}, and it holds the labs directory ${root}`)
    if (dir === dirname(dir)) break
  }
  return true
}

/** Checks one lab's directory (not a symbolic link, ours, not writable by others); false when absent. */
async function checkLabDir(root: string, lab: string): Promise<boolean> {
  const dir = labDir(root, lab)
  const st = await statOrUndefined(dir)
  if (st === undefined) return false
  if (!st.isDirectory()) throw new UnsafeLabPathError(dir, st.isSymbolicLink() ? 'it is a symbolic link' : 'it is not a directory')
  const problem = ownerProblem(st, false, false)
  if (problem !== undefined) throw new UnsafeLabPathError(dir, problem)
  return true
}

/** Makes (if needed) and checks the labs directory and one lab's directory. */
export async function ensureLabDir(root: string, lab: string): Promise<string> {
  await checkLabsRoot(root, true)
  const dir = labDir(root, lab)
  try {
    await mkdir(dir, { mode: 0o755 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new EnvironmentError(`cannot create ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  await checkLabDir(root, lab)
  return dir
}

/** The lab's state, undefined when it has none; UnsafeLabPathError or LabStateError when it cannot be trusted. */
export async function readLabState(root: string, lab: string): Promise<LabState | undefined> {
  if (!isValidLabName(lab)) return undefined
  if (!(await checkLabsRoot(root))) return undefined
  if (!(await checkLabDir(root, lab))) return undefined
  const file = stateFile(root, lab)
  let handle: FileHandle
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    if (code === 'ELOOP') throw new UnsafeLabPathError(file, 'it is a symbolic link')
    throw new EnvironmentError(`cannot read ${file}: ${code ?? String(err)}`)
  }
  let text: string
  try {
    const st = await handle.stat()
    if (!st.isFile()) throw new UnsafeLabPathError(file, 'it is not a regular file')
    const problem = ownerProblem(st, false, false)
    if (problem !== undefined) throw new UnsafeLabPathError(file, problem)
    if (st.size > MAX_STATE_BYTES) throw new LabStateError(file, `${st.size} bytes, more than a lab state can be (${MAX_STATE_BYTES})`, lab)
    text = await handle.readFile('utf8')
  } finally {
    await handle.close()
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new LabStateError(file, `not valid JSON, the file is truncated or corrupted (${err instanceof Error ? err.message : String(err)})`, lab)
  }
  return validateLabState(data, file, lab)
}

/** Writes the state atomically: a new file (never an existing one, never through a link), then rename. */
export async function writeLabState(root: string, state: LabState): Promise<void> {
  const dir = await ensureLabDir(root, state.name)
  const file = stateFile(root, state.name)
  const tmp = join(dir, `.state.json.${process.pid}.tmp`)
  await rm(tmp, { force: true })
  const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644)
  try {
    // No fsync: the rename is what makes a killed command leave the old file or the new one,
    // never half of one; the default directory is a tmpfs anyway, and on this kind of machine an
    // fsync per apply stalled the whole system long enough to delay pods' packets.
    await handle.writeFile(`${JSON.stringify(state, null, 1)}\n`)
  } catch (err) {
    await handle.close()
    await rm(tmp, { force: true })
    throw err
  }
  await handle.close()
  await rename(tmp, file)
}

/** Names of labs that have a state directory (only names a lab can have; the labs directory checked). */
export async function listLabDirs(root: string): Promise<string[]> {
  if (!(await checkLabsRoot(root))) return []
  const entries = await readdir(root, { withFileTypes: true })
  return entries
    .filter((e) => e.isDirectory() && isValidLabName(e.name))
    .map((e) => e.name)
    .sort()
}

export async function removeLabDir(root: string, lab: string): Promise<void> {
  // Retried: a concurrent `lab logs` may add a file while the directory is being emptied.
  await rm(labDir(root, lab), { recursive: true, force: true, maxRetries: 5 })
}
