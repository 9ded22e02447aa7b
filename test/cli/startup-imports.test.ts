/**
 * What every netpol process loads before it runs a command: the modules src/cli/main.ts imports
 * statically, followed through src/. The Kubernetes client (about 0.35 s of start-up, more than
 * the analysis of a small cluster) must only be loaded by the commands that read a live cluster
 * or drive the lab, with import() where they need it.
 */
import { describe, expect, it } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'

const SRC = resolve(import.meta.dirname, '../../src')

/** Modules a file imports statically for their values (`import type` is erased; import() is on demand). */
function staticImports(text: string): string[] {
  const out: string[] = []
  for (const m of text.matchAll(/(?:^|\n)\s*(import|export)\b(?!\s+type\b)[^'"()]*?\bfrom\s*['"]([^'"]+)['"]/g)) out.push(m[2]!)
  // Side-effect imports: `import './x.js'`.
  for (const m of text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) out.push(m[1]!)
  return out
}

/** Every package reached from `entry` through static imports, with the chain of files that leads to it. */
function packagesReached(entry: string): Map<string, string[]> {
  const packages = new Map<string, string[]>()
  const seen = new Set<string>()
  const visit = (file: string, chain: string[]): void => {
    if (seen.has(file)) return
    seen.add(file)
    const here = [...chain, relative(SRC, file)]
    for (const spec of staticImports(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts')
        if (existsSync(target)) visit(target, here)
      } else if (!spec.startsWith('node:') && !packages.has(spec)) packages.set(spec, here)
    }
  }
  visit(entry, [])
  return packages
}

describe('start-up of the netpol command', () => {
  const reached = packagesReached(resolve(SRC, 'cli/main.ts'))

  it('follows the imports (the walk reaches the packages every command uses)', () => {
    expect([...reached.keys()]).toEqual(expect.arrayContaining(['commander', 'yaml']))
  })

  it('does not load the Kubernetes client', () => {
    const chain = reached.get('@kubernetes/client-node')
    expect(chain, chain && `loaded through ${chain.join(' -> ')}`).toBeUndefined()
  })
})
