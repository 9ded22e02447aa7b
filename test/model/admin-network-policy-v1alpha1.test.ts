import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments, stringify } from 'yaml'
import { loadManifestText, type V1alpha1Object } from '../../src/cluster/load-manifests.js'
import { convertedPolicies } from '../../src/cluster/v1alpha1-conversion.js'
import { inputDiagnostics } from './input-diagnostics.js'

const VENDOR = new URL('../../vendor/network-policy-api/', import.meta.url)

/** An upstream conformance manifest with its Go template filled in as the suite does. */
function upstream(path: string): string {
  return readFileSync(new URL(path, VENDOR), 'utf8').replace(/\{\{ index \.HostNetworkPorts (\d) \}\}/g, (_m, i: string) => String(34340 + Number(i)))
}

function v1alpha1Of(text: string): readonly V1alpha1Object[] {
  return loadManifestText(text, { file: 'in.yaml' }).v1alpha1 ?? []
}

function convert(text: string, baselinePriority = 1000): unknown[] {
  const { policies, errors } = convertedPolicies(v1alpha1Of(text), { baselinePriority })
  expect(errors).toEqual([])
  return policies.map((p) => p.object)
}

/** Objects of a YAML stream, as plain data (upstream writes ports as numbers or quoted strings alike). */
function objectsOf(text: string): unknown[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((o) => o !== null)
}

describe('netpol convert: the upstream conformance policies', () => {
  // Upstream moved its conformance suite from v1alpha1 to v1alpha2 by hand; converting the old
  // manifests must give the new ones (BaselineAdminNetworkPolicies got priority 10 there).
  const pairs = [
    ['admin_network_policy', 'admin_tier'],
    ['baseline_admin_network_policy', 'baseline_tier'],
  ].flatMap(([from, to]) =>
    readdirSync(new URL(`v1alpha1/conformance/${from}/`, VENDOR)).map((f) => [`v1alpha1/conformance/${from}/${f}`, `v1alpha2/conformance/${to}/${f}`]),
  )
  pairs.push(['v1alpha1/conformance/standard-anp-np-banp.yaml', 'v1alpha2/conformance/standard-anp-np-banp.yaml'])

  it.each(pairs)('%s converts to upstream %s', (from, to) => {
    const expected = objectsOf(upstream(to)).filter((o) => (o as { kind: string }).kind === 'ClusterNetworkPolicy')
    expect(convert(upstream(from), 10)).toEqual(expected)
  })
  it('there are 20 such pairs', () => {
    expect(pairs).toHaveLength(20)
  })
})

