/**
 * @module One WATCH request: the stream of newline-delimited JSON events, as raw lines, over
 * node:http(s) with the kubeconfig's credentials (the same as every LIST, see live-api.ts, so a
 * kubeconfig that can list can watch, plain-http `kubectl proxy` included).
 *
 * A line longer than `maxLineBytes` is never buffered whole: it is dropped as it streams and
 * reported, so a huge or endless line costs bounded memory.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import { ApiRequestError, apiErrorFor, prepareApiRequest } from '../cluster/live-api.js'

export interface WatchStreamHandlers {
  /** The server accepted the watch (HTTP 200): the stream is open. */
  opened(): void
  /** One complete, non-empty line. */
  line(text: string): void
  /** A line longer than the limit was dropped (its size so far). */
  oversized(bytes: number): void
}

export interface WatchStream {
  /** Resolves when the server ends the stream (or after abort); rejects on an HTTP or network error. */
  readonly done: Promise<void>
  /** Ends the stream now; no handler is called afterwards. */
  abort(): void
}

/** An error answer's body is read up to this size for its message. */
const MAX_ERROR_BODY = 64 * 1024

export function openWatchStream(
  kc: KubeConfig,
  path: string,
  query: Readonly<Record<string, string>>,
  handlers: WatchStreamHandlers,
  maxLineBytes: number,
): WatchStream {
  let aborted = false
  let destroy: (() => void) | undefined
  const done = (async (): Promise<void> => {
    const { url, send, agent, headers } = await prepareApiRequest(kc, path, { ...query, watch: 'true' })
    if (aborted) return
    await new Promise<void>((resolve, reject) => {
      const req = send(url, { method: 'GET', agent, headers }, (res) => {
        const status = res.statusCode ?? 0
        if (status !== 200) {
          const chunks: Buffer[] = []
          let bytes = 0
          res.on('data', (c: Buffer) => {
            if (bytes < MAX_ERROR_BODY) chunks.push(c)
            bytes += c.length
          })
          res.on('end', () => reject(apiErrorFor(url, status, res.statusMessage, Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY))))
          res.on('error', (e) => reject(new ApiRequestError(`GET ${url.pathname} (watch): ${e.message}`, status, undefined, { cause: e })))
          return
        }
        if (aborted) return
        handlers.opened()
        let pending: Buffer[] = []
        let pendingBytes = 0
        let skipping = false
        const flush = (part: Buffer): void => {
          if (skipping) {
            skipping = false
            return
          }
          const text = (pending.length > 0 ? Buffer.concat([...pending, part]) : part).toString('utf8').trim()
          pending = []
          pendingBytes = 0
          if (text !== '') handlers.line(text)
        }
        res.on('data', (chunk: Buffer) => {
          let start = 0
          while (!aborted) {
            const nl = chunk.indexOf(0x0a, start)
            if (nl < 0) break
            flush(chunk.subarray(start, nl))
            start = nl + 1
          }
          if (aborted || start >= chunk.length) return
          const rest = chunk.subarray(start)
          if (skipping) return
          pendingBytes += rest.length
          if (pendingBytes > maxLineBytes) {
            handlers.oversized(pendingBytes)
            pending = []
            pendingBytes = 0
            skipping = true
            return
          }
          pending.push(rest)
        })
        // A line cut off by the end of the stream is not an event: dropped.
        res.on('end', () => resolve())
        res.on('close', () => (res.complete || aborted ? resolve() : reject(new ApiRequestError(`GET ${url.pathname} (watch): the connection was cut`))))
        res.on('error', (e) =>
          aborted ? resolve() : reject(new ApiRequestError(`GET ${url.pathname} (watch): ${e.message}`, undefined, undefined, { cause: e })),
        )
      })
      destroy = () => {
        req.destroy()
        resolve()
      }
      req.on('error', (e) =>
        aborted ? resolve() : reject(new ApiRequestError(`GET ${url.origin}${url.pathname} (watch): ${e.message}`, undefined, undefined, { cause: e })),
      )
      req.end()
      if (aborted) destroy()
    })
  })()
  return {
    done,
    abort() {
      aborted = true
      destroy?.()
    },
  }
}
