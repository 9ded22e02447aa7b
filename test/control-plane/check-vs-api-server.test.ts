/**
 * `netpol check` against the API server's own validation: each NetworkPolicy goes through
 * `kubectl apply --dry-run=server` and `netpol check`; both must accept it or both refuse it, and
 * a refusal must name the same field path.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, it } from 'vitest'
import { ControlPlane } from '../../testing/control-plane.js'
import { controlPlaneBin, describeControlPlane, expectCheckAgreesWithServer, START_TIMEOUT_MS } from './control-plane-fixture.js'

/** A NetworkPolicy named `name` in namespace `default`, with `spec` written as YAML flow text. */
function policy(name: string, spec: string): string {
  return `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: default}\nspec: ${spec}\n`
}

// [case, manifest, the field path both must name (undefined: valid)]
const CASES: [string, string, string | undefined][] = [
  [
    'valid: ingress from a namespace on a port range',
    policy('ok', '{podSelector: {}, ingress: [{from: [{namespaceSelector: {matchLabels: {team: a}}}], ports: [{port: 80, endPort: 90}]}]}'),
    undefined,
  ],
  [
    'valid: egress to an ipBlock with an exception',
    policy('ok2', '{podSelector: {}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]}]}'),
    undefined,
  ],
  ['port 0', policy('p0', '{podSelector: {}, ingress: [{ports: [{port: 0}]}]}'), 'spec.ingress[0].ports[0].port'],
  ['port 65536', policy('p65536', '{podSelector: {}, ingress: [{ports: [{port: 65536}]}]}'), 'spec.ingress[0].ports[0].port'],
  ['endPort below port', policy('range', '{podSelector: {}, ingress: [{ports: [{port: 90, endPort: 80}]}]}'), 'spec.ingress[0].ports[0].endPort'],
  ['endPort with a named port', policy('named', '{podSelector: {}, ingress: [{ports: [{port: http, endPort: 90}]}]}'), 'spec.ingress[0].ports[0].endPort'],
  ['protocol ICMP', policy('icmp', '{podSelector: {}, ingress: [{ports: [{protocol: ICMP, port: 80}]}]}'), 'spec.ingress[0].ports[0].protocol'],
  ['cidr with prefix 33', policy('cidr', '{podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0.0/33}}]}]}'), 'spec.egress[0].to[0].ipBlock.cidr'],
  [
    'except outside cidr',
    policy('except', '{podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0.0/16, except: [192.168.0.0/24]}}]}]}'),
    'spec.egress[0].to[0].ipBlock.except[0]',
  ],
  [
    'unknown selector operator',
    policy('op', '{podSelector: {matchExpressions: [{key: app, operator: Near, values: [a]}]}}'),
    'spec.podSelector.matchExpressions[0].operator',
  ],
  ['invalid label value', policy('label', '{podSelector: {matchLabels: {app: "not valid!"}}}'), 'spec.podSelector.matchLabels'],
  ['unknown policy type', policy('types', '{podSelector: {}, policyTypes: [Sideways]}'), 'spec.policyTypes[0]'],
  ['invalid name', policy('Not_A_Name', '{podSelector: {}}'), 'metadata.name'],
]

const ROOT = join(import.meta.dirname, '..', '..')
const CRD = join(ROOT, 'vendor', 'network-policy-api', 'v1alpha2', 'crd', 'standard', 'policy.networking.k8s.io_clusternetworkpolicies.yaml')

/** A ClusterNetworkPolicy named `name` with `spec` written as YAML flow text (its CRD installed in beforeAll). */
function cnp(name: string, spec: string): string {
  return `apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: ${name}}\nspec: ${spec}\n`
}
const ADMIN = 'tier: Admin, priority: 5, subject: {namespaces: {}}'
const ingress = (rule: string) => `{${ADMIN}, ingress: [${rule}]}`
const egress = (rule: string) => `{${ADMIN}, egress: [${rule}]}`

