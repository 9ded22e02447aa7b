import { execFileSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadManifests, loadManifestText, readInputFile } from '../../src/cluster/load-manifests.js'
import { DEFAULT_MAX_PODS } from '../../src/model/input-limits.js'
import { requireInputError, requireInputErrorAsync } from '../model/input-diagnostics.js'
import { removeNobodyMirror, runNetpolAsNobody } from '../e2e/run-as-nobody.js'

const pod = (name: string): string => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n`
const deployment = (name: string, replicas: number): string =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  replicas: ${replicas}\n  selector: {matchLabels: {app: ` +
  `${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec: {}\n`

describe('Lists', () => {
  it('items given as a map is an error naming the field, not an empty list', () => {
    const ds = requireInputError(() => loadManifestText('apiVersion: v1\nkind: List\nitems:\n  a: 1\n', { file: 'l.yaml' }))
    expect(ds).toEqual([
      {
        severity: 'error',
        file: 'l.yaml',
        line: 3,
        object: 'List',
        field: 'items',
        message: 'Invalid type: cannot unmarshal object into a field of type array',
      },
    ])
    const typed = requireInputError(() => loadManifestText('apiVersion: v1\nkind: PodList\nitems: x\n', { file: 'l.yaml' }))
    expect(typed.map((d) => `${d.line} ${d.field}: ${d.message}`)).toEqual(['3 items: Invalid type: cannot unmarshal string into a field of type array'])
  })
  it('an empty or absent items list is an empty List; a custom *List kind of its own is skipped as before', () => {
    expect(loadManifestText('apiVersion: v1\nkind: List\nitems: []\n').state.pods).toEqual([])
    expect(loadManifestText('apiVersion: v1\nkind: List\n').state.pods).toEqual([])
    expect(loadManifestText('apiVersion: example.com/v1\nkind: AllowList\nmetadata: {name: a}\nitems: {a: b}\n').skipped.map((s) => s.kind)).toEqual([
      'AllowList',
    ])
  })
  it('a List nested 3,000 deep is refused with one clear error, not a stack overflow', () => {
    let text = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' } })
    for (let i = 0; i < 3000; i++) text = `{"apiVersion":"v1","kind":"List","items":[${text}]}`
    const ds = requireInputError(() => loadManifestText(text, { file: 'deep.json' }))
    expect(ds.map((d) => `${d.file}:${d.line} ${d.message}`)).toEqual([
      "deep.json:1 error parsing YAML: maps and lists nested more than 256 deep (netpol's limit; no Kubernetes object comes near it)",
    ])
    // As YAML too (the full parser's path).
    const yaml = text.replaceAll('"', '')
    expect(requireInputError(() => loadManifestText(yaml, { file: 'deep.yaml' })).map((d) => d.message)).toEqual([
      expect.stringContaining('nested more than 256 deep'),
    ])
  })
})

