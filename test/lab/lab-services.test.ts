/**
 * The lab's Service planning (pure): ClusterIPs from the service range (the manifest's when usable,
 * kept across applies, else by hash), cluster DNS added when Services exist, and what the nodes'
 * Service tables, the DNS records and the kube-dns servers are made of, from the engine's backends.
 */
import { describe, it, expect } from 'vitest'
import type { ClusterState, Service } from '../../src/model/types.js'
import { clusterDnsAddress, dnsRecordsFor, dnsServingPorts, inServiceRange, planServices, serviceNatFor } from '../../src/lab/lab-services.js'
import { cluster, ns, pod, tcp, udp } from './fixtures.js'

const src = { file: 'svc.yaml', line: 3 }
function svc(namespace: string, name: string, extra: Partial<Service> = {}): Service {
  return {
    namespace,
    name,
    labels: {},
    type: 'ClusterIP',
    selector: { app: name },
    clusterIPs: [],
    headless: false,
    externalIPs: [],
    ports: [{ name: '', protocol: 'TCP', port: 80, targetPort: 'http', source: src }],
    source: src,
    ...extra,
  }
}

const base = cluster(
  [ns('prod')],
  [
    pod('prod', 'backend-0', { app: 'backend' }, [tcp(8080, 'http')], { ips: ['10.244.0.5'] }),
    pod('prod', 'backend-1', { app: 'backend' }, [tcp(9090, 'http')], { ips: ['10.244.1.5'] }),
    pod('prod', 'backend-2', { app: 'backend' }, [tcp(7070)], { ips: ['10.244.1.6'] }),
  ],
)
const withServices = (services: Service[]): ClusterState => ({ ...base, services })

describe('planServices', () => {
  it('adds cluster DNS (Service and pod) only when there are Services and no kube-system/kube-dns', () => {
    expect(planServices(base).state).toBe(base)
    const plan = planServices(withServices([svc('prod', 'backend')]))
    expect(plan.warnings).toEqual([
      'cluster DNS: the manifests have Services but no kube-system/kube-dns; the lab adds Service kube-system/kube-dns (10.96.0.10) and pod kube-system/coredns-0',
    ])
    expect(plan.state.pods.map((p) => `${p.namespace}/${p.name}`)).toContain('kube-system/coredns-0')
    expect(plan.state.namespaces.map((n) => n.name)).toContain('kube-system')
    expect(clusterDnsAddress(plan.state)).toBe('10.96.0.10')
    // A kube-dns pod of the manifests backs it instead of a new one.
    const own = {
      ...base,
      pods: [...base.pods, pod('kube-system', 'coredns-abc', { 'k8s-app': 'kube-dns' }, [udp(53), tcp(53)])],
      services: [svc('prod', 'backend')],
    }
    expect(
      planServices(own)
        .state.pods.filter((p) => p.namespace === 'kube-system')
        .map((p) => p.name),
    ).toEqual(['coredns-abc'])
  })

  it('keeps a usable spec.clusterIP, refuses others with a warning, is stable by hash and across applies', () => {
    const plan = planServices(
      withServices([
        svc('prod', 'a', { clusterIPs: ['10.100.0.7'] }),
        svc('prod', 'b', { clusterIPs: ['192.168.0.1'] }),
        svc('prod', 'c', { clusterIPs: ['10.100.0.7'] }),
      ]),
    )
    const ip = (name: string): string => plan.state.services!.find((s) => s.name === name)!.clusterIPs[0]
    expect(ip('a')).toBe('10.100.0.7')
    expect(inServiceRange(ip('b')) && inServiceRange(ip('c'))).toBe(true)
    expect(new Set([ip('a'), ip('b'), ip('c'), ip('kube-dns')]).size).toBe(4)
    expect(plan.warnings).toContain(
      "Service prod/b: spec.clusterIP 192.168.0.1 is not in the lab's service range 10.96.0.0/12; the lab gives it another address",
    )
    expect(plan.warnings).toContain('Service prod/c: spec.clusterIP 10.100.0.7 is taken by Service prod/a; the lab gives it another address')
    // The same input gives the same addresses; a running lab's addresses are kept.
    expect(planServices(withServices([svc('prod', 'b')])).state.services![0].clusterIPs).toEqual(
      planServices(withServices([svc('prod', 'b')])).state.services![0].clusterIPs,
    )
    const again = planServices(withServices([svc('prod', 'b')]), plan.state)
    expect(again.state.services!.find((s) => s.name === 'b')!.clusterIPs).toEqual([ip('b')])
  })

  it('gives headless and ExternalName Services no address', () => {
    const plan = planServices(
      withServices([svc('prod', 'h', { headless: true }), svc('prod', 'x', { type: 'ExternalName', externalName: 'x.example.com', selector: undefined })]),
    )
    expect(plan.state.services!.filter((s) => s.namespace === 'prod').map((s) => s.clusterIPs)).toEqual([[], []])
  })
})

describe('what the nodes, the DNS server and the kube-dns pods get', () => {
  const plan = planServices(
    withServices([svc('prod', 'backend'), svc('prod', 'db', { headless: true }), svc('prod', 'x', { type: 'ExternalName', externalName: 'x.example.com' })]),
  )

  it('translates to each backend on its own resolved named targetPort; a pod without the name is no backend', () => {
    const nat = serviceNatFor(plan.state).find((s) => s.service === 'prod/backend')!
    expect(nat.ports).toEqual([
      {
        protocol: 'TCP',
        port: 80,
        backends: [
          { ip: '10.244.0.5', port: 8080 },
          { ip: '10.244.1.5', port: 9090 },
        ],
      },
    ])
    expect(serviceNatFor(plan.state).map((s) => s.service)).toEqual(['prod/backend', 'kube-system/kube-dns'])
  })

  it('resolves names to the ClusterIP, a headless Service to its pods, ExternalName to a CNAME', () => {
    const records = dnsRecordsFor(plan.state)
    expect(records.a['backend.prod.svc.cluster.local']).toEqual(plan.state.services!.filter((s) => s.name === 'backend').map((s) => s.clusterIPs[0]))
    expect(records.a['kube-dns.kube-system.svc.cluster.local']).toEqual(['10.96.0.10'])
    expect(records.cname['x.prod.svc.cluster.local']).toBe('x.example.com')
  })

  it('serves DNS on the kube-dns target ports of its backends', () => {
    expect([...dnsServingPorts(plan.state)]).toEqual([
      [
        'kube-system/coredns-0',
        [
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ],
      ],
    ])
  })
})
