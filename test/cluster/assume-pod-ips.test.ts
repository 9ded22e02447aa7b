import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { assumePodIPs, DEFAULT_POD_CIDR, PodCidrError } from '../../src/cluster/assume-pod-ips.js'
import { cidrContainsIp, parseCidr, parseIp } from '../../src/model/cidr.js'
import type { ClusterState, Pod } from '../../src/model/types.js'

function pod(namespace: string, name: string, extra: Partial<Pod> = {}): Pod {
  return { namespace, name, labels: {}, ips: [], containerPorts: [], hostNetwork: false, source: { file: 'test.yaml', line: 1 }, ...extra }
}

function stateOf(pods: readonly Pod[]): ClusterState {
  return { namespaces: [], pods, policies: [] }
}

const key = (p: Pod): string => `${p.namespace}/${p.name}`
const addressOf = (s: ClusterState): Map<string, string> => new Map(s.pods.map((p) => [key(p), p.ips.join(',')]))

// Small CIDRs force collisions, so the probing is exercised, not just the hash.
const smallCidr = fc.constantFrom('10.9.0.0/27', '10.9.0.0/28', '192.168.7.64/26')
const podName = fc.tuple(fc.constantFrom('a', 'b', 'shop'), fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/))
const plainPods = fc.uniqueArray(podName, { selector: ([ns, n]) => `${ns}/${n}`, maxLength: 12 }).map((names) => names.map(([ns, n]) => pod(ns, n)))
/** Pods of three kinds: without IP, with a status IP inside the CIDR (so the allocator must skip it), hostNetwork. */
const mixedPods = fc
  .uniqueArray(fc.tuple(podName, fc.constantFrom('none', 'status', 'host'), fc.integer({ min: 1, max: 14 })), {
    selector: ([[ns, n]]) => `${ns}/${n}`,
    maxLength: 12,
  })
  .map((entries) => {
    const used = new Set<number>()
    return entries.map(([[ns, n], kind, host]) => {
      if (kind === 'none' || used.has(host)) return pod(ns, n)
      used.add(host)
      return pod(ns, n, { ips: [`10.9.0.${host}`], hostNetwork: kind === 'host' })
    })
  })

describe('assumePodIPs', () => {
  it('gives a pod without an IP an address from the default CIDR and marks it assumed', () => {
    const out = assumePodIPs(stateOf([pod('shop', 'web-0')]), { podCidr: DEFAULT_POD_CIDR })
    expect(out.pods[0].ips).toHaveLength(1)
    expect(out.pods[0].ipsAssumed).toBe(true)
    expect(cidrContainsIp((parseCidr('10.244.0.0/16') as { ok: true; cidr: never }).cidr, parseIp(out.pods[0].ips[0])!)).toBe(true)
  })

  it('is deterministic and does not depend on the order of pods', () => {
    fc.assert(
      fc.property(mixedPods, fc.integer(), (pods, seed) => {
        const shuffled = [...pods].sort((a, b) => ((hashOf(key(a)) ^ seed) >>> 0) - ((hashOf(key(b)) ^ seed) >>> 0))
        const a = assumePodIPs(stateOf(pods), { podCidr: '10.9.0.0/28' })
        const b = assumePodIPs(stateOf(shuffled), { podCidr: '10.9.0.0/28' })
        expect(addressOf(b)).toEqual(addressOf(a))
        expect(assumePodIPs(stateOf(pods), { podCidr: '10.9.0.0/28' })).toEqual(a)
      }),
    )
  })

  it('hands out distinct usable addresses inside the CIDR, never one a pod already holds', () => {
    fc.assert(
      fc.property(mixedPods, (pods) => {
        const out = assumePodIPs(stateOf(pods), { podCidr: '10.9.0.0/28' })
        const all = out.pods.flatMap((p) => p.ips)
        expect(new Set(all).size).toBe(all.length)
        const cidr = (parseCidr('10.9.0.0/28') as { ok: true; cidr: never }).cidr
        for (const p of out.pods.filter((x) => x.ipsAssumed)) {
          expect(cidrContainsIp(cidr, parseIp(p.ips[0])!)).toBe(true)
          expect(['10.9.0.0', '10.9.0.15']).not.toContain(p.ips[0])
        }
      }),
    )
  })

  it('leaves hostNetwork pods and pods with IPs exactly as they were', () => {
    fc.assert(
      fc.property(mixedPods, (pods) => {
        const out = assumePodIPs(stateOf(pods), { podCidr: '10.9.0.0/28' })
        pods.forEach((before, i) => {
          if (before.hostNetwork || before.ips.length > 0) expect(out.pods[i]).toBe(before)
          else expect(out.pods[i]).toEqual({ ...before, ips: out.pods[i].ips, ipsAssumed: true })
        })
      }),
    )
  })

  it('adding or removing one pod moves only that pod and its collision chain', () => {
    fc.assert(
      fc.property(plainPods, podName, smallCidr, (pods, [ns, n], podCidr) => {
        fc.pre(!pods.some((p) => p.namespace === ns && p.name === n))
        const added = pod(ns, n)
        const before = addressOf(assumePodIPs(stateOf(pods), { podCidr }))
        const after = addressOf(assumePodIPs(stateOf([...pods, added]), { podCidr }))
        const moved = pods.map(key).filter((k) => before.get(k) !== after.get(k))
        // Every pod that moved lost its old address to the new pod or to another pod that moved.
        const newAddresses = new Set([after.get(key(added)), ...moved.map((k) => after.get(k))])
        for (const k of moved) expect(newAddresses.has(before.get(k))).toBe(true)
        // When the new pod's address was free before, nobody else moves.
        if (![...before.values()].includes(after.get(key(added))!)) expect(moved).toEqual([])
        // Removing the pod again restores every address (the same property read backwards).
        expect(addressOf(assumePodIPs(stateOf(pods), { podCidr }))).toEqual(before)
      }),
    )
  })

  it('in a /16 with a handful of pods, adding one moves no other pod', () => {
    const pods = ['web', 'api', 'db', 'cache', 'worker'].flatMap((w) => [0, 1, 2].map((i) => pod('shop', `${w}-${i}`)))
    const before = addressOf(assumePodIPs(stateOf(pods), { podCidr: DEFAULT_POD_CIDR }))
    const after = addressOf(assumePodIPs(stateOf([...pods, pod('shop', 'web-3')]), { podCidr: DEFAULT_POD_CIDR }))
    for (const [k, ip] of before) expect(after.get(k)).toBe(ip)
  })

  it('rejects an IPv6, too small or malformed CIDR, and a CIDR with too few free addresses', () => {
    const s = stateOf([pod('a', 'x'), pod('a', 'y'), pod('a', 'z')])
    expect(() => assumePodIPs(s, { podCidr: 'fd00::/64' })).toThrow(PodCidrError)
    expect(() => assumePodIPs(s, { podCidr: '10.0.0.0/31' })).toThrow(/too small/)
    expect(() => assumePodIPs(s, { podCidr: '10.0.0.01/24' })).toThrow(/invalid pod CIDR/)
    expect(() => assumePodIPs(s, { podCidr: '10.0.0.0/30' })).toThrow(/2 free addresses for 3 pods/)
  })
})

function hashOf(text: string): number {
  let h = 7
  for (const c of text) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0
  return h
}
