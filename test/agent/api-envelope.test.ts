import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkListPage, nestsDeeperThan, parseWatchLine, REJECT_REASONS } from '../../src/agent/api-envelope.js'

const POD = { kind: 'Pod', namespaced: true }
const NS = { kind: 'Namespace', namespaced: false }

describe('api envelope: what the agent accepts from the API server', () => {
  it('accepts well-formed events and files them under namespace/name', () => {
    const pod = { kind: 'Pod', metadata: { name: 'web', namespace: 'prod', resourceVersion: '12' }, spec: {} }
    const r = parseWatchLine(JSON.stringify({ type: 'ADDED', object: pod }), POD)
    expect(r).toMatchObject({ ok: true, value: { type: 'ADDED', key: 'prod/web', resourceVersion: '12' } })
    expect(parseWatchLine('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"99"}}}', POD)).toEqual({
      ok: true,
      value: { type: 'BOOKMARK', resourceVersion: '99' },
    })
    expect(parseWatchLine('{"type":"ERROR","object":{"kind":"Status","code":410,"message":"too old"}}', POD)).toEqual({
      ok: true,
      value: { type: 'ERROR', code: 410, message: 'too old' },
    })
    expect(parseWatchLine('{"type":"ADDED","object":{"metadata":{"name":"prod","resourceVersion":"1"}}}', NS)).toMatchObject({
      ok: true,
      value: { key: '/prod' },
    })
  })

  it('refuses a namespace on a cluster-scoped object and a missing one on a namespaced object', () => {
    expect(parseWatchLine('{"type":"ADDED","object":{"metadata":{"name":"x","namespace":"y","resourceVersion":"1"}}}', NS)).toMatchObject({
      ok: false,
      reason: 'bad-namespace',
    })
    expect(parseWatchLine('{"type":"ADDED","object":{"metadata":{"name":"x","namespace":"","resourceVersion":"1"}}}', POD)).toMatchObject({
      ok: false,
      reason: 'bad-namespace',
    })
    expect(parseWatchLine('{"type":"ADDED","object":{"metadata":{"name":"a/b","namespace":"y","resourceVersion":"1"}}}', POD)).toMatchObject({
      ok: false,
      reason: 'bad-name',
    })
  })

  it('refuses a list with one bad item, with duplicate keys, or without a resourceVersion', () => {
    const ok = { metadata: { name: 'a', namespace: 'n', resourceVersion: '1' } }
    expect(checkListPage({ metadata: { resourceVersion: '5' }, items: [ok] }, POD)).toMatchObject({ ok: true, value: { resourceVersion: '5' } })
    expect(checkListPage({ metadata: { resourceVersion: '5' }, items: [ok, null] }, POD)).toMatchObject({
      ok: false,
      reason: 'no-object',
      detail: expect.stringContaining('list item 1'),
    })
    expect(checkListPage({ metadata: { resourceVersion: '5' }, items: [ok, ok] }, POD)).toMatchObject({ ok: false, reason: 'duplicate' })
    expect(checkListPage({ metadata: {}, items: [] }, POD)).toMatchObject({ ok: false, reason: 'bad-resource-version' })
    expect(checkListPage({ metadata: { resourceVersion: '5' }, items: {} }, POD)).toMatchObject({ ok: false, reason: 'bad-list' })
    expect(checkListPage({ metadata: { resourceVersion: '5', continue: 7 }, items: [] }, POD)).toMatchObject({ ok: false, reason: 'bad-list' })
  })

  it('measures nesting without recursion (a million levels)', () => {
    const deep = JSON.parse('['.repeat(1_000_000) + ']'.repeat(1_000_000)) as unknown
    expect(nestsDeeperThan(deep, 100)).toBe(true)
    expect(nestsDeeperThan({ a: [{ b: 1 }] }, 3)).toBe(false)
    expect(nestsDeeperThan({ a: [{ b: {} }] }, 3)).toBe(true)
  })

  it('never throws, whatever the line; a refusal has a known reason and a short detail', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
          fc.record({ type: fc.constantFrom('ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR', 'X'), object: fc.jsonValue() }).map((v) => JSON.stringify(v)),
        ),
        (line) => {
          const r = parseWatchLine(line, POD)
          if (!r.ok) {
            expect(REJECT_REASONS).toContain(r.reason)
            expect(r.detail.length).toBeLessThan(400)
          }
        },
      ),
      { numRuns: 2000 },
    )
  })
})
