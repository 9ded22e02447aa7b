/** `netpol list` renderers: control characters from input never reach a terminal raw. */
import { describe, expect, it } from 'vitest'
import { renderList, renderListChunks } from '../../src/render/list-output.js'
import { renderJson } from '../../src/render/json.js'
import { renderCsv } from '../../src/render/csv.js'
import { renderMdTable } from '../../src/render/md.js'
import type { ListResult } from '../../src/analyze/list.js'

const result: ListResult = {
  groupBy: 'workload',
  connections: [
    {
      from: { kind: 'ReplicaSet', namespace: 'a', name: 'evil\u001b[2J\r\nPASS', label: 'a/evil\u001b[2J\r\nPASS[ReplicaSet]' },
      to: { kind: 'External', first: '10.0.0.0', last: '10.0.0.255', cidrs: ['10.0.0.0/24'], label: '10.0.0.0/24' },
      ports: 'all ports',
      portRanges: [],
      allPorts: true,
    },
  ],
}

describe('list output', () => {
  it('text and md escape control characters; json and csv keep the exact name (their formats quote it)', () => {
    expect(renderList(result, 'text')).toBe('a/evil\\x1b[2J\\r\\nPASS[ReplicaSet] => 10.0.0.0/24 : all ports\n')
    // Markdown doubles the backslash, so the page shows \x1b.
    expect(renderList(result, 'md')).toContain('| a/evil\\\\x1b[2J\\\\r\\\\nPASS[ReplicaSet] | 10.0.0.0/24 | all ports |')
    expect(JSON.parse(renderList(result, 'json')).connections[0].from.name).toBe('evil\u001b[2J\r\nPASS')
    expect(renderList(result, 'csv')).toBe('from,to,ports\n"a/evil\u001b[2J\r\nPASS[ReplicaSet]",10.0.0.0/24,all ports\n')
  })
})

describe('list output in pieces', () => {
  const many: ListResult = {
    groupBy: 'pod',
    connections: Array.from({ length: 4500 }, (_, i) => ({
      from: { kind: 'Pod', namespace: 'a', name: `p${i}`, label: `a/p${i}[Pod]` },
      to: { kind: 'External', first: '10.0.0.0', last: '10.0.0.255', cidrs: ['10.0.0.0/24'], label: '10.0.0.0/24' },
      ports: 'TCP 80,443',
      portRanges: [
        { protocol: 'TCP' as const, start: 80, end: 80 },
        { protocol: 'TCP' as const, start: 443, end: 443 },
      ],
      allPorts: false,
    })),
  }

  const whole = {
    text: many.connections.map((c) => `${c.from.label} => ${c.to.label} : ${c.ports}\n`).join(''),
    csv: renderCsv(
      ['from', 'to', 'ports'],
      many.connections.map((c) => [c.from.label, c.to.label, c.ports]),
    ),
    md: renderMdTable(
      ['from', 'to', 'ports'],
      many.connections.map((c) => [c.from.label, c.to.label, c.ports]),
    ),
  }

  it.each(['text', 'csv', 'md'] as const)('%s: the pieces make exactly the whole document', (format) => {
    const chunks = [...renderListChunks(many, format)]
    expect(chunks.length).toBeGreaterThan(2)
    expect(chunks.join('')).toBe(whole[format])
  })

  it('json in pieces is the document JSON.stringify writes', () => {
    expect([...renderListChunks(many, 'json')].join('')).toBe(renderJson({ groupBy: many.groupBy, connections: many.connections }))
    expect([...renderListChunks({ ...many, connections: [] }, 'json')].join('')).toBe('{\n  "groupBy": "pod",\n  "connections": []\n}\n')
  })
})
