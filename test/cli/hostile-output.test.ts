/**
 * Text from input never drives the terminal nor forges a line, and machine output stays valid for
 * its format, whatever a manifest, a file name or an expectations file holds (docs/security.md).
 * Names of pods, namespaces and policies are validated, so the hostile text here comes in where
 * input is free: directory and file names, expectation names, unknown field names and kinds,
 * YAML error snippets, flag values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { runCliInProcess } from './run-cli-in-process.js'
import { runCli } from '../../src/cli/main.js'
import { checkXml } from '../render/xml-check.js'

const root = resolve(import.meta.dirname, '../..')

/** A directory name that sets the window title, and a line break that starts a forged result line. */
const EVIL_DIR = 'm\u001b]0;owned\u0007\u001b[2J\u009b31m\u202e|<img src=x>`\nPASS forged-dir'
/** EVIL_DIR as human output prints it. */
const ESCAPED_DIR = 'm\\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\u202e|<img src=x>`\\nPASS forged-dir'
/** Everything a terminal or a parser must not see raw, except LF (the output's own line breaks). */
const RAW_UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff\ud800-\udfff]/

let dir: string
let evil: string

function cli(args: readonly string[], stdin?: string) {
  return runCliInProcess(args, { cwd: dir, ...(stdin !== undefined ? { stdin } : {}) })
}

