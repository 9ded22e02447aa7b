/**
 * @module An in-process Kubernetes API server for tests, speaking the real wire protocol for the
 * resources netpol reads (namespaces, pods, networkpolicies, services, endpointslices; clusternetworkpolicies unless told the CRD is missing).
 *
 * - LIST answers JSON lists with `metadata.resourceVersion` (one global, etcd-like counter), items
 *   without kind/apiVersion like the real server, and `limit`/`continue` pagination.
 * - WATCH (`?watch=true&resourceVersion=N&allowWatchBookmarks=true&timeoutSeconds=S`) answers a chunked
 *   stream of newline-delimited events (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR), replaying history
 *   after N; a resourceVersion older than the compaction floor is "410 Gone", either as an ERROR event
 *   carrying a Status (what the watch cache does) or as an HTTP 410 (configurable).
 * - The test mutates objects, compacts history, drops or ends watch connections, sends bookmarks,
 *   refuses requests, and reads the request log.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { randomUUID } from 'node:crypto'
import { KubeConfig } from '@kubernetes/client-node'

/** The resources the agent watches. */
export type Resource = 'namespaces' | 'pods' | 'networkpolicies'
/** Every resource served (the ClusterNetworkPolicy CRD's too, unless told it is missing). */
export type AnyResource =
  Resource | 'clusternetworkpolicies' | 'nodes' | 'adminnetworkpolicies' | 'baselineadminnetworkpolicies' | 'services' | 'endpointslices'

/** A raw API object as JSON. */
export type ApiObject = Record<string, unknown> & {
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; [k: string]: unknown }
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED'

interface HistoryEvent {
  readonly resource: AnyResource
  readonly type: WatchEventType
  readonly object: ApiObject
  readonly rv: number
}

interface OpenWatch {
  readonly resource: AnyResource
  readonly namespace?: string
  readonly bookmarks: boolean
  readonly res: ServerResponse
  readonly socket: Socket
  timer?: NodeJS.Timeout
}

export interface RequestRecord {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  readonly watch: boolean
  readonly status: number
}

interface Failure {
  remaining: number
  readonly status: number
  readonly match: (r: { path: string; watch: boolean }) => boolean
}

const META: Record<AnyResource, { apiVersion: string; kind: string; listKind: string; namespaced: boolean }> = {
  namespaces: { apiVersion: 'v1', kind: 'Namespace', listKind: 'NamespaceList', namespaced: false },
  pods: { apiVersion: 'v1', kind: 'Pod', listKind: 'PodList', namespaced: true },
  networkpolicies: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', listKind: 'NetworkPolicyList', namespaced: true },
  nodes: { apiVersion: 'v1', kind: 'Node', listKind: 'NodeList', namespaced: false },
  services: { apiVersion: 'v1', kind: 'Service', listKind: 'ServiceList', namespaced: true },
  endpointslices: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', listKind: 'EndpointSliceList', namespaced: true },
  adminnetworkpolicies: { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'AdminNetworkPolicy', listKind: 'AdminNetworkPolicyList', namespaced: false },
  baselineadminnetworkpolicies: {
    apiVersion: 'policy.networking.k8s.io/v1alpha1',
    kind: 'BaselineAdminNetworkPolicy',
    listKind: 'BaselineAdminNetworkPolicyList',
    namespaced: false,
  },
  clusternetworkpolicies: {
    apiVersion: 'policy.networking.k8s.io/v1alpha2',
    kind: 'ClusterNetworkPolicy',
    listKind: 'ClusterNetworkPolicyList',
    namespaced: false,
  },
}

export interface TestApiServerOptions {
  /** How a too-old resourceVersion is answered on watch: an ERROR event (default) or HTTP 410. */
  readonly expiredAs?: 'event' | 'http'
  /** Whether the ClusterNetworkPolicy CRD is installed (its resource served); otherwise its paths are 404. @default true */
  readonly clusterNetworkPolicies?: boolean
  /** Whether the deprecated v1alpha1 AdminNetworkPolicy CRDs are installed (their resources served). @default false */
  readonly v1alpha1Policies?: boolean
}

