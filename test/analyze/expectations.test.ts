import { describe, expect, it } from 'vitest'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import { checkExpectations, parseExpectations } from '../../src/analyze/expectations.js'
import { InputError } from '../../src/model/diagnostic.js'
import { renderExpectationsJson, renderExpectationsText, renderJunit } from '../../src/render/expectations-output.js'

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
      '6: unknown field "too" (known: from, to, port or ports, allowed, name, description, deniedBy)',
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

describe('expectations v2 (backwards compatible)', () => {
  it('ports: one check per port, named with the port', () => {
    const results = check(`
- name: web reaches db
  from: shop/web-0
  to: shop/db-0
  ports: [5432/TCP, pg, 22]
  allowed: true
`)
    expect(results.map((r) => [r.name, r.expectation.port, r.passed])).toEqual([
      ['web reaches db (5432/TCP)', '5432/TCP', true],
      ['web reaches db (pg)', 'pg', true],
      ['web reaches db (22)', '22', false],
    ])
  })
  it('deniedBy: passes only when that side denies; the failure says which side did', () => {
    const results = check(`
- {from: 203.0.113.9, to: shop/db-0, port: 5432, allowed: false, deniedBy: ingress}
- {from: 203.0.113.9, to: shop/db-0, port: 5432, allowed: false, deniedBy: egress, description: the firewall team says egress}
`)
    expect(results.map((r) => r.passed)).toEqual([true, false])
    expect(results[1].name).toBe('203.0.113.9 -> shop/db-0 on 5432 is denied by egress')
    const text = renderExpectationsText(results, false)
    expect(text).toContain(
      'FAIL 203.0.113.9 -> shop/db-0 on 5432 is denied by egress (expected denied by egress, got denied by ingress)\n     the firewall team says egress\n',
    )
    expect(JSON.parse(renderExpectationsJson(results)).results[1]).toMatchObject({
      description: 'the firewall team says egress',
      expected: false,
      expectedDeniedBy: 'egress',
      actual: false,
      deniedBy: ['ingress'],
    })
  })
  it('quiet: only the failures and the count', () => {
    const results = check(`
- {from: shop/web-0, to: shop/db-0, port: 5432, allowed: true}
- {from: 203.0.113.9, to: shop/db-0, port: 5432, allowed: true}
`)
    const quiet = renderExpectationsText(results, false, true)
    expect(quiet).not.toContain('PASS')
    expect(quiet.split('\n').filter((l) => l.startsWith('FAIL'))).toHaveLength(1)
    expect(quiet.endsWith('1 passed, 1 failed\n')).toBe(true)
    expect(renderExpectationsText(results.slice(0, 1), false, true)).toBe('1 passed, 0 failed\n')
  })
  it('bad v2 fields are errors at their line', () => {
    const err = inputErrorOf(() =>
      parseExpectations(
        `- {from: a/b, to: c/d, port: 80, ports: [81], allowed: true}
- {from: a/b, to: c/d, ports: [], allowed: true}
- {from: a/b, to: c/d, ports: [80, {x: 1}], allowed: true}
- {from: a/b, to: c/d, port: 80, allowed: true, deniedBy: ingress}
- {from: a/b, to: c/d, port: 80, allowed: false, deniedBy: both}
- {from: a/b, to: c/d, port: 80, allowed: false, description: 3}
`,
        'expect.yaml',
      ),
    )
    expect(err.diagnostics.map((d) => `${d.line}: ${d.message}`)).toEqual([
      '1: Invalid value: give port or ports, not both',
      '2: Invalid value: []: ports must be a non-empty list of ports like 80, 80/TCP, 53/UDP or a port name',
      '3: Invalid value: {"x":1}: a port must be like 80, 80/TCP, 53/UDP or a port name',
      '4: Invalid value: deniedBy says which side denies: only with allowed: false',
      '5: Unsupported value: "both": supported values: "egress", "ingress"',
      '6: Invalid value: description must be a string',
    ])
  })

  it('an undefined or unknown connection passes neither allowed: true nor allowed: false (fail closed)', () => {
    const cnp = (name: string, priority: number, action: string, peer: string) => `---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: ${name}}
spec:
  tier: Admin
  priority: ${priority}
  subject: {pods: {podSelector: {matchLabels: {app: db}}}}
  ingress:
  - {action: ${action}, from: [${peer}]}
`
    const run = (policies: string, expectations: string) => {
      const { state } = loadManifestText(CLUSTER + cnp('accept', 5, 'Accept', '{namespaces: {}}') + policies, { file: 'cluster.yaml' })
      return checkExpectations(state, referenceEvaluator(state), parseExpectations(expectations, 'expect.yaml'))
    }
    const expectations = `
- {from: shop/web, to: shop/db, port: 5432/TCP, allowed: false}
- {from: shop/web, to: shop/db, port: 5432/TCP, allowed: false, deniedBy: ingress}
- {from: shop/web, to: shop/db, port: 5432/TCP, allowed: true}
`
    // Same tier and priority, different actions: the API lets the cluster apply either.
    const conflict = run(cnp('deny', 5, 'Deny', '{namespaces: {}}'), expectations)
    expect(conflict.map((r) => [r.passed, r.unproven])).toEqual([
      [false, 'undefined'],
      [false, 'undefined'],
      [false, 'undefined'],
    ])
    const text = renderExpectationsText(conflict, false)
    expect(text).toContain('(expected denied, got undefined)')
    expect(text).toContain('(expected denied by ingress, got undefined)')
    expect(text).toContain('(expected allowed, got undefined)')
    expect(JSON.parse(renderExpectationsJson(conflict)).results[0]).toMatchObject({ passed: false, actual: false, outcome: 'undefined' })
    // A proven deny at the egress decides the connection (denied), but the undefined ingress does not deny.
    const egressDeny = `---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: web-out}
spec:
  tier: Admin
  priority: 1
  subject: {pods: {podSelector: {matchLabels: {app: web}}}}
  egress:
  - {action: Deny, to: [{namespaces: {}}]}
`
    const sides = run(
      cnp('deny', 5, 'Deny', '{namespaces: {}}') + egressDeny,
      expectations + '- {from: shop/web, to: shop/db, port: 5432/TCP, allowed: false, deniedBy: egress}\n',
    )
    expect(sides.map((r) => [r.passed, r.unproven, r.deniedBy])).toEqual([
      [true, undefined, ['egress']],
      [false, undefined, ['egress']],
      [false, undefined, ['egress']],
      [true, undefined, ['egress']],
    ])
  })
})
