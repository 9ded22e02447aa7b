/**
 * The review examples a new user copies from README.md ("Review a change") and docs/review.md
 * print what those pages show. Shown outputs may elide: a line `...` stands for any lines, and
 * `(...)` inside a line for any parenthesised text; `| tail -1` keeps the last line.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCliInProcess } from '../cli/run-cli-in-process.js'

const root = resolve(import.meta.dirname, '../..')

interface Example {
  readonly command: string
  readonly shown: string
}

/** `$ ./bin/netpol lint|diff|test ...` (or `$ netpol ...`) lines of console blocks, with the lines after each. */
function reviewExamples(file: string): Example[] {
  const text = readFileSync(join(root, file), 'utf8')
  const out: Example[] = []
  for (const [, body] of text.matchAll(/```console\n([\s\S]*?)```/g)) {
    const parts = body.split(/^\$ /m).slice(1)
    for (const part of parts) {
      const [command, ...rest] = part.split('\n')
      if (!/^(\.\/bin\/)?netpol (lint|diff|test) /.test(command)) continue
      out.push({ command, shown: rest.join('\n') })
    }
  }
  return out
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The shown output as a pattern: `...` lines match any lines, `(...)` any parenthesised text. */
function shownPattern(shown: string): RegExp {
  const lines = shown.replace(/\n$/, '').split('\n')
  const source = lines
    .map((line) => (line === '...' ? '(?:[^\\n]*\\n)*?' : escapeRegExp(line).replaceAll('\\(\\.\\.\\.\\)', '\\([^\\n]*?\\)') + '\\n'))
    .join('')
  return new RegExp(`^${source}$`)
}

async function run(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cli, pipe] = command.split(' | ')
  const args = cli.replace(/^(\.\/bin\/)?netpol /, '').split(' ')
  const r = await runCliInProcess(args, { cwd: root })
  if (pipe === undefined) return r
  expect(pipe, command).toBe('tail -1')
  const lines = r.stdout.replace(/\n$/, '').split('\n')
  return { ...r, stdout: `${lines[lines.length - 1]}\n` }
}

describe.each(['README.md', 'docs/review.md'])('the review examples of %s', (file) => {
  const examples = reviewExamples(file)

  it('are there (lint, diff and test)', () => {
    const commands = examples.map((e) => e.command.replace(/^(\.\/bin\/)?netpol /, '').split(' ')[0])
    expect(new Set(commands)).toEqual(new Set(['lint', 'diff', 'test']))
  })

  it.each(examples.map((e) => [e.command, e] as const))('%s prints what the page shows', async (_command, example) => {
    const r = await run(example.command)
    // lint and diff answer 0 here; test answers 1 when the page shows failures.
    expect([0, 1], r.stderr).toContain(r.code)
    expect(r.stdout).toMatch(shownPattern(example.shown))
  })
})
