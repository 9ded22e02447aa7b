import { describe, it, expect } from 'vitest'
import { validateLabState, LabStateError } from '../../src/lab/state-validation.js'
import { planTopology } from '../../src/lab/topology.js'
import { LAB_STATE_VERSION, type LabState } from '../../src/lab/lab-state.js'
import type { ClusterState, NetworkPolicy } from '../../src/model/types.js'
import { EVERY_CNP_SHAPE_YAML, ns, pod, tcp, udp } from './fixtures.js'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { planServices } from '../../src/lab/lab-services.js'

const src = { file: '/m/shop.yaml', line: 7 }
const sel = (matchLabels: Record<string, string>) => ({ matchLabels, matchExpressions: [] })
const policy: NetworkPolicy = {
  namespace: 'shop',
  name: 'web.allow',
  podSelector: {
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'NotIn', values: ['db'] },
      { key: 'x.io/y', operator: 'Exists', values: [] },
    ],
  },
  policyTypes: ['Ingress', 'Egress'],
  ingress: [
    {
      from: [
        { podSelector: sel({ app: 'api' }), namespaceSelector: sel({}), source: src },
        { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] }, source: src },
      ],
      ports: [
        { protocol: 'TCP', port: 'http', source: src },
        { protocol: 'UDP', port: 5000, endPort: 5010, source: src },
      ],
      source: src,
    },
  ],
  egress: [{ to: [], ports: [{ protocol: 'SCTP', source: src }], source: src }],
  source: src,
}
const input: ClusterState = {
  namespaces: [ns('shop', { team: 'a' }), { name: 'other', labels: { 'kubernetes.io/metadata.name': 'other' }, implicit: true }],
  pods: [
    pod('shop', 'web-0', { app: 'web' }, [tcp(80, 'http'), udp(53)], {
      owner: { kind: 'Deployment', name: 'web' },
      template: { kind: 'Deployment', name: 'web' },
      source: src,
    }),
    pod('shop', 'lone', {}, [], { ips: ['10.244.9.9'], ipsAssumed: true }),
    pod('other', 'db', { tier: 'db' }, [tcp(5432)], { ips: ['192.168.3.4'], nodeName: 'node-1' }),
  ],
  policies: [policy],
}

function labState(lab: string): LabState {
  const plan = planTopology(input, { lab, nodeCount: 3 })
  return {
    version: LAB_STATE_VERSION,
    name: lab,
    phase: 'applying',
    createdAt: '2026-12-05T10:00:00.000Z',
    updatedAt: '2026-12-05T10:00:01.000Z',
    manifests: ['/m/shop.yaml', '/odd\u001b]0;x\u0007.yaml'],
    cluster: plan.state,
    topology: plan.topology,
    servers: { 'shop/web-0': 4242, 'other/db': 77 },
    collectors: {},
    warnings: ['a warning with "quotes" and \u001b[31m'],
    sctp: { supported: false, reason: 'no SCTP' },
    pending: { cluster: plan.state, topology: plan.topology },
  }
}

