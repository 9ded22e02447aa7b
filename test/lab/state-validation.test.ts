import { describe, it, expect } from 'vitest'
import { validateLabState, LabStateError } from '../../src/lab/state-validation.js'
import { planTopology } from '../../src/lab/topology.js'
import { LAB_STATE_VERSION, type LabState } from '../../src/lab/lab-state.js'
import type { ClusterState, NetworkPolicy } from '../../src/model/types.js'
import { ns, pod, tcp, udp } from './fixtures.js'

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
