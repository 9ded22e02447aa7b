import { describe, it, expect } from 'vitest'
import { buildState } from '../cases/build-state.js'
import { documents, namespaceYaml, podYaml } from '../cases/case-types.js'
import { endpoint } from '../cases/resolve-endpoint.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import { createEngine } from '../../src/engine/engine.js'
import type { Evaluator, Traffic } from '../../src/engine/verdict.js'
import type { Protocol } from '../../src/model/types.js'

const manifests = documents(
  namespaceYaml('shop', { team: 'web' }),
  podYaml('shop', 'web', { app: 'web' }, ['10.0.0.1'], [{ port: 80, protocol: 'TCP', name: 'http' }]),
  podYaml('shop', 'db', { app: 'db' }, ['10.0.0.2'], [{ port: 5432, protocol: 'TCP' }]),
  podYaml('shop', 'node-agent', { app: 'agent' }, ['192.168.1.5'], [], { hostNetwork: true }),
  `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: z-db-ingress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: admin}}
  - from:
    - ipBlock: {cidr: 172.16.0.0/12}
    - podSelector: {matchLabels: {app: web}}
    ports:
    - {port: 5432, protocol: UDP}
    - {port: 5432}
`,
  `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`,
)

const state = buildState(manifests)
const traffic = (from: string, to: string, port: number, protocol: Protocol = 'TCP'): Traffic => ({
  from: endpoint(state, from),
  to: endpoint(state, to),
  port,
  protocol,
})

function both(name: string, check: (e: Evaluator) => void): void {
  it(`${name} (reference)`, () => check(referenceEvaluator(state)))
  it(`${name} (fast engine)`, () => check(createEngine(state)))
}

