/**
 * The API server's events and lists are untrusted input: whatever arrives on a watch or in a LIST,
 * the agent must not die, must never apply a view more open than the last good one, and must
 * report what it refused (log line and metric). Real HTTP, real informer code, real compiler.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REJECT_REASONS } from '../../src/agent/api-envelope.js'
import type { ResourceName } from '../../src/agent/agent.js'
import { namespaceObject, podObject, policyObject, waitFor } from './api-objects.js'
import { isolated, metricValue, startAgent, type AgentHarness } from './agent-harness.js'
import { TestApiServer, type ApiObject, type Resource } from '../../testing/test-api-server.js'

const GOOD = ['10.1.0.10', '10.1.0.11']
/** A pod in another namespace that no policy admits: its address must never appear in a ruleset. */
const OUTSIDER = '10.2.0.11'
const MAX_LINE = 64 * 1024
const KIND: Record<Resource, string> = { namespaces: 'Namespace', pods: 'Pod', networkpolicies: 'NetworkPolicy' }

function seed(api: TestApiServer): void {
  api.create('namespaces', namespaceObject('prod', { team: 'a' }))
  api.create('namespaces', namespaceObject('dev'))
  api.create('pods', podObject('prod', 'web', { ip: '10.1.0.10', node: 'node-a', labels: { app: 'web' } }))
  api.create('pods', podObject('prod', 'db', { ip: '10.1.0.11', node: 'node-a', labels: { app: 'db' }, ports: [{ containerPort: 5432, name: 'pg' }] }))
  api.create('pods', podObject('dev', 'client', { ip: OUTSIDER, node: 'node-b', labels: { app: 'client' } }))
  api.create('networkpolicies', policyObject('prod', 'deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }))
  api.create(
    'networkpolicies',
    policyObject('prod', 'web-to-db', {
      podSelector: { matchLabels: { app: 'db' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 5432 }] }],
    }),
  )
}

/** What the server really holds for a resource, as watch events would carry it. */
function truth(api: TestApiServer, resource: Resource): ApiObject[] {
  const keys: Record<Resource, [string, string?][]> = {
    namespaces: [['prod'], ['dev']],
    pods: [
      ['web', 'prod'],
      ['db', 'prod'],
      ['client', 'dev'],
    ],
    networkpolicies: [
      ['deny-all', 'prod'],
      ['web-to-db', 'prod'],
    ],
  }
  if (resource === 'networkpolicies' && api.get('networkpolicies', 'sentinel', 'dev')) keys.networkpolicies.push(['sentinel', 'dev'])
  return keys[resource].map(([name, ns]) => ({ kind: KIND[resource], ...structuredClone(api.get(resource, name, ns)!) }))
}

function eventLine(type: string, object: unknown): string {
  return JSON.stringify({ type, object })
}

/** Checks every ruleset the agent ever applied: never less isolation than the good state, never the outsider admitted. */
function assertNeverOpened(h: AgentHarness, from = 0): void {
  for (const script of h.dp.applied.slice(from)) {
    expect(isolated(script, 'in')).toEqual(expect.arrayContaining(GOOD))
    expect(isolated(script, 'eg')).toEqual(expect.arrayContaining(GOOD))
    expect(script).not.toContain(OUTSIDER)
  }
}

async function rejectedTotal(h: AgentHarness): Promise<number> {
  return metricValue(h.metrics, 'netpol_agent_rejected_objects_total')
}

