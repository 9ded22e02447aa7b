import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { LINT_RULES, lint } from '../../src/analyze/lint.js'
import { assumePodIPs } from '../../src/cluster/assume-pod-ips.js'

const FIXTURES = join(import.meta.dirname, '../fixtures/lint')

/** `# expect: rule-a, rule-b` on a line: those rules must report exactly there. */
function expectedMarks(text: string): Map<string, number[]> {
  const marks = new Map<string, number[]>()
  text.split('\n').forEach((line, i) => {
    const m = /# expect: ([a-z0-9, -]+)$/.exec(line)
    if (!m) return
    for (const id of m[1].split(',').map((s) => s.trim())) marks.set(id, [...(marks.get(id) ?? []), i + 1])
  })
  return marks
}

function lintFile(path: string) {
  const text = readFileSync(path, 'utf8')
  const { state } = loadManifestText(text, { file: path })
  return { text, findings: lint(state).findings }
}

const ruleDirs = readdirSync(FIXTURES).filter((d) => statSync(join(FIXTURES, d)).isDirectory() && d !== 'seeds')

describe('lint rules, each with a bad and a good manifest', () => {
  it('every rule has a fixture directory', () => {
    expect(ruleDirs.sort()).toEqual(LINT_RULES.map((r) => r.id).sort())
  })

  for (const id of ruleDirs) {
    it(`${id}: reports the bad example at the marked line`, () => {
      const path = join(FIXTURES, id, 'bad.yaml')
      const { text, findings } = lintFile(path)
      const marks = expectedMarks(text)
      expect(marks.get(id), 'bad.yaml marks the rule').toBeDefined()
      for (const [rule, lines] of marks) {
        expect(
          findings.filter((f) => f.ruleId === rule).map((f) => f.line),
          `${rule} in ${path}`,
        ).toEqual(lines)
      }
      for (const f of findings.filter((f) => f.ruleId === id)) {
        expect(f.file).toBe(path)
        expect(f.message.length).toBeGreaterThan(10)
        expect(f.hint.length).toBeGreaterThan(10)
        expect(f.object).toMatch(/^(NetworkPolicy|Namespace|ClusterNetworkPolicy) "/)
      }
    })
    it(`${id}: stays quiet on the good example`, () => {
      const { findings } = lintFile(join(FIXTURES, id, 'good.yaml'))
      expect(findings.filter((f) => f.ruleId === id)).toEqual([])
    })
  }
})

describe('lint catches the seed mistakes', () => {
  for (const name of readdirSync(join(FIXTURES, 'seeds'))) {
    it(`${name}: the marked rules at the marked lines`, () => {
      const path = join(FIXTURES, 'seeds', name)
      const { text, findings } = lintFile(path)
      const marks = expectedMarks(text)
      expect(marks.size).toBeGreaterThan(0)
      for (const [rule, lines] of marks) {
        expect(
          findings.filter((f) => f.ruleId === rule).map((f) => f.line),
          rule,
        ).toEqual(lines)
      }
    })
  }
})

describe('lint options and details', () => {
  it('--disable skips a rule', () => {
    const path = join(FIXTURES, 'egress-blocks-dns', 'bad.yaml')
    const { state } = loadManifestText(readFileSync(path, 'utf8'), { file: path })
    expect(lint(state).findings.some((f) => f.ruleId === 'egress-blocks-dns')).toBe(true)
    expect(lint(state, { disable: ['egress-blocks-dns'] }).findings.some((f) => f.ruleId === 'egress-blocks-dns')).toBe(false)
  })

  it('a real CoreDNS pod in the input is the DNS target: a policy that reaches it passes', () => {
    const text = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system}
spec:
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      containers:
      - name: coredns
        image: coredns
        ports: [{name: dns, containerPort: 53, protocol: UDP}, {name: dns-tcp, containerPort: 53, protocol: TCP}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{port: dns, protocol: UDP}, {port: dns-tcp, protocol: TCP}]
`
    const { state } = loadManifestText(text, { file: 'coredns.yaml' })
    const ids = lint(state).findings.map((f) => f.ruleId)
    expect(ids).not.toContain('egress-blocks-dns')
    expect(ids).not.toContain('egress-blocks-dns-tcp')
  })

  it('a namespace label suggestion names kubernetes.io/metadata.name with the intended value', () => {
    const path = join(FIXTURES, 'namespace-label-unknown', 'bad.yaml')
    const { findings } = lintFile(path)
    const f = findings.find((x) => x.ruleId === 'namespace-label-unknown')!
    expect(f.hint).toContain('kubernetes.io/metadata.name: monitoring')
    expect(f.field).toBe('spec.ingress[0].from[0].namespaceSelector')
  })

  it('ipblock-covers-pods ignores addresses netpol assumed for pods without one, and still sees manifest IPs', () => {
    const bad = readFileSync(join(FIXTURES, 'ipblock-covers-pods', 'bad.yaml'), 'utf8')
    const withoutStatus = bad.replace(/^status:\n( {2}.*\n)+/m, '')
    expect(withoutStatus).not.toContain('podIP')
    const assumed = assumePodIPs(loadManifestText(withoutStatus, { file: 'bad.yaml' }).state, { podCidr: '10.244.0.0/16' })
    expect(assumed.pods[0].ipsAssumed).toBe(true)
    expect(lint(assumed).findings.map((f) => f.ruleId)).not.toContain('ipblock-covers-pods')
    const known = assumePodIPs(loadManifestText(bad, { file: 'bad.yaml' }).state, { podCidr: '10.244.0.0/16' })
    expect(lint(known).findings.map((f) => f.ruleId)).toContain('ipblock-covers-pods')
  })

  it('findings are sorted by file and line', () => {
    const path = join(FIXTURES, 'seeds', 'docs-test-network-policy.yaml')
    const lines = lintFile(path).findings.map((f) => f.line)
    expect(lines).toEqual([...lines].sort((a, b) => a - b))
  })
})

describe('lint on the netpol-analyzer corpus', () => {
  it('OpenShift-style DNS on 5353 counts as DNS; the TCP half is still reported', async () => {
    const { loadManifests } = await import('../../src/cluster/load-manifests.js')
    const { state } = await loadManifests([join(import.meta.dirname, '../fixtures/corpus/acs-security-demos/input')])
    const findings = lint(state).findings
    const about = (rule: string, policy: string) => findings.filter((f) => f.ruleId === rule && f.object === `NetworkPolicy "${policy}"`)
    // checkout-netpol allows UDP 5353 to every namespace.
    expect(about('egress-blocks-dns', 'backend/checkout-netpol')).toEqual([])
    expect(about('egress-blocks-dns-tcp', 'backend/checkout-netpol')).toHaveLength(1)
    // asset-cache-netpol isolates egress with no rule at all.
    expect(about('egress-blocks-dns', 'frontend/asset-cache-netpol')).toHaveLength(1)
  })
})
