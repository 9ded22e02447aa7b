/** netpol convert and netpol check of ClusterNetworkPolicies, through the CLI entry point, in-process. */
import { describe, expect, it } from 'vitest'
import { resolve } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { runCliInProcess } from '../run-cli-in-process.js'

const root = resolve(import.meta.dirname, '../../..')

function cli(args: readonly string[], stdin?: string) {
  return runCliInProcess(args, { cwd: root, ...(stdin !== undefined ? { stdin } : {}) })
}

const ANP = 'vendor/network-policy-api/v1alpha1/conformance/admin_network_policy/standard-priority-field.yaml'
const BANP = 'vendor/network-policy-api/v1alpha1/examples/kubecon-eu-2024-banp.yaml'

describe('netpol convert', () => {
  it('prints each v1alpha1 policy as a ClusterNetworkPolicy (YAML, with where it came from), and nothing about deprecation', async () => {
    const r = await cli(['convert', ANP, '--baseline-priority', '50'])
    expect(r.code).toBe(0)
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: { tier: string; priority: number } })
    expect(docs.map((d) => [d.kind, d.metadata.name, d.spec.tier, d.spec.priority])).toEqual([
      ['ClusterNetworkPolicy', 'priority-50-example', 'Admin', 50],
      ['ClusterNetworkPolicy', 'old-priority-60-new-priority-40-example', 'Admin', 60],
      ['ClusterNetworkPolicy', 'default', 'Baseline', 50],
    ])
    expect(r.stdout).toMatch(
      new RegExp(
        String.raw`^---\n# from AdminNetworkPolicy "priority-50-example" at ` +
          String.raw`vendor\/network-policy-api\/v1alpha1\/conformance\/admin_network_policy\/standard-priority-field\.yaml:1\n`,
      ),
    )
    expect(r.stderr).not.toMatch(/deprecated/)
    expect(r.stderr).toBe('')
  })
  it('the older peer shape of the upstream examples is read, with a word about it', async () => {
    const r = await cli(['convert', BANP])
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/the peer shape of network-policy-api v0\.1\.2 and older/)
  })
  it('--kube-version is applied to the input like on every other command (a release it does not know is exit 2)', async () => {
    const r = await cli(['convert', ANP, '--kube-version', '1.0'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--kube-version: "1\.0": netpol knows the rules of Kubernetes 1\.16 to/)
    expect(r.stdout).toBe('')
  })
  it('what it prints passes netpol check', async () => {
    const out = await cli(['convert', ANP])
    const r = await cli(['check', '-'], out.stdout)
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('0 namespaces, 0 pods, 0 policies, 3 ClusterNetworkPolicies valid\n')
    expect(r.code).toBe(0)
  })
  it('-o json prints one object, or a List of several', async () => {
    const one = await cli(['convert', BANP, '-o', 'json'])
    expect(JSON.parse(one.stdout)).toMatchObject({ kind: 'ClusterNetworkPolicy', spec: { tier: 'Baseline', priority: 1000 } })
    const two = await cli(['convert', ANP, '-o', 'json'])
    expect(JSON.parse(two.stdout)).toMatchObject({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { metadata: { name: 'priority-50-example' } },
        { metadata: { name: 'old-priority-60-new-priority-40-example' } },
        { metadata: { name: 'default' } },
      ],
    })
  })
  it('a policy that cannot be converted: every problem with file:line and field, exit 2, nothing printed', async () => {
    const input = `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: tenants}
spec:
  priority: 5
  subject: {namespaces: {}}
  ingress:
  - action: Allow
    from:
    - namespaces: {sameLabels: [tenant]}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: ok}
spec:
  priority: 6
  subject: {namespaces: {}}
`
    const r = await cli(['convert', '-'], input)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(
      new RegExp(
        String.raw`^-:10: AdminNetworkPolicy "tenants" is invalid: spec\.ingress\[0\]\.from\[0\]\.namespaces\.sameLabels: ` +
          String.raw`cannot convert to ClusterNetworkPolicy: sameLabels`,
        'm',
      ),
    )
  })
  it('a value the v1alpha1 CRD took but v1alpha2 refuses (a label value with spaces): exit 2 at the v1alpha1 object, not an internal error', async () => {
    const r = await cli(
      ['convert', '-'],
      `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: x}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {team: "a b"}}}
  ingress:
  - {action: Deny, from: [{namespaces: {}}]}
`,
    )
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).not.toMatch(/internal error|a bug/)
    expect(r.stderr).toContain(
      '-:1: AdminNetworkPolicy "x" is invalid: spec.subject.namespaces.matchLabels: cannot convert to ClusterNetworkPolicy: the result would be ' +
        'invalid: Invalid value: "a b"',
    )
  })
  it('input without v1alpha1 policies is an error', async () => {
    const r = await cli(['convert', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/no AdminNetworkPolicy or BaselineAdminNetworkPolicy \(policy\.networking\.k8s\.io\/v1alpha1\) in the input/)
  })
  it('a bad --baseline-priority is a usage error', async () => {
    for (const p of ['1001', '-1', 'x', '1.5']) {
      const r = await cli(['convert', BANP, '--baseline-priority', p])
      expect(r.code, p).toBe(2)
      expect(r.stderr, p).toMatch(/--baseline-priority: .* is not a priority: give a whole number from 0 to 1000/)
    }
  })
  it('--help has examples', async () => {
    const r = await cli(['convert', '--help'])
    expect(r.stdout).toMatch(/Examples:\n {2}netpol convert anp\.yaml banp\.yaml/)
  })
})

describe('netpol check with ClusterNetworkPolicies', () => {
  it('a malformed one: every error with file:line and field path, exit 2', async () => {
    const input = `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: guard}
spec:
  tier: Admin
  priority: 1001
  subject: {namespaces: {}}
  egress:
  - action: Deny
    to: [{networks: [10.0.0.0/33]}]
`
    const r = await cli(['check', '-'], input)
    expect(r.code).toBe(2)
    expect(r.stderr.split('\n').filter((l) => l.startsWith('-:'))).toEqual([
      '-:6: ClusterNetworkPolicy "guard" is invalid: spec.priority: Invalid value: 1001: spec.priority in body should be less than or equal to 1000',
      '-:10: ClusterNetworkPolicy "guard" is invalid: spec.egress[0].to[0].networks[0]: Invalid value: "string": Invalid CIDR format provided',
    ])
  })
  it('v1alpha1 policies are reported as deprecated with the convert command to run', async () => {
    const r = await cli(['check', BANP])
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/warning: BaselineAdminNetworkPolicy "default": deprecated: .*`netpol convert FILE`/)
  })
})
