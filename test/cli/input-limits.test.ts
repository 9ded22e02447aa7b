import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCliInProcess } from './run-cli-in-process.js'

const deployment = (replicas: number): string =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: ${replicas}\n  selector: {matchLabels: {app: web}}\n ` +
  ` template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: c, ports: [{containerPort: 80}]}]\n`

describe('bad input through the CLI: exit 2 with a clear message, never exit 3', () => {
  let dir: string
  const run = (args: string[], stdin?: string) => runCliInProcess(args, { cwd: dir, ...(stdin === undefined ? {} : { stdin }) })

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netpol-cli-limits-'))
    await writeFile(join(dir, 'deep.json'), `${'['.repeat(5000)}${']'.repeat(5000)}`)
    let list = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}'
    for (let i = 0; i < 3000; i++) list = `{"apiVersion":"v1","kind":"List","items":[${list}]}`
    await writeFile(join(dir, 'deep-list.json'), list)
    await writeFile(join(dir, 'huge.yaml'), deployment(2147483647))
    await writeFile(join(dir, 'small.yaml'), deployment(3))
    await mkdir(join(dir, 'empty'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it.each([
    [['check', 'deep.json'], 'deep.json:1: error parsing YAML: maps and lists nested more than 256 deep'],
    [['check', 'deep-list.json'], 'deep-list.json:1: error parsing YAML: maps and lists nested more than 256 deep'],
    [
      ['check', 'huge.yaml'],
      'huge.yaml:6: Deployment "default/web" is invalid: spec.replicas: Invalid value: 2147483647: the input would have more than --max-pods=100000 pods',
    ],
    [['matrix', 'huge.yaml'], 'huge.yaml:6: Deployment "default/web" is invalid: spec.replicas: Invalid value: 2147483647'],
    [['check', '/dev/urandom'], '/dev/urandom: error: cannot read "/dev/urandom": a character device'],
    [['check', '-'], '-: error: no objects read from stdin (-)'],
    [['check', 'empty'], 'empty: error: no objects read from directory'],
    [
      ['check', '--max-pods', '2', 'small.yaml'],
      'small.yaml:6: Deployment "default/web" is invalid: spec.replicas: Invalid value: 3: the input would have more than --max-pods=2 pods',
    ],
    [['lint', '--max-file-size', '100', 'small.yaml'], 'small.yaml: error: larger than 100 bytes (--max-file-size)'],
    [['check', '--max-pods', 'lots', 'small.yaml'], 'error: --max-pods: "lots" is not a positive whole number'],
    [
      ['explain', '--max-file-size', '1Q', 'small.yaml', '--from', 'default/web-0', '--to', 'default/web-1', '--port', '80'],
      'error: --max-file-size: "1Q" is not a size',
    ],
  ])('%j', async (args, message) => {
    const r = await run(args, '')
    expect(r.stderr).toContain(message)
    expect(r.stderr).not.toContain('internal error')
    expect(r.code).toBe(2)
  })
  it.each([
    ['/dev/urandom', '/dev/urandom: error: cannot read "/dev/urandom": a character device; netpol reads regular files, pipes and stdin (-)'],
    ['missing.yaml', 'missing.yaml: error: the path "missing.yaml" does not exist'],
    ['empty', 'empty: error: cannot read "empty": is a directory; give one file'],
  ])('test --expect %s: refused like a manifest path, exit 2', async (expect_, message) => {
    const r = await run(['test', 'small.yaml', '--expect', expect_])
    expect([r.code, r.stderr]).toEqual([2, `${message}\n`])
  })
  it('test --expect is bounded by --max-file-size', async () => {
    await writeFile(join(dir, 'expect.yaml'), `expectations:\n${'  - {from: default/web-0, to: default/web-1, port: 80/TCP, allowed: true}\n'.repeat(10)}`)
    expect((await run(['test', 'small.yaml', '--expect', 'expect.yaml'])).code).toBe(0)
    const r = await run(['test', 'small.yaml', '--expect', 'expect.yaml', '--max-file-size', '100'])
    expect([r.code, r.stderr]).toEqual([2, 'expect.yaml: error: larger than 100 bytes (--max-file-size): netpol does not read it\n'])
  })
  it('a raised --max-pods reads what the default refuses', async () => {
    const r = await run(['check', '--max-pods', '3', 'small.yaml'])
    expect([r.code, r.stdout]).toEqual([0, '1 namespace, 3 pods, 0 policies valid\n'])
  })
  it.each([['matrix'], ['list'], ['explain'], ['check'], ['lint'], ['diff'], ['test'], ['report'], ['lab', 'up'], ['lab', 'apply']])(
    '%s %s offers --max-pods and --max-file-size',
    async (...command) => {
      const r = await run([...command, '--help'])
      expect(r.stdout).toContain('--max-pods <n>')
      expect(r.stdout).toContain('--max-file-size <size>')
    },
  )
})
