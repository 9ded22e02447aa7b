/**
 * An unreadable subdirectory, as root sees one too: root passes permission checks, so the
 * refusal (EACCES) is made by the file system functions here, for directories named `locked`.
 * input-hardening.test.ts has the same case with real permissions, for non-root runs.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { requireInputErrorAsync } from '../model/input-diagnostics.js'

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>()
  const denied = (path: unknown): boolean => String(path).endsWith('/locked')
  const eacces = (path: unknown): Error => Object.assign(new Error(`EACCES: permission denied, scandir '${String(path)}'`), { code: 'EACCES' })
  return {
    ...fs,
    readdir: (async (path: string, ...rest: unknown[]) => {
      if (denied(path)) throw eacces(path)
      return (fs.readdir as (...a: unknown[]) => Promise<unknown>)(path, ...rest)
    }) as typeof fs.readdir,
  }
})

const { loadManifests } = await import('../../src/cluster/load-manifests.js')

describe('an unreadable subdirectory', () => {
  it('is an error naming it, with every other problem, not an exit-3 crash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netpol-locked-'))
    try {
      await mkdir(join(dir, 'tree', 'locked'), { recursive: true })
      await writeFile(join(dir, 'tree', 'a.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n')
      const ds = await requireInputErrorAsync(loadManifests([join(dir, 'tree'), join(dir, 'locked')]))
      expect(ds.map((d) => `${d.file.replace(dir, 'D')}: ${d.message.replaceAll(dir, 'D')}`)).toEqual([
        'D/tree/locked: error: cannot read directory "D/tree/locked": permission denied',
        'D/locked: error: the path "D/locked" does not exist',
      ])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
