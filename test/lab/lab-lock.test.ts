import { describe, it, expect } from 'vitest'
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { withLabLock } from '../../src/lab/lab-lock.js'

describe('withLabLock', () => {
  it('refuses a changing command while another live process holds the lab', async () => {
    const root = await mkdtemp(join(tmpdir(), 'netpol-lock-'))
    try {
      await mkdir(join(root, 'l'))
      // PID 1 is always alive: it stands for a `lab up` running in another process.
      await writeFile(join(root, 'l', 'lock'), '1 up\n')
      await expect(withLabLock(root, 'l', 'down', async () => 'ran')).rejects.toThrow(/lab "l" is busy: `lab up` \(pid 1\)/)
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  it('releases the lock afterwards and leaves no empty lab directory', async () => {
    const root = await mkdtemp(join(tmpdir(), 'netpol-lock-'))
    try {
      await expect(
        withLabLock(root, 'l', 'apply', async () => {
          throw new Error('no such lab')
        }),
      ).rejects.toThrow('no such lab')
      expect(await readdir(root)).toEqual([])
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  it('takes over the lock of a holder that is gone (a killed lab up)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'netpol-lock-'))
    try {
      await mkdir(join(root, 'l'))
      await writeFile(join(root, 'l', 'lock'), `999999999 up\n`)
      expect(await withLabLock(root, 'l', 'down', async () => 'ran')).toBe('ran')
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
