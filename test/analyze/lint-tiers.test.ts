import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadManifests, loadManifestText } from '../../src/cluster/load-manifests.js'
import { lint } from '../../src/analyze/lint.js'

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
