/**
 * @module One resource kept in sync with the API server: LIST (page by page), then WATCH from the
 * list's resourceVersion with bookmarks and a server-side timeout; resume the watch after a
 * dropped connection; relist after "410 Gone".
 *
 * Everything the server sends is untrusted input (see api-envelope.ts). A LIST page with one
 * object that cannot be filed is refused whole, and a watch line that is not a well-formed event
 * ends the watch and forces a relist: in both cases the store keeps the last good objects, the
 * rejection is reported (`onReject`) and the next attempt waits with exponential backoff. Nothing
 * here throws into the event loop: every failure ends in the retry loop.
 *
 * The objects live in our own store, replaced in ONE step when a whole list has been read and
 * checked, so a relist never exposes a half-filled cache and deletions that happened while
 * disconnected are seen.
 *
 * A resource that may not be served (`optional`: a custom resource whose CRD may not be installed)
 * answers 404 while it is not. Before it was ever listed, that is a complete view: no such object
 * can exist, so the store is empty and counts as synced. After it was listed, one 404 is not
 * believed (an API server that is starting can answer 404 for a CRD for a moment): the store is
 * kept until a second 404, one re-check interval later, confirms the CRD is gone. While not served
 * the resource is asked again every `recheckIntervalMs`, and listed and watched once it is. The
 * same for a resource the agent may not read (`notServedStatus` 403: Nodes, with a ClusterRole
 * that does not grant them), whose empty store the caller treats as unknown.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import { apiGetJson, ApiRequestError, MAX_RESPONSE_BYTES, NOT_JSON, TOO_LARGE, type RawObject } from '../cluster/live-api.js'
import { checkListPage, parseWatchLine, type EnvelopeLimits, type RejectReason, type ResourceKind, type WatchEvent } from './api-envelope.js'
import { openWatchStream, type WatchStream } from './watch-stream.js'

export interface ResourceWatcherOptions {
  readonly kubeConfig: KubeConfig
  /** Collection path, e.g. `/api/v1/pods`. */
  readonly path: string
  /** Short name for logs and metrics, e.g. `pods`. */
  readonly name: string
  /** What the collection holds; objects of another kind are refused. */
  readonly resource: ResourceKind
  /** Called after the store changed (an event changed an object, or a list replaced the store). */
  /**
   * The store changed. `receivedAt` (performance.now()) is when the watch event that changed it was
   * received, before parsing; undefined for a LIST.
   */
  readonly onChange: (receivedAt?: number) => void
  /** A list or watch call failed (network, HTTP error, ERROR event); retried after `retryInMs`. */
  readonly onError?: (err: unknown, retryInMs: number) => void
  /** Input refused (see RejectReason); the store is kept and the resource relisted after `retryInMs`. */
  readonly onReject?: (reason: RejectReason, detail: string, retryInMs: number) => void
  readonly onList?: (items: number, resourceVersion: string) => void
  /** A well-formed watch event arrived (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR). */
  readonly onWatchEvent?: (type: string) => void
  readonly backoffInitialMs?: number
  readonly backoffMaxMs?: number
  /** Asked of the server for each watch (`timeoutSeconds`). @default 300 */
  readonly watchTimeoutSeconds?: number
  /** A connected watch with no line for this long is replaced. Default: watch timeout + 30 s. */
  readonly idleTimeoutMs?: number
  /**
   * A watch request the server has not answered (no response headers) for this long is abandoned
   * and retried with backoff, as a LIST that gets no answer is. @default 60000
   */
  readonly answerTimeoutMs?: number
  readonly pageSize?: number
  /** A watch line longer than this is refused without being buffered. @default 16 MiB */
  readonly maxLineBytes?: number
  readonly limits?: EnvelopeLimits
  /** A LIST page larger than this is refused. @default 256 MiB */
  readonly maxListPageBytes?: number
  /** The resource may not be served (404): see the module comment. */
  readonly optional?: boolean
  /**
   * The answer that means an optional resource is not served to the agent: 404 (a CRD not
   * installed: the empty store is complete) or 403 to a LIST (the agent may not read it: the
   * caller must treat the empty store as unknown). @default 404
   */
  readonly notServedStatus?: 403 | 404
  /**
   * What of an object the agent reads (stored instead of the whole object). An event that changes
   * nothing of it is no change: a Node's status moves every few minutes with nothing netpol reads.
   * The result keeps `metadata.resourceVersion`.
   */
  readonly keep?: (object: RawObject) => RawObject
  /** While an optional resource is not served, it is asked again this often. @default 30000 */
  readonly recheckIntervalMs?: number
  /** An optional resource became served (true) or not served (false); called once per change, and once at the first answer. */
  readonly onServedChange?: (served: boolean) => void
  /** GET of one LIST page (tests and benchmarks may substitute). */
  readonly getPage?: (kubeConfig: KubeConfig, path: string, query: Readonly<Record<string, string>>) => Promise<unknown>
}

