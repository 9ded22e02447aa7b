import { describe, it, expect } from 'vitest'
import { compareProbes, describeDisagreement, planProbes } from '../../src/lab/probe-plan.js'
import { planTopology } from '../../src/lab/topology.js'
import type { MatrixResult } from '../../src/analyze/matrix.js'
import type { ProbeResult } from '../../src/lab/prober.js'
import { cluster, ns, pod, tcp } from './fixtures.js'

const { topology, state } = planTopology(cluster([ns('x')], [pod('x', 'a', {}, [tcp(80)]), pod('x', 'b', {}, [tcp(80)])]), { lab: 'l', nodeCount: 2 })
const ports = [
  { port: 80, protocol: 'TCP' as const },
  { port: 9, protocol: 'SCTP' as const },
]
const expected: MatrixResult = {
  pods: state.pods,
  ports,
  connections: ['x/a', 'x/b'].flatMap((from) =>
    ['x/a', 'x/b'].flatMap((to) => ports.map((p) => ({ from, to, port: p.port, protocol: p.protocol, allowed: from === to || to === 'x/b' }))),
  ),
}

describe('planProbes', () => {
  it('probes every pod from every pod, itself included, and leaves SCTP out', () => {
    const plan = planProbes(topology, ports)
    expect(plan.map((s) => [s.from, s.targets.map((t) => `${t.to} ${t.ip}:${t.port}/${t.protocol}`)])).toEqual([
      ['x/a', [`x/a ${topology.pods[0].ip}:80/TCP`, `x/b ${topology.pods[1].ip}:80/TCP`]],
      ['x/b', [`x/a ${topology.pods[0].ip}:80/TCP`, `x/b ${topology.pods[1].ip}:80/TCP`]],
    ])
  })
})

describe('compareProbes', () => {
  const plan = planProbes(topology, ports)
  const result = (outcomes: ProbeResult['outcome'][]): ProbeResult[] =>
    plan[0].targets.map((t, i) => ({ ip: t.ip, port: t.port, protocol: t.protocol, outcome: outcomes[i], ms: 1 }))

  it('counts refused as allowed (the packet reached the pod) and a timeout as denied', () => {
    const results = new Map([
      ['x/a', result(['connected', 'refused'])],
      ['x/b', result(['timeout', 'connected'])],
    ])
    const report = compareProbes(expected, plan, results, 'no SCTP here')
    expect(report.connections.map((c) => `${c.from}>${c.to} ${c.allowed}`)).toEqual(['x/a>x/a true', 'x/a>x/b true', 'x/b>x/a false', 'x/b>x/b true'])
    expect(report.disagreements).toEqual([])
    expect(report.skipped).toEqual([{ port: 9, protocol: 'SCTP', reason: 'no SCTP here' }])
  })

  it('lists every cell where the kernel and the engine disagree, and errors as disagreements', () => {
    const results = new Map([
      ['x/a', result(['connected', 'timeout'])],
      ['x/b', result(['connected', 'error'])],
    ])
    const report = compareProbes(expected, plan, results, '')
    expect(report.disagreements.map(describeDisagreement)).toEqual([
      'x/a -> x/b 80/TCP: the engine allows it, the probe timed out (dropped)',
      'x/b -> x/a 80/TCP: the engine denies it, the probe connected',
      'x/b -> x/b 80/TCP: the engine allows it, the probe failed (error)',
    ])
  })
})

describe('compareProbes with ClusterNetworkPolicies (the matrix has decisions)', () => {
  const plan = planProbes(topology, ports)
  const decisions = ['allowed', 'undefined', 'unknown', 'denied'] as const
  const decided: MatrixResult = {
    ...expected,
    connections: expected.connections
      .filter((c) => c.protocol === 'TCP')
      .map((c, i) => ({ ...c, allowed: decisions[i] === 'allowed', decision: decisions[i] })),
  }

  it('keeps the engine decision with each cell; undefined and unknown count as not allowed (the data plane drops them)', () => {
    const results = new Map(
      plan.map((s) => [s.from, s.targets.map((t) => ({ ip: t.ip, port: t.port, protocol: t.protocol, outcome: 'connected' as const, ms: 1 }))]),
    )
    const report = compareProbes(decided, plan, results, '')
    expect(report.connections.map((c) => `${c.from}>${c.to} ${c.decision} expected ${c.expected}`)).toEqual([
      'x/a>x/a allowed expected true',
      'x/a>x/b undefined expected false',
      'x/b>x/a unknown expected false',
      'x/b>x/b denied expected false',
    ])
    expect(report.disagreements.map(describeDisagreement)).toEqual([
      'x/a -> x/b 80/TCP: the engine says it is undefined (so not allowed), the probe connected',
      'x/b -> x/a 80/TCP: the engine says it is unknown (so not allowed), the probe connected',
      'x/b -> x/b 80/TCP: the engine denies it, the probe connected',
    ])
  })
})
