/**
 * The lab's cluster DNS answers (pure): Service names, headless and ExternalName Services, the
 * names above them, NXDOMAIN for the rest of the zone (what makes the search path work), REFUSED
 * outside it, FORMERR for undecodable queries, truncation over UDP. Queries and answers go
 * through dns-packet, as a resolver's would.
 */
import { describe, it, expect } from 'vitest'
import dnsPacket from 'dns-packet'
import { answerDnsQuery, clusterDnsRecords, validateDnsRecords, type ClusterDnsRecords } from '../../src/lab/cluster-dns.js'

const records = clusterDnsRecords([
  { namespace: 'prod', name: 'backend', clusterIP: '10.96.12.1' },
  { namespace: 'prod', name: 'db', backendIps: ['10.244.1.3', '10.244.0.7'] },
  { namespace: 'prod', name: 'search', externalName: 'search.example.com.' },
  { namespace: 'kube-system', name: 'kube-dns', clusterIP: '10.96.0.10' },
])

function ask(name: string, type: dnsPacket.RecordType = 'A', recs: ClusterDnsRecords = records, udp = true): dnsPacket.DecodedPacket & { rcode?: string } {
  const query = dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] })
  const answer = answerDnsQuery(query, recs, udp)
  expect(answer).toBeDefined()
  const decoded = dnsPacket.decode(answer!) as dnsPacket.DecodedPacket & { rcode?: string }
  expect(decoded.id).toBe(4242)
  expect(decoded.flag_qr).toBe(true)
  return decoded
}

const data = (p: dnsPacket.DecodedPacket): unknown[] => (p.answers ?? []).map((a) => `${a.type} ${String((a as { data: unknown }).data)}`)

describe('cluster DNS answers', () => {
  it('answers A for <svc>.<ns>.svc.cluster.local with the ClusterIP, authoritatively, whatever the case', () => {
    const r = ask('Backend.PROD.svc.cluster.local')
    expect(r.rcode).toBe('NOERROR')
    expect(r.flag_aa).toBe(true)
    expect(data(r)).toEqual(['A 10.96.12.1'])
    expect(r.answers![0].name).toBe('Backend.PROD.svc.cluster.local')
  })

  it('answers a headless Service with its backends, and an ExternalName Service with a CNAME', () => {
    expect(data(ask('db.prod.svc.cluster.local'))).toEqual(['A 10.244.0.7', 'A 10.244.1.3'])
    expect(data(ask('search.prod.svc.cluster.local'))).toEqual(['CNAME search.example.com'])
  })

  it('says NXDOMAIN for other names of the zone, which is what makes the search path step to the next suffix', () => {
    // `backend.prod` from a pod in prod: first tried as backend.prod.prod.svc.cluster.local.
    const first = ask('backend.prod.prod.svc.cluster.local')
    expect(first.rcode).toBe('NXDOMAIN')
    expect(first.authorities!.map((a) => a.type)).toEqual(['SOA'])
    expect(data(ask('backend.prod.svc.cluster.local'))).toEqual(['A 10.96.12.1'])
    expect(ask('nope.prod.svc.cluster.local').rcode).toBe('NXDOMAIN')
  })

  it('says the name exists without data for AAAA (the lab is IPv4), and for the names above Services', () => {
    for (const [name, type] of [
      ['backend.prod.svc.cluster.local', 'AAAA'],
      ['prod.svc.cluster.local', 'A'],
      ['svc.cluster.local', 'A'],
    ] as const) {
      const r = ask(name, type)
      expect(r.rcode, name).toBe('NOERROR')
      expect(r.answers, name).toEqual([])
    }
    expect(data(ask('cluster.local', 'SOA'))).toHaveLength(1)
  })

  it('refuses names outside cluster.local (the lab has no upstream)', () => {
    expect(ask('example.com').rcode).toBe('REFUSED')
    expect(ask('backend.prod').rcode).toBe('REFUSED')
  })

  it('answers FORMERR to a query it cannot decode, and nothing to a response or a runt', () => {
    const garbage = Buffer.from('netpol-probe 10.96.0.10:53')
    const r = dnsPacket.decode(answerDnsQuery(garbage, records, true)!) as dnsPacket.DecodedPacket & { rcode?: string }
    expect(r.rcode).toBe('FORMERR')
    expect(r.id).toBe(garbage.readUInt16BE(0))
    expect(answerDnsQuery(Buffer.from('short'), records, true)).toBeUndefined()
    const response = dnsPacket.encode({ type: 'response', id: 1, questions: [{ type: 'A', name: 'x.cluster.local' }] })
    expect(answerDnsQuery(response, records, true)).toBeUndefined()
  })

  it('truncates a UDP answer above 512 bytes (the client retries over TCP), and not over TCP', () => {
    const ips = Array.from({ length: 60 }, (_, i) => `10.244.2.${i + 1}`)
    const big = clusterDnsRecords([{ namespace: 'prod', name: 'many', backendIps: ips }])
    const udp = ask('many.prod.svc.cluster.local', 'A', big, true)
    expect(udp.flag_tc).toBe(true)
    expect(udp.answers).toEqual([])
    expect(ask('many.prod.svc.cluster.local', 'A', big, false).answers).toHaveLength(60)
  })
})

describe('validateDnsRecords (the records file is read back as untrusted input)', () => {
  it('takes what clusterDnsRecords wrote', () => {
    expect(validateDnsRecords(JSON.parse(JSON.stringify(records)))).toEqual(records)
  })

  it('refuses other shapes, bad names and bad addresses', () => {
    expect(() => validateDnsRecords({ a: {} })).toThrow(/expected an object/)
    expect(() => validateDnsRecords({ a: { 'x y.cluster.local': ['10.0.0.1'] }, cname: {} })).toThrow(/not a DNS name/)
    expect(() => validateDnsRecords({ a: { 'x.cluster.local': ['10.0.0.1; rm'] }, cname: {} })).toThrow(/IPv4/)
    expect(() => validateDnsRecords({ a: { 'x.cluster.local': ['fd00::1'] }, cname: {} })).toThrow(/IPv4/)
    expect(() => validateDnsRecords({ a: {}, cname: { 'x.cluster.local': 'not a name' } })).toThrow(/DNS name/)
  })
})
