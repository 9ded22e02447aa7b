import { describe, expect, it } from 'vitest'
import { describePeerMiss } from '../../src/engine/peer.js'
import type { NetworkPolicy, NetworkPolicyPeer } from '../../src/model/types.js'

const source = { file: 'np.yaml', line: 1 }
const policy: NetworkPolicy = {
  namespace: 'x',
  name: 'np',
  podSelector: { matchLabels: {}, matchExpressions: [] },
  policyTypes: ['Egress'],
  ingress: [],
  egress: [],
  source,
}
const peer = (cidr: string, except: string[]): NetworkPolicyPeer => ({ ipBlock: { cidr, except }, source })
const nsLabels = () => ({})

describe('a peer miss names the except that took the address out', () => {
  it('an external address in an except', () => {
    expect(describePeerMiss(policy, [peer('10.0.0.0/8', ['10.1.0.0/16'])], { kind: 'ip', ip: '10.1.2.3' }, nsLabels)).toBe(
      'peer 10.1.2.3 does not match ipBlock 10.0.0.0/8 except 10.1.0.0/16 (10.1.2.3 is in except 10.1.0.0/16 of 10.0.0.0/8)',
    )
  })
  it('a pod address in an except of one of several peers', () => {
    const pod = { namespace: 'x', name: 'a', labels: { app: 'a' }, ips: ['192.168.5.9'], containerPorts: [], hostNetwork: false, source }
    expect(describePeerMiss(policy, [peer('10.0.0.0/8', []), peer('192.168.0.0/16', ['192.168.5.0/24'])], { kind: 'pod', pod }, nsLabels)).toMatch(
      /\(192\.168\.5\.9 is in except 192\.168\.5\.0\/24 of 192\.168\.0\.0\/16\)$/,
    )
  })
  it('an address outside the cidr says nothing about excepts', () => {
    expect(describePeerMiss(policy, [peer('10.0.0.0/8', ['10.1.0.0/16'])], { kind: 'ip', ip: '11.0.0.1' }, nsLabels)).toBe(
      'peer 11.0.0.1 does not match ipBlock 10.0.0.0/8 except 10.1.0.0/16',
    )
  })
})