// ClusterNetworkPolicies (cluster-network-policy.test.ts has nine more). Left out, as they disagree (docs/control-plane-tests.md):
// nodes and domainNames peers (the standard-channel CRD refuses them, netpol accepts them) and a
// selector operator that is not In/NotIn/Exists/DoesNotExist (the CRD accepts it, netpol refuses it).: [case, manifest, field path (undefined: valid)]
const CNP_CASES: [string, string, string | undefined][] = [
  ['CNP valid: priority 0', cnp('c1', '{tier: Admin, priority: 0, subject: {namespaces: {}}}'), undefined],
  ['CNP valid: priority 1000', cnp('c2', '{tier: Baseline, priority: 1000, subject: {namespaces: {}}}'), undefined],
  ['CNP valid: Pass ingress from pods', cnp('c3', ingress('{action: Pass, from: [{pods: {namespaceSelector: {}, podSelector: {}}}]}')), undefined],
  [
    'CNP valid: udp and sctp ports',
    cnp('c6', ingress('{action: Deny, from: [{namespaces: {}}], protocols: [{udp: {destinationPort: {number: 53}}}, {sctp: {destinationPort: {number: 9}}}]}')),
    undefined,
  ],
  ['CNP valid: named port', cnp('c7', ingress('{action: Deny, from: [{namespaces: {}}], protocols: [{destinationNamedPort: http}]}')), undefined],
  ['CNP valid: rule name', cnp('c8', ingress('{name: my-rule, action: Deny, from: [{namespaces: {}}]}')), undefined],
  ['CNP priority -1', cnp('c9', '{tier: Admin, priority: -1, subject: {namespaces: {}}}'), 'spec.priority'],
  ['CNP no tier', cnp('c10', '{priority: 1, subject: {namespaces: {}}}'), 'spec.tier'],
  ['CNP no priority', cnp('c11', '{tier: Admin, subject: {namespaces: {}}}'), 'spec.priority'],
  [
    'CNP subject with namespaces and pods',
    cnp('c12', '{tier: Admin, priority: 1, subject: {namespaces: {}, pods: {namespaceSelector: {}, podSelector: {}}}}'),
    'spec.subject',
  ],
  [
    'CNP peer with two kinds',
    cnp('c13', ingress('{action: Deny, from: [{namespaces: {}, pods: {namespaceSelector: {}, podSelector: {}}}]}')),
    'spec.ingress[0].from[0]',
  ],
  [
    'CNP port 65536',
    cnp('c14', ingress('{action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 65536}}}]}')),
    'spec.ingress[0].protocols[0].tcp.destinationPort.number',
  ],
  [
    'CNP range end below start',
    cnp('c15', ingress('{action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {range: {start: 90, end: 80}}}}]}')),
    'spec.ingress[0].protocols[0].tcp.destinationPort.range',
  ],
  ['CNP no egress peer', cnp('c16', egress('{action: Deny, to: []}')), 'spec.egress[0].to'],
  ['CNP egress action missing', cnp('c17', egress('{to: [{namespaces: {}}]}')), 'spec.egress[0].action'],
  ['CNP ingress from networks', cnp('c18', ingress('{action: Deny, from: [{networks: [10.0.0.0/8]}]}')), 'spec.ingress[0].from[0]'],
  ['CNP rule name too long', cnp('c19', ingress(`{name: ${'a'.repeat(101)}, action: Deny, from: [{namespaces: {}}]}`)), 'spec.ingress[0].name'],
  ['CNP valid: pods peer without namespaceSelector (all namespaces)', cnp('c20', ingress('{action: Deny, from: [{pods: {podSelector: {}}}]}')), undefined],
  ['CNP network with host bits', cnp('c22', egress('{action: Deny, to: [{networks: [10.0.0.1/8]}]}')), undefined],
]

describeControlPlane('netpol check agrees with the API server (kubectl apply --dry-run=server)', { timeout: 300_000 }, () => {
  let cp: ControlPlane
  let dir: string

  beforeAll(async () => {
    cp = await ControlPlane.start({ binDir: controlPlaneBin })
    await cp.kubectlOk(['apply', '-f', CRD])
    await cp.kubectlOk(['wait', '--for=condition=Established', 'crd/clusternetworkpolicies.policy.networking.k8s.io', '--timeout=60s'])
    dir = await mkdtemp(join(tmpdir(), 'netpol-check-vs-api-'))
  }, START_TIMEOUT_MS)
  afterAll(async () => {
    await cp?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it.each([...CASES, ...CNP_CASES])('%s', async (name, manifest, field) => {
    await expectCheckAgreesWithServer(cp, dir, name, manifest, field)
  })
})
