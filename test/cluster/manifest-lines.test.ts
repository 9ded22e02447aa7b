import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { requireInputError } from '../model/input-diagnostics.js'

// A `kubectl get -o json` style List (4 spaces) with escapes, colons and brackets in strings
// before the object in error: the JSON reader finds positions only when asked for, and must
// still name the very line of the field, as the YAML reader does for the same objects.
const namespace = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'prod', labels: { 'team.example/a': 'b' }, annotations: { 'example.com/a': 'x"}]{[:' } },
}
const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-0',
    namespace: 'prod',
    labels: { app: 'web' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"a":["b\\\\",{"c":"d:e"}]}\n', 'example.com/b': 'ünï\u2028 \\ "' },
  },
  spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 8080 }] }] },
  status: { podIP: '10.0.0.5' },
}
const policy = (port: unknown, protocol: unknown = 'TCP'): object => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'api', namespace: 'prod' },
  spec: {
    podSelector: { matchLabels: { app: 'web' } },
    policyTypes: ['Egress'],
    egress: [
      {
        to: [{ podSelector: {} }],
        ports: [
          { port: 53, protocol: 'UDP' },
          { port, protocol },
        ],
      },
    ],
  },
})

/** 1-based line of the n-th line holding `needle`. */
function lineOf(text: string, needle: string, n = 1): number {
  const lines = text.split('\n')
  let seen = 0
  for (let i = 0; i < lines.length; i++) if (lines[i]!.includes(needle) && ++seen === n) return i + 1
  throw new Error(`${needle} not in text`)
}

const asJson = (items: object[]): string => JSON.stringify({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } }, null, 4)
const asYaml = (items: object[]): string => items.map((o) => stringify(o)).join('---\n')

describe('file:line of manifests read as JSON and as YAML', () => {
  for (const [format, write] of [
    ['JSON', asJson],
    ['YAML', asYaml],
  ] as const) {
    it(`an invalid field names its own line (${format})`, () => {
      const text = write([namespace, pod, { ...pod, metadata: { ...pod.metadata, name: 'web-1' } }, policy(70000)])
      const ds = requireInputError(() => loadManifestText(text, { file: `m.${format.toLowerCase()}` }))
      expect(ds.map((d) => [d.file, d.line, d.field])).toEqual([[`m.${format.toLowerCase()}`, lineOf(text, '70000'), 'spec.egress[0].ports[1].port']])
    })
    it(`a wrong type names its line and the text as written (${format})`, () => {
      const text = write([namespace, pod, policy(80, true)])
      const ds = requireInputError(() => loadManifestText(text, { file: 'm' }))
      expect(ds.map((d) => [d.line, d.field])).toEqual([[lineOf(text, 'protocol', 2), 'spec.egress[0].ports[1].protocol']])
      expect(ds[0]!.message).toContain('unquoted true')
    })
    it(`objects, rules and peers keep their lines (${format})`, () => {
      const text = write([namespace, pod, policy(80)])
      const r = loadManifestText(text, { file: 'm' })
      expect(r.state.pods[0]!.source.line).toBe(format === 'JSON' ? lineOf(text, '"kind": "Pod"') - 2 : lineOf(text, 'kind: Pod') - 1)
      const p = r.state.policies[0]!
      expect(p.source.line).toBe(format === 'JSON' ? lineOf(text, '"kind": "NetworkPolicy"') - 2 : lineOf(text, 'apiVersion: networking'))
      expect(p.egress[0]!.source.line).toBe(format === 'JSON' ? lineOf(text, '"to": [') - 1 : lineOf(text, '- to:'))
      expect(p.egress[0]!.to[0]!.source.line).toBe(format === 'JSON' ? lineOf(text, '"podSelector": {}') - 1 : lineOf(text, '- podSelector: {}'))
    })
  }
})