describe('--max-pods', () => {
  it('refuses replicas: 2147483647 at spec.replicas without making a pod', () => {
    const ds = requireInputError(() => loadManifestText(deployment('web', 2147483647), { file: 'd.yaml' }))
    expect(ds).toEqual([
      {
        severity: 'error',
        file: 'd.yaml',
        line: 6,
        object: 'Deployment "default/web"',
        field: 'spec.replicas',
        message: `Invalid value: 2147483647: the input would have more than --max-pods=${DEFAULT_MAX_PODS} pods; raise --max-pods if this is meant`,
      },
    ])
  })
  it('counts pods and workload pods over every file of one load, and reports the crossing once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netpol-maxpods-'))
    try {
      await writeFile(join(dir, 'a.yaml'), [pod('p1'), pod('p2')].join('---\n'))
      await writeFile(join(dir, 'b.yaml'), [deployment('web', 3), deployment('api', 4)].join('---\n'))
      expect((await loadManifests([dir], { maxPods: 9 })).state.pods).toHaveLength(9)
      const ds = await requireInputErrorAsync(loadManifests([dir], { maxPods: 6 }))
      expect(ds.map((d) => `${d.file.slice(dir.length + 1)}:${d.line} ${d.field}: ${d.message}`)).toEqual([
        'b.yaml:17 spec.replicas: Invalid value: 4: the input would have more than --max-pods=6 pods (5 before this object); raise --max-pods if this is meant',
      ])
      const pods = await requireInputErrorAsync(loadManifests([join(dir, 'a.yaml')], { maxPods: 1 }))
      expect(pods.map((d) => `${d.line} ${d.object}: ${d.message}`)).toEqual([
        '6 Pod "default/p2": the input would have more than --max-pods=1 pods (1 before this object); raise --max-pods if this is meant',
      ])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('reading files, pipes and stdin', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netpol-input-'))
  })
  afterAll(async () => {
    await chmod(join(dir, 'locked'), 0o755).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
    removeNobodyMirror()
  })

  it('an empty or closed stdin is an error, not an empty valid cluster', async () => {
    for (const chunks of [[], [''], ['\n# nothing here\n---\n']]) {
      const ds = await requireInputErrorAsync(loadManifests(['-'], { stdin: Readable.from(chunks) }))
      expect(ds).toEqual([
        { severity: 'error', file: '-', line: 0, message: 'error: no objects read from stdin (-): the input is empty or holds only comments' },
      ])
    }
    // An explicitly empty List (what `kubectl get netpol -o yaml` prints for none) is an answer, not a lost input.
    expect((await loadManifests(['-'], { stdin: Readable.from(['apiVersion: v1\nkind: List\nitems: []\n']) })).state.policies).toEqual([])
  })
  it('an empty file, and a directory whose manifests are all empty, are errors', async () => {
    await writeFile(join(dir, 'empty.yaml'), '# only a comment\n')
    await mkdir(join(dir, 'empties'))
    await writeFile(join(dir, 'empties', 'a.yaml'), '')
    await writeFile(join(dir, 'empties', 'b.yaml'), '---\n')
    const ds = await requireInputErrorAsync(loadManifests([join(dir, 'empty.yaml'), join(dir, 'empties')]))
    expect(ds.map((d) => d.message.replaceAll(dir, 'D'))).toEqual([
      'error: no objects read from "D/empty.yaml": the file is empty or holds only comments',
      'error: no objects read from directory "D/empties": its 2 manifest files are empty',
    ])
    // Empty files next to real ones in a directory are fine.
    await writeFile(join(dir, 'empties', 'c.yaml'), pod('c'))
    expect((await loadManifests([join(dir, 'empties')])).state.pods).toHaveLength(1)
  })
  it('refuses character devices such as /dev/urandom instead of reading forever', async () => {
    const ds = await requireInputErrorAsync(loadManifests(['/dev/urandom', '/dev/null']))
    expect(ds.map((d) => d.message)).toEqual([
      'error: cannot read "/dev/urandom": a character device; netpol reads regular files, pipes and stdin (-)',
      'error: cannot read "/dev/null": a character device; netpol reads regular files, pipes and stdin (-)',
    ])
  })
  it('reads a named pipe', async () => {
    const fifo = join(dir, 'pipe.yaml')
    execFileSync('mkfifo', [fifo])
    const writer = import('node:fs/promises').then((fs) => fs.writeFile(fifo, pod('piped')))
    const r = await loadManifests([fifo])
    await writer
    expect(r.state.pods.map((p) => p.name)).toEqual(['piped'])
  })
  it('refuses a named pipe found inside a directory instead of waiting for a writer forever', async () => {
    await mkdir(join(dir, 'piped'))
    await writeFile(join(dir, 'piped', 'a.yaml'), pod('a'))
    execFileSync('mkfifo', [join(dir, 'piped', 'b.yaml')])
    const ds = await requireInputErrorAsync(loadManifests([join(dir, 'piped')]))
    expect(ds.map((d) => d.message.replaceAll(dir, 'D'))).toEqual([
      'error: cannot read "D/piped/b.yaml": a named pipe inside a directory; netpol reads a pipe only when it is named as a PATH',
    ])
  })
  it('a single input file (the expectations) in a symbolic link loop says so, not "does not exist"', async () => {
    await symlink(join(dir, 'loop-b.yaml'), join(dir, 'loop-a.yaml'))
    await symlink(join(dir, 'loop-a.yaml'), join(dir, 'loop-b.yaml'))
    const ds = await requireInputErrorAsync(readInputFile(join(dir, 'loop-a.yaml'), 'loop-a.yaml'))
    expect(ds.map((d) => `${d.file}: ${d.message}`)).toEqual(['loop-a.yaml: error: cannot read "loop-a.yaml": too many levels of symbolic links'])
  })
  it('refuses a file or stdin above --max-file-size without reading it all', async () => {
    await writeFile(join(dir, 'big.yaml'), `a: "${'x'.repeat(5000)}"\n`)
    const ds = await requireInputErrorAsync(loadManifests([join(dir, 'big.yaml')], { maxFileBytes: 4096 }))
    expect(ds).toEqual([
      { severity: 'error', file: join(dir, 'big.yaml'), line: 0, message: 'error: larger than 4Ki (--max-file-size): netpol does not read it' },
    ])
    // A stream that never ends stops at the bound.
    const endless = Readable.from(
      (function* () {
        for (;;) yield Buffer.alloc(65536, 0x61)
      })(),
    )
    const stdin = await requireInputErrorAsync(loadManifests(['-'], { stdin: endless, maxFileBytes: 1 << 20 }))
    expect(stdin.map((d) => `${d.file}: ${d.message}`)).toEqual(['-: error: larger than 1Mi (--max-file-size): netpol does not read it'])
  })
  it('decodes a UTF-16 file with a byte order mark instead of reporting "must be an object"', async () => {
    await writeFile(join(dir, 'utf16.yaml'), Buffer.from(`\uFEFF${pod('wide')}`, 'utf16le'))
    expect((await loadManifests([join(dir, 'utf16.yaml')])).state.pods.map((p) => [p.name, p.source.line])).toEqual([['wide', 1]])
    await writeFile(join(dir, 'latin1.yaml'), Buffer.concat([Buffer.from(pod('x')), Buffer.from('  labels: {a: caf'), Buffer.from([0xe9]), Buffer.from('}\n')]))
    const ds = await requireInputErrorAsync(loadManifests([join(dir, 'latin1.yaml')]))
    expect(ds.map((d) => `${d.line} ${d.message}`)).toEqual([
      '5 error: the text is not valid UTF-8: netpol reads UTF-8, or UTF-16/UTF-32 that start with a byte order mark',
    ])
  })
  it('a broken link named like a manifest is an error; one named otherwise is ignored', async () => {
    await mkdir(join(dir, 'links'))
    await writeFile(join(dir, 'links', 'ok.yaml'), pod('ok'))
    await symlink(join(dir, 'gone'), join(dir, 'links', 'README.md'))
    expect((await loadManifests([join(dir, 'links')])).state.pods).toHaveLength(1)
    await symlink(join(dir, 'gone'), join(dir, 'links', 'policy.yaml'))
    const ds = await requireInputErrorAsync(loadManifests([join(dir, 'links')]))
    expect(ds.map((d) => d.message.replaceAll(dir, 'D'))).toEqual([
      'error: cannot read "D/links/policy.yaml": no such file or directory (a broken symbolic link?)',
    ])
  })
  it.runIf(process.getuid?.() === 0)('an unreadable subdirectory is an error naming it (not an exit-3 crash), as a user without root sees it', async () => {
    const open = await mkdtemp(join(tmpdir(), 'netpol-unreadable-'))
    try {
      await chmod(open, 0o755)
      await mkdir(join(open, 'locked', 'sub'), { recursive: true })
      await writeFile(join(open, 'locked', 'a.yaml'), pod('a'))
      await chmod(join(open, 'locked', 'sub'), 0o700) // root's: nobody may not enter it
      const r = runNetpolAsNobody(['check', join(open, 'locked')])
      expect(r.stderr.replaceAll(open, 'D')).toBe('D/locked/sub: error: cannot read directory "D/locked/sub": permission denied\n')
      expect(r.status).toBe(2)
    } finally {
      await rm(open, { recursive: true, force: true })
    }
  })
  it.skipIf(process.getuid?.() === 0)('an unreadable subdirectory is an error naming it (not an exit-3 crash)', async () => {
    await mkdir(join(dir, 'locked', 'sub'), { recursive: true })
    await writeFile(join(dir, 'locked', 'a.yaml'), pod('a'))
    await chmod(join(dir, 'locked', 'sub'), 0o000)
    const ds = await requireInputErrorAsync(loadManifests([join(dir, 'locked')]))
    expect(ds.map((d) => d.message.replaceAll(dir, 'D'))).toEqual(['error: cannot read directory "D/locked/sub": permission denied'])
  })
})

describe('the full YAML reader is bounded', () => {
  it('a file over 16 MiB outside the fast paths is refused with the line (the full reader would need gigabytes); within them it is read', () => {
    const padding = `status:\n  message: "${'x'.repeat(17 * 1024 * 1024)}"\n`
    const plain = `${pod('p')}${padding}`
    expect(loadManifestText(plain, { file: 'big.yaml' }).state.pods.map((p) => p.name)).toEqual(['p'])
    const anchored = `${pod('p')}  labels: &l {a: b}\n${padding}`
    const ds = requireInputError(() => loadManifestText(anchored, { file: 'big.yaml' }))
    expect(ds.map((d) => `${d.file}:${d.line} ${d.message.slice(0, 60)}`)).toEqual(['big.yaml:5 error: larger than 16Mi, and uses YAML beyond what kubectl a'])
  })
})
