/**
 * Real manifest sets from np-guard/netpol-analyzer (Apache-2.0 data, see each SOURCE.md), copied
 * under test/fixtures/corpus/: every input directory loads, with the objects it really holds.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadManifests } from '../../src/cluster/load-manifests.js'

const CORPUS = join(import.meta.dirname, '..', 'fixtures', 'corpus')

function countBy(items: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const i of items) out[i] = (out[i] ?? 0) + 1
  return out
}

describe('netpol-analyzer corpus inputs load', () => {
  it('acs-security-demos: nested directories, 11 Deployments, 14 policies, implicit namespaces, other kinds skipped', async () => {
    const r = await loadManifests([join(CORPUS, 'acs-security-demos', 'input')])
    expect(r.state.namespaces.map((n) => [n.name, n.implicit])).toEqual([
      ['backend', true],
      ['frontend', true],
      ['payments', true],
    ])
    expect(r.state.pods).toHaveLength(11)
    expect(r.state.pods.every((p) => p.owner?.kind === 'Deployment' && p.name === `${p.owner.name}-0`)).toBe(true)
    expect(r.state.pods.map((p) => `${p.namespace}/${p.name}`)).toContain('frontend/webapp-0')
    expect(r.state.policies).toHaveLength(14)
    expect(countBy(r.skipped.map((s) => s.kind))).toEqual({ ConfigMap: 4, ServiceAccount: 3, RoleBinding: 1, ClusterRoleBinding: 1, Route: 2 })
    // Services are read (issue 14), each selecting the pods of its Deployment.
    expect(r.state.services).toHaveLength(11)
    expect(r.warnings).toEqual([])
  })
  it('anp_banp_blog_demo: 4 declared namespaces, 4 Pods, 1 policy; admin network policies skipped', async () => {
    const r = await loadManifests([join(CORPUS, 'anp_banp_blog_demo', 'input')])
    expect(r.state.namespaces.map((n) => [n.name, n.implicit])).toEqual([
      ['bar', false],
      ['baz', false],
      ['foo', false],
      ['monitoring', false],
    ])
    expect(r.state.pods.map((p) => `${p.namespace}/${p.name}`).sort()).toEqual(['bar/mybar', 'baz/mybaz', 'foo/myfoo', 'monitoring/mymonitoring'])
    expect(r.state.pods.find((p) => p.name === 'myfoo')?.labels).toEqual({ security: 'internal' })
    expect(r.state.policies).toHaveLength(1)
    expect(countBy(r.skipped.map((s) => s.kind))).toEqual({ AdminNetworkPolicy: 2, BaselineAdminNetworkPolicy: 1 })
  })
  it.each([
    ['input', 11],
    ['input-changed-netpols', 12],
  ])('onlineboutique_workloads/%s: a NamespaceList of 5, 12 Deployments giving 14 pods, %i policies', async (input, policies) => {
    const r = await loadManifests([join(CORPUS, 'onlineboutique_workloads', input)])
    expect(r.state.namespaces.map((n) => [n.name, n.implicit])).toEqual([
      ['default', false],
      ['ingress-nginx', false],
      ['kube-node-lease', false],
      ['kube-public', false],
      ['kube-system', false],
    ])
    expect(r.state.pods).toHaveLength(14)
    expect(r.state.pods.filter((p) => p.owner?.name === 'loadgenerator').map((p) => p.name)).toEqual(['loadgenerator-0', 'loadgenerator-1', 'loadgenerator-2'])
    expect(new Set(r.state.pods.map((p) => p.owner?.kind))).toEqual(new Set(['Deployment']))
    expect(r.state.policies).toHaveLength(policies)
    expect(r.skipped).toEqual([])
    expect(r.state.services).toHaveLength(12)
    const frontend = r.state.services?.find((s) => s.name === 'frontend')
    expect(frontend && { type: frontend.type, selector: frontend.selector, ports: frontend.ports.map((p) => [p.name, p.port, p.targetPort]) }).toEqual({
      type: 'ClusterIP',
      selector: { app: 'frontend' },
      ports: [['http', 80, 8080]],
    })
    // Container ports come through, protocol defaulted.
    expect(r.state.pods.find((p) => p.name === 'frontend-0')?.containerPorts).toEqual([{ containerPort: 8080, protocol: 'TCP' }])
  })
})
