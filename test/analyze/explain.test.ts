import { describe, it, expect } from 'vitest'
import { explainVerdict, resolveEndpoint, resolveExplainPort } from '../../src/analyze/explain.js'
import { editDistance } from '../../src/model/edit-distance.js'
import { UsageError } from '../../src/model/errors.js'
import type { NetworkPolicy, Pod } from '../../src/model/types.js'
import { assumePodIPs, DEFAULT_POD_CIDR } from '../../src/cluster/assume-pod-ips.js'
import { createEngine } from '../../src/engine/engine.js'
import type { DirectionVerdict, Verdict } from '../../src/engine/verdict.js'
import { cluster, labelsSelector, pod } from './cluster-builders.js'

const web0 = pod('prod', 'web-0', {
  owner: { kind: 'Deployment', name: 'web' },
  ips: ['10.0.0.5'],
  ports: [
    { name: 'http', containerPort: 8080, protocol: 'TCP' },
    { name: 'dns', containerPort: 53, protocol: 'UDP' },
  ],
})
const web1 = pod('prod', 'web-1', { owner: { kind: 'Deployment', name: 'web' }, ips: ['fd00::5'] })
const db = pod('prod', 'db-0', { owner: { kind: 'StatefulSet', name: 'db' } })
const node = pod('kube-system', 'node-exporter', { hostNetwork: true, ips: ['192.168.1.10'] })
const state = cluster([web0, web1, db, node])

