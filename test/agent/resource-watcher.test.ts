import { createServer, type Socket } from 'node:net'
import { KubeConfig } from '@kubernetes/client-node'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ResourceWatcher } from '../../src/agent/resource-watcher.js'
import { podObject, sleep, waitFor } from './api-objects.js'
import { TestApiServer } from '../../testing/test-api-server.js'

function names(w: ResourceWatcher): string[] {
  return [...w.objects()].map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`).sort()
}

describe('ResourceWatcher lists and watches over real HTTP', () => {
  let api: TestApiServer
  let watcher: ResourceWatcher | undefined
  let changes = 0
  let errors: unknown[] = []

  beforeEach(async () => {
    api = await TestApiServer.start()
    changes = 0
    errors = []
  })
  afterEach(async () => {
    await watcher?.stop()
    watcher = undefined
    await api.close()
  })

  const startWatcher = (extra: Partial<ConstructorParameters<typeof ResourceWatcher>[0]> = {}): ResourceWatcher => {
    watcher = new ResourceWatcher({
      kubeConfig: api.kubeConfig(),
      path: '/api/v1/pods',
      name: 'pods',
      resource: { kind: 'Pod', namespaced: true },
      onChange: () => changes++,
      onError: (e) => errors.push(e),
      backoffInitialMs: 20,
      backoffMaxMs: 100,
      pageSize: 2,
      ...extra,
    })
    watcher.start()
    return watcher
  }

  const lists = (): number => api.requests.filter((r) => !r.watch && r.path === '/api/v1/pods' && !r.query.continue).length

  it('lists (following continue pages), then follows adds, updates and deletes from the watch', async () => {
    api.create('pods', podObject('a', 'p1', { ip: '10.0.0.1' }))
    api.create('pods', podObject('a', 'p2', { ip: '10.0.0.2' }))
    api.create('pods', podObject('b', 'p3', { ip: '10.0.0.3' }))
    const w = startWatcher()
    await waitFor(() => w.synced && w.connected, 'initial list and watch')
    expect(names(w)).toEqual(['a/p1', 'a/p2', 'b/p3'])
    // Three items with pageSize 2: a second page was fetched with the continue token.
    expect(api.requests.some((r) => r.query.continue)).toBe(true)

    api.create('pods', podObject('b', 'p4'))
    await waitFor(() => names(w).includes('b/p4'), 'ADDED b/p4')
    api.update('pods', podObject('a', 'p1', { ip: '10.0.0.1', labels: { app: 'web' } }))
    await waitFor(() => [...w.objects()].some((o) => o.metadata?.name === 'p1' && o.metadata.labels?.app === 'web'), 'MODIFIED a/p1')
    api.delete('pods', 'p2', 'a')
    await waitFor(() => !names(w).includes('a/p2'), 'DELETED a/p2')
    expect(names(w)).toEqual(['a/p1', 'b/p3', 'b/p4'])
    expect(lists()).toBe(1)
  })

  it('asks for bookmarks and resumes the watch from the bookmark resourceVersion after a dropped connection', async () => {
    api.create('pods', podObject('a', 'p1'))
    const w = startWatcher()
    await waitFor(() => w.connected, 'watch open')
    const firstWatch = api.requests.find((r) => r.watch)!
    expect(firstWatch.query.allowWatchBookmarks).toBe('true')
    expect(Number(firstWatch.query.timeoutSeconds)).toBeGreaterThan(0)

    // Other resources move the global resourceVersion; a bookmark tells the watcher.
    api.create('networkpolicies', { metadata: { name: 'x', namespace: 'a' }, spec: { podSelector: {} } })
    api.sendBookmarks()
    const bookmarkRv = String(api.resourceVersion)
    await sleep(50)
    const versionBefore = w.version
    api.dropWatches()
    await waitFor(() => api.requests.filter((r) => r.watch).length >= 2 && w.connected, 'reconnected watch')
    const resumed = api.requests.filter((r) => r.watch)[1]
    expect(resumed.query.resourceVersion).toBe(bookmarkRv)
    expect(lists()).toBe(1) // no relist: the watch resumed
    expect(w.version).toBe(versionBefore) // nothing changed, so no change was signalled
    expect(errors.length).toBeGreaterThan(0) // the drop was reported
  })

  it('relists after an expired resourceVersion (ERROR event with a 410 Status) and sees what changed meanwhile, in one step', async () => {
    api.create('pods', podObject('a', 'keep'))
    api.create('pods', podObject('a', 'gone'))
    const w = startWatcher()
    await waitFor(() => w.connected, 'watch open')
    // The API refuses watches while objects change and history is compacted.
    api.failNext(1000, 503, (r) => r.watch)
    api.dropWatches()
    await waitFor(() => errors.length >= 2, 'failed reconnects')
    api.delete('pods', 'gone', 'a')
    api.create('pods', podObject('a', 'new'))
    api.compact()
    const changesBefore = changes
    api.clearFailures()
    await waitFor(() => names(w).includes('a/new') && !names(w).includes('a/gone'), 'relisted store')
    expect(lists()).toBe(2)
    // The relist replaced the store at once: one change for the list (the informer's own
    // add/delete callbacks then find nothing left to change).
    expect(changes - changesBefore).toBe(1)
    expect(names(w)).toEqual(['a/keep', 'a/new'])
  })

  it('relists after an expired resourceVersion answered as HTTP 410', async () => {
    api.expiredAs = 'http'
    api.create('pods', podObject('a', 'keep'))
    const w = startWatcher()
    await waitFor(() => w.connected, 'watch open')
    api.failNext(1000, 503, (r) => r.watch)
    api.dropWatches()
    await waitFor(() => errors.length >= 1, 'failed reconnect')
    api.create('pods', podObject('a', 'new'))
    api.compact()
    api.clearFailures()
    await waitFor(() => names(w).includes('a/new'), 'relisted store')
    expect(api.requests.some((r) => r.watch && r.status === 410)).toBe(true)
    expect(lists()).toBe(2)
  })

  it('keeps the last known objects while the API server is down, and retries with backoff', async () => {
    api.create('pods', podObject('a', 'p1'))
    const w = startWatcher()
    await waitFor(() => w.connected, 'watch open')
    api.failNext(1000, 500)
    api.dropWatches()
    await waitFor(() => errors.length >= 4, 'several failed retries')
    expect(w.connected).toBe(false)
    expect(names(w)).toEqual(['a/p1'])
    api.clearFailures()
    await waitFor(() => w.connected, 'reconnected')
    expect(names(w)).toEqual(['a/p1'])
  })

  it('retries a failed initial list until it succeeds', async () => {
    api.create('pods', podObject('a', 'p1'))
    api.failNext(3, 500, (r) => !r.watch)
    const w = startWatcher()
    await waitFor(() => w.synced, 'list after failures')
    expect(errors.length).toBe(3)
    expect(names(w)).toEqual(['a/p1'])
  })

  it('replaces a watch that stays silent past its idle timeout', async () => {
    api.create('pods', podObject('a', 'p1'))
    const w = startWatcher({ idleTimeoutMs: 150 })
    await waitFor(() => w.connected, 'watch open')
    await waitFor(() => lists() >= 2, 'silent watch replaced (fresh list)')
    api.create('pods', podObject('a', 'p2'))
    await waitFor(() => names(w).includes('a/p2'), 'new watch delivers events')
  })

  it('abandons a watch request the server never answers and asks again, with an error for each', async () => {
    // A listener that accepts connections and never answers: a hung API server or a proxy holding the request.
    const held: Socket[] = []
    const silent = createServer((socket) => held.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const port = (silent.address() as { port: number }).port
      const kc = new KubeConfig()
      kc.loadFromString(api.kubeconfigYaml().replace(api.url, `http://127.0.0.1:${port}`))
      // The LIST is answered (from the test API server's objects); only the watch goes unanswered.
      api.create('pods', podObject('a', 'p1'))
      const w = startWatcher({
        kubeConfig: kc,
        answerTimeoutMs: 100,
        getPage: (_kc, path, query) => fetch(`${api.url}${path}?${new URLSearchParams(query).toString()}`).then((r) => r.json()),
      })
      await waitFor(() => held.length >= 3, 'the unanswered watch asked again twice')
      expect(w.synced).toBe(true)
      expect(w.connected).toBe(false)
      expect(names(w)).toEqual(['a/p1'])
      expect(errors.length).toBeGreaterThanOrEqual(2)
      expect(String(errors[0])).toMatch(/\(watch\): no answer within 100 ms/)
    } finally {
      await watcher?.stop()
      watcher = undefined
      for (const s of held) s.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    }
  })
})
