/**
 * @module Writing an output file the user named (a report, JUnit XML) so that it is never left
 * half-written: a temporary file next to the target, then a rename.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { EnvironmentError } from '../model/errors.js'

/**
 * Writes `content` to `path` (directories created as needed). On failure the temporary file is
 * removed and an EnvironmentError names the file as `shownAs` (what the user typed) with the errno.
 */
export async function writeFileAtomically(path: string, content: string, shownAs: string = path): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  try {
    await mkdir(dirname(path), { recursive: true })
    await writeFile(tmp, content)
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined)
    throw new EnvironmentError(`cannot write ${shownAs}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}