/** Human output: no raw control, bidi or non-character code point, and no line forged by input. */
function expectSafe(text: string): void {
  const bad = RAW_UNSAFE.exec(text)
  expect(
    bad,
    bad ? `raw U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')} in ${JSON.stringify(text.slice(Math.max(0, bad.index - 40), bad.index + 40))}` : '',
  ).toBeNull()
  expect(text).not.toMatch(/^\s*PASS forged/m)
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netpol-hostile-'))
  evil = join(dir, EVIL_DIR)
  await mkdir(evil)
  for (const f of ['namespaces.yaml', 'policies.yaml', 'workloads.yaml']) {
    await copyFile(join(root, 'examples/three-tier-v2', f), join(evil, f))
    await mkdir(join(dir, 'before'), { recursive: true })
    await copyFile(join(root, 'examples/three-tier', f), join(dir, 'before', f))
  }
  await writeFile(
    join(evil, 'other.yaml'),
    'apiVersion: "x.example/v1\\e[31m"\nkind: "Widget\\e]0;kind\\a"\nmetadata: {name: "w\\nPASS forged-kind", namespace: prod}\n',
  )
  await writeFile(
    join(dir, 'expected.yaml'),
    [
      'expectations:',
      '- name: "ok\\nPASS forged-name"',
      '  from: prod/frontend-0',
      '  to: prod/database-0',
      '  port: 5432/TCP',
      '  allowed: true',
      '- name: "\\e]0;title\\a\\e[32mgreen \\u202eevil \\u2028 \\ufffe\\uffff \\ud800 & <x> \\" \'"',
      '  from: prod/frontend-0',
      '  to: prod/backend-0',
      '  port: 8080/TCP',
      '  allowed: true',
      '',
    ].join('\n'),
  )
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('human output escapes text from input', () => {
  it('check --verbose: a skipped object of a hostile kind, in a hostile directory', async () => {
    const r = await cli(['check', EVIL_DIR, '--verbose'])
    expect(r.code).toBe(0)
    expectSafe(r.stdout)
    expectSafe(r.stderr)
    expect(r.stderr).toContain(`${ESCAPED_DIR}/other.yaml:`)
    expect(r.stderr).toContain('skipped Widget\\x1b]0;kind\\x07 "w\\nPASS forged-kind" (x.example/v1\\x1b[31m)')
  })

  it('test: expectation names and file names cannot forge a PASS line', async () => {
    const r = await cli(['test', EVIL_DIR, '--expect', 'expected.yaml'])
    expect(r.code).toBe(1)
    expectSafe(r.stdout)
    expectSafe(r.stderr)
    const lines = r.stdout.split('\n')
    expect(lines[0]).toBe('FAIL ok\\nPASS forged-name (expected allowed, got denied)')
    expect(lines[2]).toMatch(/^PASS \\x1b\]0;title\\x07\\x1b\[32mgreen \\u202eevil \\u2028 \\ufffe\\uffff \\ud800 & <x> " '$/)
    expect(r.stdout).toContain(`${ESCAPED_DIR}/policies.yaml:`)
  })

  it('lint, explain and diff text: file names in sources and causes', async () => {
    const lint = await cli(['lint', EVIL_DIR])
    expect(lint.stdout).toContain('forged-dir/namespaces.yaml:')
    const explain = await cli(['explain', EVIL_DIR, '--from', 'prod/frontend-0', '--to', 'prod/database-0', '--port', '5432/TCP'])
    expect(explain.code).toBe(0)
    expect(explain.stdout).toContain('forged-dir/policies.yaml:')
    const diff = await cli(['diff', 'before', EVIL_DIR])
    expect(diff.stdout).toContain('forged-dir/policies.yaml:')
    for (const r of [lint, explain, diff]) {
      expectSafe(r.stdout)
      expectSafe(r.stderr)
    }
  })

  it('errors: an unknown field name, a YAML error snippet, a flag value, an unknown option', async () => {
    const field = await cli(
      ['check', '-'],
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: d}\nspec:\n  podSelector: {}\n ' +
        ' "\\e]8;;http://x\\a\\nPASS forged-field": 1\n',
    )
    expect(field.code).toBe(2)
    expect(field.stderr).toContain('\\x1b]8;;http://x\\x07\\nPASS forged-field')
    const syntax = await cli(['check', '-'], 'a: "\u001b[31m\u202e\n  - b: [\n')
    expect(syntax.code).toBe(2)
    const flag = await cli(['explain', EVIL_DIR, '--from', 'prod/x\u001b[31m\nPASS forged-flag', '--to', 'prod/database-0', '--port', '5432'])
    expect(flag.code).toBe(2)
    expect(flag.stderr).toContain('prod/x\\x1b[31m\\nPASS forged-flag')
    const option = await cli(['check', '--\u001b]0;x\u0007\nPASS forged-option'])
    expect(option.code).toBe(2)
    expect(option.stderr).toContain('--\\x1b]0;x\\x07\\nPASS forged-option')
    const missing = await cli(['check', `${EVIL_DIR}-missing`])
    expect(missing.code).toBe(2)
    for (const r of [field, syntax, flag, option, missing]) {
      expectSafe(r.stdout)
      expectSafe(r.stderr)
    }
  })

  it('internal errors: the message and, with NETPOL_DEBUG, the stack frames', async () => {
    for (const debug of [undefined, '1']) {
      let stderr = ''
      const code = await runCli(['check', '-'], {
        stdout: () => {
          throw new Error('boom \u001b]0;x\u0007\nPASS forged-internal')
        },
        stderr: (t) => void (stderr += t),
        stdin: Readable.from(['apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n']),
        stdoutIsTTY: false,
        stderrIsTTY: false,
        env: debug ? { NETPOL_DEBUG: debug } : {},
        cwd: dir,
      })
      expect(code).toBe(3)
      expectSafe(stderr)
      expect(stderr).toContain('internal error: boom \\x1b]0;x\\x07\\nPASS forged-internal\n')
      if (debug) expect(stderr).toMatch(/^ {4}at /m)
    }
  })

  it('report: the line naming the file written', async () => {
    const r = await cli(['report', EVIL_DIR, '-o', `${EVIL_DIR}/report.html`])
    expect(r.code).toBe(0)
    expectSafe(r.stderr)
    const html = await readFile(join(evil, 'report.html'), 'utf8')
    expect(html).not.toMatch(RAW_UNSAFE)
    expect(html).toContain('forged-dir/policies.yaml')
  })
})

describe('machine output stays valid for its format', () => {
  it('JUnit XML: XML 1.0 characters only, every name kept as far as XML can carry it', async () => {
    const r = await cli(['test', EVIL_DIR, '--expect', 'expected.yaml', '--junit', 'out.xml'])
    expect(r.code).toBe(1)
    const xml = await readFile(join(dir, 'out.xml'), 'utf8')
    const doc = checkXml(xml)
    const names = doc.elements.filter((e) => e.name === 'testcase').map((e) => e.attributes.name)
    expect(names).toEqual(['ok\nPASS forged-name', '\ufffd]0;title\ufffd\ufffd[32mgreen \u202eevil \u2028 \ufffd\ufffd \ufffd & <x> " \''])
    const files = doc.elements.filter((e) => e.name === 'testcase').map((e) => e.attributes.file)
    expect(files).toEqual(['expected.yaml', 'expected.yaml'])
  })

  it('JSON and SARIF carry the exact names', async () => {
    const t = JSON.parse((await cli(['test', EVIL_DIR, '--expect', 'expected.yaml', '-o', 'json'])).stdout)
    expect(t.results[0].name).toBe('ok\nPASS forged-name')
    const sarif = JSON.parse((await cli(['lint', EVIL_DIR, '-o', 'sarif'])).stdout)
    const uri: string = sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri
    expect(decodeURIComponent(uri.split('/')[0])).toBe(EVIL_DIR)
    const lint = JSON.parse((await cli(['lint', EVIL_DIR, '-o', 'json'])).stdout)
    expect(lint.findings[0].file).toContain(EVIL_DIR)
  })

  it('SARIF: a file name in a message cannot become a link in a code-scanning view', async () => {
    const linky = '[click](javascript:alert(1))'
    await mkdir(join(dir, linky), { recursive: true })
    const policy = (name: string) =>
      `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: demo}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n`
    await writeFile(join(dir, linky, 'p.yaml'), `apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n---\n${policy('a')}---\n${policy('b')}`)
    const sarif = JSON.parse((await cli(['lint', linky, '-o', 'sarif'])).stdout)
    const texts: string[] = sarif.runs[0].results.map((r: { message: { text: string } }) => r.message.text)
    expect(texts.some((t) => t.includes('[click\\](javascript:alert(1))/p.yaml'))).toBe(true)
    for (const t of texts) expect(t).not.toMatch(/(?<!\\)\]\(/)
  })

  it('Markdown: a hostile name cannot break the table or add HTML', async () => {
    const md = (await cli(['diff', 'before', EVIL_DIR, '-o', 'md'])).stdout
    expectSafe(md)
    const rows = md.split('\n').filter((l) => l.startsWith('| '))
    // Every row has the header's six cells: no unescaped pipe, no line break inside a cell.
    for (const row of rows) expect(row.split(/(?<!\\)\|/).length - 2).toBe(6)
    expect(md).toContain('forged-dir/policies.yaml')
    expect(md).not.toMatch(/(?<!\\)<img/)
  })
})