describe('reading a lab state back', () => {
  it('keeps every field the lab wrote, exactly (owner, template, assumed addresses, every policy shape, the pending apply)', () => {
    const state = labState('l1')
    expect(validateLabState(JSON.parse(JSON.stringify(state)), '/s/state.json', 'l1')).toEqual(state)
  })

  it('refuses a field it does not know instead of dropping it, and a state of another lab', () => {
    const state = JSON.parse(JSON.stringify(labState('l1')))
    state.cluster.pods[0].sidecar = true
    expect(() => validateLabState(state, '/s/state.json', 'l1')).toThrow(/cluster\.pods\[0\]: unknown field "sidecar"/)
    expect(() => validateLabState(JSON.parse(JSON.stringify(labState('l1'))), '/s/state.json', 'l2')).toThrow(LabStateError)
    expect(() => validateLabState(JSON.parse(JSON.stringify(labState('l1'))), '/s/state.json', 'l2')).toThrow(
      /name: expected "l2" \(the lab's directory name\), got "l1"/,
    )
  })
})

describe('reading a lab state back: Services', () => {
  const withServices = (): LabState => {
    const base = labState('l1')
    const services = planServices({
      ...base.cluster,
      services: [
        {
          namespace: 'shop',
          name: 'web',
          labels: {},
          type: 'ClusterIP',
          selector: { app: 'web' },
          clusterIPs: [],
          headless: false,
          externalIPs: [],
          ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', source: src }],
          source: src,
        },
        {
          namespace: 'shop',
          name: 'ext',
          labels: {},
          type: 'ExternalName',
          clusterIPs: [],
          headless: false,
          externalName: 'db.example.com',
          externalIPs: [],
          ports: [],
          source: src,
        },
      ],
    }).state
    return { ...base, cluster: { ...base.cluster, services: services.services }, pending: undefined }
  }

  it('keeps the Services with the ClusterIPs the lab gave them', () => {
    const { pending: _p, ...state } = withServices()
    expect(validateLabState(JSON.parse(JSON.stringify(state)), '/s/state.json', 'l1')).toEqual(state)
  })

  it('refuses a ClusterIP outside the service range, one given twice, and one on an ExternalName Service (they go to nft)', () => {
    const tamper = (change: (s: { cluster: { services: Record<string, unknown>[] } }) => void): (() => LabState) => {
      const { pending: _p, ...state } = withServices()
      const data = JSON.parse(JSON.stringify(state))
      change(data)
      return () => validateLabState(data, '/s/state.json', 'l1')
    }
    expect(tamper((s) => (s.cluster.services[0].clusterIPs = ['8.8.8.8']))).toThrow(/cluster\.services\[0\]\.clusterIPs: expected the one IPv4 address/)
    expect(tamper((s) => (s.cluster.services[0].clusterIPs = ['10.96.0.5; flush ruleset']))).toThrow(/not an IP address/)
    expect(tamper((s) => s.cluster.services.push({ ...s.cluster.services[0], name: 'web2' }))).toThrow(/is given to two Services/)
    expect(tamper((s) => (s.cluster.services[1].clusterIPs = ['10.96.0.7']))).toThrow(/must be empty for a ExternalName Service/)
    expect(tamper((s) => (s.cluster.services[1].externalName = 'x;y'))).toThrow(/not a DNS name/)
    expect(tamper((s) => (s.cluster.services[0].extra = 1))).toThrow(/unknown field "extra"/)
  })
})

function cnpLabState(lab: string): LabState {
  const cnps = loadManifestText(EVERY_CNP_SHAPE_YAML, { file: '/m/guard.yaml' }).state.clusterNetworkPolicies!
  const plan = planTopology({ ...input, clusterNetworkPolicies: cnps }, { lab, nodeCount: 2 })
  return { ...labState(lab), cluster: plan.state, topology: plan.topology, pending: { cluster: plan.state, topology: plan.topology } }
}

// Parsed JSON, changed field by field the way a hand-edited or corrupted file would be.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const mutated = (change: (s: { cluster: { clusterNetworkPolicies: Record<string, any>[] } }) => void): unknown => {
  const s = JSON.parse(JSON.stringify(cnpLabState('l1')))
  change(s)
  return s
}

