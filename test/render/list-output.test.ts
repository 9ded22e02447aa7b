/** `netpol list` renderers: control characters from input never reach a terminal raw. */
import { describe, expect, it } from 'vitest'
import { renderList } from '../../src/render/list-output.js'
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
