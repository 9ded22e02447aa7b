/**
 * @module Plain JSON reads from the Kubernetes API server with a kubeconfig's credentials.
 *
 * The generated client deserialises into classes (Dates, renamed fields); netpol's loader wants the
 * objects exactly as the API serves them, and the agent's informer wants the list's
 * resourceVersion, so reads go through node:http(s) with the agent, CA and headers that
 * `KubeConfig.applyToHTTPSOptions` prepares (tokens, client certificates, exec plugins).
 */
import { request as httpRequest } from 'node:http'
import { request as httpsRequest, type RequestOptions } from 'node:https'
import type { KubeConfig } from '@kubernetes/client-node'

/** A failed API call; `statusCode` mirrors the field the informer checks for 410 Gone. */
export class ApiRequestError extends Error {
  readonly statusCode: number | undefined
  readonly reason: string | undefined
  constructor(message: string, statusCode?: number, reason?: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ApiRequestError'
    this.statusCode = statusCode
    this.reason = reason
  }
}

/** A raw API object: whatever JSON the server sent. */
export type RawObject = Record<string, unknown> & { metadata?: RawMetadata }
export interface RawMetadata {
  name?: string
  namespace?: string
  resourceVersion?: string
  uid?: string
  labels?: Record<string, string>
  [key: string]: unknown
}

export interface RawList {
  readonly metadata: { readonly resourceVersion: string }
  readonly items: RawObject[]
}

const DEFAULT_TIMEOUT_MS = 60_000
/** A LIST page larger than this is refused (Node cannot hold a string much over 512 MiB). */
export const MAX_RESPONSE_BYTES = 256 * 1024 * 1024
/** `reason` of the ApiRequestError for an answer over the size limit. */
export const TOO_LARGE = 'netpol:TooLarge'
/** `reason` of the ApiRequestError for a 2xx answer that is not JSON. */
export const NOT_JSON = 'netpol:NotJson'
/** How much of an error answer's text is quoted in messages. */
const MAX_DETAIL_CHARS = 300

/** A prepared request to the API server: URL, transport and headers with the kubeconfig's credentials. */
export interface ApiRequest {
  readonly url: URL
  readonly send: typeof httpRequest
  readonly agent: RequestOptions['agent']
  readonly headers: Readonly<Record<string, string>>
}

