/**
 * @module The agent's operations endpoints on node:http: `/healthz` (liveness: fails only when
 * the sync loop is stuck), `/readyz` (a live watch on every resource and the current state
 * applied), `/metrics` (Prometheus text format).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import type { AgentStatus } from './agent.js'

export interface OpsServerOptions {
  /** `:9101`, `127.0.0.1:9101`, `[::1]:9101` or a bare port. Port 0 picks a free one. */
  readonly listen: string
  readonly status: () => AgentStatus
  readonly registry: Registry
  /** Runs before each scrape (reads nft counters into the metrics). */
  readonly beforeScrape?: () => Promise<void>
}

export interface OpsServer {
  readonly server: Server
  /** `http://host:port` actually bound. */
  readonly url: string
  close(): Promise<void>
}

export function parseListen(listen: string): { host?: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*))?:?(\d+)$/.exec(listen.trim())
  if (!m) throw new Error(`--listen ${JSON.stringify(listen)}: expected [HOST]:PORT, e.g. :9101 or 127.0.0.1:9101`)
  const port = Number(m[3])
  if (port > 65535) throw new Error(`--listen ${JSON.stringify(listen)}: port must be 0-65535`)
  const host = m[1] ?? (m[2] || undefined)
  return { ...(host ? { host } : {}), port }
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { host, port } = parseListen(options.listen)
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const json = (code: number, body: unknown): void => {
      res.writeHead(code, { 'Content-Type': 'application/json' })
      res.end(`${JSON.stringify(body)}\n`)
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'method not allowed' })
    if (path === '/healthz' || path === '/livez') {
      const s = options.status()
      return s.live ? json(200, { status: 'ok' }) : json(503, { status: 'stuck', ...s })
    }
    if (path === '/readyz') {
      const s = options.status()
      return json(s.ready ? 200 : 503, { status: s.ready ? 'ready' : 'not ready', ...s })
    }
    if (path === '/metrics') {
      void (async () => {
        try {
          await options.beforeScrape?.()
          const text = await options.registry.metrics()
          res.writeHead(200, { 'Content-Type': options.registry.contentType })
          res.end(text)
        } catch (err) {
          json(500, { error: err instanceof Error ? err.message : String(err) })
        }
      })()
      return
    }
    json(404, { error: `not found: ${path}`, endpoints: ['/healthz', '/readyz', '/metrics'] })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const addr = server.address() as AddressInfo
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  return {
    server,
    url: `http://${shown}:${addr.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