/** Input the envelope check refused: ends the attempt, keeps the store, forces a relist. */
class RejectedInput extends Error {
  constructor(
    readonly reason: RejectReason,
    readonly detail: string,
  ) {
    super(detail)
    this.name = 'RejectedInput'
  }
}

type WatchOutcome = 'ended' | 'expired' | 'idle' | 'stopped'

/** The API server's answer to a resourceVersion it no longer has. */
function isGone(err: unknown): boolean {
  return err instanceof ApiRequestError && err.statusCode === 410
}

/** The API server's answer for a resource it does not serve (a CRD not installed), or does not let us read. */
function isNotServed(err: unknown, status: number): boolean {
  return err instanceof ApiRequestError && err.statusCode === status
}

/** The same object but for its resourceVersion (objects as `keep` makes them: plain JSON data). */
function sameButVersion(a: RawObject, b: RawObject): boolean {
  const text = (o: RawObject): string => JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } })
  return text(a) === text(b)
}

/** Default cap on one watch line: far above etcd's object size limit (1.5 MiB), far below memory trouble. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024
/** How long a watch request may wait for the server's answer (the LIST's own timeout, live-api.ts). */
const DEFAULT_ANSWER_TIMEOUT_MS = 60_000
/** A watch the server ends sooner than this, without one event, counts as a failure (no hot reconnect loop). */
const MIN_HEALTHY_WATCH_MS = 1000

export class ResourceWatcher {
  private store = new Map<string, RawObject>()
  private generation = 0
  private stopped = true
  private idleTimer: NodeJS.Timeout | undefined
  private backoffMs: number
  private lastActivity = 0
  private watchOpen = false
  /** performance.now() when the pending watch request was sent; undefined once answered (or none pending). */
  private askedAt: number | undefined
  private listed = false
  private storeVersion = 0
  private resourceVersion = ''
  /** The last failure was refused input: a watch that merely opens does not reset the backoff. */
  private distrusted = false
  /** 410s since the last good event: the first relists at once, repeats back off. */
  private expiredStreak = 0
  private stream: WatchStream | undefined
  private endStream: ((outcome: WatchOutcome | Error) => void) | undefined
  private wake: (() => void) | undefined
  private changedAt = 0
  /** Of an optional resource: undefined until the first answer. */
  private servedNow: boolean | undefined
  /** An optional resource that was served answered 404 once: the next 404 confirms it is gone. */
  private missingOnce = false

  constructor(private readonly options: ResourceWatcherOptions) {
    this.backoffMs = options.backoffInitialMs ?? 500
  }

  /** True once a list has filled the store (it stays true across reconnects: the store is kept). */
  get synced(): boolean {
    return this.listed
  }

  /** Of an optional resource: false while the server does not serve it (404), true once listed, undefined before the first answer. */
  get served(): boolean | undefined {
    return this.servedNow
  }

  /** True while a watch stream is open. */
  get connected(): boolean {
    return this.watchOpen
  }

  /** performance.now() of the last change of `connected`. */
  get connectionChangedAt(): number {
    return this.changedAt
  }

  /** Increments whenever the store changes. */
  get version(): number {
    return this.storeVersion
  }

  objects(): IterableIterator<RawObject> {
    return this.store.values()
  }

