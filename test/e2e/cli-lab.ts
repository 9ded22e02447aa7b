/**
 * Test fixture: one lab driven through the built CLI as a user drives it, with its own labs
 * directory ($NETPOL_LAB_DIR) and a name unique to this test process ($NETPOL_LAB). After the
 * file's tests: `lab down`, and the directory removed.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { uniqueLabName } from '../lab/fixtures.js'
import { runBuiltCli, type BuiltCliRun } from './run-built-cli.js'

export interface CliLab {
  readonly name: string
  /** The labs directory; exists from beforeAll on. */
  readonly dir: string
  /** `netpol <args>` on this lab, `input` on stdin. */
  netpol(args: readonly string[], input?: string): Promise<BuiltCliRun>
}

/** Call at the top level of a test file: registers the beforeAll/afterAll that make and remove the lab's directory. */
export function useCliLab(tag: string): CliLab {
  let dir: string | undefined
  const name = uniqueLabName(tag)
  const lab: CliLab = {
    name,
    get dir(): string {
      if (dir === undefined) throw new Error('the lab directory is made in beforeAll')
      return dir
    },
    netpol: (args, input) => runBuiltCli(args, { env: { NETPOL_LAB_DIR: lab.dir, NETPOL_LAB: name, NO_COLOR: '1' }, input }),
  }
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netpol-labs-'))
  })
  afterAll(async () => {
    await lab.netpol(['lab', 'down'])
    await rm(lab.dir, { recursive: true, force: true })
  })
  return lab
}
