import { describe, it, expect } from 'vitest'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkLabsRoot, ensureLabDir } from '../../src/lab/state-store.js'
import { EnvironmentError } from '../../src/model/errors.js'

describe('the labs directory', () => {
  it('is made level by level (mode 0755), and a path that cannot be made is a clear error, not a hang', async () => {
    const base = await mkdtemp(join(tmpdir(), 'netpol-store-'))
    try {
      const dir = await ensureLabDir(join(base, 'a', 'b', 'labs'), 'l')
      expect((await stat(dir)).mode & 0o777).toBe(0o755)
      expect((await stat(join(base, 'a', 'b'))).mode & 0o022).toBe(0)
      // Node's own recursive mkdir never returns under /proc.
      await expect(checkLabsRoot('/proc/self/no-such/labs', true)).rejects.toThrow(EnvironmentError)
      await expect(checkLabsRoot('/proc/self/no-such/labs', true)).rejects.toThrow(/cannot create the labs directory \/proc\/self\/no-such\/labs: ENOENT/)
    } finally {
      await rm(base, { recursive: true, force: true })
    }
  })
})
