/**
 * `netpol lab` says plainly what the machine lacks (exit 2, no stack trace): root, `ip`, `nft`.
 * Runs the built CLI as nobody (setpriv, from util-linux) and with an empty PATH.
 */
import { describe, it, expect, afterAll } from 'vitest'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { NETPOL_BIN } from './run-built-cli.js'

const CHECKOUT = resolve(import.meta.dirname, '../..')

/**
 * The checkout may sit in a directory nobody cannot enter (a clone in /root or in a mode-0700
 * folder), so nobody runs a mirror of what the CLI needs, in a directory everyone may enter:
 * hard links where the file system allows, a copy otherwise.
 */
function mirrorForNobody(): string {
  const parts = ['bin', 'dist', 'node_modules', 'package.json', 'examples'].map((part) => join(CHECKOUT, part))
  for (const flags of ['-al', '-a']) {
    const dir = mkdtempSync(join(tmpdir(), 'netpol-nobody-'))
    chmodSync(dir, 0o755)
    if (spawnSync('cp', [flags, ...parts, dir]).status === 0) return dir
    rmSync(dir, { recursive: true, force: true })
  }
  throw new Error(`could not mirror ${CHECKOUT} for nobody`)
}

describe('lab prerequisites', () => {
  let mirror: string | undefined
  afterAll(() => {
    if (mirror !== undefined) rmSync(mirror, { recursive: true, force: true })
  })

  it('without root: exit 2 and a sentence saying so', () => {
    mirror = mirrorForNobody()
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(mirror, 'bin/netpol'), 'lab', 'up', 'examples/three-tier', '--name', 'envcheck'], { encoding: 'utf8', cwd: mirror })
    expect(r.stderr).toBe('error: netpol lab cannot run here; missing:\n  - root: the lab creates network namespaces and nftables rules (run it with sudo)\n')
    expect(r.status).toBe(2)
  })

  it('without iproute2 and nftables: exit 2 naming both packages', () => {
    const r = spawnSync(process.execPath, [NETPOL_BIN, 'lab', 'probe', '--name', 'envcheck'], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } })
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/missing:\n {2}- `ip` from iproute2 .*\n {2}- `nft` from nftables/)
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/)
  })
})
