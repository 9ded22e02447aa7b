/**
 * Every renderer, fed names no manifest could carry but a live API server can (a Pod's
 * ownerReferences name is not validated) or a hand-edited lab state could: human output shows
 * them escaped, machine output keeps them exact and valid for its format.
 */
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { cluster, pod } from '../analyze/cluster-builders.js'
import { createEngine } from '../../src/engine/engine.js'
import { computeMatrix } from '../../src/analyze/matrix.js'
import { groupMatrix } from '../../src/analyze/group.js'
import { buildReport } from '../../src/analyze/report.js'
import { renderMatrix } from '../../src/render/matrix-output.js'
import { renderGroupedMatrix, renderGroupedMatrixChunks } from '../../src/render/grouped-matrix.js'
import { computeGroupedMatrix } from '../../src/analyze/grouped-matrix.js'
import { renderConnectivityDot } from '../../src/render/report-dot.js'
import { renderReportHtml, inlineSvg } from '../../src/render/report-html.js'
import { checkXml } from './xml-check.js'
import type { ClusterState } from '../../src/model/types.js'
import { loadManifestText } from '../../src/cluster/load-manifests.js'

/** Sets the window title, forges a line, ends a DOT or HTML attribute, adds a table cell and an image, reorders text. */
const HOSTILE = 'w\u001b]0;t\u0007\n"|<img src=x>`\u202e\\N\u009b1m'
const RAW_UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff\ud800-\udfff]/

const manifests = `
apiVersion: v1
kind: Pod
metadata: {name: a-0, namespace: demo, labels: {app: a}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: b-0, namespace: demo, labels: {app: b}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}
status: {podIP: 10.0.0.2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-a, namespace: demo}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: a}}}]
`
const loaded = loadManifestText(manifests, { file: 'm.yaml' }).state
// As a live API server hands it over: ownerReferences[].name is free text.
const state: ClusterState = { ...loaded, pods: loaded.pods.map((p) => (p.name === 'a-0' ? { ...p, owner: { kind: 'StatefulSet', name: HOSTILE } } : p)) }
const group = `demo/${HOSTILE}[StatefulSet]`

function expectNoRawUnsafe(text: string): void {
  const bad = RAW_UNSAFE.exec(text)
  expect(bad, bad ? `raw U+${bad[0].charCodeAt(0).toString(16)} near ${JSON.stringify(text.slice(bad.index - 30, bad.index + 30))}` : '').toBeNull()
}

