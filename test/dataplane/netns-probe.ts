/**
 * Test helpers: a two-pod topology with servers, and real TCP/UDP probes from inside pod namespaces.
 */
import type { ChildProcess } from 'node:child_process'
import { collectOutput, type Topology } from '../../testing/dataplane-topology.js'

const TCP_CLIENT = `
import net from 'node:net'
const [host, port, timeout] = process.argv.slice(1)
const s = net.connect({ host, port: Number(port) })
const t = setTimeout(() => { console.log('timeout'); process.exit(0) }, Number(timeout))
s.on('data', () => { console.log('ok'); process.exit(0) })
s.on('error', (e) => { console.log('error ' + e.code); process.exit(0) })
`

/** Connects from a pod namespace; 'ok' when the server answered, 'timeout' when dropped. */
export async function tcpProbe(topo: Topology, fromNetns: string, host: string, port: number, timeoutMs = 1500): Promise<string> {
  const out = await collectOutput(topo.spawnNode(fromNetns, TCP_CLIENT, [host, String(port), String(timeoutMs)]))
  return out.stdout.trim()
}

/**
 * Sends UDP datagrams from one socket to `host` on each port until SIGTERM, as fast as it
 * reasonably can; prints `ready`, then on SIGTERM the number sent per port. While the first datagram of a port is dropped,
 * every later one is a NEW connection again, so each one is judged by the ruleset of that instant.
 */
export const UDP_FLOOD = `
import dgram from 'node:dgram'
const [host, ...ports] = process.argv.slice(1)
const s = dgram.createSocket('udp4')
const sent = {}
for (const p of ports) sent[p] = 0
function burst() {
  for (let i = 0; i < 5; i++) for (const p of ports) { s.send('probe', Number(p), host); sent[p]++ }
  setTimeout(burst, 1)
}
s.bind(0, () => { console.log('ready'); burst() })
process.on('SIGTERM', () => { console.log(JSON.stringify(sent)); process.exit(0) })
`

/** A TCP echo server on the given port; prints `ready`. */
export const ECHO_SERVER = `
import net from 'node:net'
const [port] = process.argv.slice(1)
net.createServer((c) => { c.on('error', () => {}); c.pipe(c) }).listen(Number(port), '0.0.0.0', () => console.log('ready'))
`

/** Keeps one TCP connection open: prints `connected`, sends each stdin line, prints `echo <line>` for each answer. */
export const ECHO_CLIENT = `
import net from 'node:net'
import readline from 'node:readline'
const [host, port] = process.argv.slice(1)
const s = net.connect({ host, port: Number(port) }, () => console.log('connected'))
s.on('error', (e) => { console.log('error ' + e.code); process.exit(0) })
readline.createInterface({ input: s }).on('line', (l) => console.log('echo ' + l))
readline.createInterface({ input: process.stdin }).on('line', (l) => s.write(l + '\\n'))
`

/** Returns a function giving the child's next stdout line (rejects after 5 s). */
export function lineReader(child: ChildProcess): () => Promise<string> {
  const queue: string[] = []
  const waiting: ((l: string) => void)[] = []
  let buf = ''
  child.stdout?.on('data', (b: Buffer) => {
    buf += b.toString()
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      const w = waiting.shift()
      if (w) w(line)
      else queue.push(line)
    }
  })
  return () =>
    new Promise((resolve, reject) => {
      const q = queue.shift()
      if (q !== undefined) return resolve(q)
      const timer = setTimeout(() => reject(new Error('no line within 5 s')), 5000)
      waiting.push((l) => {
        clearTimeout(timer)
        resolve(l)
      })
    })
}