describe('resolveEndpoint', () => {
  it('reads ns/pod', () => {
    expect(resolveEndpoint(state, 'prod/db-0')).toEqual({ kind: 'pod', pod: db })
  })
  it('reads a bare pod name in the -n namespace', () => {
    expect(resolveEndpoint(state, 'web-1', { namespace: 'prod' })).toEqual({ kind: 'pod', pod: web1 })
  })
  it('reads ns/<kind>/name as the first pod of the workload, kind in lowercase or short', () => {
    expect(resolveEndpoint(state, 'prod/deployment/web')).toEqual({ kind: 'pod', pod: web0 })
    expect(resolveEndpoint(state, 'prod/deploy/web')).toEqual({ kind: 'pod', pod: web0 })
    expect(resolveEndpoint(state, 'prod/statefulset/db')).toEqual({ kind: 'pod', pod: db })
    expect(resolveEndpoint(state, 'prod/pod/db-0')).toEqual({ kind: 'pod', pod: db })
  })
  it('reads ns/name as the first pod of the workload of that name when no pod has it', () => {
    expect(resolveEndpoint(state, 'prod/web')).toEqual({ kind: 'pod', pod: web0 })
    expect(resolveEndpoint(state, 'db', { namespace: 'prod' })).toEqual({ kind: 'pod', pod: db })
  })
  it("maps a pod's IP to that pod, in any spelling of the address", () => {
    expect(resolveEndpoint(state, '10.0.0.5')).toEqual({ kind: 'pod', pod: web0 })
    expect(resolveEndpoint(state, 'fd00:0:0::5')).toEqual({ kind: 'pod', pod: web1 })
    expect(resolveEndpoint(state, '192.168.1.10')).toEqual({ kind: 'pod', pod: node })
  })
  it('treats any other address as an external endpoint, canonically written', () => {
    expect(resolveEndpoint(state, '8.8.8.8')).toEqual({ kind: 'ip', ip: '8.8.8.8' })
    expect(resolveEndpoint(state, '2001:DB8:0::1')).toEqual({ kind: 'ip', ip: '2001:db8::1' })
  })
  it('rejects an unknown pod with a UsageError listing close names', () => {
    expect(() => resolveEndpoint(state, 'prod/web-2')).toThrow(UsageError)
    expect(() => resolveEndpoint(state, 'prod/web-2')).toThrow(/pod "prod\/web-2" not found; did you mean prod\/web-0, prod\/web-1/)
    expect(() => resolveEndpoint(state, 'prod/deployment/wbe')).toThrow(/Deployment "prod\/wbe" not found.*did you mean prod\/deployment\/web/)
    expect(() => resolveEndpoint(state, 'prod/zzzzzzzzzzzzzzzzzz')).toThrow(/known names include prod\//)
  })
  it('rejects malformed IP addresses as such', () => {
    expect(() => resolveEndpoint(state, '999.1.1.1')).toThrow(/invalid IP address "999.1.1.1"/)
    expect(() => resolveEndpoint(state, '10.0.0.05')).toThrow(/invalid IP address/)
    expect(() => resolveEndpoint(state, 'fd00::g')).toThrow(UsageError)
  })
  it('rejects unknown kinds and malformed names', () => {
    expect(() => resolveEndpoint(state, 'prod/service/web')).toThrow(/unknown kind "service"/)
    expect(() => resolveEndpoint(state, 'prod//web')).toThrow(UsageError)
    expect(() => resolveEndpoint(state, 'a/b/c/d')).toThrow(UsageError)
  })
})

describe('resolveExplainPort', () => {
  it('reads numbers like --port, and names from the destination pod (name and protocol)', () => {
    const to = { kind: 'pod', pod: web0 } as const
    expect(resolveExplainPort('80', to)).toEqual({ port: 80, protocol: 'TCP' })
    expect(resolveExplainPort('http', to)).toEqual({ port: 8080, protocol: 'TCP' })
    expect(resolveExplainPort('dns/udp', to)).toEqual({ port: 53, protocol: 'UDP' })
    expect(() => resolveExplainPort('dns/TCP', to)).toThrow(/has container port "dns" only as 53\/UDP, not TCP; it has http \(8080\/TCP\), dns \(53\/UDP\)/)
    expect(() => resolveExplainPort('grpc', to)).toThrow(/no container port named "grpc"; it has http \(8080\/TCP\), dns \(53\/UDP\)/)
    expect(() => resolveExplainPort('http', { kind: 'ip', ip: '8.8.8.8' })).toThrow(UsageError)
  })

  it('refuses what is neither a port number nor a port name (-1, NaN, empty) instead of looking it up', () => {
    const to = { kind: 'pod', pod: web0 } as const
    for (const text of ['-1', 'NaN', '', 'http/', 'a_b']) expect(() => resolveExplainPort(text, to)).toThrow(/invalid port .*expected PORT or PORT\/PROTOCOL/)
  })
})

describe('editDistance', () => {
  it('measures edit distance', () => {
    expect(editDistance('web-2', 'web-0')).toBe(1)
    expect(editDistance('', 'abc')).toBe(3)
    expect(editDistance('kitten', 'sitting')).toBe(3)
  })
})

describe('explainVerdict', () => {
  const policy: NetworkPolicy = {
    namespace: 'prod',
    name: 'db-ingress',
    podSelector: labelsSelector({ app: 'db' }),
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [{ podSelector: labelsSelector({ app: 'api' }), source: { file: 'np.yaml', line: 12 } }],
        ports: [{ protocol: 'TCP', port: 5432, source: { file: 'np.yaml', line: 15 } }],
        source: { file: 'np.yaml', line: 11 },
      },
    ],
    egress: [],
    source: { file: 'np.yaml', line: 1 },
  }
  const s = { ...state, policies: [policy] }
  const ref = { namespace: 'prod', name: 'db-ingress', source: policy.source }
  const open: DirectionVerdict = { direction: 'Egress', enforced: true, isolated: false, policies: [], allowed: true }

  it('explains an allowed connection with the rule, peer and port that allowed it', () => {
    const v: Verdict = {
      traffic: { from: { kind: 'pod', pod: web0 }, to: { kind: 'pod', pod: db }, port: 5432, protocol: 'TCP' },
      allowed: true,
      loopback: false,
      fromNode: false,
      egress: open,
      ingress: {
        direction: 'Ingress',
        enforced: true,
        isolated: true,
        allowed: true,
        policies: [
          {
            policy: ref,
            allowedBy: [{ policy: ref, direction: 'Ingress', ruleIndex: 0, peerIndex: 0, portIndex: 0, source: { file: 'np.yaml', line: 11 } }],
            misses: [],
          },
        ],
      },
    }
    const e = explainVerdict(s, v)
    expect(e).toMatchObject({ from: 'prod/web-0', to: 'prod/db-0', port: 5432, protocol: 'TCP', allowed: true, loopback: false })
    expect(e.egress.summary).toMatch(/not isolated for egress/)
    expect(e.ingress.policies).toEqual([
      {
        policy: 'prod/db-ingress',
        source: 'np.yaml:1',
        allowed: true,
        allowedBy: [{ rule: 'ingress[0]', source: 'np.yaml:11', peer: 'from[0]: pods app=api in namespace prod', port: 'ports[0]: 5432/TCP' }],
        misses: [],
      },
    ])
  })

  it('explains a denial with each miss, and an external endpoint as not enforced', () => {
    const v: Verdict = {
      traffic: { from: { kind: 'ip', ip: '203.0.113.1' }, to: { kind: 'pod', pod: db }, port: 5432, protocol: 'TCP' },
      allowed: false,
      loopback: false,
      fromNode: false,
      egress: { direction: 'Egress', enforced: false, isolated: false, policies: [], allowed: true },
      ingress: {
        direction: 'Ingress',
        enforced: true,
        isolated: true,
        allowed: false,
        policies: [
          {
            policy: ref,
            allowedBy: [],
            misses: [
              {
                policy: ref,
                direction: 'Ingress',
                ruleIndex: 0,
                reason: 'peer',
                detail: 'peer 203.0.113.1 matches none of 1 peer',
                source: { file: 'np.yaml', line: 11 },
              },
            ],
          },
        ],
      },
    }
    const e = explainVerdict(s, v)
    expect(e.summary).toBe('203.0.113.1 -> prod/db-0 on 5432/TCP is denied by the ingress of prod/db-0')
    expect(e.egress).toMatchObject({ enforced: false, allowed: true })
    expect(e.egress.summary).toMatch(/not a pod of the cluster/)
    expect(e.ingress.summary).toBe('prod/db-0 is isolated for ingress by one policy, which does not allow this connection')
    expect(e.ingress.policies[0].misses).toEqual([
      { rule: 'ingress[0]', reason: 'peer', detail: 'peer 203.0.113.1 matches none of 1 peer', source: 'np.yaml:11' },
    ])
  })
})

