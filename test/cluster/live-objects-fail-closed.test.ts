import { describe, expect, it } from 'vitest'
import { convertPod, describeObject, failClosedPolicy, salvagePod, UNREADABLE_LABEL_VALUE } from '../../src/cluster/live-objects.js'
import { LiveStateBuilder } from '../../src/cluster/live-state.js'
import type { RawObject } from '../../src/cluster/live-api.js'

function pod(extra: { metadata?: Record<string, unknown>; spec?: Record<string, unknown>; status?: Record<string, unknown> } = {}): RawObject {
  return {
    metadata: { name: 'p', namespace: 'prod', resourceVersion: '7', labels: { app: 'web' }, ...extra.metadata },
    spec: { nodeName: 'node-a', containers: [{ name: 'c', ports: [{ containerPort: 80, name: 'http' }] }], ...extra.spec },
    status: { phase: 'Running', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }], ...extra.status },
  }
}

describe('an invalid live pod is kept with what can be read (fail closed), never dropped', () => {
  it('keeps the valid podIPs entry next to an invalid one', () => {
    const raw = pod({ status: { podIPs: [{ ip: '10.0.0.1' }, { ip: '10.0.0.999' }] } })
    expect(convertPod(raw).ok).toBe(false)
    const built = new LiveStateBuilder({ nodeName: 'node-a' }).build([], [raw], [])
    expect(built.invalid.map((o) => o.object)).toEqual(['Pod "prod/p"'])
    expect(built.state.pods.map((p) => [p.name, p.ips, p.labels, p.nodeName])).toEqual([['p', ['10.0.0.1'], { app: 'web' }, 'node-a']])
  })

  it('takes every address that parses, from podIPs and podIP alike', () => {
    expect(salvagePod(pod({ status: { podIPs: [{ ip: 5 }], podIP: '10.0.0.2' } }))?.ips).toEqual(['10.0.0.2'])
    expect(salvagePod(pod({ status: { podIPs: 'x', podIP: '10.0.0.3' } }))?.ips).toEqual(['10.0.0.3'])
    expect(salvagePod(pod({ status: { podIPs: [{ ip: '10.0.0.4' }, { ip: 'fd00::1' }, null], podIP: '10.0.0.4' } }))?.ips).toEqual(['10.0.0.4', 'fd00::1'])
  })

  it('keeps labels as written; a non-string value stays present with a value no selector names', () => {
    const p = salvagePod(pod({ metadata: { labels: { app: 'web', 'Bad Key': 'x', n: 5, z: null } } }))!
    expect(p.labels).toEqual({ app: 'web', 'Bad Key': 'x', n: UNREADABLE_LABEL_VALUE, z: '' })
  })

  it('an unreadable nodeName counts as this node; an unreadable hostNetwork as false; only valid ports are kept', () => {
    const p = salvagePod(
      pod({
        spec: {
          nodeName: 42,
          hostNetwork: 'yes',
          containers: [
            {
              ports: [
                { containerPort: 80, name: 'http' },
                { containerPort: 'x', name: 'bad' },
              ],
            },
          ],
        },
      }),
      'node-a',
    )!
    expect(p.nodeName).toBe('node-a')
    expect(p.hostNetwork).toBe(false)
    expect(p.containerPorts).toEqual([{ name: 'http', containerPort: 80, protocol: 'TCP' }])
  })

  it('a terminated pod is left out as always (its address is free)', () => {
    expect(salvagePod(pod({ status: { phase: 'Failed', podIPs: [{ ip: 'x' }] } }))).toBeUndefined()
  })
})

describe('an invalid live policy is enforced for both policy types unless every declared type can be read', () => {
  const policy = (policyTypes: unknown): RawObject => ({ metadata: { name: 'x', namespace: 'prod' }, spec: { podSelector: {}, policyTypes } })
  it('narrows to the declared types only when all of them are valid', () => {
    expect(failClosedPolicy(policy(['Egress'])).policyTypes).toEqual(['Egress'])
    expect(failClosedPolicy(policy([5, 'Egress'])).policyTypes).toEqual(['Ingress', 'Egress'])
    expect(failClosedPolicy(policy(['ingress', 'Egress'])).policyTypes).toEqual(['Ingress', 'Egress'])
    expect(failClosedPolicy(policy('Egress')).policyTypes).toEqual(['Ingress', 'Egress'])
    expect(failClosedPolicy(policy([])).policyTypes).toEqual(['Ingress', 'Egress'])
  })
})

describe('describeObject', () => {
  it('escapes control characters and quotes in names and cuts huge ones', () => {
    expect(describeObject('Pod', { metadata: { namespace: 'a\u001b[31m', name: 'b"\nc' } })).toBe('Pod "a\\u001b[31m/b\\"\\nc"')
    expect(describeObject('Pod', { metadata: { namespace: 'a', name: 'n'.repeat(1000) } })).toHaveLength('Pod "a/'.length + 253 + 3 + 1)
  })
})