describe('reading ClusterNetworkPolicies of a lab state back', () => {
  it('keeps both tiers and every subject, peer and protocol shape with its source, in the running and the pending cluster', () => {
    const state = cnpLabState('l1')
    expect(state.cluster.clusterNetworkPolicies).toHaveLength(2)
    expect(validateLabState(JSON.parse(JSON.stringify(state)), '/s/state.json', 'l1')).toEqual(state)
    expect(state.cluster.clusterNetworkPolicies![0]!.spec.ingress[0]!.source).toEqual({ file: '/m/guard.yaml', line: 17 })
  })

  it('refuses a field it does not know, a wrong type, an action or tier outside the API, a priority out of range', () => {
    const read = (s: unknown): unknown => validateLabState(s, '/s/state.json', 'l1')
    expect(() => read(mutated((s) => (s.cluster.clusterNetworkPolicies[0]!.spec.ingress[0].log = true)))).toThrow(
      /cluster\.clusterNetworkPolicies\[0\]\.spec\.ingress\[0\]: unknown field "log"/,
    )
    expect(() => read(mutated((s) => (s.cluster.clusterNetworkPolicies[0]!.spec.ingress[0].action = 'Allow')))).toThrow(
      /cluster\.clusterNetworkPolicies\[0\]\.spec\.ingress\[0\]\.action: expected one of Accept, Deny, Pass, got "Allow"/,
    )
    expect(() => read(mutated((s) => (s.cluster.clusterNetworkPolicies[1]!.spec.tier = 'Developer')))).toThrow(/spec\.tier: expected one of Admin, Baseline/)
    expect(() => read(mutated((s) => (s.cluster.clusterNetworkPolicies[1]!.spec.priority = 1001)))).toThrow(
      /spec\.priority: expected an integer from 0 to 1000, got 1001/,
    )
    expect(() => read(mutated((s) => (s.cluster.clusterNetworkPolicies[0]!.spec.ingress[0].protocols[0].tcp.destinationPort.number = '80')))).toThrow(
      /protocols\[0\]\.tcp\.destinationPort\.number: expected an integer from 1 to 65535, got "80"/,
    )
    expect(() => read(mutated((s) => delete s.cluster.clusterNetworkPolicies[0]!.spec.egress[0].source))).toThrow(/egress\[0\]\.source: expected an object/)
  })

  it("refuses what the API server would refuse, by the CRD's own rules (a subject with two fields, a bad CIDR, an empty rule list, a reversed range)", () => {
    const read = (s: unknown): unknown => validateLabState(s, '/s/state.json', 'l1')
    const bothSubjects = mutated((s) => (s.cluster.clusterNetworkPolicies[1]!.spec.subject.pods = { namespaceSelector: sel({}), podSelector: sel({}) }))
    expect(() => read(bothSubjects)).toThrow(LabStateError)
    expect(() => read(bothSubjects)).toThrow(/cluster\.clusterNetworkPolicies\[1\]: not a valid ClusterNetworkPolicy: spec\.subject/)
    expect(() => read(mutated((s) => (s.cluster.clusterNetworkPolicies[0]!.spec.egress[0].to[0].networks = ['10.0.0.0/33'])))).toThrow(
      /cluster\.clusterNetworkPolicies\[0\]: not a valid ClusterNetworkPolicy: spec\.egress\[0\]\.to\[0\]\.networks/,
    )
    expect(() => read(mutated((s) => (s.cluster.clusterNetworkPolicies[0]!.spec.ingress[1].from = [])))).toThrow(
      /not a valid ClusterNetworkPolicy: spec\.ingress\[1\]\.from/,
    )
    expect(() => read(mutated((s) => (s.cluster.clusterNetworkPolicies[0]!.spec.ingress[0].protocols[1].udp.destinationPort.range.start = 6000)))).toThrow(
      /not a valid ClusterNetworkPolicy: spec\.ingress\[0\]\.protocols\[1\]\.udp\.destinationPort\.range/,
    )
    expect(() =>
      read(
        mutated(
          (s) => (s.cluster.clusterNetworkPolicies[0]!.spec.subject.pods.podSelector.matchExpressions = [{ key: 'a', operator: 'Equals', values: ['b'] }]),
        ),
      ),
    ).toThrow(/subject\.pods\.podSelector\.matchExpressions\[0\]\.operator: expected one of In, NotIn, Exists, DoesNotExist/)
  })

  it('refuses a policy that would not read back as itself (an empty rule name), and a name listed twice', () => {
    const read = (s: unknown): unknown => validateLabState(s, '/s/state.json', 'l1')
    expect(() => read(mutated((s) => (s.cluster.clusterNetworkPolicies[1]!.spec.egress[0].name = '')))).toThrow(
      /cluster\.clusterNetworkPolicies\[1\]: does not read back as the same ClusterNetworkPolicy/,
    )
    expect(() => read(mutated((s) => (s.cluster.clusterNetworkPolicies[1]!.name = 'tenant-guard')))).toThrow(
      /cluster\.clusterNetworkPolicies\[1\]\.name: ClusterNetworkPolicy "tenant-guard" is listed twice/,
    )
  })
})
