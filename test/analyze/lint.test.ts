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
        expect(f.object).toMatch(/^(NetworkPolicy|Namespace|ClusterNetworkPolicy|AdminNetworkPolicy|BaselineAdminNetworkPolicy|Service) "/)
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

describe('DNS allowed only through an ipBlock (issue 17)', () => {
  const policy = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: internal-only, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/8}
`
  const workloads = `apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system}
spec:
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec: {containers: [{name: coredns, image: coredns, ports: [{containerPort: 53, protocol: UDP}, {containerPort: 53, protocol: TCP}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: web, image: nginx}]}
`
  const ids = (findings: readonly { ruleId: string }[]) => findings.map((f) => f.ruleId)

  it('10.0.0.0/8 with the default pod CIDR: warns that DNS depends on the plugin and the real pod range, naming the assumed address', () => {
    const state = assumePodIPs(loadManifestText(`${policy}---\n${workloads}`, { file: 'p.yaml' }).state, { podCidr: '10.244.0.0/16' })
    const findings = lint(state).findings.filter((f) => f.ruleId === 'dns-only-via-ipblock')
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({ line: 9, field: 'spec.egress[0].to[0].ipBlock', object: 'NetworkPolicy "shop/internal-only"' })
    expect(findings[0].message).toMatch(
      /^egress of shop\/web reaches DNS \(kube-system\/coredns at 10\.244\.\d+\.\d+, an address netpol assumed from --pod-cidr\)/,
    )
    expect(findings[0].message).toContain('Cilium does not')
    expect(findings[0].message).toContain("the cluster's real pod range lies inside 10.0.0.0/8")
    expect(ids(lint(state).findings)).not.toContain('egress-blocks-dns')
  })

  it('quiet when DNS is also allowed by selecting the DNS pods, or when the block does not hold them', () => {
    const bySelector = policy.replace(
      '  - to:\n    - ipBlock',
      '  - to:\n    - namespaceSelector: {}\n      podSelector: {matchLabels: {k8s-app: kube-dns}}\n  - to:\n    - ipBlock',
    )
    const a = assumePodIPs(loadManifestText(`${bySelector}---\n${workloads}`, { file: 'p.yaml' }).state, { podCidr: '10.244.0.0/16' })
    expect(ids(lint(a).findings)).not.toContain('dns-only-via-ipblock')
    const b = assumePodIPs(loadManifestText(`${policy}---\n${workloads}`, { file: 'p.yaml' }).state, { podCidr: '192.168.0.0/16' })
    expect(ids(lint(b).findings)).not.toContain('dns-only-via-ipblock')
    expect(ids(lint(b).findings)).toContain('egress-blocks-dns')
  })

  it('without DNS pods in the input, egress-blocks-dns says the ipBlock might reach them', () => {
    const findings = lint(loadManifestText(policy, { file: 'p.yaml' }).state).findings.filter((f) => f.ruleId === 'egress-blocks-dns')
    expect(findings).toHaveLength(1)
    expect(findings[0].message).toContain("unless the DNS pods' addresses lie inside ipBlock 10.0.0.0/8 and the network plugin matches pod addresses")
  })
})

describe('port-restriction-bypassed (issue 17)', () => {
  const restricted = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 192.0.2.0/24}
    ports:
    - {protocol: TCP, port: 443}
`
  const open = (cidr: string) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: open-egress, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: ${cidr}}
`
  const pod = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web, tier: front}}
spec: {containers: [{name: web, image: nginx}]}
`
  const about = (text: string, id: string) => lint(loadManifestText(text, { file: 'p.yaml' }).state).findings.filter((f) => f.ruleId === id)

  it('egress: another policy opening every port to overlapping addresses is reported at the restricted ports', () => {
    const findings = about(`${restricted}---\n${open('192.0.2.128/25')}---\n${pod}`, 'port-restriction-bypassed')
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({ line: 11, field: 'spec.egress[0].ports' })
    expect(findings[0].message).toMatch(
      /^egress rule 0 allows only 443\/TCP, but egress rule 0 of policy shop\/open-egress \(p\.yaml:\d+\) allows every port for shop\/web .*the port restriction does nothing there$/,
    )
  })

  it('quiet when the addresses do not overlap, and left to rule-shadowed when the broader rule contains the restricted one whole', () => {
    expect(about(`${restricted}---\n${open('198.51.100.0/24')}---\n${pod}`, 'port-restriction-bypassed')).toEqual([])
    const text = `${restricted}---\n${open('192.0.0.0/8')}---\n${pod}`
    expect(about(text, 'port-restriction-bypassed')).toEqual([])
    expect(about(text, 'rule-shadowed')).toHaveLength(1)
  })

  it('a rule with a protocol and no port opens every port of that protocol; another protocol does not', () => {
    const tcp = open('192.0.2.128/25').replace(
      '    - ipBlock: {cidr: 192.0.2.128/25}\n',
      '    - ipBlock: {cidr: 192.0.2.128/25}\n    ports: [{protocol: TCP}]\n',
    )
    expect(about(`${restricted}---\n${tcp}---\n${pod}`, 'port-restriction-bypassed')).toHaveLength(1)
    expect(about(`${restricted}---\n${tcp.replace('protocol: TCP', 'protocol: UDP')}---\n${pod}`, 'port-restriction-bypassed')).toEqual([])
  })
})
