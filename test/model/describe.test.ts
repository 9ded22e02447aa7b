import { describe, it, expect } from 'vitest'
import { describePeer, endpointName, formatContainerPort, formatIpBlock, formatPolicyPort, formatPort, sideOf } from '../../src/model/describe.js'
import type { LabelSelector } from '../../src/model/types.js'

const source = { file: 'p.yaml', line: 3 }
const everything: LabelSelector = { matchLabels: {}, matchExpressions: [] }
const labels = (matchLabels: Record<string, string>): LabelSelector => ({ matchLabels, matchExpressions: [] })

describe('describePeer', () => {
  it('says where a peer looks: podSelector alone means the policy namespace', () => {
    expect(describePeer({ podSelector: labels({ app: 'a' }), source }, 'prod')).toBe('pods app=a in namespace prod')
    expect(describePeer({ podSelector: everything, source }, 'prod')).toBe('all pods in namespace prod')
    expect(describePeer({ namespaceSelector: labels({ team: 'x' }), source }, 'prod')).toBe('all pods in namespaces team=x')
    expect(describePeer({ podSelector: everything, namespaceSelector: labels({ team: 'x' }), source }, 'prod')).toBe('all pods in namespaces team=x')
  })

  it('words an empty selector as all pods / every namespace, never as a selector text', () => {
    expect(describePeer({ namespaceSelector: everything, source }, 'prod')).toBe('all pods in every namespace')
    expect(describePeer({ podSelector: everything, namespaceSelector: everything, source }, 'prod')).toBe('all pods in every namespace')
    expect(describePeer({ podSelector: labels({ app: 'a' }), namespaceSelector: everything, source }, 'prod')).toBe('pods app=a in every namespace')
  })

  it("writes selectors in kubectl's sorted syntax, whatever the order of the manifest", () => {
    const podSelector: LabelSelector = {
      matchLabels: { tier: 'fe', app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'NotIn', values: ['prod', 'dev'] },
        { key: 'zone', operator: 'In', values: ['b', 'a'] },
        { key: 'legacy', operator: 'DoesNotExist', values: [] },
        { key: 'team', operator: 'Exists', values: [] },
      ],
    }
    expect(describePeer({ podSelector, source }, 'prod')).toBe('pods app=web,tier=fe,!legacy,env notin (dev,prod),team,zone in (a,b) in namespace prod')
  })

  it('writes an ipBlock with its exceptions', () => {
    expect(describePeer({ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] }, source }, 'prod')).toBe('ipBlock 0.0.0.0/0 except 169.254.169.254/32')
    expect(formatIpBlock({ cidr: '10.0.0.0/8', except: [] })).toBe('ipBlock 10.0.0.0/8')
    expect(formatIpBlock({ cidr: 'fd00::/8', except: ['fd00::/16', 'fd01::/16'] })).toBe('ipBlock fd00::/8 except fd00::/16, fd01::/16')
  })
})

describe('ports', () => {
  it('writes a policy port as PORT/PROTOCOL, a range, a name, or every port of a protocol', () => {
    expect(formatPolicyPort({ protocol: 'TCP', port: 80 })).toBe('80/TCP')
    expect(formatPolicyPort({ protocol: 'UDP', port: 1000, endPort: 2000 })).toBe('1000-2000/UDP')
    expect(formatPolicyPort({ protocol: 'TCP', port: 'http' })).toBe('http/TCP')
    expect(formatPolicyPort({ protocol: 'SCTP' })).toBe('every SCTP port')
  })

  it("writes a connection's port as PORT/PROTOCOL and a container port with its name first", () => {
    expect(formatPort({ port: 53, protocol: 'UDP' })).toBe('53/UDP')
    expect(formatContainerPort({ name: 'http', containerPort: 8080, protocol: 'TCP' })).toBe('http (8080/TCP)')
    expect(formatContainerPort({ containerPort: 9090, protocol: 'SCTP' })).toBe('9090/SCTP')
  })
})

describe('endpoints and sides', () => {
  it('names a pod ns/name and anything else by its address', () => {
    expect(endpointName({ kind: 'pod', pod: { namespace: 'prod', name: 'web-0' } })).toBe('prod/web-0')
    expect(endpointName({ kind: 'ip', ip: 'fd00::1' })).toBe('fd00::1')
  })

  it('names the side a policy type is enforced on', () => {
    expect(sideOf('Ingress')).toBe('ingress')
    expect(sideOf('Egress')).toBe('egress')
  })
})
