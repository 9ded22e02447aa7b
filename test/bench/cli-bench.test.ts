import { describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { judgeCliTargets, parseCliBenchArgs, renderCliTable, runCliBench, type CliBenchResult, type CommandRun } from '../../bench/cli-bench.js'
import { BenchUsageError, parseSize } from '../../bench/run-bench.js'

const run = (over: Partial<CommandRun>): CommandRun => ({
  size: 'L',
  style: 'pods',
  format: 'json',
  command: 'check',
  argv: [],
  status: 'ok',
  wallMs: 100,
  cpuMs: 100,
  maxRssBytes: 100 * 2 ** 20,
  ...over,
})

describe('bench:cli', () => {
  it('parses its filters and refuses unknown values', () => {
    const o = parseCliBenchArgs(['--sizes', 'S,M', '--styles', 'workloads', '--formats', 'json', '--commands', 'check,report', '--runs', '3'])
    expect(o.sizes.map((s) => s.name)).toEqual(['S', 'M'])
    expect(o.styles).toEqual(['workloads'])
    expect(o.formats).toEqual(['json'])
    expect(o.commands).toEqual(['check', 'report'])
    expect(o.runs).toBe(3)
    expect(() => parseCliBenchArgs(['--commands', 'chek'])).toThrow(BenchUsageError)
    expect(() => parseCliBenchArgs(['--formats', 'xml'])).toThrow(/unknown "xml"/)
    expect(() => parseCliBenchArgs(['--help'])).toThrow(BenchUsageError)
  })

  it('judges the targets on the worst style and format at the largest size, and growth against pods + policies', () => {
    const sizes = [parseSize('M'), parseSize('L')]
    const runs = [
      run({ size: 'M', command: 'check', cpuMs: 100 }),
      run({ size: 'L', command: 'check', wallMs: 1000, cpuMs: 900 }),
      run({ size: 'L', format: 'yaml', command: 'check', wallMs: 2000, cpuMs: 950 }),
      run({ size: 'M', command: 'report', cpuMs: 100 }),
      run({ size: 'L', command: 'report', status: 'failed', exitCode: 3, wallMs: 50_000 }),
      run({ size: 'L', command: 'matrix-port', maxRssBytes: 2 * 2 ** 30 }),
    ]
    const targets = judgeCliTargets(runs, sizes)
    const find = (command: string, what: string) => targets.find((t) => t.command === command && t.what === what)!
    expect(find('check', 'wall')).toMatchObject({ met: false, value: 2000, where: 'L pods yaml' })
    expect(find('check', 'rss').met).toBe(true)
    // 9x the CPU for 10x pods + policies: linear.
    expect(find('check', 'growth')).toMatchObject({ met: true, value: 9 })
    expect(find('report', 'wall')).toMatchObject({ met: false, value: undefined })
    expect(find('report', 'rss').met).toBe(false)
    expect(find('matrix-port', 'rss').met).toBe(false)
    expect(targets.some((t) => t.command === 'matrix-port' && t.what === 'growth')).toBe(false)
  })

  it('a tiny run: bin/netpol processes on generated manifests, figures from the child, table and JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpol-cli-bench-'))
    try {
      const options = parseCliBenchArgs([
        '--sizes',
        'S',
        '--styles',
        'pods',
        '--formats',
        'json',
        '--commands',
        'check,explain,diff',
        '--work-dir',
        dir,
        '--out',
        join(dir, 'cli.json'),
      ])
      const result: CliBenchResult = await runCliBench(options, () => {})
      expect(result.runs.map((r) => [r.command, r.status])).toEqual([
        ['check', 'ok'],
        ['explain', 'ok'],
        ['diff', 'ok'],
      ])
      for (const r of result.runs) {
        expect(r.cpuMs).toBeGreaterThan(0)
        expect(r.maxRssBytes).toBeGreaterThan(10 * 2 ** 20)
      }
      const diff = result.runs.find((r) => r.command === 'diff')!
      expect(diff.exitCode).toBe(0)
      const table = renderCliTable(result)
      expect(table).toContain('pods json (wall / cpu / peak RSS)')
      expect(table).toMatch(/check time .*met/)
      expect(readFileSync(join(dir, 'seed-20261120', 'S-pods-json', 'expectations.yaml'), 'utf8').match(/^\s*- name: /gm)).toHaveLength(1000)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