describe('explainVerdict with assumed pod addresses', () => {
  const frontend = pod('prod', 'frontend-0', { labels: { tier: 'frontend' } })
  const client = pod('prod', 'client-0')
  const known = pod('prod', 'known-0', { ips: ['10.1.2.3'] })
  const ingressFromAnywhere: NetworkPolicy = {
    namespace: 'prod',
    name: 'from-anywhere',
    podSelector: labelsSelector({ tier: 'frontend' }),
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.1.0.0/16'] }, source: { file: 'np.yaml', line: 10 } }],
        ports: [{ protocol: 'TCP', port: 80, source: { file: 'np.yaml', line: 12 } }],
        source: { file: 'np.yaml', line: 9 },
      },
      {
        from: [{ ipBlock: { cidr: '192.0.2.0/24', except: [] }, source: { file: 'np.yaml', line: 14 } }],
        ports: [{ protocol: 'TCP', port: 81, source: { file: 'np.yaml', line: 16 } }],
        source: { file: 'np.yaml', line: 13 },
      },
    ],
    egress: [],
    source: { file: 'np.yaml', line: 1 },
  }
  const s = assumePodIPs(cluster([frontend, client, known], [ingressFromAnywhere]), { podCidr: DEFAULT_POD_CIDR })
  const byName = (name: string): Pod => s.pods.find((p) => p.name === name)!

  it('says when an ipBlock peer matched the other pod only through an assumed address', () => {
    const engine = createEngine(s)
    const e = explainVerdict(
      s,
      engine.evaluate({ from: { kind: 'pod', pod: byName('client-0') }, to: { kind: 'pod', pod: byName('frontend-0') }, port: 80, protocol: 'TCP' }),
    )
    expect(e.allowed).toBe(true)
    const match = e.ingress.policies[0].allowedBy[0]
    expect(match.assumedIp).toBe(byName('client-0').ips[0])
    expect(match.peer).toBe(
      `from[0]: ipBlock 0.0.0.0/0 except 10.1.0.0/16, which matches ${byName('client-0').ips[0]} (assumed: the manifest has no pod IP; --pod-cidr)`,
    )
  })

  it('says nothing of the kind for an address from the manifest, and names the assumed address in a miss', () => {
    const engine = createEngine(s)
    const fromKnown = explainVerdict(
      s,
      engine.evaluate({ from: { kind: 'pod', pod: byName('known-0') }, to: { kind: 'pod', pod: byName('frontend-0') }, port: 80, protocol: 'TCP' }),
    )
    expect(fromKnown.allowed).toBe(false)
    expect(JSON.stringify(fromKnown)).not.toContain('assumed')
    const wrongPort = explainVerdict(
      s,
      engine.evaluate({ from: { kind: 'pod', pod: byName('client-0') }, to: { kind: 'pod', pod: byName('frontend-0') }, port: 81, protocol: 'TCP' }),
    )
    expect(wrongPort.allowed).toBe(false)
    const peerMiss = wrongPort.ingress.policies[0].misses.find((m) => m.reason === 'peer')
    expect(peerMiss?.detail).toContain(`(${byName('client-0').ips[0]} is assumed: the manifest has no pod IP; --pod-cidr)`)
  })
})