describe('a workload name from a live cluster, in every format', () => {
  const matrix = computeMatrix(createEngine(state), state, [{ port: 80, protocol: 'TCP' }])
  const grouped = groupMatrix(matrix, 'workload')

  it('is in the group names (the vector these tests rely on)', () => {
    expect(grouped.groups).toContain(group)
  })

  it('table: escaped, one line per row', () => {
    const text = renderGroupedMatrix(grouped, 'table')
    expectNoRawUnsafe(text)
    expect(text).toContain('demo/w\\x1b]0;t\\x07\\n"|<img src=x>`\\u202e\\N\\x9b1m[StatefulSet]')
    expect(text.split('\n').filter((l) => /^\d+ {2}/.test(l))).toHaveLength(2)
  })

  it('JSON and YAML: exact, with no raw code point a terminal acts on', () => {
    const json = renderGroupedMatrix(grouped, 'json')
    expectNoRawUnsafe(json.replaceAll('\n', ''))
    const doc = JSON.parse(json) as { groups: string[]; connections: { from: string; to: string }[] }
    expect(doc.groups).toContain(group)
    // The hostile workload reaches the other one: its label is in the cells too.
    expect(doc.connections.map((c) => c.from)).toContain(group)
    const yaml = renderGroupedMatrix(grouped, 'yaml')
    expectNoRawUnsafe(yaml.replaceAll('\n', ''))
    expect(parseYaml(yaml)).toEqual(doc)
  })

  it('computed on identities (labels quoted once per matrix): the same text as the fold of the pod matrix', () => {
    const fast = computeGroupedMatrix(createEngine(state), state, [{ port: 80, protocol: 'TCP' }], 'workload')
    for (const format of ['json', 'yaml', 'csv'] as const) {
      const streamed = [...renderGroupedMatrixChunks(fast, format)].join('')
      expect(streamed).toBe(renderGroupedMatrix(grouped, format))
      if (format !== 'csv') expectNoRawUnsafe(streamed.replaceAll('\n', ''))
    }
  })

  it('CSV: quoted, so the value reads back exact', () => {
    const csv = renderGroupedMatrix(grouped, 'csv')
    expect(csv).toContain(`"${group.replaceAll('"', '""')}"`)
  })

  it('Markdown: the table keeps its columns and shows no HTML', () => {
    const md = renderGroupedMatrix(grouped, 'md')
    expectNoRawUnsafe(md.replaceAll('\n', ''))
    const rows = md.split('\n').filter((l) => l.startsWith('|'))
    for (const row of rows) expect(row.split(/(?<!\\)\|/).length - 2).toBe(3)
    expect(md).not.toMatch(/(?<!\\)<img/)
  })

  it('DOT: every label stays one quoted string, with no control character', () => {
    const model = buildReport(state, createEngine(state), { groupBy: 'workload', inputs: ['x'] })
    const dot = renderConnectivityDot(model.graph)
    expectNoRawUnsafe(dot.replaceAll('\n', ''))
    for (const line of dot.split('\n')) {
      // Outside quoted strings, a line holds only DOT syntax: no name text leaks out of its quotes.
      const outside = line.replace(/"(?:[^"\\]|\\.)*"/g, '""')
      expect(outside).not.toMatch(/img|owned|\\/)
    }
    expect(dot).toContain('tooltip="demo/w\\\\x1b]0;t\\\\x07\\\\n\\"|<img src=x>`\\\\u202e\\\\N\\\\x9b1m[StatefulSet]"')
  })

  it('HTML and the SVG Graphviz makes of the DOT: escaped, and the SVG is well-formed XML', async () => {
    const model = buildReport(state, createEngine(state), { groupBy: 'workload', inputs: [HOSTILE] })
    const { instance } = await import('@viz-js/viz')
    const result = (await instance()).render(renderConnectivityDot(model.graph), { format: 'svg', engine: 'dot' })
    expect(result.status).toBe('success')
    const svg = inlineSvg(result.output!)
    checkXml(svg)
    const html = renderReportHtml(model, result.output!)
    expectNoRawUnsafe(html.replaceAll('\n', ''))
    expect(html).not.toContain('<img')
    expect(html).toContain('w\\x1b]0;t\\x07\\n&quot;|&lt;img src=x&gt;`\\u202e\\N\\x9b1m')
  })
})

describe('a pod name handed over by a lab state or a live cluster', () => {
  const hostile = cluster([
    pod('demo', HOSTILE, { ports: [{ containerPort: 80, protocol: 'TCP' }] }),
    pod('demo', 'b', { ports: [{ containerPort: 80, protocol: 'TCP' }] }),
  ])
  const matrix = computeMatrix(createEngine(hostile), hostile, [{ port: 80, protocol: 'TCP' }])

  it('table (names and numbered headers): escaped', () => {
    for (const headers of ['names', 'index'] as const) {
      const text = renderMatrix(matrix, 'table', { headers })
      expectNoRawUnsafe(text)
      expect(text).toContain('demo/w\\x1b]0;t\\x07\\n')
    }
  })

  it('Markdown: escaped, columns kept', () => {
    const md = renderMatrix(matrix, 'md')
    expectNoRawUnsafe(md.replaceAll('\n', ''))
    for (const row of md.split('\n').filter((l) => l.startsWith('|'))) expect(row.split(/(?<!\\)\|/).length - 2).toBe(3)
  })
})
