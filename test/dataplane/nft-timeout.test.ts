/**
 * A hung nft must not stall its caller (the agent's sync) forever: runNft kills it after its
 * deadline and reports a failure, so the caller's error path runs and nothing is taken as applied.
 * A stand-in `nft` that never finishes is put first on PATH (this file's worker only).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runNft } from '../../src/dataplane/nft.js'

describe('an nft that never finishes', () => {
  let dir = ''
  const path = process.env.PATH
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netpol-hung-nft-'))
    // exec: the stand-in is the process runNft started, as nft is under `ip netns exec`.
    writeFileSync(join(dir, 'nft'), `#!/bin/sh\necho $$ > ${join(dir, 'pid')}\nexec sleep 600\n`)
    chmodSync(join(dir, 'nft'), 0o755)
    process.env.PATH = `${dir}:${path ?? ''}`
  })
  afterAll(() => {
    process.env.PATH = path
    rmSync(dir, { recursive: true, force: true })
  })

  it('is stopped at the deadline and reported as failed, not as done', async () => {
    const r = await runNft(['list', 'tables'], { timeoutMs: 300 })
    expect(r.code).toBeNull()
    expect(r.stderr).toContain('nft did not finish within 0.3 s and was stopped')
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'))
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/)
  })
})
