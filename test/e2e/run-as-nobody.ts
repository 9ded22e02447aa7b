/**
 * Runs the built CLI as the unprivileged user nobody (setpriv, from util-linux), for what only a
 * user without root sees (no root for the lab, directories it may not read). The checkout may sit
 * in a directory nobody cannot enter (a clone in /root or in a mode-0700 folder), so nobody runs
 * a mirror of what the CLI needs in a directory everyone may enter: hard links where the file
 * system allows, a copy otherwise. `removeNobodyMirror` (afterAll) removes it.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const CHECKOUT = resolve(import.meta.dirname, '../..')
let mirror: string | undefined

function mirrorForNobody(): string {
  if (mirror !== undefined) return mirror
  const parts = ['bin', 'dist', 'node_modules', 'package.json', 'examples'].map((part) => join(CHECKOUT, part))
  for (const flags of ['-al', '-a']) {
    const dir = mkdtempSync(join(tmpdir(), 'netpol-nobody-'))
    chmodSync(dir, 0o755)
    if (spawnSync('cp', [flags, ...parts, dir]).status === 0) return (mirror = dir)
    rmSync(dir, { recursive: true, force: true })
  }
  throw new Error(`could not mirror ${CHECKOUT} for nobody`)
}

/** `netpol <args>` as nobody, from the mirror (relative paths such as `examples/...` resolve there). */
export function runNetpolAsNobody(args: readonly string[]): SpawnSyncReturns<string> {
  const dir = mirrorForNobody()
  return spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(dir, 'bin/netpol'), ...args], {
    encoding: 'utf8',
    cwd: dir,
  })
}

export function removeNobodyMirror(): void {
  if (mirror !== undefined) rmSync(mirror, { recursive: true, force: true })
  mirror = undefined
}
