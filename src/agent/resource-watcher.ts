/**
 * @module One resource kept in sync with the API server: client-node's ListWatch informer (list,
 * then watch from the list's resourceVersion; relist on 410 Gone; bookmarks), wrapped with what
 * client-node 1.x leaves to the application:
 *
 * - any error stops a 1.x informer: restart it with exponential backoff, resuming the watch from
 *   the last resourceVersion (a relist happens only when the server says 410);
 * - a watch that goes silent longer than the server-side timeout is replaced (a dead path);
 * - the objects live in our own store, replaced in ONE step when a list completes, so a relist never
 *   exposes a half-filled cache and deletions that happened while disconnected are seen.
 */
import { ListWatch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node'
import { apiListAll, type RawList, type RawObject } from '../cluster/live-api.js'
import { BookmarkWatch } from './bookmark-watch.js'

export interface ResourceWatcherOptions {
  readonly kubeConfig: KubeConfig
  /** Collection path, e.g. `/api/v1/pods`. */
  readonly path: string
  /** Short name for logs and metrics, e.g. `pods`. */
  readonly name: string
  /** Called after the store changed (an event changed an object, or a list replaced the store). */
  readonly onChange: () => void
  readonly onError?: (err: unknown, retryInMs: number) => void
  readonly onList?: (items: number, resourceVersion: string) => void
  readonly onWatchEvent?: (type: string) => void
  readonly backoffInitialMs?: number
  readonly backoffMaxMs?: number
  /** Asked of the server for each watch (`timeoutSeconds`). */
  readonly watchTimeoutSeconds?: number
  /** A connected watch with no line for this long is replaced. Default: watch timeout + 30 s. */
  readonly idleTimeoutMs?: number
  readonly pageSize?: number
  /** The LIST used by the informer; tests and benchmarks may substitute. */
  readonly list?: (kubeConfig: KubeConfig, path: string, pageSize: number) => Promise<RawList>
}

export class ResourceWatcher {
  private store = new Map<string, RawObject>()
  private generation = 0
  private informer: ListWatch<KubernetesObject> | undefined
  private stopped = true
  private retryTimer: NodeJS.Timeout | undefined
  private idleTimer: NodeJS.Timeout | undefined
  private backoffMs: number
  private lastActivity = 0
  private watchOpen = false
  private listed = false
  private storeVersion = 0

  constructor(private readonly options: ResourceWatcherOptions) {
    this.backoffMs = options.backoffInitialMs ?? 500
  }

  /** True once a list has filled the store (it stays true across reconnects: the store is kept). */
  get synced(): boolean {
    return this.listed
  }

  /** True while a watch stream is open. */
  get connected(): boolean {
    return this.watchOpen
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
    this.startInformer()
    const idle = this.options.idleTimeoutMs ?? ((this.options.watchTimeoutSeconds ?? 300) + 30) * 1000
    this.idleTimer = setInterval(() => this.checkIdle(idle), Math.min(idle, 5000))
    this.idleTimer.unref()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.generation++
    clearTimeout(this.retryTimer)
    clearInterval(this.idleTimer)
    this.watchOpen = false
    const informer = this.informer
    this.informer = undefined
    if (informer) await informer.stop()
  }

  private startInformer(): void {
    const gen = ++this.generation
    const current = (): boolean => gen === this.generation && !this.stopped
    const o = this.options
    const watch = new BookmarkWatch(o.kubeConfig, o.watchTimeoutSeconds ?? 300, {
      opened: () => {
        if (!current()) return
        this.watchOpen = true
        this.lastActivity = Date.now()
        this.backoffMs = o.backoffInitialMs ?? 500
      },
      event: (type) => {
        if (!current()) return
        this.lastActivity = Date.now()
        o.onWatchEvent?.(type)
      },
    })
    const list = async (): Promise<RawList> => {
      const result = await (o.list ?? apiListAll)(o.kubeConfig, o.path, o.pageSize ?? 500)
      if (current()) this.replaceStore(result)
      return result
    }
    const informer = new ListWatch<KubernetesObject>(o.path, watch, list as () => Promise<any>, false)
    informer.on('add', (obj) => current() && this.put(obj as RawObject))
    informer.on('update', (obj) => current() && this.put(obj as RawObject))
    informer.on('delete', (obj) => current() && this.remove(obj as RawObject))
    informer.on('connect', () => {
      // Fired before every (re)list/(re)watch: the previous stream is gone.
      if (current()) this.watchOpen = false
    })
    informer.on('error', (err) => {
      if (!current()) return
      this.watchOpen = false
      this.scheduleRestart(err)
    })
    this.informer = informer
    informer.start().catch((err: unknown) => current() && this.scheduleRestart(err))
  }

  private scheduleRestart(err: unknown): void {
    clearTimeout(this.retryTimer)
    const delay = this.backoffMs
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.backoffMaxMs ?? 30_000)
    this.options.onError?.(err, delay)
    const gen = this.generation
    this.retryTimer = setTimeout(() => {
      if (gen !== this.generation || this.stopped || !this.informer) return
      // Same informer: it keeps its resourceVersion, so the watch resumes where it stopped.
      this.informer.start().catch((e: unknown) => gen === this.generation && this.scheduleRestart(e))
    }, delay)
  }

  private checkIdle(idleMs: number): void {
    if (this.stopped || !this.watchOpen) return
    if (Date.now() - this.lastActivity < idleMs) return
    // A silent stream past the server's own timeout: the path is dead. Start a fresh informer;
    // the old one's callbacks are ignored from now on (generation check).
    const old = this.informer
    this.watchOpen = false
    this.startInformer()
    void old?.stop()
  }

  private replaceStore(list: RawList): void {
    const next = new Map<string, RawObject>()
    for (const item of list.items) next.set(keyOf(item), item)
    const changed = next.size !== this.store.size || [...next].some(([k, v]) => this.store.get(k)?.metadata?.resourceVersion !== v.metadata?.resourceVersion)
    this.store = next
    const first = !this.listed
    this.listed = true
    this.options.onList?.(list.items.length, list.metadata.resourceVersion)
    if (changed || first) this.changed()
  }

  private put(obj: RawObject): void {
    const key = keyOf(obj)
    const old = this.store.get(key)
    if (old && old.metadata?.resourceVersion !== undefined && old.metadata.resourceVersion === obj.metadata?.resourceVersion) return
    this.store.set(key, obj)
    this.changed()
  }

  private remove(obj: RawObject): void {
    if (this.store.delete(keyOf(obj))) this.changed()
  }

  private changed(): void {
    this.storeVersion++
    this.options.onChange()
  }
}

function keyOf(o: RawObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`
}
