import { execFileSync } from 'node:child_process'
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises'
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

  it('writes into a named pipe (or a device such as /dev/null) instead of replacing it with a regular file', async () => {
    const fifo = join(dir, 'pipe')
    execFileSync('mkfifo', [fifo])
    const read = readFile(fifo, 'utf8')
    await writeFileAtomically(fifo, 'through the pipe')
    expect(await read).toBe('through the pipe')
    expect((await lstat(fifo)).isFIFO()).toBe(true)
    expect(await readdir(dir)).not.toContain(expect.stringMatching(/\.tmp$/))
  })

  it('follows a symbolic link: the file it points to is replaced, the link stays', async () => {
    await mkdir(join(dir, 'real'))
    await writeFile(join(dir, 'real', 'r.html'), 'old')
    await symlink(join(dir, 'real', 'r.html'), join(dir, 'link.html'))
    await writeFileAtomically(join(dir, 'link.html'), 'new')
    expect(await readlink(join(dir, 'link.html'))).toBe(join(dir, 'real', 'r.html'))
    expect(await readFile(join(dir, 'real', 'r.html'), 'utf8')).toBe('new')
    expect(await readdir(join(dir, 'real'))).toEqual(['r.html'])
  })

  it('a symbolic link to nothing is an error in words, and nothing is created', async () => {
    await symlink(join(dir, 'nowhere', 'x.html'), join(dir, 'dangling.html'))
    const err = await writeFileAtomically(join(dir, 'dangling.html'), 'x', 'dangling.html').catch((e: unknown) => e)
    expect((err as Error).message).toBe('cannot write dangling.html: it is a symbolic link to a file that does not exist')
    expect(await readdir(dir)).not.toContain('nowhere')
  })

  it('a directory is an error in words', async () => {
    await mkdir(join(dir, 'a-dir'))
    const err = await writeFileAtomically(join(dir, 'a-dir'), 'x', 'a-dir').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(EnvironmentError)
    expect((err as Error).message).toBe('cannot write a-dir: it is a directory')
  })
})
