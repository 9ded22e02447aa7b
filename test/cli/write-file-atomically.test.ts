import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EnvironmentError } from '../../src/model/errors.js'
import { writeFileAtomically } from '../../src/cli/write-file-atomically.js'

describe('writeFileAtomically', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netpol-write-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('creates missing directories, replaces an existing file and leaves no temporary file', async () => {
    const target = join(dir, 'out', 'report.html')
    await writeFileAtomically(target, 'first')
    await writeFileAtomically(target, 'second')
    expect(await readFile(target, 'utf8')).toBe('second')
    expect(await readdir(join(dir, 'out'))).toEqual(['report.html'])
  })

  it('a target it cannot write is an EnvironmentError naming the file as the user wrote it, with the errno', async () => {
    await writeFile(join(dir, 'plain-file'), 'x')
    const target = join(dir, 'plain-file', 'report.html')
    const err = await writeFileAtomically(target, 'content', 'plain-file/report.html').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(EnvironmentError)
    expect((err as Error).message).toBe('cannot write plain-file/report.html: EEXIST')
  })
})
