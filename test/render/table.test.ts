import { describe, it, expect } from 'vitest'
import { computeMatrix } from '../../src/analyze/matrix.js'
import { renderMatrixTable } from '../../src/render/table.js'
import type { Evaluator, Traffic, Verdict } from '../../src/engine/verdict.js'
import { cluster, pod } from '../analyze/cluster-builders.js'

const sameNamespace: Evaluator = {
  isAllowed: (t: Traffic) => t.from.kind === 'pod' && t.to.kind === 'pod' && t.from.pod.namespace === t.to.pod.namespace,
  evaluate(): Verdict {
    throw new Error('unused')
  },
}
const port80 = [{ port: 80, protocol: 'TCP' as const }]

function xyz() {
  return cluster(['x', 'y', 'z'].flatMap((ns) => ['a', 'b', 'c'].map((p) => pod(ns, p))))
}

describe('renderMatrixTable', () => {
  it('prints a small matrix with ns/pod headers, rows as sources and columns as destinations', () => {
    const text = renderMatrixTable(computeMatrix(sameNamespace, xyz(), port80))
    const lines = text.split('\n')
    expect(lines[0]).toMatch(/rows are sources/i)
    expect(text).toContain('80/TCP: 27 of 81 connections allowed')
    const header = lines.find((l) => l.trim().startsWith('x/a'))!
    expect(header.trim().split(/\s+/)).toEqual(['x/a', 'x/b', 'x/c', 'y/a', 'y/b', 'y/c', 'z/a', 'z/b', 'z/c'])
    const row = lines.find((l) => l.startsWith('y/b '))!
    expect(row.slice(4).replace(/\s+/g, '')).toBe('XXX...XXX')
  })

  it('keeps 100 pods readable: numbered columns, every line within the width, every cell present once', () => {
    const pods = Array.from({ length: 100 }, (_, i) => pod(`team-${String(Math.floor(i / 10)).padStart(2, '0')}`, `app-${i}`))
    const m = computeMatrix(sameNamespace, cluster(pods), port80)
    const width = 100
    const text = renderMatrixTable(m, { width })
    const lines = text.split('\n')
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(width)
    expect(text).toMatch(/destinations 1-\d+ of 100, block 1 of 2, split to fit 100 columns/)
    // Each row appears once per block; joined across blocks it holds 100 cells: 10 allowed (own namespace).
    const rowsOf = (label: string) => lines.filter((l) => l.startsWith(label)).map((l) => l.slice(label.length).trim().replace(/ /g, ''))
    const row42 = rowsOf(' 43 team-04/app-42 ').join('')
    expect(row42).toHaveLength(100)
    expect(row42).toBe('X'.repeat(40) + '.'.repeat(10) + 'X'.repeat(50))
    // Without a width limit one grid of 100 columns plus 9 namespace gaps.
    const one = renderMatrixTable(m)
    expect(one).not.toContain('block')
    const wide = one.split('\n').find((l) => l.startsWith('  1 team-00/app-0 '))!
    expect(wide.length).toBeLessThanOrEqual(140)
    // Colour escapes wrap runs of marks, not every cell.
    const coloured = renderMatrixTable(m, { colour: true })
      .split('\n')
      .find((l) => l.startsWith(' 43 team-04/app-42 '))!
    expect(coloured).toContain(`\u001b[31m${'X'.repeat(10)}\u001b[0m \u001b[32m${'.'.repeat(10)}\u001b[0m`)
  })

  it('writes column numbers vertically so each column is one character when wider columns would not fit', () => {
    const pods = Array.from({ length: 12 }, (_, i) => pod('ns-with-a-long-name-for-the-test', `pod-with-long-name-${i}`))
    const text = renderMatrixTable(computeMatrix(sameNamespace, cluster(pods), port80), { headers: 'index', width: 70 })
    const lines = text.split('\n')
    const tens = lines.find((l) => /^\s+ {9}111$/.test(l) || /^ +000000000111$/.test(l))
    expect(tens).toBeDefined()
    expect(lines.some((l) => /^ +123456789012$/.test(l))).toBe(true)
  })

  it('gives small matrices with long names numbered columns wide enough to write the numbers across', () => {
    const pods = [pod('kube-system', 'kube-dns-0'), ...['backend-0', 'backend-1', 'database-0'].map((n) => pod('prod', n))]
    const m = computeMatrix(sameNamespace, cluster(pods), port80)
    const lines = renderMatrixTable(m, { headers: 'index' }).split('\n')
    expect(lines).toContain('                         kube-system prod')
    expect(lines).toContain('                          1           2 3 4')
    expect(lines).toContain('1 kube-system/kube-dns-0  .           X X X')
    expect(lines).toContain('3 prod/backend-1          X           . . .')
    // Without room to widen the narrow group, its name is cut and spelled out below the grid.
    const narrow = renderMatrixTable(m, { headers: 'index', width: 40 }).split('\n')
    expect(narrow).toContain('                         k~ prod')
    expect(narrow).toContain('1 kube-system/kube-dns-0  .  X X X')
    expect(narrow).toContain('(k~ = kube-system (1))')
    for (const l of narrow.slice(1)) expect(l.length).toBeLessThanOrEqual(40)
  })

  it('colours cells only when asked', () => {
    const m = computeMatrix(sameNamespace, xyz(), port80)
    expect(renderMatrixTable(m)).not.toContain('\u001b[')
    expect(renderMatrixTable(m, { colour: true })).toContain('\u001b[32m.\u001b[0m   \u001b[32m.\u001b[0m')
  })

  it('says so when there are no pods', () => {
    expect(renderMatrixTable(computeMatrix(sameNamespace, cluster([]), port80))).toMatch(/no pods/i)
  })
})
