import { describe, it, expect } from 'vitest'
import { parse } from 'yaml'
import { computeMatrix } from '../../src/analyze/matrix.js'
import { renderMatrix } from '../../src/render/matrix-output.js'
import { renderCsv } from '../../src/render/csv.js'
import { renderMdTable } from '../../src/render/md.js'
import type { Evaluator, Traffic, Verdict } from '../../src/engine/verdict.js'
import { cluster, pod } from '../analyze/cluster-builders.js'

const toB: Evaluator = {
  isAllowed: (t: Traffic) => t.to.kind === 'pod' && (t.to.pod.name === 'b' || (t.from.kind === 'pod' && t.from.pod === t.to.pod)),
  evaluate(): Verdict {
    throw new Error('unused')
  },
}
const m = computeMatrix(toB, cluster([pod('x', 'a'), pod('x', 'b')]), [
  { port: 80, protocol: 'TCP' },
  { port: 53, protocol: 'UDP' },
])

describe('matrix output formats', () => {
  it('json is exactly {"connections":[...]} with from, to, port, protocol, allowed', () => {
    const doc = JSON.parse(renderMatrix(m, 'json'))
    expect(doc).toEqual({
      connections: [
        { from: 'x/a', to: 'x/a', port: 53, protocol: 'UDP', allowed: true },
        { from: 'x/a', to: 'x/a', port: 80, protocol: 'TCP', allowed: true },
        { from: 'x/a', to: 'x/b', port: 53, protocol: 'UDP', allowed: true },
        { from: 'x/a', to: 'x/b', port: 80, protocol: 'TCP', allowed: true },
        { from: 'x/b', to: 'x/a', port: 53, protocol: 'UDP', allowed: false },
        { from: 'x/b', to: 'x/a', port: 80, protocol: 'TCP', allowed: false },
        { from: 'x/b', to: 'x/b', port: 53, protocol: 'UDP', allowed: true },
        { from: 'x/b', to: 'x/b', port: 80, protocol: 'TCP', allowed: true },
      ],
    })
  })
  it('yaml holds the same document', () => {
    expect(parse(renderMatrix(m, 'yaml'))).toEqual(JSON.parse(renderMatrix(m, 'json')))
  })
  it('csv has a header and one row per connection', () => {
    const lines = renderMatrix(m, 'csv').trimEnd().split('\n')
    expect(lines[0]).toBe('from,to,port,protocol,allowed')
    expect(lines).toHaveLength(9)
    expect(lines[5]).toBe('x/b,x/a,53,UDP,false')
  })
  it('md has one grid per port with ✓ and ✗', () => {
    const md = renderMatrix(m, 'md')
    expect(md).toContain('### 53/UDP')
    expect(md).toContain('### 80/TCP')
    expect(md).toContain('| from \\\\ to | x/a | x/b |')
    expect(md).toContain('| **x/b** | ✗ | ✓ |')
  })
})

describe('csv and markdown helpers', () => {
  it('quotes CSV fields with commas, quotes and line breaks', () => {
    expect(
      renderCsv(
        ['a', 'b'],
        [
          ['x,y', 'say "hi"'],
          ['line\nbreak', 1],
        ],
      ),
    ).toBe('a,b\n"x,y","say ""hi"""\n"line\nbreak",1\n')
  })
  it('escapes pipes in markdown cells', () => {
    expect(renderMdTable(['h'], [['a|b']])).toBe('| h |\n| --- |\n| a\\|b |\n')
  })
})