describe('netpol convert: field by field', () => {
  const anp = (spec: string, name = 'anp'): string =>
    `apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata:\n  name: ${name}\nspec:\n${spec}`
  const banp = (spec: string): string =>
    `apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata:\n  name: default\nspec:\n${spec}`

  it('an AdminNetworkPolicy becomes tier Admin with its priority; Allow becomes Accept; ports become protocols', () => {
    const [cnp] = convert(
      anp(`  priority: 7
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}}
  egress:
  - name: dns
    action: Allow
    to: [{namespaces: {}}]
    ports:
    - portNumber: {port: 53}
    - portNumber: {protocol: UDP, port: 53}
    - portRange: {protocol: SCTP, start: 1000, end: 2000}
    - portRange: {start: 8080, end: 8080}
    - namedPort: dns
  - action: Pass
    to: [{networks: [10.0.0.0/8]}]
  ingress:
  - action: Deny
    from: [{pods: {namespaceSelector: {}, podSelector: {}}}]
`),
    )
    expect(cnp).toEqual({
      apiVersion: 'policy.networking.k8s.io/v1alpha2',
      kind: 'ClusterNetworkPolicy',
      metadata: { name: 'anp' },
      spec: {
        tier: 'Admin',
        priority: 7,
        subject: { pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: 'db' } } } },
        ingress: [{ action: 'Deny', from: [{ pods: { namespaceSelector: {}, podSelector: {} } }] }],
        egress: [
          {
            name: 'dns',
            action: 'Accept',
            to: [{ namespaces: {} }],
            protocols: [
              { tcp: { destinationPort: { number: 53 } } },
              { udp: { destinationPort: { number: 53 } } },
              { sctp: { destinationPort: { range: { start: 1000, end: 2000 } } } },
              { tcp: { destinationPort: { number: 8080 } } },
              { destinationNamedPort: 'dns' },
            ],
          },
          { action: 'Pass', to: [{ networks: ['10.0.0.0/8'] }] },
        ],
      },
    })
  })
  it('a BaselineAdminNetworkPolicy becomes tier Baseline at the given priority', () => {
    const [cnp] = convert(banp('  subject: {namespaces: {}}\n  ingress: [{action: Allow, from: [{namespaces: {}}]}]\n'), 300) as { spec: unknown }[]
    expect(cnp.spec).toEqual({ tier: 'Baseline', priority: 300, subject: { namespaces: {} }, ingress: [{ action: 'Accept', from: [{ namespaces: {} }] }] })
  })
  it("labels and annotations are kept, except kubectl's record of the old object", () => {
    const text = anp('  priority: 1\n  subject: {namespaces: {}}\n').replace(
      '  name: anp\n',
      '  name: anp\n  labels: {team: net}\n  annotations: {owner: me, kubectl.kubernetes.io/last-applied-configuration: "{}"}\n  uid: 123\n',
    )
    expect((convert(text)[0] as { metadata: unknown }).metadata).toEqual({ name: 'anp', labels: { team: 'net' }, annotations: { owner: 'me' } })
  })
  it('a rule with more than 25 peers or ports becomes consecutive rules of the same action (the same first match)', () => {
    const peers = Array.from({ length: 30 }, (_, i) => `{namespaces: {matchLabels: {n: "${i}"}}}`).join(', ')
    const ports = Array.from({ length: 26 }, (_, i) => `{portNumber: {port: ${i + 1}}}`).join(', ')
    const [cnp] = convert(
      anp(`  priority: 1\n  subject: {namespaces: {}}\n  ingress:\n  - {name: big, action: Deny, from: [${peers}], ports: [${ports}]}\n`),
    ) as { spec: { ingress: { name: string; action: string; from: unknown[]; protocols: unknown[] }[] } }[]
    expect(cnp.spec.ingress.map((r) => [r.name, r.action, r.from.length, r.protocols.length])).toEqual([
      ['big', 'Deny', 25, 25],
      ['big', 'Deny', 25, 1],
      ['big', 'Deny', 5, 25],
      ['big', 'Deny', 5, 1],
    ])
  })
  it('the older peer shape (namespaceSelector inside namespaces; namespaces inside pods) is read as what it says', () => {
    const text = anp(
      '  priority: 1\n  subject: {namespaces: {}}\n  ingress:\n  - action: Deny\n    from:\n    - namespaces: {namespaceSelector: {matchLabels: ' +
        '{a: b}}}\n    - pods: {namespaces: {namespaceSelector: {matchLabels: {c: d}}}, podSelector: {}}\n',
    )
    const r = loadManifestText(text, { file: 'in.yaml' })
    expect(r.warnings.filter((w) => w.message.startsWith('the peer shape')).map((w) => w.field)).toEqual([
      'spec.ingress[0].from[0].namespaces',
      'spec.ingress[0].from[1].pods.namespaces',
    ])
    expect((convert(text)[0] as { spec: { ingress: unknown[] } }).spec.ingress).toEqual([
      { action: 'Deny', from: [{ namespaces: { matchLabels: { a: 'b' } } }, { pods: { namespaceSelector: { matchLabels: { c: 'd' } }, podSelector: {} } }] },
    ])
  })
  it('the upstream v1alpha1 examples convert (those valid under their CRD)', () => {
    for (const f of [
      'user-story-1.yaml',
      'user-story-3.yaml',
      'user-story-5.yaml',
      'kubecon-eu-2024-anp1.yaml',
      'kubecon-eu-2024-anp2.yaml',
      'kubecon-eu-2024-anp3.yaml',
      'kubecon-eu-2024-banp.yaml',
    ]) {
      const out = convert(upstream(`v1alpha1/examples/${f}`))
      expect(out, f).toHaveLength(1)
      // What convert prints is a valid ClusterNetworkPolicy.
      expect(loadManifestText(stringify(out[0]), { file: f }).state.clusterNetworkPolicies, f).toHaveLength(1)
    }
  })
  it('an upstream example that its own CRD rejects is an error with the field (matchlabels), named where it is written (older peer shape)', () => {
    const ds = inputDiagnostics(() => loadManifestText(upstream('v1alpha1/examples/user-story-2.yaml'), { file: 'user-story-2.yaml' }))
    expect(ds.map((d) => `${d.line} ${d.field}: ${d.message}`)).toEqual([
      '22 spec.egress[0].to[0].pods.namespaces.namespaceSelector.matchlabels: Unknown field: strict decoding error: unknown field ' +
        '"spec.egress[0].to[0].pods.namespaces.namespaceSelector.matchlabels" (did you mean "matchLabels"?)',
      '25 spec.egress[0].to[0].pods.podSelector.matchlabels: Unknown field: strict decoding error: unknown field ' +
        '"spec.egress[0].to[0].pods.podSelector.matchlabels" (did you mean "matchLabels"?)',
    ])
    // A peer's namespaces of the older shape too.
    const text = anp(
      '  priority: 1\n  subject: {namespaces: {}}\n  ingress:\n  - action: Deny\n    from:\n    - namespaces: {namespaceSelector: {matchLabel: {a: b}}}\n',
    )
    expect(inputDiagnostics(() => loadManifestText(text, { file: 'in.yaml' })).map((d) => d.field)).toEqual([
      'spec.ingress[0].from[0].namespaces.namespaceSelector.matchLabel',
    ])
  })

  /** The problems that keep a policy from being converted: `field: message`. */
  function problems(text: string): string[] {
    return convertedPolicies(v1alpha1Of(text), { baselinePriority: 1000 }).errors.map((d) => `${d.line} ${d.field}: ${d.message}`)
  }
  it('sameLabels and notSameLabels cannot be converted: an error naming the field', () => {
    expect(
      problems(anp('  priority: 1\n  subject: {namespaces: {}}\n  ingress:\n  - action: Allow\n    from:\n    - namespaces: {sameLabels: [tenant]}\n')),
    ).toEqual([
      expect.stringMatching(
        /^11 spec\.ingress\[0\]\.from\[0\]\.namespaces\.sameLabels: cannot convert to ClusterNetworkPolicy: sameLabels .* has no equivalent in v1alpha2/,
      ),
    ])
    expect(
      problems(
        anp(
          '  priority: 1\n  subject: {namespaces: {}}\n  ingress:\n  - action: Allow\n    from:\n    - pods: {namespaces: {notSameLabels: ' +
            '[tenant]}, podSelector: {}}\n',
        ),
      ),
    ).toEqual([expect.stringMatching(/^11 spec\.ingress\[0\]\.from\[0\]\.pods\.namespaces\.notSameLabels: cannot convert/)])
  })
  it('more than 25 rules in a direction cannot be converted', () => {
    const rules = Array.from({ length: 26 }, () => '  - {action: Deny, to: [{namespaces: {}}]}').join('\n')
    expect(problems(anp(`  priority: 1\n  subject: {namespaces: {}}\n  egress:\n${rules}\n`))).toEqual([
      expect.stringMatching(/^8 spec\.egress: cannot convert to ClusterNetworkPolicy: 26 egress rules: a v1alpha2 ClusterNetworkPolicy has at most 25/),
    ])
  })
  it('an unknown protocol and a range whose start is after its end cannot be converted', () => {
    expect(
      problems(
        anp(
          '  priority: 1\n  subject: {namespaces: {}}\n  egress:\n  - action: Deny\n    to: [{namespaces: {}}]\n    ports:\n    - portNumber: ' +
            '{protocol: ICMP, port: 1}\n    - portRange: {start: 9, end: 5}\n',
        ),
      ),
    ).toEqual([
      expect.stringMatching(/^12 spec\.egress\[0\]\.ports\[0\]\.portNumber\.protocol: cannot convert .*Unsupported value: "ICMP"/),
      expect.stringMatching(/^13 spec\.egress\[0\]\.ports\[1\]\.portRange: cannot convert .*start 9 is greater than end 5/),
    ])
  })
  it('an AdminNetworkPolicy and the BaselineAdminNetworkPolicy both called default cannot both become "default"', () => {
    expect(problems(`${anp('  priority: 1\n  subject: {namespaces: {}}\n', 'default')}---\n${banp('  subject: {namespaces: {}}\n')}`)).toEqual([
      expect.stringMatching(/would become ClusterNetworkPolicy "default": rename one/),
    ])
  })
  it('the v1alpha1 CRDs are enforced: BaselineAdminNetworkPolicy must be named default; Pass is Admin only; priority is required', () => {
    const errors = (text: string): string[] => inputDiagnostics(() => loadManifestText(text, { file: 'x.yaml' })).map((d) => `${d.field ?? ''}: ${d.message}`)
    expect(errors(banp('  subject: {namespaces: {}}\n').replace('name: default', 'name: other'))).toEqual([
      ': Invalid value: "object": Only one baseline admin network policy with metadata.name="default" can be created in the cluster',
    ])
    expect(errors(banp('  subject: {namespaces: {}}\n  ingress: [{action: Pass, from: [{namespaces: {}}]}]\n'))).toEqual([
      ': Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
      'spec.ingress[0].action: Unsupported value: "Pass": supported values: "Allow", "Deny"',
    ])
    expect(errors(anp('  subject: {namespaces: {}}\n'))).toEqual([
      ': Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
      'spec.priority: Required value',
    ])
  })
  it('the v1alpha1 CEL rules: isCIDR, and no namedPort with networks/nodes(/domainNames) peers', () => {
    const errors = (text: string): string[] => inputDiagnostics(() => loadManifestText(text, { file: 'x.yaml' })).map((d) => `${d.field ?? ''}: ${d.message}`)
    expect(errors(anp('  priority: 1\n  subject: {namespaces: {}}\n  egress:\n  - {action: Deny, to: [{networks: [10.0.0.0/33]}]}\n'))).toEqual([
      'spec.egress[0].to[0].networks[0]: Invalid value: "string": Invalid CIDR format provided',
    ])
    expect(
      errors(anp('  priority: 1\n  subject: {namespaces: {}}\n  egress:\n  - {action: Deny, to: [{domainNames: [a.io]}], ports: [{namedPort: dns}]}\n')),
    ).toEqual([
      'spec.egress[0]: Invalid value: "object": networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts for ' +
        'networks/nodes/domainNames',
    ])
    expect(errors(banp('  subject: {namespaces: {}}\n  egress:\n  - {action: Deny, to: [{nodes: {}}], ports: [{namedPort: dns}]}\n'))).toEqual([
      'spec.egress[0]: Invalid value: "object": networks/nodes peer cannot be set with namedPorts since there are no namedPorts for networks/nodes',
    ])
    // A BaselineAdminNetworkPolicy has no domainNames peer.
    expect(errors(banp('  subject: {namespaces: {}}\n  egress:\n  - {action: Deny, to: [{domainNames: [a.io]}]}\n'))[0]).toMatch(
      /unknown field "spec\.egress\[0\]\.to\[0\]\.domainNames"/,
    )
  })
  it('a v1alpha1 policy is reported as deprecated and is not analysed', () => {
    const r = loadManifestText(anp('  priority: 1\n  subject: {namespaces: {}}\n'), { file: 'x.yaml' })
    expect(r.state.clusterNetworkPolicies).toBeUndefined()
    expect(r.skipped.map((s) => s.kind)).toEqual(['AdminNetworkPolicy'])
    expect(r.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(
        /^deprecated: AdminNetworkPolicy \(policy\.networking\.k8s\.io\/v1alpha1\) is replaced by ClusterNetworkPolicy .*`netpol convert FILE`/,
      ),
    ])
  })
})
