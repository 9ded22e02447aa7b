/**
 * @module One changing command per lab at a time: `lab up`, `apply` and `down` hold
 * `<lab dir>/lock` (holder's PID and command). A lock whose holder is gone (a killed `lab up`) is
 * taken over.
 */
import { constants } from 'node:fs'
import { open, readFile, rmdir, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { UsageError } from '../model/errors.js'
import { ensureLabDir } from './state-store.js'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function acquire(file: string, what: string): Promise<boolean> {
  try {
    const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644)
    await handle.writeFile(`${process.pid} ${what}\n`)
    await handle.close()
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  }
}

export async function withLabLock<T>(root: string, lab: string, what: string, fn: () => Promise<T>): Promise<T> {
  // Made and checked (ours, not writable by others) before anything in it is trusted.
  const dir = await ensureLabDir(root, lab)
  const file = join(dir, 'lock')
  if (!(await acquire(file, what))) {
    const holder = (await readFile(file, { encoding: 'utf8', flag: constants.O_RDONLY | constants.O_NOFOLLOW }).catch(() => '')).trim()
    // `<pid> <command>`, as acquire writes it; anything else is no live holder.
    const m = /^(\d{1,7}) (up|apply|down|kubelet)$/.exec(holder)
    const pid = m ? Number(m[1]) : 0
    if (m && pid > 0 && pid !== process.pid && alive(pid)) {
      const who = m[2] === 'kubelet' ? "the lab's kubelet" : `\`lab ${m[2]}\``
      throw new UsageError(`lab "${lab}" is busy: ${who} (pid ${pid}) is changing it; wait for it or stop it first`)
    }
    await unlink(file).catch(() => undefined)
    if (!(await acquire(file, what))) throw new UsageError(`lab "${lab}" is busy: another command took its lock`)
  }
  try {
    return await fn()
  } finally {
    await unlink(file).catch(() => undefined)
    // A lab directory that only ever held the lock (e.g. `apply` of a lab that does not exist) goes too.
    await rmdir(dir).catch(() => undefined)
  }
}
