/**
 * @module Real connection attempts from inside a pod's network namespace.
 *
 * A denied connection is dropped by the data plane, so it shows up as a timeout. A refused one
 * (TCP RST, or ICMP port unreachable for UDP) reached the destination pod: the network allowed it,
 * there was just nobody listening on that port.
 */
import { connect } from 'node:net'
import { createSocket } from 'node:dgram'

export interface ProbeTarget {
  readonly ip: string
  readonly port: number
  readonly protocol: 'TCP' | 'UDP'
}

/** connected: a TCP handshake completed or a UDP echo came back. */
export type ProbeOutcome = 'connected' | 'refused' | 'timeout' | 'error'

export interface ProbeResult extends ProbeTarget {
  readonly outcome: ProbeOutcome
  /** The error code for `error` (e.g. EHOSTUNREACH). */
  readonly detail?: string
  readonly ms: number
}

/** Whether the network let the connection through. */
/*
 * Timeouts decide in setImmediate: when a busy event loop wakes up late, timers run before the
 * I/O that completed meanwhile; the check phase comes after it, so a connection that did complete
 * is never reported as dropped.
 */

export function outcomeAllowed(outcome: ProbeOutcome): boolean {
  return outcome === 'connected' || outcome === 'refused'
}

function probeTcp(t: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const start = performance.now()
  return new Promise((resolve) => {
    const socket = connect({ host: t.ip, port: t.port })
    let done = false
    const finish = (outcome: ProbeOutcome, detail?: string): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ ...t, outcome, ...(detail ? { detail } : {}), ms: Math.round(performance.now() - start) })
    }
    const timer = setTimeout(() => setImmediate(() => finish('timeout')), timeoutMs)
    socket.once('connect', () => finish('connected'))
    socket.once('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNREFUSED' ? 'refused' : 'error', err.code ?? err.message))
  })
}

function probeUdp(t: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const start = performance.now()
  return new Promise((resolve) => {
    const socket = createSocket('udp4')
    let done = false
    let resend: NodeJS.Timeout | undefined
    const finish = (outcome: ProbeOutcome, detail?: string): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      clearInterval(resend)
      socket.close()
      resolve({ ...t, outcome, ...(detail ? { detail } : {}), ms: Math.round(performance.now() - start) })
    }
    const timer = setTimeout(() => setImmediate(() => finish('timeout')), timeoutMs)
    const payload = Buffer.from(`netpol-probe ${t.ip}:${t.port}`)
    socket.on('message', () => finish('connected'))
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNREFUSED' ? 'refused' : 'error', err.code ?? err.message))
    socket.connect(t.port, t.ip, () => {
      const send = (): void => {
        if (!done) socket.send(payload)
      }
      send()
      // Datagrams can be lost (e.g. while the neighbour is resolved); the echo of any copy counts.
      resend = setInterval(send, Math.max(50, Math.floor(timeoutMs / 4)))
    })
  })
}

export function probe(t: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  return t.protocol === 'TCP' ? probeTcp(t, timeoutMs) : probeUdp(t, timeoutMs)
}

/** All targets concurrently (at most `concurrency` at a time), results in the order of `targets`. */
export async function probeAll(targets: readonly ProbeTarget[], timeoutMs: number, concurrency = 512): Promise<ProbeResult[]> {
  const results: ProbeResult[] = new Array(targets.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const i = next++
      results[i] = await probe(targets[i], timeoutMs)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker))
  return results
}
