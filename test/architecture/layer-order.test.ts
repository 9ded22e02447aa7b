/**
 * The layer order of src/ (docs/architecture.md), checked over the real import graph: a folder
 * imports only from folders below it, and the pure core touches no file, process or network.
 */
import { describe, it, expect } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'

const SRC = resolve(import.meta.dirname, '../../src')

/** Lower ranks are lower layers; folders of one rank do not import each other. */
export const LAYERS: Readonly<Record<string, number>> = {
  model: 0,
  cluster: 1,
  engine: 2,
  analyze: 3,
  dataplane: 3,
  render: 4,
  lab: 5,
  agent: 5,
  cli: 6,
}

/** The pure core: data in, data out. */
const PURE = ['model', 'engine', 'analyze', 'render']
const IO_MODULES = /^node:(fs|fs\/promises|child_process|net|http|https|http2|dgram|dns|os|tls|worker_threads|cluster|readline)$/

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

/** Every module a file imports, statically or with import(). */
export function importsOf(text: string): string[] {
  const out: string[] = []
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g)) out.push(m[1]!)
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!)
  return out
}

const folderOf = (file: string): string => relative(SRC, file).split(sep)[0]!

describe('layer order of src/', () => {
  const files = sourceFiles(SRC)

  it('every folder of src/ has a layer', () => {
    expect(new Set(files.map(folderOf))).toEqual(new Set(Object.keys(LAYERS)))
  })

  it('a folder imports only from folders below it', () => {
    const wrong: string[] = []
    for (const file of files) {
      const from = folderOf(file)
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.')) continue
        const to = folderOf(resolve(dirname(file), spec))
        if (to !== from && !(LAYERS[to]! < LAYERS[from]!)) wrong.push(`${relative(SRC, file)} imports ${spec} (${from} may not import ${to})`)
      }
    }
    expect(wrong).toEqual([])
  })

  it('the pure core (model, engine, analyze, render) uses no file, process or network module', () => {
    const wrong = files
      .filter((f) => PURE.includes(folderOf(f)))
      .flatMap((f) =>
        importsOf(readFileSync(f, 'utf8'))
          .filter((s) => IO_MODULES.test(s))
          .map((s) => `${relative(SRC, f)} imports ${s}`),
      )
    expect(wrong).toEqual([])
  })

  it('the check sees imports of every form it must judge', () => {
    const text =
      "import { a } from '../cli/x.js'\nimport type {\n  B,\n} from '../lab/y.js'\nexport { c } from './z.js'\nconst m = await import('../agent/w.js')\n"
    expect(importsOf(text)).toEqual(['../cli/x.js', '../lab/y.js', './z.js', '../agent/w.js'])
  })
})

describe('src, tests, benchmarks and the helpers they share', () => {
  const ROOT = resolve(SRC, '..')
  /** The top folder of a file or import target: src, testing, test, bench, or something else. */
  const topOf = (file: string): string => relative(ROOT, file).split(sep)[0]!
  /** What each top folder may import (relative imports; packages are judged by package.json). */
  const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
    src: ['src'],
    testing: ['src', 'testing'],
    bench: ['src', 'testing', 'bench'],
    test: ['src', 'testing', 'test'],
  }
  const wrongImports = (top: string): string[] =>
    sourceFiles(join(ROOT, top)).flatMap((file) =>
      importsOf(readFileSync(file, 'utf8'))
        .filter((spec) => spec.startsWith('.'))
        .filter((spec) => {
          const to = topOf(resolve(dirname(file), spec))
          // test/bench/ holds the tests of the benchmarks' own code (argument parsing, tables, targets).
          if (to === 'bench' && relative(ROOT, file).startsWith(`test${sep}bench${sep}`)) return false
          return !MAY_IMPORT[top]!.includes(to)
        })
        .map((spec) => `${relative(ROOT, file)} imports ${spec}`),
    )

  it('src/ imports nothing from tests, benchmarks or testing/, so the production build emits dist/src only', () => {
    expect(wrongImports('src')).toEqual([])
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] }
    expect(build.include).toEqual(['src/**/*.ts'])
  })

  it('testing/ (helpers shared by tests and benchmarks) imports only src/ and itself', () => {
    expect(wrongImports('testing')).toEqual([])
  })

  it('bench/ never imports test/, and test/ imports bench/ only in the tests of the benchmarks (test/bench/)', () => {
    expect(wrongImports('bench')).toEqual([])
    expect(wrongImports('test')).toEqual([])
  })
})
