/**
 * @module The server every lab pod runs: it answers on each declared containerPort.
 *
 * TCP: an HTTP request gets a one-line `200 OK` naming the pod (so `curl` works as in the seeds'
 * walkthrough); anything else is echoed. UDP: every datagram is echoed. SCTP has no Node.js
 * socket, so the lab never serves it (see sctp-support.ts). In the pods behind kube-system/kube-dns,
 * the ports marked `dns` serve the lab's cluster DNS instead (dns-server.ts).
 *
 * The server is also the pod's prober: on its control socket (a Unix socket in the lab's state
 * directory, which the host reaches while the probes' own sockets live in the pod's namespace) it
 * takes one JSON line `{ "timeoutMs": n, "targets": [...] }` and answers with the results. That
 * saves starting a process per pod for every `lab probe`.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { chmodSync, rmSync } from 'node:fs'
import { probeAll, WHOAMI, type ProbeTarget } from './prober.js'
import { recordsFromFile, startDnsServer, type RunningDnsServer } from './dns-server.js'

export interface PodServerSpec {
  /** `ns/name`, used in answers. */
  readonly pod: string
  /** `dns`: this port serves cluster DNS (the pod is a backend of kube-system/kube-dns there). */
  readonly ports: readonly { readonly port: number; readonly protocol: 'TCP' | 'UDP'; readonly dns?: boolean }[]
  /** The lab's DNS records file, for the `dns` ports. */
  readonly dnsRecords?: string
}

export interface RunningPodServer {
  close(): Promise<void>
}

const HTTP_REQUEST = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH) \S+ HTTP\/1\.[01]\r?\n/
const IDLE_MS = 30_000

function handleTcp(socket: Socket, pod: string, port: number): void {
  socket.setTimeout(IDLE_MS, () => socket.destroy())
  socket.on('error', () => socket.destroy())
  let first = true
  socket.on('data', (chunk: Buffer) => {
    if (first && HTTP_REQUEST.test(chunk.toString('latin1'))) {
      const body = `${pod} port ${port}/TCP\n`
      socket.end(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
    } else if (!socket.writableEnded) {
      socket.write(chunk)
    }
    first = false
  })
  socket.on('end', () => socket.end())
}

function listenTcp(spec: PodServerSpec, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((s) => handleTcp(s, spec.pod, port))
    server.once('error', reject)
    server.listen({ port, host: '0.0.0.0', backlog: 1024 }, () => resolve(server))
  })
}

function listenUdp(spec: PodServerSpec, port: number): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4')
    socket.once('error', reject)
    // `netpol-whoami` (a Service probe asking which backend it reached) gets the pod's name; anything else its echo.
    socket.on('message', (msg, rinfo) =>
      socket.send(msg.toString('latin1') === WHOAMI ? Buffer.from(`${spec.pod} port ${port}/UDP\n`) : msg, rinfo.port, rinfo.address),
    )
    socket.bind(port, '0.0.0.0', () => {
      socket.removeListener('error', reject)
      socket.on('error', () => {})
      resolve(socket)
    })
  })
}

function handleControl(socket: Socket): void {
  socket.on('error', () => socket.destroy())
  let buffered = ''
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8')
    const nl = buffered.indexOf('\n')
    if (nl < 0) return
    socket.removeAllListeners('data')
    let request: { timeoutMs: number; targets: ProbeTarget[] }
    try {
      request = JSON.parse(buffered.slice(0, nl)) as typeof request
    } catch {
      socket.end('{"error":"bad request"}\n')
      return
    }
    void probeAll(request.targets, request.timeoutMs).then((results) => socket.end(`${JSON.stringify(results)}\n`))
  })
}

function listenControl(path: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    rmSync(path, { force: true })
    const server = createServer(handleControl)
    server.once('error', reject)
    server.listen(path, () => {
      chmodSync(path, 0o600)
      resolve(server)
    })
  })
}

/** `controlSocket`: where to take probe requests (see the module comment); none when absent. */
export async function startPodServer(spec: PodServerSpec, controlSocket?: string): Promise<RunningPodServer> {
  const tcp: Server[] = []
  const udp: UdpSocket[] = []
  const dns: RunningDnsServer[] = []
  const records = spec.dnsRecords !== undefined ? recordsFromFile(spec.dnsRecords) : undefined
  try {
    if (controlSocket !== undefined) tcp.push(await listenControl(controlSocket))
    for (const p of spec.ports) {
      if (p.dns === true) {
        if (records === undefined) throw new Error(`port ${p.port}/${p.protocol} serves DNS but no records file is given`)
        dns.push(await startDnsServer(p.port, records, [p.protocol]))
      } else if (p.protocol === 'TCP') tcp.push(await listenTcp(spec, p.port))
      else udp.push(await listenUdp(spec, p.port))
    }
  } catch (err) {
    for (const s of tcp) s.close()
    for (const s of udp) s.close()
    for (const s of dns) void s.close()
    throw err
  }
  return {
    close: async () => {
      await Promise.all(tcp.map((s) => new Promise<void>((r) => s.close(() => r()))))
      await Promise.all(udp.map((s) => new Promise<void>((r) => s.close(() => r()))))
      await Promise.all(dns.map((s) => s.close()))
    },
  }
}
