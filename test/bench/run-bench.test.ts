import { describe, it, expect } from 'vitest'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BenchUsageError, parseBenchArgs, parseSize, runBench, writeManifestSets } from '../../bench/run-bench.js'
import { judgeTargets, type BenchResult, type SizeResult } from '../../bench/bench-result.js'
import { renderTable } from '../../bench/bench-table.js'

describe('run-bench', () => {
  it('a tiny run (size S, short budgets) completes, prints the table and writes valid JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpol-bench-'))
    try {
      const out = join(dir, 'results', 'bench.json')
      const options = parseBenchArgs(['--sizes', 'S', '--budget', '0.2', '--samples', '100', '--in-process', '--out', out])
      const stdout: string[] = []
      const stderr: string[] = []
      const { result, exitCode } = await runBench(options, { stdout: (t) => void stdout.push(t), stderr: (t) => void stderr.push(t), stderrIsTTY: false })
      expect(exitCode).toBe(0)
      const json = JSON.parse(readFileSync(out, 'utf8')) as BenchResult
      expect(json).toEqual(JSON.parse(JSON.stringify(result)))
      expect(json.version).toBe(1)
      expect(json.agreed).toBe(true)
      expect(json.failures).toEqual([])
      expect(json.sizes).toHaveLength(1)
      const s = json.sizes[0]
      expect(s.size).toEqual({ name: 'S', pods: 100, namespaces: 8, policies: 30 })
      expect(s.podLevel.pairs).toBe(10_000)
      expect(s.podLevel.allowedPairs).toBeGreaterThan(100)
      expect(s.podLevel.allowedPairs).toBeLessThan(10_000)
      expect(s.podLevel.reference.pairsDone).toBeGreaterThan(0)
      expect(s.workloadLevel.pairs).toBe(s.workloads ** 2)
      expect(s.agreement.pairsCompared).toBeGreaterThan(s.podLevel.reference.pairsDone)
      expect(s.agreement.disagreements).toBe(0)
      expect(s.compile?.nodePods).toBe(100)
      expect(s.load?.files).toBe(8)
      expect(s.update.changes.length).toBeGreaterThanOrEqual(3)
      expect(json.targets.map((t) => t.name)).toContain('update after one policy change')
      const table = stdout.join('')
      expect(table).toContain('pod level: all pairs, 8080/TCP')
      expect(table).toMatch(/targets: /)
      // A missed target and a disagreement are said out loud.
      const slow: SizeResult = { ...s, size: { ...s.size, name: 'L' }, update: { ...s.update, medianMs: 80 } }
      const targets = judgeTargets([slow])
      expect(targets.find((t) => t.name === 'update after one policy change')?.met).toBe(false)
      expect(targets.find((t) => t.name === 'pod-level all-pairs vs reference')).toBeDefined()
      const bad = renderTable({ ...json, sizes: [slow], targets, agreed: false })
      expect(bad).toMatch(/update after one policy change \(median\) .* MISSED \(L\)/)
      expect(bad).toContain('DISAGREEMENT')
      // Not a TTY: progress comes as plain lines without escape codes.
      expect(stderr.join('')).toContain('S: done in')
      expect(stderr.join('')).not.toContain('\x1b[')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('parses sizes, including extra points PODSxNAMESPACESxPOLICIES', () => {
    expect(parseSize('L')).toEqual({ name: 'L', pods: 10_000, namespaces: 500, policies: 2_000 })
    expect(parseSize('2000x100x400')).toEqual({ name: '2000x100x400', pods: 2000, namespaces: 100, policies: 400 })
    expect(() => parseSize('XL')).toThrow(BenchUsageError)
    expect(parseBenchArgs([]).sizes.map((s) => s.name)).toEqual(['S', 'M', 'L'])
    expect(() => parseBenchArgs(['--budget'])).toThrow(/needs a value/)
    expect(() => parseBenchArgs(['--frobnicate'])).toThrow(/unknown argument/)
  })

  it('--write-manifests writes one directory per size', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpol-bench-'))
    try {
      const lines: string[] = []
      writeManifestSets(parseBenchArgs(['--write-manifests', dir, '--sizes', 'S']), (t) => void lines.push(t))
      expect(readdirSync(join(dir, 'S')).sort()).toContain('kube-system.yaml')
      expect(readdirSync(join(dir, 'S'))).toHaveLength(8)
      expect(lines.join('\n')).toContain('netpol matrix')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
