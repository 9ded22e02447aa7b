/**
 * @module Real connection attempts from inside a pod's network namespace.
 *
 * A denied connection is dropped by the data plane, so it shows up as a timeout. A refused one
 * (TCP RST, or ICMP port unreachable for UDP) reached the destination pod: the network allowed it,
 * there was just nobody listening on that port.
 */
import { connect, type Socket } from 'node:net'
import { createSocket, type Socket as UdpSocket } from 'node:dgram'

export interface ProbeTarget {
  readonly ip: string
  readonly port: number
  readonly protocol: 'TCP' | 'UDP'
  /**
   * Ask which pod answered (for a Service address, which backend): an HTTP request over TCP, a
   * `netpol-whoami` datagram over UDP; lab pod servers answer with `<ns>/<pod> port N/PROTO`.
   */
  readonly identify?: boolean
}

/** connected: a TCP handshake completed or a UDP echo came back. */
export type ProbeOutcome = 'connected' | 'refused' | 'timeout' | 'error'

export interface ProbeResult extends ProbeTarget {
  readonly outcome: ProbeOutcome
  /** The error code for `error` (e.g. EHOSTUNREACH). */
  readonly detail?: string
  /** The source port the probe used (0: none was bound), so `lab logs` can tell the probe's denied packets from other traffic. */
  readonly sourcePort?: number
  /** With `identify`: the pod that answered and its port (`ns/name port N/TCP`), when it said. */
  readonly answeredBy?: string
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

/** The pod server's identification in an answer (`ns/name port N/TCP`), if there is one. */
export const IDENTITY = /(?:^|\n)([a-z0-9][-a-z0-9]*\/[a-z0-9][-a-z0-9.]* port \d{1,5}\/(?:TCP|UDP))\n?$/
export const WHOAMI = 'netpol-whoami'

/*
 * TCP probes bind their source port themselves, from the same walk as UDP's (below): Node tells a
 * socket's port only once it is connected, and a probe the data plane drops never is, while
 * `lab logs` must tell a denied probe from the pod's other traffic by its source port.
 * A port taken by another socket (a listener, or the same destination's TIME_WAIT) is skipped.
 */
function probeTcp(t: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const start = performance.now()
  return new Promise((resolve) => {
    let socket: Socket
    let sourcePort = 0
    let done = false
    let connected = false
    let answer = ''
    const finish = (outcome: ProbeOutcome, detail?: string): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      const who = t.identify ? IDENTITY.exec(answer)?.[1] : undefined
      resolve({ ...t, outcome, ...(detail ? { detail } : {}), sourcePort, ...(who ? { answeredBy: who } : {}), ms: Math.round(performance.now() - start) })
    }
    // Once connected, an identifying probe waits (within the same timeout) for the answer; none is still `connected`.
    const timer = setTimeout(() => setImmediate(() => finish(connected ? 'connected' : 'timeout')), timeoutMs)
    const attempt = (triesLeft: number): void => {
      sourcePort = nextSourcePort()
      const s = connect({ host: t.ip, port: t.port, localPort: sourcePort })
      socket = s
      s.once('connect', () => {
        connected = true
        if (!t.identify) return finish('connected')
        s.write('GET / HTTP/1.0\r\n\r\n')
        s.on('data', (b: Buffer) => (answer += b.toString('latin1').slice(0, 4096)))
        s.once('end', () => finish('connected'))
        s.once('close', () => finish('connected'))
      })
      s.once('error', (err: NodeJS.ErrnoException) => {
        if ((err.code === 'EADDRINUSE' || err.code === 'EADDRNOTAVAIL') && triesLeft > 0 && !done) {
          s.destroy()
          attempt(triesLeft - 1)
        } else finish(connected ? 'connected' : err.code === 'ECONNREFUSED' ? 'refused' : 'error', err.code ?? err.message)
      })
    }
    attempt(64)
  })
}

/*
 * UDP has no connection to close: a probe that reused the source port of an earlier, allowed probe
 * within conntrack's UDP timeout would be the same flow to the kernel, and a policy that now denies
 * it would see it as established. So probes walk through the source ports in order instead of
 * letting the kernel pick one at random; a port comes round again only after 28,000 probes. A new
 * prober process starts where the clock says (the walk's start moves 100 ports a second, round in
 * 280 s, longer than conntrack's 120 s UDP timeout), so a restarted pod does not reuse the ports
 * its previous process just used.
 */
const UDP_SOURCE_FIRST = 33000
const UDP_SOURCE_COUNT = 28000
let sourceNext = Math.floor(Date.now() / 10) % UDP_SOURCE_COUNT

/** The next source port of the walk (TCP and UDP probes share it). */
function nextSourcePort(): number {
  const port = UDP_SOURCE_FIRST + sourceNext
  sourceNext = (sourceNext + 1) % UDP_SOURCE_COUNT
  return port
}

function bindUdpSource(): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const attempt = (triesLeft: number): void => {
      const port = nextSourcePort()
      const socket = createSocket('udp4')
      socket.once('error', (err: NodeJS.ErrnoException) => {
        socket.close()
        if (err.code === 'EADDRINUSE' && triesLeft > 0) attempt(triesLeft - 1)
        else reject(err)
      })
      socket.bind({ port, exclusive: true }, () => {
        socket.removeAllListeners('error')
        resolve(socket)
      })
    }
    attempt(64)
  })
}

async function probeUdp(t: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const start = performance.now()
  let socket: UdpSocket
  try {
    socket = await bindUdpSource()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    return { ...t, outcome: 'error', detail: code, ms: Math.round(performance.now() - start) }
  }
  return new Promise((resolve) => {
    let done = false
    let resend: NodeJS.Timeout | undefined
    let answeredBy: string | undefined
    const finish = (outcome: ProbeOutcome, detail?: string): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      clearInterval(resend)
      const sourcePort = socket.address().port
      socket.close()
      resolve({ ...t, outcome, ...(detail ? { detail } : {}), sourcePort, ...(answeredBy ? { answeredBy } : {}), ms: Math.round(performance.now() - start) })
    }
    const timer = setTimeout(() => setImmediate(() => finish('timeout')), timeoutMs)
    const payload = Buffer.from(t.identify ? WHOAMI : `netpol-probe ${t.ip}:${t.port}`)
    socket.on('message', (msg: Buffer) => {
      const who = t.identify ? IDENTITY.exec(msg.toString('latin1').slice(0, 512))?.[1] : undefined
      if (who !== undefined) answeredBy = who
      finish('connected')
    })
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