  get size(): number {
    return this.store.size
  }

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    const gen = ++this.generation
    const idle = this.options.idleTimeoutMs ?? ((this.options.watchTimeoutSeconds ?? 300) + 30) * 1000
    const answer = this.options.answerTimeoutMs ?? DEFAULT_ANSWER_TIMEOUT_MS
    this.idleTimer = setInterval(() => this.checkIdle(idle, answer), Math.max(10, Math.min(idle, answer, 5000)))
    this.idleTimer.unref()
    void this.run(gen)
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.generation++
    clearInterval(this.idleTimer)
    this.setOpen(false)
    this.endStream?.('stopped')
    this.wake?.()
  }

  private current(gen: number): boolean {
    return gen === this.generation && !this.stopped
  }

  private setOpen(open: boolean): void {
    if (this.watchOpen === open) return
    this.watchOpen = open
    this.changedAt = performance.now()
  }

  private async run(gen: number): Promise<void> {
    while (this.current(gen)) {
      let delay = 0
      let listing = false
      try {
        listing = this.resourceVersion === ''
        if (listing) await this.relist(gen)
        listing = false
        if (!this.current(gen)) return
        const startedAt = performance.now()
        const before = this.storeVersion
        const outcome = await this.watchOnce(gen)
        if (outcome === 'stopped') return
        if (outcome === 'expired') {
          this.resourceVersion = ''
          delay = this.expiredStreak++ === 0 ? 0 : this.nextBackoff()
        } else if (outcome === 'idle') {
          // A silent stream past the server's own timeout: the path is dead; start over.
          this.resourceVersion = ''
        } else if (performance.now() - startedAt < MIN_HEALTHY_WATCH_MS && this.storeVersion === before) {
          delay = this.nextBackoff()
          this.options.onError?.(new ApiRequestError(`${this.options.path}: the server ended the watch at once`), delay)
        }
      } catch (err) {
        this.setOpen(false)
        if (!this.current(gen)) return
        if (err instanceof RejectedInput) {
          this.resourceVersion = ''
          this.distrusted = true
          delay = this.nextBackoff()
          this.options.onReject?.(err.reason, err.detail, delay)
        } else if (isGone(err)) {
          this.resourceVersion = ''
          delay = this.expiredStreak++ === 0 ? 0 : this.nextBackoff()
        } else if (this.options.optional && isNotServed(err, this.options.notServedStatus ?? 404) && (listing || this.options.notServedStatus !== 403)) {
          // A 403 says so only of a LIST: one for a watch is an error like any other (retried, not ready).
          this.resourceVersion = ''
          this.notServed()
          delay = Math.max(1, this.options.recheckIntervalMs ?? 30_000)
        } else {
          delay = this.nextBackoff()
          this.options.onError?.(err, delay)
        }
      }
      this.setOpen(false)
      if (delay > 0) await this.sleep(delay, gen)
    }
  }

  /** A 404 of an optional resource (see the module comment). */
  private notServed(): void {
    if (this.servedNow === false) return
    if (this.listed && !this.missingOnce) {
      // Served before: believe it only when the next check says the same.
      this.missingOnce = true
      return
    }
    this.missingOnce = false
    this.servedNow = false
    const had = this.store.size > 0
    this.store = new Map()
    const first = !this.listed
    this.listed = true
    this.options.onServedChange?.(false)
    if (had || first) this.changed()
  }

  private nextBackoff(): number {
    const delay = this.backoffMs
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.backoffMaxMs ?? 30_000)
    return delay
  }

  private healthy(): void {
    this.backoffMs = this.options.backoffInitialMs ?? 500
    this.distrusted = false
    this.expiredStreak = 0
  }

  private sleep(ms: number, gen: number): Promise<void> {
    if (!this.current(gen)) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined
        resolve()
      }, ms)
      this.wake = () => {
        clearTimeout(t)
        this.wake = undefined
        resolve()
      }
    })
  }

  /** Reads every page, checks every item, then replaces the store in one step. */
  private async relist(gen: number): Promise<void> {
    const o = this.options
    const getPage = o.getPage ?? ((kc, path, query) => apiGetJson(kc, path, query, undefined, o.maxListPageBytes ?? MAX_RESPONSE_BYTES))
    const next = new Map<string, RawObject>()
    let resourceVersion = ''
    let cont: string | undefined
    do {
      const query: Record<string, string> = { limit: String(o.pageSize ?? 500) }
      if (cont) query.continue = cont
      let body: unknown
      try {
        body = await getPage(o.kubeConfig, o.path, query)
      } catch (err) {
        // A 2xx answer that is too large or not JSON is refused input, not an outage.
        if (err instanceof ApiRequestError && err.reason === TOO_LARGE) throw new RejectedInput('too-large', err.message)
        if (err instanceof ApiRequestError && err.reason === NOT_JSON) throw new RejectedInput('not-json', err.message)
        throw err
      }
      if (!this.current(gen)) return
      const page = checkListPage(body, o.resource, o.limits)
      if (!page.ok) throw new RejectedInput(page.reason, `LIST ${o.path}: ${page.detail}`)
      if (!cont) resourceVersion = page.value.resourceVersion
      for (const item of page.value.items) {
        if (next.has(item.key)) throw new RejectedInput('duplicate', `LIST ${o.path}: ${o.resource.kind} ${item.key} is listed twice`)
        next.set(item.key, o.keep ? o.keep(item.object) : item.object)
      }
      cont = page.value.continue
    } while (cont)
    const changed = next.size !== this.store.size || [...next].some(([k, v]) => this.store.get(k)?.metadata?.resourceVersion !== v.metadata?.resourceVersion)
    this.store = next
    this.resourceVersion = resourceVersion
    const first = !this.listed
    this.listed = true
    this.missingOnce = false
    if (o.optional && this.servedNow !== true) {
      this.servedNow = true
      o.onServedChange?.(true)
    }
    o.onList?.(next.size, resourceVersion)
    if (changed || first) this.changed()
  }

  /** One watch stream, until the server ends it, the watcher stops, or it must be replaced. */
  private watchOnce(gen: number): Promise<WatchOutcome> {
    const o = this.options
    return new Promise<WatchOutcome>((resolve, reject) => {
      let settled = false
      const finish = (outcome: WatchOutcome | Error): void => {
        if (settled) return
        settled = true
        this.endStream = undefined
        this.askedAt = undefined
        this.stream?.abort()
        this.stream = undefined
        this.setOpen(false)
        if (outcome instanceof Error) reject(outcome)
        else resolve(outcome)
      }
      this.endStream = finish
      this.askedAt = performance.now()
      const query = { resourceVersion: this.resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: String(o.watchTimeoutSeconds ?? 300) }
      const stream = openWatchStream(
        o.kubeConfig,
        o.path,
        query,
        {
          opened: () => {
            if (settled || !this.current(gen)) return
            this.askedAt = undefined
            this.setOpen(true)
            this.lastActivity = performance.now()
            if (!this.distrusted) this.healthy()
          },
          line: (text) => {
            if (settled || !this.current(gen)) return
            // The event's arrival: where the enforcement latency starts (docs/agent.md).
            const receivedAt = performance.now()
            this.lastActivity = receivedAt
            const event = parseWatchLine(text, o.resource, o.limits)
            if (!event.ok) {
              finish(new RejectedInput(event.reason, `WATCH ${o.path}: ${event.detail}`))
              return
            }
            const end = this.apply(event.value, receivedAt)
            if (end) finish(end)
          },
          oversized: (bytes) => {
            if (settled || !this.current(gen)) return
            finish(new RejectedInput('too-large', `WATCH ${o.path}: a line longer than ${o.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES} bytes (${bytes} so far)`))
          },
        },
        o.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
      )
      this.stream = stream
      if (settled) stream.abort()
      stream.done.then(
        () => finish('ended'),
        (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
      )
    })
  }

  /** Applies one well-formed event; returns how the stream ends when the event ends it. */
  private apply(event: WatchEvent, receivedAt: number): WatchOutcome | Error | undefined {
    this.options.onWatchEvent?.(event.type)
    switch (event.type) {
      case 'ERROR':
        if (event.code === 410) return 'expired'
        return new ApiRequestError(`WATCH ${this.options.path}: the server sent an error: ${event.message}`, event.code)
      case 'BOOKMARK':
        this.resourceVersion = event.resourceVersion
        this.healthy()
        return undefined
      case 'ADDED':
      case 'MODIFIED': {
        const old = this.store.get(event.key)
        this.resourceVersion = event.resourceVersion
        this.healthy()
        if (old && old.metadata?.resourceVersion === event.resourceVersion) return undefined
        const object = this.options.keep ? this.options.keep(event.object) : event.object
        if (old && this.options.keep && sameButVersion(old, object)) return undefined
        this.store.set(event.key, object)
        this.changed(receivedAt)
        return undefined
      }
      case 'DELETED':
        this.resourceVersion = event.resourceVersion
        this.healthy()
        if (this.store.delete(event.key)) this.changed(receivedAt)
        return undefined
    }
  }

  private checkIdle(idleMs: number, answerMs: number): void {
    if (this.stopped) return
    const now = performance.now()
    // A server that accepted the connection but never answers (hung, or a proxy holding it) would
    // otherwise keep this resource's view frozen with nothing logged.
    if (this.askedAt !== undefined && now - this.askedAt >= answerMs) {
      this.endStream?.(new ApiRequestError(`GET ${this.options.path} (watch): no answer within ${answerMs} ms`))
      return
    }
    if (!this.watchOpen || now - this.lastActivity < idleMs) return
    this.endStream?.('idle')
  }

  private changed(receivedAt?: number): void {
    this.storeVersion++
    this.options.onChange(receivedAt)
  }
}
