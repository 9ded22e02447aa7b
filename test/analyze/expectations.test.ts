import { describe, expect, it } from 'vitest'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import { checkExpectations, parseExpectations } from '../../src/analyze/expectations.js'
import { InputError } from '../../src/model/diagnostic.js'
import { renderJunit } from '../../src/render/expectations-output.js'

const CLUSTER = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 80, name: http}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 5432, name: pg}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-ingress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]
`

function check(expectations: string) {
  const { state } = loadManifestText(CLUSTER, { file: 'cluster.yaml' })
  // The spec-literal evaluator: these tests pin the expectation logic, not the fast engine.
  return checkExpectations(state, referenceEvaluator(state), parseExpectations(expectations, 'expect.yaml'))
}

function inputErrorOf(f: () => unknown): InputError {
  try {
    f()
  } catch (err) {
    if (err instanceof InputError) return err
    throw err
  }
  throw new Error('expected an InputError')
}

describe('expectations', () => {
  it('a list: workloads stand for all their pods; PASS carries the allowing rule', () => {
    const [r] = check(`
- name: web reaches db
  from: shop/web
  to: shop/db
  port: 5432/TCP
  allowed: true
`)
    expect(r.passed).toBe(true)
    expect(r.pairs).toBe(2)
    expect(r.name).toBe('web reaches db')
    expect(r.reason).toContain('shop/db-ingress')
    expect(r.reason).toContain('cluster.yaml:')
  })

  it('a map with expectations: a wrong expectation FAILs with the reason from the verdict', () => {
    const results = check(`
expectations:
- {from: shop/db-0, to: shop/web-1, port: 80, allowed: true}
- {from: 203.0.113.9, to: shop/db, port: pg, allowed: true}
`)
    expect(results.map((r) => r.passed)).toEqual([true, false])
    expect(results[1].actual).toBe(false)
    expect(results[1].reason).toMatch(/denied by the ingress of shop\/db-0/)
    expect(results[1].reason).toContain('shop/db-ingress (cluster.yaml:')
    expect(results[1].expectation.source).toEqual({ file: 'expect.yaml', line: 4 })
  })

  it('malformed files report every problem with file:line', () => {
    const err = inputErrorOf(() =>
      parseExpectations(
        `- from: shop/web
  to: shop/db
  port: 5432
  allowed: maybe
- from: shop/web
  too: shop/db
  port: 80
  allowed: false
`,
        'expect.yaml',
      ),
    )
    expect(err.diagnostics.map((d) => `${d.line}: ${d.message}`)).toEqual([
      '4: Invalid value: "maybe": allowed must be true or false',
      '6: unknown field "too" (known: from, to, port, allowed, name)',
      '5: Required value: to',
    ])
  })

  it('an empty list of expectations is an error, like an empty file: a generator that lost its input must not pass', () => {
    for (const text of ['[]\n', 'expectations: []\n', 'kind: Expectations\nexpectations: []\n', '', '# none\n']) {
      const err = inputErrorOf(() => parseExpectations(text, 'e.yaml'))
      expect(err.diagnostics.map((d) => `${d.file}:${d.line}: ${d.message}`)).toEqual([expect.stringMatching(/^e\.yaml:\d+: the file has no expectations$/)])
    }
  })

  it('an unknown pod is a bad expectation at its line (exit 2 in the CLI), with suggestions', () => {
    const err = inputErrorOf(() => check(`- {from: shop/webb, to: shop/db, port: 5432, allowed: true}\n`))
    expect(err.diagnostics[0].line).toBe(1)
    expect(err.diagnostics[0].message).toMatch(/not found.*did you mean/)
  })

  it('YAML syntax errors are reported with their line', () => {
    const err = inputErrorOf(() => parseExpectations('- from: [a\n', 'bad.yaml'))
    expect(err.diagnostics[0].file).toBe('bad.yaml')
    expect(err.diagnostics[0].line).toBeGreaterThan(0)
  })

  it('JUnit XML has one testcase per expectation, failures with a message, and escapes text', () => {
    const results = check(`
- {name: "a <b> & c", from: shop/web, to: shop/db, port: 5432, allowed: true}
- {from: shop/db, to: shop/web, port: 80, allowed: false}
`)
    const xml = renderJunit(results, 'netpol test expect.yaml')
    expect(xml).toContain('tests="2" failures="1"')
    expect(xml).toContain('name="a &lt;b&gt; &amp; c"')
    expect(xml.match(/<testcase /g)).toHaveLength(2)
    expect(xml).toContain('<failure message="expected denied, got allowed"')
  })
})
