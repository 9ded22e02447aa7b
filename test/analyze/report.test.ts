import { describe, expect, it } from 'vitest'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { createEngine } from '../../src/engine/engine.js'
import { assumePodIPs, DEFAULT_POD_CIDR } from '../../src/cluster/assume-pod-ips.js'
import { buildReport, MAX_GRAPH_EDGES } from '../../src/analyze/report.js'
import { renderConnectivityDot } from '../../src/render/report-dot.js'
import { renderReportHtml } from '../../src/render/report-html.js'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = join(import.meta.dirname, '../..')

function load(...files: string[]) {
  const text = files.map((f) => readFileSync(join(ROOT, f), 'utf8')).join('\n---\n')
  return loadManifestText(text, { file: 'three-tier.yaml' }).state
}

describe('report model', () => {
  const state = load('examples/three-tier/namespaces.yaml', 'examples/three-tier/workloads.yaml', 'examples/three-tier/policies.yaml')
  const model = buildReport(state, createEngine(state), { groupBy: 'workload', inputs: ['examples/three-tier'] })

  it('an ipBlock peer matches pods only through assumed addresses, and says so', () => {
    const frontend = (m: typeof model) => m.policies.find((p) => p.name === 'allow-frontend-ingress')!.rules[0].peers[0]
    expect(frontend(model)).toMatchObject({ matches: [], text: 'ipBlock 0.0.0.0/0' })
    expect(frontend(model).throughAssumedIps).toBeUndefined()
    const assumed = assumePodIPs(state, { podCidr: DEFAULT_POD_CIDR })
    const withIps = buildReport(assumed, createEngine(assumed), { groupBy: 'workload', inputs: ['examples/three-tier'] })
    expect(frontend(withIps).matches).toEqual([
      'kube-system/kube-dns[Deployment]',
      'prod/backend[Deployment]',
      'prod/database[Deployment]',
      'prod/frontend[Deployment]',
    ])
    expect(frontend(withIps).throughAssumedIps).toBe(true)
    expect(renderReportHtml(withIps, '<svg></svg>')).toContain('by pod IPs netpol assumed')
  })

  it('one section per policy: what it selects, what each rule allows and which workloads each peer matches', () => {
    expect(model.policies.map((p) => p.name)).toEqual(['allow-frontend-ingress', 'backend-policy', 'database-policy', 'frontend-to-backend'])
    const backend = model.policies.find((p) => p.name === 'backend-policy')!
    expect(backend.selects).toEqual(['prod/backend[Deployment]'])
    expect(backend.selectedPods).toBe(2)
    expect(backend.rules.map((r) => `${r.direction}[${r.index}] ${r.peers.map((p) => p.matches.join('+')).join(' ')} ${r.ports.join(',')}`)).toEqual([
      'ingress[0] prod/frontend[Deployment] 8080/TCP',
      'egress[0] prod/database[Deployment] 5432/TCP',
      'egress[1] kube-system/kube-dns[Deployment] 53/UDP',
    ])
    expect(backend.findings.map((f) => f.ruleId).sort()).toEqual(['egress-blocks-api-server', 'egress-blocks-dns-tcp'])
  })

  it('writes podSelectors and peers with the selector text of every other output (kubectl syntax, sorted)', () => {
    const yaml = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: prod}
spec:
  podSelector:
    matchLabels: {tier: fe, app: web}
    matchExpressions: [{key: env, operator: NotIn, values: [prod, dev]}]
  ingress:
  - from: [{namespaceSelector: {}, podSelector: {matchLabels: {role: b, app: a}}}]
    ports: [{protocol: UDP}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: all, namespace: prod}
spec:
  podSelector: {}
`
    const s = loadManifestText(yaml, { file: 'p.yaml' }).state
    const m = buildReport(s, createEngine(s), { groupBy: 'workload', inputs: ['p.yaml'] })
    expect(m.policies.map((p) => p.podSelector)).toEqual(['{} (every pod in the namespace)', 'app=web,tier=fe,env notin (dev,prod)'])
    const rule = m.policies[1]!.rules[0]!
    expect(rule.peers.map((p) => p.text)).toEqual(['pods app=a,role=b in every namespace'])
    expect(rule.ports).toEqual(['every UDP port'])
  })

  it('the graph has a node per workload, the outside as a range, and arrows labelled with ports', () => {
    expect(model.notes).toEqual([])
    const dot = renderConnectivityDot(model.graph)
    expect(dot).toContain('label="frontend\\nDeployment x2"')
    expect(dot).toMatch(/label="0\.0\.0\.0\/0", shape=ellipse/)
    expect(dot).toMatch(/-> n\d+ \[label="TCP 8080"/)
  })

  it('the page escapes names and embeds only the SVG element', () => {
    const html = renderReportHtml({ ...model, title: 'a <b> & "c"' }, '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg id="g"></svg>')
    expect(html).toContain('<title>a &lt;b&gt; &amp; &quot;c&quot;</title>')
    expect(html).toContain('<div class="graph"><svg id="g"></svg></div>')
    expect(html).not.toContain('<?xml')
  })
})

describe('report on a cluster too big to draw', () => {
  it('falls back to namespaces and says so', () => {
    const pods = Array.from(
      { length: 25 },
      (_, i) =>
        `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}, namespace: ns${i % 2}, labels: {app: a${i}}}\nspec: {containers: [{name: c, image: ` +
        `i, ports: [{containerPort: 80}]}]}`,
    )
    const state = loadManifestText(pods.join('\n---\n'), { file: 'many.yaml' }).state
    const model = buildReport(state, createEngine(state), { groupBy: 'workload', inputs: ['many.yaml'] })
    expect(model.connectivity.edges.length).toBeGreaterThan(MAX_GRAPH_EDGES)
    expect(model.graph.groupBy).toBe('namespace')
    expect(model.graph.edges.map((e) => `${e.from}->${e.to}`).sort()).toEqual([
      '0.0.0.0/0->ns0',
      '0.0.0.0/0->ns1',
      'ns0->0.0.0.0/0',
      'ns0->ns0',
      'ns0->ns1',
      'ns1->0.0.0.0/0',
      'ns1->ns0',
      'ns1->ns1',
    ])
    expect(model.notes[0]).toMatch(/The graph shows namespaces: by workload it would have \d+ arrows/)
  })
})

describe('report with ClusterNetworkPolicies: a section per tier', () => {
  const dir = 'examples/cluster-guardrails'
  const state = load(`${dir}/namespaces.yaml`, `${dir}/workloads.yaml`, `${dir}/policies.yaml`, `${dir}/cluster-policies.yaml`)
  const model = buildReport(state, createEngine(state), { groupBy: 'workload', inputs: [dir] })

  it('the Admin tier, then the Baseline tier, each policy in evaluation order', () => {
    expect(model.tiers?.map((t) => [t.tier, t.policies.map((p) => `${p.name}@${p.priority}`)])).toEqual([
      ['Admin', ['allow-dns@10', 'dns-accepts-queries@11', 'allow-monitoring@20', 'isolate-tenant-a@30', 'isolate-tenant-b@31']],
      ['Baseline', ['default-deny@100']],
    ])
  })

  it('what each rule decides: the Admin deny of other tenants decides tenant-b -> tenant-a, the baseline what no NetworkPolicy isolates', () => {
    const rule = (name: string, dir: string, i: number) =>
      model
        .tiers!.flatMap((t) => t.policies)
        .find((p) => p.name === name)!
        .rules.find((r) => r.direction === dir && r.index === i)!
    expect(rule('isolate-tenant-a', 'ingress', 0)).toMatchObject({ action: 'Deny', name: 'deny-other-tenants' })
    expect(rule('isolate-tenant-a', 'ingress', 0).decides).toEqual([
      'tenant-b/db-0[Pod] => tenant-a/db-0[Pod]',
      'tenant-b/db-0[Pod] => tenant-a/web-0[Pod]',
      'tenant-b/web-0[Pod] => tenant-a/db-0[Pod]',
      'tenant-b/web-0[Pod] => tenant-a/web-0[Pod]',
    ])
    // tenant-a's NetworkPolicies isolate web (both ways) and db (ingress): the baseline never decides their ingress.
    const baselineIngress = rule('default-deny', 'ingress', 0).decides
    expect(baselineIngress.some((d) => d.endsWith('=> tenant-a/web-0[Pod]') || d.endsWith('=> tenant-a/db-0[Pod]'))).toBe(false)
    expect(baselineIngress).toContain('monitoring/prometheus-0[Pod] => tenant-b/web-0[Pod]')
    // Egress to the world: the baseline decides it for pods without egress NetworkPolicies (db), by address range.
    expect(rule('default-deny', 'egress', 0).decides).toContain('tenant-a/db-0[Pod] => 0.0.0.0/0')
    const html = renderReportHtml(model, '<svg></svg>')
    expect(html).toContain('<section id="tiers"><h2>ClusterNetworkPolicy tiers</h2>')
    expect(html).toContain('<a href="#tiers">Tiers</a>')
    expect(html).toContain('deny-other-tenants')
  })

  it('a state without ClusterNetworkPolicies has no tier section', () => {
    const plain = load('examples/three-tier/namespaces.yaml', 'examples/three-tier/workloads.yaml', 'examples/three-tier/policies.yaml')
    const m = buildReport(plain, createEngine(plain), { groupBy: 'workload', inputs: ['x'] })
    expect(m.tiers).toBeUndefined()
    expect(renderReportHtml(m, '<svg></svg>')).not.toContain('id="tiers"')
  })
})
