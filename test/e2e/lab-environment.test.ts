/**
 * `netpol lab` says plainly what the machine lacks (exit 2, no stack trace): root, `ip`, `nft`.
 * Runs the built CLI as nobody and with an empty PATH.
 */
import { describe, it, expect, afterAll } from 'vitest'
import { spawnSync } from 'node:child_process'
import { NETPOL_BIN } from './run-built-cli.js'
import { removeNobodyMirror, runNetpolAsNobody } from './run-as-nobody.js'

describe('lab prerequisites', () => {
  afterAll(removeNobodyMirror)

  it('without root: exit 2 and a sentence saying so', () => {
    const r = runNetpolAsNobody(['lab', 'up', 'examples/three-tier', '--name', 'envcheck'])
    expect(r.stderr).toBe('error: netpol lab cannot run here; missing:\n  - root: the lab creates network namespaces and nftables rules (run it with sudo)\n')
    expect(r.status).toBe(2)
  })

  it('without iproute2 and nftables: exit 2 naming both packages', () => {
    const r = spawnSync(process.execPath, [NETPOL_BIN, 'lab', 'probe', '--name', 'envcheck'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: '/nonexistent' },
    })
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/missing:\n {2}- `ip` from iproute2 .*\n {2}- `nft` from nftables/)
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/)
  })
})
