/**
 * The grouped matrix's machine outputs (`netpol matrix --group-by workload|namespace -o
 * json|yaml|csv`, docs/cli.md): only the cells with an allowed pod pair, one per line, with the
 * groups, their sizes and the ports that rebuild every other cell; the same cells in every format,
 * whichever way the matrix was computed. (The property over generated clusters against the pod
 * matrix is in test/analyze/fast-paths.test.ts.)
 */
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { GROUPING_STATE } from '../analyze/grouping-state.js'
import { createEngine } from '../../src/engine/engine.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import { computeMatrix, defaultPorts, type PortSpec } from '../../src/analyze/matrix.js'
import { groupMatrix } from '../../src/analyze/group.js'
import { computeGroupedMatrix } from '../../src/analyze/grouped-matrix.js'
import { groupedMatrixBytes, renderGroupedMatrix, renderGroupedMatrixChunks } from '../../src/render/grouped-matrix.js'
import { cluster, pod } from '../analyze/cluster-builders.js'
import { csvRows, rebuildDense, type SparseDocument } from './grouped-matrix-document.js'

const STATE = GROUPING_STATE

const PORTS: PortSpec[] = [
  { port: 80, protocol: 'TCP' },
  { port: 443, protocol: 'TCP' },
]

describe('grouped matrix, machine output', () => {
  it('JSON: the document a field per line, then a line per cell with an allowed pod pair', () => {
    const g = computeGroupedMatrix(createEngine(STATE), STATE, defaultPorts(STATE), 'namespace')
    // a -> a: 6 pairs of two different pods, web <-> web and canary -> web allowed (4), web -> canary not.
    expect(renderGroupedMatrix(g, 'json')).toBe(
      `{"groupBy":"namespace",
"groups":["a","b"],
"groupSizes":[3,1],
"ports":[{"port":80,"protocol":"TCP"}],
"connections":[
{"from":"a","to":"a","port":80,"protocol":"TCP","allowed":false,"partial":true,"allowedPairs":4,"pairs":6},
{"from":"a","to":"b","port":80,"protocol":"TCP","allowed":true,"partial":false,"allowedPairs":3,"pairs":3},
{"from":"b","to":"a","port":80,"protocol":"TCP","allowed":false,"partial":true,"allowedPairs":2,"pairs":3},
{"from":"b","to":"b","port":80,"protocol":"TCP","allowed":true,"partial":false,"allowedPairs":1,"pairs":1}
]}
`,
    )
  })

  it('leaves out the cells denied for every pod pair; the groups, sizes and ports rebuild them', () => {
    const g = computeGroupedMatrix(createEngine(STATE), STATE, PORTS, 'workload')
    const doc = JSON.parse(renderGroupedMatrix(g, 'json')) as SparseDocument
    expect(Object.keys(doc)).toEqual(['groupBy', 'groups', 'groupSizes', 'ports', 'connections'])
    expect(doc.groups).toEqual(['a/canary[Pod]', 'a/web[Deployment]', 'b/client[Pod]'])
    expect(doc.groupSizes).toEqual([1, 2, 1])
    expect(doc.ports).toEqual(PORTS)
    for (const c of doc.connections) expect(Object.keys(c)).toEqual(['from', 'to', 'port', 'protocol', 'allowed', 'partial', 'allowedPairs', 'pairs'])
    // Nothing reaches the canary but itself.
    const listed = doc.connections.map((c) => `${c.from} ${c.to} ${c.port}`)
    expect(listed).not.toContain('a/web[Deployment] a/canary[Pod] 80')
    expect(listed).not.toContain('b/client[Pod] a/canary[Pod] 443')
    expect(listed).toContain('a/canary[Pod] a/canary[Pod] 80')
    expect(doc.connections).toHaveLength(14)
    expect(rebuildDense(doc)).toEqual(g.connections)
    expect(g.connections.filter((c) => c.allowedPairs === 0)).toHaveLength(4)
  })

  it('JSON, YAML and CSV list the same cells; the fold of the pod matrix writes the same text', () => {
    for (const by of ['workload', 'namespace', 'pod'] as const) {
      const fast = computeGroupedMatrix(createEngine(STATE), STATE, PORTS, by)
      const folded = groupMatrix(computeMatrix(referenceEvaluator(STATE), STATE, PORTS), by)
      const json = renderGroupedMatrix(fast, 'json')
      const doc = JSON.parse(json) as SparseDocument
      expect(parseYaml(renderGroupedMatrix(fast, 'yaml'))).toEqual(doc)
      expect(csvRows(renderGroupedMatrix(fast, 'csv'))).toEqual(doc.connections)
      for (const format of ['json', 'yaml', 'csv'] as const)
        expect(renderGroupedMatrix(folded, format), `${by} ${format}`).toBe(renderGroupedMatrix(fast, format))
    }
  })

  it('YAML: the document as the YAML renderer writes it, the cells as block mappings', () => {
    const g = computeGroupedMatrix(createEngine(STATE), STATE, [{ port: 80, protocol: 'TCP' }], 'namespace')
    expect(renderGroupedMatrix(g, 'yaml')).toBe(
      `groupBy: namespace
groups:
- a
- b
groupSizes:
- 3
- 1
ports:
- port: 80
  protocol: TCP
connections:
- from: a
  to: a
  port: 80
  protocol: TCP
  allowed: false
  partial: true
  allowedPairs: 4
  pairs: 6
- from: a
  to: b
  port: 80
  protocol: TCP
  allowed: true
  partial: false
  allowedPairs: 3
  pairs: 3
- from: b
  to: a
  port: 80
  protocol: TCP
  allowed: false
  partial: true
  allowedPairs: 2
  pairs: 3
- from: b
  to: b
  port: 80
  protocol: TCP
  allowed: true
  partial: false
  allowedPairs: 1
  pairs: 1
`,
    )
  })

  it('nothing allowed, or no pods: an empty list in every format', () => {
    const closed = cluster(
      [pod('a', 'x', { labels: { app: 'x' } }), pod('a', 'y', { labels: { app: 'y' } })],
      [
        {
          namespace: 'a',
          name: 'deny-all',
          podSelector: { matchLabels: {}, matchExpressions: [] },
          policyTypes: ['Ingress'],
          ingress: [],
          egress: [],
          source: { file: 'p.yaml', line: 1 },
        },
      ],
    )
    const g = computeGroupedMatrix(createEngine(closed), closed, [{ port: 80, protocol: 'TCP' }], 'namespace')
    expect(renderGroupedMatrix(g, 'json')).toBe(
      '{"groupBy":"namespace",\n"groups":["a"],\n"groupSizes":[2],\n"ports":[{"port":80,"protocol":"TCP"}],\n"connections":[]}\n',
    )
    expect(parseYaml(renderGroupedMatrix(g, 'yaml'))).toEqual({
      groupBy: 'namespace',
      groups: ['a'],
      groupSizes: [2],
      ports: [{ port: 80, protocol: 'TCP' }],
      connections: [],
    })
    expect(renderGroupedMatrix(g, 'csv')).toBe('from,to,port,protocol,allowed,partial,allowedPairs,pairs\n')
    const empty = cluster([])
    const none = computeGroupedMatrix(createEngine(empty), empty, [], 'workload')
    expect(JSON.parse(renderGroupedMatrix(none, 'json'))).toEqual({ groupBy: 'workload', groups: [], groupSizes: [], ports: [], connections: [] })
  })

  it('large output: chunks of about 1 MB, each ending at a line, held or reused', () => {
    // 120 single-pod namespaces open to each other on 40 ports: 576,000 cells, about 70 MB of JSON.
    const pods = Array.from({ length: 120 }, (_, i) => pod(`ns-${String(i).padStart(3, '0')}`, 'p', { ips: [`10.0.${i >> 8}.${i & 255}`] }))
    const state = cluster(pods)
    const ports = Array.from({ length: 40 }, (_, i): PortSpec => ({ port: 1000 + i, protocol: 'TCP' }))
    const g = computeGroupedMatrix(createEngine(state), state, ports, 'namespace')
    // Held: a for...of reader keeps every chunk, none is written over.
    const held = [...groupedMatrixBytes(g, 'csv')]
    expect(held.length).toBeGreaterThan(10)
    const decoder = new TextDecoder()
    for (const chunk of held.slice(0, -1)) {
      expect(chunk.length).toBeGreaterThanOrEqual(1 << 20)
      expect(chunk.length).toBeLessThan((1 << 20) + 200)
      expect(chunk[chunk.length - 1]).toBe(0x0a)
    }
    const text = held.map((c) => decoder.decode(c)).join('')
    const lines = text.split('\n')
    expect(lines).toHaveLength(1 + 120 * 120 * 40 + 1)
    expect(lines[1]).toBe('ns-000,ns-000,1000,TCP,true,false,1,1')
    expect(lines.at(-2)).toBe('ns-119,ns-119,1039,TCP,true,false,1,1')
    // Reused: a reader that says it is done with each chunk gets the same text.
    const chunks = groupedMatrixBytes(g, 'csv')
    let reused = ''
    for (let c = chunks.next(); !c.done; c = chunks.next(true)) reused += decoder.decode(c.value)
    expect(reused).toBe(text)
    expect([...renderGroupedMatrixChunks(g, 'csv')].join('')).toBe(text)
  })
})