/** Builds the URL of `path` on the current cluster and the credentials for it (tokens, client certificates, exec plugins). */
export async function prepareApiRequest(kc: KubeConfig, path: string, query: Readonly<Record<string, string>> = {}): Promise<ApiRequest> {
  const cluster = kc.getCurrentCluster()
  if (!cluster) throw new ApiRequestError('no current cluster in the kubeconfig (set a current-context or pass --context)')
  let url: URL
  try {
    url = new URL(cluster.server.replace(/\/+$/, '') + path)
  } catch {
    throw new ApiRequestError(`the kubeconfig's server ${JSON.stringify(cluster.server)} is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ApiRequestError(`the kubeconfig's server ${JSON.stringify(cluster.server)} is not an http(s) URL`)
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v)
  const opts: RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } }
  try {
    await kc.applyToHTTPSOptions(opts)
  } catch (err) {
    // The client refuses plain http unless insecure-skip-tls-verify is set; kubectl does not
    // (e.g. `kubectl proxy` on http://127.0.0.1:8001). Credentials are already in opts.headers.
    if (url.protocol !== 'http:')
      throw new ApiRequestError(`cannot use the kubeconfig's credentials: ${(err as Error).message}`, undefined, undefined, { cause: err })
    opts.agent = undefined
  }
  const headers: Record<string, string> = { Accept: 'application/json' }
  for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v)
  if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`
  return { url, send: url.protocol === 'https:' ? httpsRequest : httpRequest, agent: opts.agent, headers }
}

/** The message of a non-2xx answer: the Status's message when the body is one, else the start of the text. */
export function apiErrorFor(url: URL, status: number, statusMessage: string | undefined, text: string): ApiRequestError {
  let st: { message?: unknown; reason?: unknown } | undefined
  try {
    const body: unknown = text ? JSON.parse(text) : undefined
    if (typeof body === 'object' && body !== null) st = body as typeof st
  } catch {
    st = undefined
  }
  const reason = typeof st?.reason === 'string' ? st.reason.slice(0, 100) : undefined
  const message = typeof st?.message === 'string' ? st.message : undefined
  const detail = (message ?? (text || statusMessage || 'no details')).slice(0, MAX_DETAIL_CHARS)
  return new ApiRequestError(`GET ${url.pathname}: ${status} ${reason ?? statusMessage ?? ''}: ${detail}`.replace(/ +:/, ':'), status, reason)
}

/** GET `path` (with query) and parse the JSON body; non-2xx answers throw ApiRequestError. */
export async function apiGetJson(
  kc: KubeConfig,
  path: string,
  query: Readonly<Record<string, string>> = {},
  timeoutMs = DEFAULT_TIMEOUT_MS,
  maxBytes = MAX_RESPONSE_BYTES,
): Promise<unknown> {
  const { url, send, agent, headers } = await prepareApiRequest(kc, path, query)
  return await new Promise<unknown>((resolve, reject) => {
    const req = send(url, { method: 'GET', agent, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = []
      let bytes = 0
      res.on('data', (c: Buffer) => {
        bytes += c.length
        if (bytes > maxBytes) {
          reject(new ApiRequestError(`GET ${url.pathname}: the answer is larger than ${maxBytes} bytes`, res.statusCode, TOO_LARGE))
          req.destroy()
          return
        }
        chunks.push(c)
      })
      res.on('error', (e) => reject(new ApiRequestError(`GET ${url.pathname}: ${e.message}`, undefined, undefined, { cause: e })))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        const status = res.statusCode ?? 0
        if (status < 200 || status >= 300) {
          reject(apiErrorFor(url, status, res.statusMessage, text))
          return
        }
        let body: unknown
        try {
          body = text ? JSON.parse(text) : undefined
        } catch {
          body = undefined
        }
        if (body === undefined) {
          reject(new ApiRequestError(`GET ${url.pathname}: the server answered ${status} with a body that is not JSON`, status, NOT_JSON))
          return
        }
        resolve(body)
      })
    })
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', (e) => reject(new ApiRequestError(`GET ${url.origin}${url.pathname}: ${e.message}`, undefined, undefined, { cause: e })))
    req.end()
  })
}

/** True when `value` nests deeper than `max` levels of maps and lists (iterative: deep input must not exhaust the stack here either). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (typeof v !== 'object' || v === null) continue
    if (depth > max) return true
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1])
  }
  return false
}

/**
 * LIST a collection completely, following `continue` tokens page by page. The list's
 * resourceVersion is the first page's: the snapshot every later page continues.
 */
export async function apiListAll(kc: KubeConfig, path: string, pageSize = 500): Promise<RawList> {
  const items: RawObject[] = []
  let resourceVersion = ''
  let cont: string | undefined
  let pages = 0
  do {
    const query: Record<string, string> = { limit: String(pageSize) }
    if (cont) query.continue = cont
    const page: unknown = await apiGetJson(kc, path, query)
    const p = typeof page === 'object' && page !== null ? (page as { metadata?: unknown; items?: unknown }) : undefined
    if (!p || !Array.isArray(p.items)) throw new ApiRequestError(`GET ${path}: the answer is not a list`)
    const meta = typeof p.metadata === 'object' && p.metadata !== null ? (p.metadata as { resourceVersion?: unknown; continue?: unknown }) : {}
    if (meta.resourceVersion !== undefined && typeof meta.resourceVersion !== 'string')
      throw new ApiRequestError(`GET ${path}: the list's metadata.resourceVersion is not a string`)
    if (meta.continue !== undefined && typeof meta.continue !== 'string') throw new ApiRequestError(`GET ${path}: the list's metadata.continue is not a string`)
    if (!cont) resourceVersion = meta.resourceVersion ?? ''
    // One push per item: spreading a long array into push() overflows the stack.
    for (const item of p.items as RawObject[]) items.push(item)
    cont = meta.continue || undefined
    if (cont !== undefined && (++pages >= MAX_LIST_PAGES || cont.length > 4096))
      throw new ApiRequestError(`GET ${path}: the server keeps answering with more pages (${pages}); giving up`)
  } while (cont)
  return { metadata: { resourceVersion }, items }
}

/** Pages of one LIST before giving up on a server that never ends it. */
const MAX_LIST_PAGES = 100_000