export class TestApiServer {
  readonly requests: RequestRecord[] = []
  expiredAs: 'event' | 'http'
  private readonly server: Server
  private readonly objects = new Map<AnyResource, Map<string, ApiObject>>([
    ['namespaces', new Map()],
    ['pods', new Map()],
    ['networkpolicies', new Map()],
    ['clusternetworkpolicies', new Map()],
    ['nodes', new Map()],
    ['services', new Map()],
    ['endpointslices', new Map()],
    ['adminnetworkpolicies', new Map()],
    ['baselineadminnetworkpolicies', new Map()],
  ])
  private history: HistoryEvent[] = []
  private rv = 1
  private floor = 0
  private readonly watches = new Set<OpenWatch>()
  private readonly sockets = new Set<Socket>()
  private failures: Failure[] = []
  private extraListItems: { resource: AnyResource; items: unknown[]; remaining: number }[] = []
  private rawListItems: { resource: AnyResource; text: string; remaining: number }[] = []
  private port = 0
  private servesClusterNetworkPolicies: boolean
  private readonly servesV1alpha1Policies: boolean

  private constructor(options: TestApiServerOptions) {
    this.expiredAs = options.expiredAs ?? 'event'
    this.servesClusterNetworkPolicies = options.clusterNetworkPolicies ?? true
    this.servesV1alpha1Policies = options.v1alpha1Policies ?? false
    this.server = createServer((req, res) => this.handle(req, res))
    this.server.on('connection', (s) => {
      this.sockets.add(s)
      s.on('close', () => this.sockets.delete(s))
    })
  }