describe('the agent treats every watch line and list item as untrusted', () => {
  let api: TestApiServer
  let h: AgentHarness
  let sentinel = 0

  beforeAll(async () => {
    api = await TestApiServer.start()
    seed(api)
    h = startAgent(api, { readyGraceMs: 60_000, watch: { maxLineBytes: MAX_LINE, maxListPageBytes: 16 * MAX_LINE, backoffInitialMs: 5, backoffMaxMs: 40 } })
    await waitFor(() => h.agent.status().ready && isolated(h.agent.appliedScript(), 'in').join() === GOOD.join(), 'good state applied')
  })
  afterAll(async () => {
    await h.agent.stop()
    await api.close()
  })

  /** The store of a resource holds exactly the server's objects (same versions). */
  const converged = (resource: Resource): boolean => {
    const have = new Map(
      [...h.agent.watchers[resource as ResourceName].objects()].map((o) => [`${o.metadata?.namespace ?? ''}/${o.metadata?.name}`, o.metadata?.resourceVersion]),
    )
    const want = truth(api, resource).map((o) => [`${o.metadata.namespace ?? ''}/${o.metadata.name}`, o.metadata.resourceVersion] as const)
    return have.size === want.length && want.every(([k, rv]) => have.get(k) === rv)
  }

  /**
   * Sends `lines` down the open watch of `resource` and waits until the agent is past them: a real
   * change made afterwards has reached its store (through the same stream, or through the relist
   * that a refused line forces). Then restores the server's truth and waits for the good ruleset.
   */
  async function feed(resource: Resource, lines: readonly string[]): Promise<void> {
    await waitFor(() => api.openWatchesOf(resource) > 0 && h.agent.status().connected[resource as ResourceName], `${resource} watch open`)
    for (const line of lines) api.injectWatchLine(resource, line)
    // A real change behind the injected lines, in namespace dev (no policy there, no local pod).
    sentinel++
    if (resource === 'namespaces') api.update('namespaces', namespaceObject('dev', { sentinel: String(sentinel) }))
    else if (resource === 'pods')
      api.update('pods', podObject('dev', 'client', { ip: OUTSIDER, node: 'node-b', labels: { app: 'client', sentinel: String(sentinel) } }))
    else api.apply('networkpolicies', policyObject('dev', 'sentinel', { podSelector: { matchLabels: { sentinel: String(sentinel) } } }))
    const rv = String(api.resourceVersion)
    await waitFor(
      () => [...h.agent.watchers[resource as ResourceName].objects()].some((o) => o.metadata?.resourceVersion === rv),
      `${resource}: sentinel ${rv} reached the store`,
    )
    // Undo whatever well-formed (but mutated) objects were accepted: the server says it again.
    for (const o of truth(api, resource)) {
      const { kind: _k, ...object } = o
      api.update(resource, object as ApiObject)
    }
    await waitFor(() => converged(resource), `${resource}: store back to the server's objects`)
    await waitFor(
      () =>
        h.agent.status().ready &&
        isolated(h.agent.appliedScript(), 'in').join() === GOOD.join() &&
        isolated(h.agent.appliedScript(), 'eg').join() === GOOD.join(),
      'good ruleset applied again',
    )
  }

  const cases: [string, string, (typeof REJECT_REASONS)[number]][] = [
    ['ADDED without an object', '{"type":"ADDED"}', 'no-object'],
    ['ERROR without an object', '{"type":"ERROR"}', 'bad-status'],
    ['ADDED with a null object', '{"type":"ADDED","object":null}', 'no-object'],
    ['MODIFIED object without metadata', '{"type":"MODIFIED","object":{"spec":{}}}', 'no-metadata'],
    ['DELETED object with metadata null', '{"type":"DELETED","object":{"metadata":null}}', 'no-metadata'],
    ['a line that is not JSON', '{"type":"ADDED","object":{"metadata":', 'not-json'],
    ['a JSON array', '[1,2,3]', 'not-json'],
    ['an unknown event type', '{"type":"PATCHED","object":{}}', 'bad-event-type'],
    ['a name with a control character', '{"type":"ADDED","object":{"metadata":{"name":"a\\u001b[2J","namespace":"prod","resourceVersion":"9"}}}', 'bad-name'],
    ['a pod without a namespace', '{"type":"ADDED","object":{"metadata":{"name":"x","resourceVersion":"9"}}}', 'bad-namespace'],
    ['no resourceVersion', '{"type":"ADDED","object":{"metadata":{"name":"x","namespace":"prod"}}}', 'bad-resource-version'],
    ['a BOOKMARK without a resourceVersion', '{"type":"BOOKMARK","object":{"metadata":{}}}', 'bad-resource-version'],
    ['an object of another kind', '{"type":"ADDED","object":{"kind":"Secret","metadata":{"name":"x","namespace":"prod","resourceVersion":"9"}}}', 'wrong-kind'],
    [
      'an object nested 5,000 deep',
      `{"type":"ADDED","object":{"metadata":{"name":"x","namespace":"prod","resourceVersion":"9"},"spec":${'['.repeat(5000)}${']'.repeat(5000)}}}`,
      'too-deep',
    ],
    [
      'a line over the size limit',
      eventLine('ADDED', { metadata: { name: 'x', namespace: 'prod', resourceVersion: '9', annotations: { a: 'x'.repeat(MAX_LINE * 3) } } }),
      'too-large',
    ],
  ]
  for (const [what, line, reason] of cases) {
    it(`refuses ${what} (${reason}), keeps the last good ruleset, relists, and stays up`, async () => {
      const before = await rejectedTotal(h)
      const logsBefore = h.logs.length
      await feed('pods', [line])
      expect(await metricValue(h.metrics, 'netpol_agent_rejected_objects_total', { resource: 'pods', reason })).toBeGreaterThanOrEqual(1)
      expect(await rejectedTotal(h)).toBe(before + 1)
      const log = h.logs.slice(logsBefore).find((l) => l.event === 'rejected')!
      expect(log).toMatchObject({ resource: 'pods', reason, rulesetKept: true, level: 50 })
      // The log line describes the problem; it never carries the raw input.
      expect(String(log.msg).length).toBeLessThan(1000)
      expect(String(log.msg)).not.toContain('\u001b')
      assertNeverOpened(h)
    })
  }

  it('a LIST with one item that cannot be filed is refused whole: the store keeps the last good objects', async () => {
    const before = await metricValue(h.metrics, 'netpol_agent_rejected_objects_total', { resource: 'networkpolicies', reason: 'no-metadata' })
    // The next relist of policies carries a bad item and leaves deny-all out (as a half-broken answer would).
    api.injectListItems('networkpolicies', [{ spec: {} }])
    await feed('networkpolicies', ['not json'])
    expect(await metricValue(h.metrics, 'netpol_agent_rejected_objects_total', { resource: 'networkpolicies', reason: 'no-metadata' })).toBe(before + 1)
    assertNeverOpened(h)
  })

  it('a LIST page over the size limit is refused (too-large) without being held whole; the store keeps the last good objects', async () => {
    const before = await metricValue(h.metrics, 'netpol_agent_rejected_objects_total', { resource: 'pods', reason: 'too-large' })
    api.injectListItems('pods', [{ metadata: { name: 'huge', namespace: 'dev', resourceVersion: '1', annotations: { pad: 'x'.repeat(32 * MAX_LINE) } } }])
    await feed('pods', ['not json'])
    expect(await metricValue(h.metrics, 'netpol_agent_rejected_objects_total', { resource: 'pods', reason: 'too-large' })).toBe(before + 1)
    assertNeverOpened(h)
  })

  it('fuzz: arbitrary, truncated, mistyped, huge and deep lines never kill the agent, never open the ruleset, and are all reported', async () => {
    const resources: Resource[] = ['namespaces', 'pods', 'networkpolicies']
    const wrongTyped = (original: unknown): fc.Arbitrary<unknown> =>
      fc
        .oneof(
          fc.integer(),
          fc.boolean(),
          fc.string({ maxLength: 8 }),
          fc.array(fc.integer(), { maxLength: 2 }),
          fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
        )
        .filter((v) => (Array.isArray(v) ? 'array' : typeof v) !== (Array.isArray(original) ? 'array' : original === null ? 'null' : typeof original))
    /** Every path inside spec, status and metadata.labels of an object: where content mutations go. */
    const contentPaths = (o: unknown, path: (string | number)[] = []): (string | number)[][] => {
      if (typeof o !== 'object' || o === null) return [path]
      const out: (string | number)[][] = path.length > 0 ? [path] : []
      for (const [k, v] of Object.entries(o)) {
        if (path.length === 0 && k !== 'spec' && k !== 'status' && k !== 'metadata') continue
        if (path.length === 1 && path[0] === 'metadata' && k !== 'labels') continue
        out.push(...contentPaths(v, [...path, Array.isArray(o) ? Number(k) : k]))
      }
      return out
    }
    const setAt = (o: unknown, path: (string | number)[], value: unknown, remove = false): unknown => {
      const copy = structuredClone(o) as Record<string | number, unknown>
      let cur = copy
      for (const p of path.slice(0, -1)) cur = cur[p] as Record<string | number, unknown>
      if (remove) delete cur[path[path.length - 1]]
      else cur[path[path.length - 1]] = value
      return copy
    }
    const ENVELOPE: (string | number)[][] = [
      ['type'],
      ['object'],
      ['object', 'metadata'],
      ['object', 'metadata', 'name'],
      ['object', 'metadata', 'namespace'],
      ['object', 'metadata', 'resourceVersion'],
      ['object', 'kind'],
    ]

    const lineFor = (resource: Resource): fc.Arbitrary<string> => {
      const objects = truth(api, resource)
      const event = fc.constantFrom(...objects).map((o) => ({ type: 'MODIFIED', object: o }))
      return fc.oneof(
        // Anything JSON, and any text.
        fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
        fc.string({ maxLength: 200 }).map((s) => s.replace(/\n/g, ' ')),
        // A real event cut short.
        fc.tuple(event, fc.double({ min: 0, max: 0.999, noNaN: true })).map(([e, f]) => {
          const text = JSON.stringify(e)
          return text.slice(0, Math.floor(text.length * f))
        }),
        // A real event with its envelope broken: a field removed or of the wrong type.
        fc.tuple(event, fc.constantFrom(...ENVELOPE), fc.boolean()).chain(([e, path, remove]) => {
          let cur: unknown = e
          for (const p of path) cur = (cur as Record<string | number, unknown> | undefined)?.[p]
          return wrongTyped(cur).map((v) => JSON.stringify(setAt(e, path, v, remove && path.join('.') !== 'object.kind')))
        }),
        // A real object with one part of its content of the wrong type (a well-formed event: content validation's job).
        fc.tuple(fc.constantFrom(...objects), fc.nat()).chain(([o, i]) => {
          const paths = contentPaths(o)
          const path = paths[i % paths.length]
          let cur: unknown = o
          for (const p of path) cur = (cur as Record<string | number, unknown>)[p]
          return wrongTyped(cur).map((v) => eventLine('MODIFIED', setAt({ ...o, metadata: { ...o.metadata, resourceVersion: `fuzz-${i}` } }, path, v)))
        }),
        // Huge, and deep.
        fc
          .tuple(event, fc.integer({ min: MAX_LINE - 2000, max: MAX_LINE * 4 }))
          .map(([e, n]) => JSON.stringify(setAt(e, ['object', 'metadata', 'annotations'], { pad: 'x'.repeat(n) }))),
        fc
          .tuple(event, fc.integer({ min: 50, max: 3000 }))
          .map(([e, n]) => JSON.stringify(e).replace('"spec":', `"deep":${'['.repeat(n)}${']'.repeat(n)},"spec":`)),
      )
    }

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...resources).chain((resource) =>
          fc.record({
            resource: fc.constant(resource),
            lines: fc.array(lineFor(resource), { minLength: 1, maxLength: 4 }),
            badListItem: fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
          }),
        ),
        async ({ resource, lines, badListItem }) => {
          const before = await rejectedTotal(h)
          const logsBefore = h.logs.length
          const appliedBefore = h.dp.applied.length
          if (badListItem !== undefined) api.injectListItems(resource, [badListItem])
          await feed(resource, lines)
          api.clearFailures()
          const rejected = (await rejectedTotal(h)) - before
          const logged = h.logs.slice(logsBefore).filter((l) => l.event === 'rejected')
          // Every refusal is reported once as a log line and once in the metric, with a known reason.
          expect(logged.length).toBe(rejected)
          for (const l of logged) expect(REJECT_REASONS).toContain(l.reason)
          expect(h.agent.status().rejected).toBe(await rejectedTotal(h))
          assertNeverOpened(h, appliedBefore)
        },
      ),
      { numRuns: 150, seed: 20261205 },
    )
  })
})