describe('verdict contents', () => {
  both('names the rule, peer and port that allowed, and every miss with its reason', (e) => {
    const v = e.evaluate(traffic('shop/web', 'shop/db', 5432))
    // Egress of web: only a-deny selects it, with no egress rules.
    expect(v.egress).toMatchObject({ direction: 'Egress', enforced: true, isolated: true, allowed: false })
    expect(v.egress.policies.map((p) => p.policy.name)).toEqual(['a-deny'])
    expect(v.egress.policies[0]!.misses).toMatchObject([{ ruleIndex: -1, reason: 'no-rules' }])
    // Ingress of db: policies in name order; z-db-ingress rule 1 matched on peer [1] and port [1].
    expect(v.ingress.policies.map((p) => p.policy.name)).toEqual(['a-deny', 'z-db-ingress'])
    const z = v.ingress.policies[1]!
    expect(z.allowedBy).toMatchObject([{ direction: 'Ingress', ruleIndex: 1, peerIndex: 1, portIndex: 1 }])
    expect(z.misses).toMatchObject([{ ruleIndex: 0, reason: 'peer' }])
    expect(z.misses[0]!.detail).toBe('peer shop/web {app=web} does not match pods app=admin in namespace shop')
    expect(v.ingress.allowed).toBe(true)
    expect(v.allowed).toBe(false)
    expect(v.loopback).toBe(false)
  })

  both('tells a wrong port from a wrong protocol', (e) => {
    const wrongPort = e.evaluate(traffic('shop/web', 'shop/db', 5433)).ingress.policies[1]!.misses[1]!
    expect(wrongPort).toMatchObject({ ruleIndex: 1, reason: 'port' })
    expect(wrongPort.detail).toBe('port 5433/TCP is not in [5432/UDP, 5432/TCP]')
    const wrongProtocol = e.evaluate(traffic('shop/web', 'shop/db', 5432, 'SCTP')).ingress.policies[1]!.misses[1]!
    expect(wrongProtocol).toMatchObject({ ruleIndex: 1, reason: 'protocol' })
    expect(wrongProtocol.detail).toBe('protocol SCTP of port 5432/SCTP is not in [5432/UDP, 5432/TCP]')
  })

  it('a rule without peers or ports matches with no peer or port index (both evaluators)', () => {
    const s = buildState(
      documents(
        namespaceYaml('n1'),
        podYaml('n1', 'a', { app: 'a' }, ['10.1.0.1'], []),
        `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: open, namespace: n1}
spec:
  podSelector: {}
  ingress:
  - {}
`,
      ),
    )
    const v = createEngine(s).evaluate({ from: { kind: 'ip', ip: '198.51.100.1' }, to: { kind: 'pod', pod: s.pods[0]! }, port: 1, protocol: 'UDP' })
    expect(v.ingress.policies[0]!.allowedBy).toEqual([
      { policy: v.ingress.policies[0]!.policy, direction: 'Ingress', ruleIndex: 0, source: s.policies[0]!.ingress[0]!.source },
    ])
    expect(referenceEvaluator(s).evaluate(v.traffic)).toEqual(v)
  })

  both('external addresses and hostNetwork pods are not enforced on their own side', (e) => {
    const fromIp = e.evaluate(traffic('172.16.3.4', 'shop/db', 5432))
    expect(fromIp.egress).toEqual({ direction: 'Egress', enforced: false, isolated: false, policies: [], allowed: true })
    expect(fromIp.ingress.policies[1]!.allowedBy).toMatchObject([{ ruleIndex: 1, peerIndex: 0, portIndex: 1 }])
    expect(fromIp.allowed).toBe(true)
    const toAgent = e.evaluate(traffic('shop/db', 'shop/node-agent', 9100))
    expect(toAgent.ingress).toEqual({ direction: 'Ingress', enforced: false, isolated: false, policies: [], allowed: true })
    expect(toAgent.egress.allowed).toBe(false)
    const fromAgent = e.evaluate(traffic('shop/node-agent', 'shop/db', 5432))
    expect(fromAgent.ingress.policies[1]!.misses.map((m) => m.detail)).toEqual([
      'peer shop/node-agent {app=agent} does not match pods app=admin in namespace shop (a hostNetwork pod is matched only by ipBlock)',
      'peer shop/node-agent {app=agent} does not match any of 2 peers: [0] ipBlock 172.16.0.0/12; [1] pods app=web in namespace shop (a ' +
        'hostNetwork pod is matched only by ipBlock)',
    ])
  })

  it('words empty selectors and protocol-only ports in misses as explain does (both evaluators)', () => {
    const s = buildState(
      documents(
        namespaceYaml('n1'),
        podYaml('n1', 'a', { app: 'a' }, ['10.1.0.1'], []),
        `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: udp-from-cluster, namespace: n1}
spec:
  podSelector: {}
  ingress:
  - from:
    - namespaceSelector: {}
    - podSelector: {}
      namespaceSelector: {matchLabels: {team: x}}
    ports:
    - protocol: UDP
`,
      ),
    )
    const a = s.pods[0]!
    for (const e of [referenceEvaluator(s), createEngine(s)]) {
      const fromOutside = e.evaluate({ from: { kind: 'ip', ip: '203.0.113.9' }, to: { kind: 'pod', pod: a }, port: 53, protocol: 'UDP' })
      expect(fromOutside.ingress.policies[0]!.misses.map((m) => m.detail)).toEqual([
        'peer 203.0.113.9 does not match any of 2 peers: [0] all pods in every namespace; [1] all pods in namespaces team=x (an address outside ' +
          'the cluster is matched only by ipBlock)',
      ])
      const overTcp = e.evaluate({ from: { kind: 'pod', pod: a }, to: { kind: 'pod', pod: a }, port: 53, protocol: 'TCP' })
      expect(overTcp.ingress.policies[0]!.misses.map((m) => m.detail)).toEqual(['protocol TCP of port 53/TCP is not in [every UDP port]'])
    }
  })

  both('a pod to itself is allowed even when both sides deny, and says so', (e) => {
    const v = e.evaluate(traffic('shop/web', 'shop/web', 80))
    expect(v.loopback).toBe(true)
    expect(v.allowed).toBe(true)
    expect(v.egress.allowed).toBe(false)
    expect(v.ingress.allowed).toBe(false)
    expect(e.isAllowed(v.traffic)).toBe(true)
  })
})
