/**
 * @module Writing an output file the user named (a report, JUnit XML) so that it is never left
 * half-written: a temporary file next to the target, then a rename.
 */
import { constants } from 'node:fs'
import { lstat, mkdir, open, realpath, rename, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { EnvironmentError } from '../model/errors.js'

/**
 * Writes `content` to `path` (directories created as needed). A symbolic link is followed (the
 * file it points to is replaced, as a shell's `>` would write it). A named pipe or a device
 * (`/dev/null`, `/dev/stdout`, `>(...)`) is written into: renaming over it would replace it with a
 * regular file (as root, /dev/null itself). On failure the temporary file is removed and an
 * EnvironmentError names the file as `shownAs` (what the user typed) with the reason.
 */
export async function writeFileAtomically(path: string, content: string, shownAs: string = path): Promise<void> {
  let target = path
  let tmp: string | undefined
  try {
    const link = await lstat(path).catch(() => undefined)
    const s = link ? await stat(path).catch(() => undefined) : undefined
    // A dangling link would make netpol create a file wherever it points: refused, in words.
    if (link?.isSymbolicLink() && !s) throw new EnvironmentError(`cannot write ${shownAs}: it is a symbolic link to a file that does not exist`)
    if (s?.isDirectory()) throw new EnvironmentError(`cannot write ${shownAs}: it is a directory`)
    if (s && !s.isFile()) {
      // Opened by its own name: /dev/stdout's link ends in "pipe:[...]", which is no path.
      const handle = await open(path, constants.O_WRONLY | constants.O_NOCTTY)
      try {
        await handle.writeFile(content)
      } finally {
        await handle.close()
      }
      return
    }
    if (link?.isSymbolicLink()) target = await realpath(path)
    tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`)
    await mkdir(dirname(target), { recursive: true })
    await writeFile(tmp, content)
    await rename(tmp, target)
  } catch (err) {
    if (tmp !== undefined) await rm(tmp, { force: true }).catch(() => undefined)
    if (err instanceof EnvironmentError) throw err
    throw new EnvironmentError(`cannot write ${shownAs}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}
