import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { compareNames, computeMatrix, defaultPorts, matrixCell, parsePortSpec } from '../../src/analyze/matrix.js'
import { UsageError } from '../../src/model/errors.js'
import type { Evaluator, Traffic, Verdict } from '../../src/engine/verdict.js'
import { cluster, pod } from './cluster-builders.js'

/** Allows a connection when both ends are pods of one namespace, or the port is 53. */
const sameNamespaceOrDns: Evaluator = {
  isAllowed(t: Traffic): boolean {
    if (t.port === 53) return true
    return t.from.kind === 'pod' && t.to.kind === 'pod' && t.from.pod.namespace === t.to.pod.namespace
  },
  evaluate(): Verdict {
    throw new Error('not used by the matrix')
  },
}

describe('parsePortSpec', () => {
  it('reads PORT, PORT/PROTOCOL, and defaults the protocol to TCP', () => {
    expect(parsePortSpec('80')).toEqual({ port: 80, protocol: 'TCP' })
    expect(parsePortSpec('80/TCP')).toEqual({ port: 80, protocol: 'TCP' })
    expect(parsePortSpec('53/udp')).toEqual({ port: 53, protocol: 'UDP' })
    expect(parsePortSpec('9000/SCTP')).toEqual({ port: 9000, protocol: 'SCTP' })
  })
  it.each(['0', '65536', 'http', '80/ICMP', '80/', '/TCP', '-1', '8o'])('rejects %s with a UsageError', (text) => {
    expect(() => parsePortSpec(text)).toThrow(UsageError)
  })
})

describe('defaultPorts', () => {
  it('collects every declared containerPort with its protocol, sorted and without duplicates', () => {
    const state = cluster([
      pod('a', 'x', {
        ports: [
          { containerPort: 8080, protocol: 'TCP' },
          { containerPort: 53, protocol: 'UDP' },
        ],
      }),
      pod('b', 'y', {
        ports: [
          { containerPort: 53, protocol: 'TCP' },
          { containerPort: 53, protocol: 'UDP', name: 'dns' },
        ],
      }),
      pod('b', 'z'),
    ])
    expect(defaultPorts(state)).toEqual([
      { port: 53, protocol: 'TCP' },
      { port: 53, protocol: 'UDP' },
      { port: 8080, protocol: 'TCP' },
    ])
  })
  it('is empty when no pod declares a port', () => {
    expect(defaultPorts(cluster([pod('a', 'x')]))).toEqual([])
  })
})

describe('computeMatrix', () => {
  it('has one entry per ordered pair of pods per port, ordered by from, to, port, protocol', () => {
    const state = cluster([pod('y', 'b'), pod('x', 'b'), pod('x', 'a')])
    const m = computeMatrix(sameNamespaceOrDns, state, [
      { port: 80, protocol: 'TCP' },
      { port: 53, protocol: 'UDP' },
    ])
    expect(m.pods.map((p) => `${p.namespace}/${p.name}`)).toEqual(['x/a', 'x/b', 'y/b'])
    expect(m.ports).toEqual([
      { port: 53, protocol: 'UDP' },
      { port: 80, protocol: 'TCP' },
    ])
    expect(m.connections).toHaveLength(3 * 3 * 2)
    expect(m.connections.slice(0, 4)).toEqual([
      { from: 'x/a', to: 'x/a', port: 53, protocol: 'UDP', allowed: true },
      { from: 'x/a', to: 'x/a', port: 80, protocol: 'TCP', allowed: true },
      { from: 'x/a', to: 'x/b', port: 53, protocol: 'UDP', allowed: true },
      { from: 'x/a', to: 'x/b', port: 80, protocol: 'TCP', allowed: true },
    ])
    expect(m.connections.find((c) => c.from === 'x/a' && c.to === 'y/b' && c.port === 80)?.allowed).toBe(false)
  })

  it('answers every cell with the evaluator and finds it again with matrixCell', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.constantFrom('x', 'y', 'z'), fc.constantFrom('a', 'b', 'c', 'd')), { selector: ([n, p]) => `${n}/${p}`, maxLength: 8 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 3 }),
        (names, portNumbers) => {
          const state = cluster(names.map(([n, p]) => pod(n, p)))
          const ports = portNumbers.map((port) => ({ port, protocol: 'TCP' as const }))
          const m = computeMatrix(sameNamespaceOrDns, state, ports)
          expect(m.connections).toHaveLength(names.length ** 2 * ports.length)
          m.pods.forEach((from, i) =>
            m.pods.forEach((to, j) =>
              m.ports.forEach((port, p) => {
                const c = matrixCell(m, i, j, p)
                expect(c.from).toBe(`${from.namespace}/${from.name}`)
                expect(c.to).toBe(`${to.namespace}/${to.name}`)
                expect(c.port).toBe(port.port)
                expect(c.allowed).toBe(port.port === 53 || from.namespace === to.namespace)
              }),
            ),
          )
        },
      ),
    )
  })

  it('reports progress up to the total', () => {
    const state = cluster([pod('x', 'a'), pod('x', 'b')])
    const seen: [number, number][] = []
    computeMatrix(sameNamespaceOrDns, state, [{ port: 80, protocol: 'TCP' }], { onProgress: (d, t) => seen.push([d, t]) })
    expect(seen[seen.length - 1]).toEqual([4, 4])
  })
})

describe('compareNames', () => {
  it('orders digit runs as numbers so replicas read web-0, web-2, web-10', () => {
    const names = ['web-10', 'web-2', 'web-0', 'api', 'web-1a', 'web-01']
    expect([...names].sort(compareNames)).toEqual(['api', 'web-0', 'web-1a', 'web-01', 'web-2', 'web-10'])
  })
  it('is a total order consistent with equality', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', '-', '0', '1', '9') }),
        fc.string({ unit: fc.constantFrom('a', 'b', '-', '0', '1', '9') }),
        (a, b) => {
          expect(Math.sign(compareNames(a, b)) + Math.sign(compareNames(b, a))).toBe(0)
          if (compareNames(a, b) === 0) expect(a).toBe(b)
        },
      ),
    )
  })
})
