import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadManifests, loadManifestText } from '../../src/cluster/load-manifests.js'
import { lint } from '../../src/analyze/lint.js'
import { runCliInProcess } from '../cli/run-cli-in-process.js'

const GUARDRAILS = join(import.meta.dirname, '../../examples/cluster-guardrails')

const ADMIN_DNS = `
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: allow-dns}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {}}
  egress:
  - action: Accept
    to:
    - pods:
        namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
        podSelector: {matchLabels: {k8s-app: kube-dns}}
    protocols: [{udp: {destinationPort: {number: 53}}}, {tcp: {destinationPort: {number: 53}}}]
`

const EGRESS_NP = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: db}}}]
`

const SHOP = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: shop, labels: {app: web}}
spec:
  containers: [{name: web, image: web, ports: [{containerPort: 80}]}]
`

function baseline(protocols: string): string {
  return `
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: default-deny}
spec:
  tier: Baseline
  priority: 100
  subject: {namespaces: {}}
  ingress:
  - action: Deny
    from: [{namespaces: {}}]${protocols}
`
}

function ruleIds(text: string): string[] {
  return lint(loadManifestText(text, { file: 'in.yaml' }).state).findings.map((f) => f.ruleId)
}

describe('NetworkPolicy lint rules on input with ClusterNetworkPolicy tiers', () => {
  it('egress-blocks-dns: an Admin Accept of DNS counts, also when the input has no workloads (stand-in pods)', () => {
    expect(ruleIds(EGRESS_NP)).toContain('egress-blocks-dns')
    expect(ruleIds(`${EGRESS_NP}---${ADMIN_DNS}`)).not.toContain('egress-blocks-dns')
  })

  it('namespace-without-default-deny: a Baseline deny of all ingress selecting the namespace closes it', () => {
    expect(ruleIds(SHOP)).toContain('namespace-without-default-deny')
    expect(ruleIds(`${SHOP}---${baseline('')}`)).not.toContain('namespace-without-default-deny')
  })

  it('namespace-without-default-deny: a tier deny limited to some ports does not close the namespace', () => {
    expect(ruleIds(`${SHOP}---${baseline('\n    protocols: [{tcp: {destinationPort: {number: 80}}}]')}`)).toContain('namespace-without-default-deny')
  })

  it('examples/cluster-guardrails: only the real gap (tenant-a/web cannot reach the API server) is reported', async () => {
    const { state } = await loadManifests([GUARDRAILS])
    expect(lint(state).findings.map((f) => `${f.ruleId} ${f.object}`)).toEqual(['egress-blocks-api-server NetworkPolicy "tenant-a/web"'])
  })
})

function cnpText(name: string, priority: number, subject: string, rules: string): string {
  return `
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: ${name}}
spec:
  tier: Admin
  priority: ${priority}
  subject: ${subject}
  ingress:
${rules}
`
}
const DENY_ALL = '  - action: Deny\n    from: [{namespaces: {}}]'
const ACCEPT_MONITORING = '  - action: Accept\n    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]'
const PAYMENTS = '{namespaces: {matchLabels: {kubernetes.io/metadata.name: payments}}}'

describe('ClusterNetworkPolicy lint rules: details', () => {
  it('cnp-rule-shadowed: a policy evaluated earlier whose subject covers this one shadows its rule; a narrower subject does not', () => {
    const later = cnpText('later', 20, PAYMENTS, ACCEPT_MONITORING)
    expect(ruleIds(`${cnpText('first', 10, '{namespaces: {}}', DENY_ALL)}---${later}`)).toContain('cnp-rule-shadowed')
    const other = '{namespaces: {matchLabels: {kubernetes.io/metadata.name: shop}}}'
    expect(ruleIds(`${cnpText('first', 10, other, DENY_ALL)}---${later}`)).not.toContain('cnp-rule-shadowed')
    // Evaluated later (higher number): not shadowing.
    expect(ruleIds(`${cnpText('first', 30, '{namespaces: {}}', DENY_ALL)}---${later}`)).not.toContain('cnp-rule-shadowed')
  })

  it('cnp-rule-shadowed: an earlier rule limited to some ports does not shadow a rule for every port', () => {
    const deny80 = `${DENY_ALL}\n    protocols: [{tcp: {destinationPort: {number: 80}}}]`
    expect(ruleIds(cnpText('p', 10, PAYMENTS, `${deny80}\n${ACCEPT_MONITORING}`))).not.toContain('cnp-rule-shadowed')
    const accept80 = `${ACCEPT_MONITORING}\n    protocols: [{tcp: {destinationPort: {range: {start: 80, end: 81}}}}]`
    expect(ruleIds(cnpText('p', 10, PAYMENTS, `${DENY_ALL}\n${accept80}`))).toContain('cnp-rule-shadowed')
  })

  it('cnp-baseline-deny-without-dns: quiet when the Admin tier accepts DNS first (examples/cluster-guardrails)', async () => {
    const { state } = await loadManifests([join(GUARDRAILS, 'cluster-policies.yaml')])
    expect(lint(state).findings).toEqual([])
    const withoutDns = { ...state, clusterNetworkPolicies: state.clusterNetworkPolicies!.filter((p) => p.name !== 'allow-dns') }
    expect(lint(withoutDns).findings.map((f) => `${f.ruleId} ${f.object} ${f.field}`)).toEqual([
      'cnp-baseline-deny-without-dns ClusterNetworkPolicy "default-deny" spec.egress[0]',
    ])
  })

  it('cnp-priority-shared: two policies sharing a priority are not reported, three are', () => {
    const p = (name: string, ns: string) => cnpText(name, 10, `{namespaces: {matchLabels: {kubernetes.io/metadata.name: ${ns}}}}`, DENY_ALL)
    expect(ruleIds(`${p('a', 'a')}---${p('b', 'b')}`)).not.toContain('cnp-priority-shared')
    expect(ruleIds(`${p('a', 'a')}---${p('b', 'b')}---${p('c', 'c')}`)).toContain('cnp-priority-shared')
  })
})

describe('info findings (cnp-admin-deny-moots-networkpolicy) in the CLI', () => {
  const bad = 'test/fixtures/lint/cnp-admin-deny-moots-networkpolicy/bad.yaml'
  const cwd = join(import.meta.dirname, '../..')
  it('never fail lint by default; --fail-on info does; text counts them; SARIF level is note', async () => {
    const text = await runCliInProcess(['lint', bad], { cwd })
    expect(text.code).toBe(0)
    expect(text.stdout).toContain('info [cnp-admin-deny-moots-networkpolicy]')
    expect(text.stdout).toContain('1 problem (0 errors, 0 warnings, 1 info)')
    expect((await runCliInProcess(['lint', bad, '--fail-on', 'info'], { cwd })).code).toBe(1)
    const sarif = JSON.parse((await runCliInProcess(['lint', bad, '-o', 'sarif'], { cwd })).stdout)
    expect(sarif.runs[0].results.map((r: { level: string }) => r.level)).toEqual(['note'])
    const rule = sarif.runs[0].tool.driver.rules.find((r: { id: string }) => r.id === 'cnp-admin-deny-moots-networkpolicy')
    expect(rule.defaultConfiguration.level).toBe('note')
  })
})
