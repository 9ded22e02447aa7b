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

/** GET `path` (with query) and parse the JSON body; non-2xx answers throw ApiRequestError. */
export async function apiGetJson(kc: KubeConfig, path: string, query: Readonly<Record<string, string>> = {}, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<unknown> {
  const cluster = kc.getCurrentCluster()
  if (!cluster) throw new ApiRequestError('no current cluster in the kubeconfig (set a current-context or pass --context)')
  const url = new URL(cluster.server.replace(/\/+$/, '') + path)
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v)
  const opts: RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } }
  try {
    await kc.applyToHTTPSOptions(opts)
  } catch (err) {
    // The client refuses plain http unless insecure-skip-tls-verify is set; kubectl does not
    // (e.g. `kubectl proxy` on http://127.0.0.1:8001). Credentials are already in opts.headers.
    if (url.protocol !== 'http:') throw new ApiRequestError(`cannot use the kubeconfig's credentials: ${(err as Error).message}`, undefined, undefined, { cause: err })
    opts.agent = undefined
  }
  const headers: Record<string, string> = { Accept: 'application/json' }
  for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v)
  if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return await new Promise<unknown>((resolve, reject) => {
    const req = send(url, { method: 'GET', agent: opts.agent, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', (e) => reject(new ApiRequestError(`GET ${url.pathname}: ${e.message}`, undefined, undefined, { cause: e })))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        const status = res.statusCode ?? 0
        let body: unknown
        try {
          body = text ? JSON.parse(text) : undefined
        } catch {
          body = undefined
        }
        if (status < 200 || status >= 300) {
          const st = body as { message?: string; reason?: string } | undefined
          const detail = st?.message ?? (text.slice(0, 200) || res.statusMessage || 'no details')
          reject(new ApiRequestError(`GET ${url.pathname}: ${status} ${st?.reason ?? res.statusMessage ?? ''}: ${detail}`.replace(/ +:/, ':'), status, st?.reason))
          return
        }
        if (body === undefined) {
          reject(new ApiRequestError(`GET ${url.pathname}: the server answered ${status} with a body that is not JSON`, status))
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

/**
 * LIST a collection completely, following `continue` tokens page by page. The list's
 * resourceVersion is the first page's: the snapshot every later page continues.
 */
export async function apiListAll(kc: KubeConfig, path: string, pageSize = 500): Promise<RawList> {
  const items: RawObject[] = []
  let resourceVersion = ''
  let cont: string | undefined
  do {
    const query: Record<string, string> = { limit: String(pageSize) }
    if (cont) query.continue = cont
    const page = (await apiGetJson(kc, path, query)) as { metadata?: { resourceVersion?: string; continue?: string }; items?: RawObject[] }
    if (!page || !Array.isArray(page.items)) throw new ApiRequestError(`GET ${path}: the answer is not a list`)
    if (!cont) resourceVersion = page.metadata?.resourceVersion ?? ''
    items.push(...page.items)
    cont = page.metadata?.continue || undefined
  } while (cont)
  return { metadata: { resourceVersion }, items }
}
