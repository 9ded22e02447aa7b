/**
 * @module The cluster DNS server the lab runs inside its kube-dns pods (started by their pod
 * server, so it lives in the pod's network namespace and is subject to NetworkPolicy like any pod's
 * server): UDP and TCP on a port, answers from cluster-dns.ts. The records come from a file in
 * the lab's directory that `lab up`/`lab apply` rewrite atomically; the server reads it again when
 * it changed, so a new Service resolves without a restart.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { readFileSync, statSync } from 'node:fs'
import { answerDnsQuery, validateDnsRecords, type ClusterDnsRecords } from './cluster-dns.js'

const TCP_IDLE_MS = 10_000
/** A records file bigger than this is not one the lab wrote. */
const MAX_RECORDS_BYTES = 16 * 1024 * 1024

export interface RunningDnsServer {
  close(): Promise<void>
}

/**
 * The records of `path`, read again whenever its modification time or size changed. A file that
 * cannot be read or is invalid leaves the last good records in force (none at first: every name
 * is then NXDOMAIN), and says so on stderr (the pod server's log).
 */
export function recordsFromFile(path: string): () => ClusterDnsRecords {
  let current: ClusterDnsRecords = { a: {}, cname: {} }
  let seen = ''
  return () => {
    try {
      const st = statSync(path)
      const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`
      if (stamp === seen) return current
      seen = stamp
      if (!st.isFile() || st.size > MAX_RECORDS_BYTES) throw new Error('not a regular file of a sensible size')
      current = validateDnsRecords(JSON.parse(readFileSync(path, 'utf8')))
    } catch (err) {
      process.stderr.write(`dns: cannot use ${path}: ${err instanceof Error ? err.message : String(err)}\n`)
    }
    return current
  }
}

function listenUdp(port: number, records: () => ClusterDnsRecords): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4')
    socket.once('error', reject)
    socket.on('message', (msg, rinfo) => {
      const answer = answerDnsQuery(msg, records(), true)
      if (answer !== undefined) socket.send(answer, rinfo.port, rinfo.address)
    })
    socket.bind(port, '0.0.0.0', () => {
      socket.removeListener('error', reject)
      socket.on('error', () => {})
      resolve(socket)
    })
  })
}

/** DNS over TCP: each message prefixed with its 2-byte length; several per connection. */
function handleTcp(socket: Socket, records: () => ClusterDnsRecords): void {
  socket.setTimeout(TCP_IDLE_MS, () => socket.destroy())
  socket.on('error', () => socket.destroy())
  let buffered = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk])
    while (buffered.length >= 2) {
      const length = buffered.readUInt16BE(0)
      if (buffered.length < 2 + length) return
      const message = buffered.subarray(2, 2 + length)
      buffered = buffered.subarray(2 + length)
      const answer = answerDnsQuery(message, records(), false)
      if (answer === undefined) {
        socket.destroy()
        return
      }
      const prefix = Buffer.alloc(2)
      prefix.writeUInt16BE(answer.length)
      socket.write(Buffer.concat([prefix, answer]))
    }
  })
  socket.on('end', () => socket.end())
}

function listenTcp(port: number, records: () => ClusterDnsRecords): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((s) => handleTcp(s, records))
    server.once('error', reject)
    server.listen({ port, host: '0.0.0.0', backlog: 1024 }, () => resolve(server))
  })
}

/** Serves DNS on `port` over UDP and/or TCP (both unless `protocols` says otherwise). */
export async function startDnsServer(
  port: number,
  records: () => ClusterDnsRecords,
  protocols: readonly ('TCP' | 'UDP')[] = ['UDP', 'TCP'],
): Promise<RunningDnsServer> {
  const udp = protocols.includes('UDP') ? await listenUdp(port, records) : undefined
  let tcp: Server | undefined
  try {
    tcp = protocols.includes('TCP') ? await listenTcp(port, records) : undefined
  } catch (err) {
    udp?.close()
    throw err
  }
  return {
    close: async () => {
      await new Promise<void>((r) => (tcp ? tcp.close(() => r()) : r()))
      await new Promise<void>((r) => (udp ? udp.close(() => r()) : r()))
    },
  }
}
