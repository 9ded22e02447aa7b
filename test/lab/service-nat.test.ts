/**
 * The lab's Service translation (its kube-proxy) through the real kernel: a connection to a
 * ClusterIP and Service port reaches a backend pod on its targetPort, backends are chosen at
 * random, the policy sees the pod's address and targetPort (so a policy written on the Service
 * port does not open it), ports without backends and ports the ClusterIP does not serve are
 * refused, and a pod reaches itself through its own Service (hairpin).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import type { NetworkPolicy } from '../../src/model/types.js'
import { applyServiceNat, serviceNatScript, serviceNatTableName, type ServiceNatService } from '../../src/lab/service-nat.js'
import { runChecked, runCommand } from '../../src/lab/run-command.js'
import { cluster, ns, pod, tcp } from './fixtures.js'
import { startTestLab, type TestLab } from './lab-harness.js'

const src = { file: 'service-nat', line: 1 }
const base = cluster(
  [ns('x')],
  [
    pod('x', 'client', { app: 'client' }),
    pod('x', 'web-0', { app: 'web' }, [tcp(8080, 'http')]),
    pod('x', 'web-1', { app: 'web' }, [tcp(8080, 'http')]),
    pod('x', 'solo', { app: 'solo' }, [tcp(9090)]),
  ],
)

/** Ingress to the web pods only from the client, on `port`. */
function webIngressOn(port: number): NetworkPolicy {
  return {
    namespace: 'x',
    name: `web-on-${port}`,
    podSelector: { matchLabels: { app: 'web' }, matchExpressions: [] },
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [{ podSelector: { matchLabels: { app: 'client' }, matchExpressions: [] }, source: src }],
        ports: [{ protocol: 'TCP', port, source: src }],
        source: src,
      },
    ],
    egress: [],
    source: src,
  }
}

let lab: TestLab
let services: ServiceNatService[]

async function curl(from: string, url: string): Promise<{ code: number; body: string }> {
  const p = (await lab.state()).topology.pods.find((x) => x.name === from)!
  const r = await runCommand('ip', ['netns', 'exec', p.netns, 'curl', '-sS', '--max-time', '2', url])
  return { code: r.code, body: r.stdout.trim() }
}

/** The table is applied by hand here (the input type, not Service objects): again after every change of the lab, which rewrites it from its state. */
async function applyNat(): Promise<void> {
  const table = serviceNatTableName(lab.name)
  for (const node of (await lab.state()).topology.nodes) await applyServiceNat(node.netns, table, services)
}

beforeAll(async () => {
  lab = await startTestLab('snat', { ...base, policies: [webIngressOn(8080)] })
  const pods = (await lab.state()).topology.pods
  const ip = (name: string): string => pods.find((p) => p.name === name)!.ip
  services = [
    {
      service: 'x/web',
      clusterIP: '10.96.0.100',
      ports: [
        {
          protocol: 'TCP',
          port: 80,
          backends: [
            { ip: ip('web-0'), port: 8080 },
            { ip: ip('web-1'), port: 8080 },
          ],
        },
        { protocol: 'TCP', port: 8443, backends: [] },
      ],
    },
    { service: 'x/solo', clusterIP: '10.96.0.101', ports: [{ protocol: 'TCP', port: 90, backends: [{ ip: ip('solo'), port: 9090 }] }] },
  ]
  await applyNat()
}, 60_000)

afterAll(async () => {
  await lab?.down()
})

describe('Service NAT in lab nodes (kube-proxy nftables mode)', () => {
  it('translates ClusterIP:port to a random backend on its targetPort, and the policy on the targetPort allows it', async () => {
    const seen = new Set<string>()
    for (let i = 0; i < 24; i++) {
      const r = await curl('client', 'http://10.96.0.100:80/')
      expect(r.code).toBe(0)
      seen.add(r.body)
    }
    // Random choice: both backends answer (the chance that 24 tries all pick one is 2^-23).
    expect([...seen].sort()).toEqual(['x/web-0 port 8080/TCP', 'x/web-1 port 8080/TCP'])
  })

  it('a policy written on the Service port instead of the targetPort does not open it (the policy sees the pod and targetPort)', async () => {
    await lab.set({ ...base, policies: [webIngressOn(80)] })
    await applyNat()
    const r = await curl('client', 'http://10.96.0.100:80/')
    expect(r.code).toBe(28) // curl: operation timed out (the node dropped the SYN)
    await lab.set({ ...base, policies: [webIngressOn(8080)] })
    await applyNat()
    expect((await curl('client', 'http://10.96.0.100:80/')).code).toBe(0)
  })

  it('refuses a Service port without backends and a port the ClusterIP does not serve, at once', async () => {
    expect((await curl('client', 'http://10.96.0.100:8443/')).code).toBe(7) // connection refused
    expect((await curl('client', 'http://10.96.0.100:81/')).code).toBe(7)
  })

  it('lets a pod reach itself through its own Service (hairpin, masqueraded to the node)', async () => {
    const r = await curl('solo', 'http://10.96.0.101:90/')
    expect(r).toEqual({ code: 0, body: 'x/solo port 9090/TCP' })
  })

  it('lives only in the lab nodes: the host has no such table', async () => {
    const tables = await runChecked('nft', ['list', 'tables'])
    expect(tables).not.toContain(serviceNatTableName(lab.name))
    const node = (await lab.state()).topology.nodes[0]
    expect(await runChecked('ip', ['netns', 'exec', node.netns, 'nft', 'list', 'tables'])).toContain(`table ip ${serviceNatTableName(lab.name)}`)
  })
})

describe('serviceNatScript', () => {
  it('hooks nat prerouting and output at dstnat, before the policy chains (filter - 10)', () => {
    const script = serviceNatScript('netpol-l-services', [
      { service: 'a/b', clusterIP: '10.96.0.1', ports: [{ protocol: 'UDP', port: 53, backends: [{ ip: '10.244.0.2', port: 5353 }] }] },
    ])
    expect(script).toMatch(/^add table ip netpol-l-services\ndelete table ip netpol-l-services\ntable ip netpol-l-services \{$/m)
    expect(script).toContain('type nat hook prerouting priority dstnat; policy accept;')
    expect(script).toContain('type nat hook output priority -100; policy accept;')
    expect(script).toContain('10.96.0.1 . udp . 53 : goto svc_0_0')
    expect(script).toContain('meta l4proto udp dnat to 10.244.0.2:5353')
  })

  it('refuses anything that is not an address or a port, so nothing else reaches nft', () => {
    const bad =
      (clusterIP: string, ip: string, port: number): (() => string) =>
      () =>
        serviceNatScript('t', [{ service: 'a/b', clusterIP, ports: [{ protocol: 'TCP', port: 80, backends: [{ ip, port }] }] }])
    expect(bad('10.96.0.1; flush ruleset', '10.244.0.2', 80)).toThrow(/not an IPv4 address/)
    expect(bad('10.96.0.1', 'fd00::1', 80)).toThrow(/not an IPv4 address/)
    expect(bad('10.96.0.1', '10.244.0.2', 70000)).toThrow(/not a port/)
    expect(() => serviceNatScript('t; flush ruleset', [])).toThrow(/invalid nft table name/)
  })
})