  static async start(options: TestApiServerOptions = {}): Promise<TestApiServer> {
    const s = new TestApiServer(options)
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve))
    s.port = (s.server.address() as AddressInfo).port
    return s
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** The current (latest) resourceVersion. */
  get resourceVersion(): number {
    return this.rv
  }

  /** A client configuration pointing at this server (plain HTTP needs insecure-skip-tls-verify). */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig()
    kc.loadFromString(this.kubeconfigYaml())
    return kc
  }

  kubeconfigYaml(contextNamespace?: string, options: { skipTlsVerify?: boolean } = {}): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: test',
      '  cluster:',
      `    server: ${this.url}`,
      ...(options.skipTlsVerify === false ? [] : ['    insecure-skip-tls-verify: true']),
      'users:',
      '- name: tester',
      '  user:',
      '    token: test-token',
      'contexts:',
      '- name: test',
      '  context:',
      '    cluster: test',
      '    user: tester',
      ...(contextNamespace ? [`    namespace: ${contextNamespace}`] : []),
      'current-context: test',
      '',
    ].join('\n')
  }

  // ---- mutation API for tests ----

  create(resource: AnyResource, object: Omit<ApiObject, 'metadata'> & { metadata: ApiObject['metadata'] }): ApiObject {
    const key = keyOf(resource, object as ApiObject)
    if (this.objects.get(resource)!.has(key)) throw new Error(`test api: ${resource} ${key} already exists`)
    return this.store(resource, 'ADDED', object as ApiObject, randomUUID())
  }

  update(resource: AnyResource, object: ApiObject): ApiObject {
    const key = keyOf(resource, object)
    const old = this.objects.get(resource)!.get(key)
    if (!old) throw new Error(`test api: ${resource} ${key} not found`)
    return this.store(resource, 'MODIFIED', object, String(old.metadata.uid))
  }

  /** Create or update. */
  apply(resource: AnyResource, object: ApiObject): ApiObject {
    return this.objects.get(resource)!.has(keyOf(resource, object)) ? this.update(resource, object) : this.create(resource, object)
  }

  delete(resource: AnyResource, name: string, namespace?: string): void {
    const key = namespace ? `${namespace}/${name}` : name
    const old = this.objects.get(resource)!.get(key)
    if (!old) throw new Error(`test api: ${resource} ${key} not found`)
    this.objects.get(resource)!.delete(key)
    const rv = ++this.rv
    const object = { ...old, metadata: { ...old.metadata, resourceVersion: String(rv) } }
    this.record({ resource, type: 'DELETED', object, rv })
  }

  get(resource: AnyResource, name: string, namespace?: string): ApiObject | undefined {
    return this.objects.get(resource)!.get(namespace ? `${namespace}/${name}` : name)
  }

  /**
   * Installs (true) or removes (false) the ClusterNetworkPolicy CRD. Removing it deletes every
   * ClusterNetworkPolicy (DELETED events) and ends their watches, as kube-apiserver does.
   */
  serveClusterNetworkPolicies(served: boolean): void {
    if (served === this.servesClusterNetworkPolicies) return
    if (!served) {
      for (const o of this.itemsOf('clusternetworkpolicies')) this.delete('clusternetworkpolicies', o.metadata.name)
      for (const w of [...this.watches]) if (w.resource === 'clusternetworkpolicies') this.endWatch(w)
    }
    this.servesClusterNetworkPolicies = served
  }

  // ---- failure injection ----

  /** Forget history up to now: watches from an older resourceVersion get "410 Gone". */
  compact(): void {
    this.floor = this.rv
    this.history = []
  }

  /** Tell every open watch its resourceVersion expired (ERROR event with a 410 Status), then end it. */
  expireWatches(): void {
    for (const w of [...this.watches]) {
      this.writeEvent(w, { type: 'ERROR', object: goneStatus(0, this.floor) })
      this.endWatch(w)
    }
  }

  /** Cut every open watch connection abruptly (TCP reset, no end of stream). */
  dropWatches(): void {
    for (const w of [...this.watches]) {
      this.watches.delete(w)
      if (w.timer) clearTimeout(w.timer)
      w.socket.destroy()
    }
  }

  /** End every open watch cleanly, as the API server does at its watch timeout. */
  closeWatches(): void {
    for (const w of [...this.watches]) this.endWatch(w)
  }

  /** Send a BOOKMARK with the current resourceVersion to watches that asked for bookmarks. */
  sendBookmarks(): void {
    for (const w of this.watches) {
      if (!w.bookmarks) continue
      const m = META[w.resource]
      this.writeEvent(w, { type: 'BOOKMARK', object: { kind: m.kind, apiVersion: m.apiVersion, metadata: { resourceVersion: String(this.rv) } } })
    }
  }

  /** Answer the next `count` matching requests with `status` (a Status body), e.g. 500 or 503. */
  failNext(count: number, status: number, match: (r: { path: string; watch: boolean }) => boolean = () => true): void {
    this.failures.push({ remaining: count, status, match })
  }

  /** Stop failing requests. */
  clearFailures(): void {
    this.failures = []
    this.extraListItems = []
    this.rawListItems = []
  }

  /**
   * Writes `line` (any text, not necessarily JSON) followed by a newline to every open watch of
   * `resource`, as a broken or hostile API server or proxy would. Returns how many watches got it.
   */
  injectWatchLine(resource: AnyResource, line: string): number {
    let n = 0
    for (const w of this.watches) {
      if (w.resource !== resource || w.res.writableEnded || w.res.destroyed) continue
      w.res.write(`${line}\n`)
      n++
    }
    return n
  }

  /** Appends `items` (any JSON values) to the last page of the next `count` LISTs of `resource`. */
  injectListItems(resource: AnyResource, items: unknown[], count = 1): void {
    this.extraListItems.push({ resource, items, remaining: count })
  }

  /**
   * Appends one item, given as raw JSON text (e.g. nested deeper than JSON.stringify can write),
   * to the last page of the next `count` LISTs of `resource`.
   */
  injectRawListItem(resource: AnyResource, text: string, count = 1): void {
    this.rawListItems.push({ resource, text, remaining: count })
  }

  /** Every open watch of `resource`, for tests that wait for the agent to reconnect. */
  openWatchesOf(resource: AnyResource): number {
    let n = 0
    for (const w of this.watches) if (w.resource === resource && !w.res.writableEnded && !w.res.destroyed) n++
    return n
  }

  get openWatchCount(): number {
    return this.watches.size
  }

  async close(): Promise<void> {
    for (const w of [...this.watches]) this.endWatch(w)
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  // ---- internals ----

  private store(resource: AnyResource, type: WatchEventType, object: ApiObject, uid: string): ApiObject {
    const rv = ++this.rv
    const m = META[resource]
    const stored: ApiObject = structuredClone({
      ...object,
      metadata: {
        creationTimestamp: '2026-01-01T00:00:00Z',
        ...object.metadata,
        uid,
        resourceVersion: String(rv),
      },
    })
    delete stored.kind
    delete stored.apiVersion
    this.objects.get(resource)!.set(keyOf(resource, stored), stored)
    this.record({ resource, type, object: { kind: m.kind, apiVersion: m.apiVersion, ...stored }, rv })
    return stored
  }

  private record(e: HistoryEvent): void {
    this.history.push(e)
    for (const w of this.watches) {
      if (w.resource !== e.resource) continue
      if (w.namespace && e.object.metadata.namespace !== w.namespace) continue
      this.writeEvent(w, { type: e.type, object: e.object })
    }
  }

  private writeEvent(w: OpenWatch, event: { type: string; object: unknown }): void {
    if (!w.res.writableEnded && !w.res.destroyed) w.res.write(`${JSON.stringify(event)}\n`)
  }

  private endWatch(w: OpenWatch): void {
    this.watches.delete(w)
    if (w.timer) clearTimeout(w.timer)
    if (!w.res.writableEnded) w.res.end()
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x')
    const query = Object.fromEntries(url.searchParams.entries())
    const watch = query.watch === 'true' || query.watch === '1'
    const respond = (status: number, body: unknown, raw: readonly string[] = []): void => {
      this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query, watch, status })
      res.writeHead(status, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify(body).replace(/\{"__rawItem":(\d+)\}/g, (_, i: string) => raw[Number(i)]))
    }
    if (req.method !== 'GET') return respond(405, status(405, 'MethodNotAllowed', 'the test API server is read-only over HTTP'))
    const failure = this.failures.find((f) => f.remaining > 0 && f.match({ path: url.pathname, watch }))
    if (failure) {
      failure.remaining--
      return respond(failure.status, status(failure.status, 'InternalError', 'injected failure'))
    }
    const route = parseRoute(url.pathname)
    const unserved = (r: AnyResource): boolean =>
      (r === 'clusternetworkpolicies' && !this.servesClusterNetworkPolicies) ||
      ((r === 'adminnetworkpolicies' || r === 'baselineadminnetworkpolicies') && !this.servesV1alpha1Policies)
    if (!route || unserved(route.resource)) return respond(404, status(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`))
    const { resource, namespace, name } = route
    const m = META[resource]
    if (name !== undefined) {
      const o = this.get(resource, name, namespace)
      if (!o) return respond(404, status(404, 'NotFound', `${resource} "${name}" not found`))
      return respond(200, { kind: m.kind, apiVersion: m.apiVersion, ...o })
    }
    if (!watch) {
      const raw: string[] = []
      const list = this.list(resource, namespace, query) as { items: unknown[]; metadata: { continue?: string } }
      const injected = list.metadata.continue ? undefined : this.rawListItems.find((e) => e.resource === resource && e.remaining > 0)
      if (injected) {
        injected.remaining--
        list.items.push({ __rawItem: raw.length })
        raw.push(injected.text)
      }
      return respond(200, list, raw)
    }

    // WATCH
    const from = query.resourceVersion ?? ''
    const fromRv = from === '' || from === '0' ? undefined : Number(from)
    if (fromRv !== undefined && fromRv < this.floor && this.expiredAs === 'http') {
      return respond(410, goneStatus(fromRv, this.floor))
    }
    this.requests.push({ method: 'GET', path: url.pathname, query, watch, status: 200 })
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' })
    res.flushHeaders()
    const w: OpenWatch = { resource, namespace, bookmarks: query.allowWatchBookmarks === 'true', res, socket: req.socket }
    if (fromRv !== undefined && fromRv < this.floor) {
      this.writeEvent(w, { type: 'ERROR', object: goneStatus(fromRv, this.floor) })
      res.end()
      return
    }
    if (fromRv === undefined) {
      for (const o of this.itemsOf(resource, namespace)) this.writeEvent(w, { type: 'ADDED', object: { kind: m.kind, apiVersion: m.apiVersion, ...o } })
    } else {
      for (const e of this.history) {
        if (e.resource !== resource || e.rv <= fromRv) continue
        if (namespace && e.object.metadata.namespace !== namespace) continue
        this.writeEvent(w, { type: e.type, object: e.object })
      }
    }
    this.watches.add(w)
    const timeout = Number(query.timeoutSeconds)
    if (timeout > 0) w.timer = setTimeout(() => this.endWatch(w), timeout * 1000)
    res.on('close', () => {
      this.watches.delete(w)
      if (w.timer) clearTimeout(w.timer)
    })
  }

  private itemsOf(resource: AnyResource, namespace?: string): ApiObject[] {
    return [...this.objects.get(resource)!.entries()]
      .filter(([, o]) => !namespace || o.metadata.namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o)
  }

  private list(resource: AnyResource, namespace: string | undefined, query: Record<string, string>): unknown {
    const m = META[resource]
    let rv = this.rv
    let offset = 0
    if (query.continue) {
      const token = JSON.parse(Buffer.from(query.continue, 'base64url').toString()) as { rv: number; offset: number }
      rv = token.rv
      offset = token.offset
    }
    const all = this.itemsOf(resource, namespace)
    const limit = Number(query.limit) > 0 ? Number(query.limit) : all.length
    const items = all.slice(offset, offset + limit)
    const next = offset + limit < all.length ? Buffer.from(JSON.stringify({ rv, offset: offset + limit })).toString('base64url') : undefined
    const extra: unknown[] = []
    if (!next) {
      const injected = this.extraListItems.find((e) => e.resource === resource && e.remaining > 0)
      if (injected) {
        injected.remaining--
        extra.push(...injected.items)
      }
    }
    return {
      kind: m.listKind,
      apiVersion: m.apiVersion,
      metadata: { resourceVersion: String(rv), ...(next ? { continue: next } : {}) },
      items: [...items, ...extra],
    }
  }
}

function keyOf(resource: AnyResource, o: ApiObject): string {
  if (!META[resource].namespaced) return o.metadata.name
  if (!o.metadata.namespace) throw new Error(`test api: ${resource} ${o.metadata.name} needs metadata.namespace`)
  return `${o.metadata.namespace}/${o.metadata.name}`
}

function parseRoute(path: string): { resource: AnyResource; namespace?: string; name?: string } | undefined {
  const p = path.split('/').filter(Boolean)
  // /api/v1/namespaces[/name]
  if (p[0] === 'api' && p[1] === 'v1') {
    if (p[2] === 'pods' && p.length === 3) return { resource: 'pods' }
    if (p[2] === 'nodes' && p.length === 3) return { resource: 'nodes' }
    if (p[2] === 'services' && p.length === 3) return { resource: 'services' }
    if (p[2] === 'namespaces') {
      if (p[4] === 'services' && p.length === 5) return { resource: 'services', namespace: p[3] }
      if (p.length === 3) return { resource: 'namespaces' }
      if (p.length === 4) return { resource: 'namespaces', name: p[3] }
      if (p[4] === 'pods' && p.length === 5) return { resource: 'pods', namespace: p[3] }
      if (p[4] === 'pods' && p.length === 6) return { resource: 'pods', namespace: p[3], name: p[5] }
    }
    return undefined
  }
  if (p[0] === 'apis' && p[1] === 'policy.networking.k8s.io' && p[2] === 'v1alpha2' && p[3] === 'clusternetworkpolicies') {
    if (p.length === 4) return { resource: 'clusternetworkpolicies' }
    if (p.length === 5) return { resource: 'clusternetworkpolicies', name: p[4] }
    return undefined
  }
  if (
    p[0] === 'apis' &&
    p[1] === 'policy.networking.k8s.io' &&
    p[2] === 'v1alpha1' &&
    p.length === 4 &&
    (p[3] === 'adminnetworkpolicies' || p[3] === 'baselineadminnetworkpolicies')
  ) {
    return { resource: p[3] }
  }
  if (p[0] === 'apis' && p[1] === 'discovery.k8s.io' && p[2] === 'v1') {
    if (p[3] === 'endpointslices' && p.length === 4) return { resource: 'endpointslices' }
    if (p[3] === 'namespaces' && p[5] === 'endpointslices' && p.length === 6) return { resource: 'endpointslices', namespace: p[4] }
    return undefined
  }
  if (p[0] === 'apis' && p[1] === 'networking.k8s.io' && p[2] === 'v1') {
    if (p[3] === 'networkpolicies' && p.length === 4) return { resource: 'networkpolicies' }
    if (p[3] === 'namespaces' && p[5] === 'networkpolicies') {
      if (p.length === 6) return { resource: 'networkpolicies', namespace: p[4] }
      if (p.length === 7) return { resource: 'networkpolicies', namespace: p[4], name: p[6] }
    }
  }
  return undefined
}

function status(code: number, reason: string, message: string): unknown {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }
}

function goneStatus(requested: number, floor: number): unknown {
  return status(410, 'Expired', `too old resource version: ${requested} (${floor})`)
}
