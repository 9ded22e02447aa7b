/**
 * @module A throwaway node network namespace with routed pod namespaces, for data plane tests and the benchmark.
 *
 * Everything lives in namespaces this module creates (`netpol-dp-<id>-node`, `netpol-dp-<id>-<pod>`):
 * veth pairs are created inside them (never in the host namespace), forwarding is enabled only in
 * the node namespace, and `destroy()` deletes every namespace (the veths go with them); names carry
 * the creating process id, so namespaces left by a killed run are removed by the next one. Pods are
 * routed, not bridged, so the node's `forward` hook sees pod-to-pod traffic. Needs root and iproute2.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface TopologyPod {
  readonly name: string
  readonly netns: string
  readonly ip: string
  readonly ip6: string
}

export interface Topology {
  readonly id: string
  readonly nodeNetns: string
  readonly pods: readonly TopologyPod[]
  /** Runs a command inside a namespace and returns stdout. */
  exec(netns: string, argv: readonly string[]): Promise<string>
  /** Starts a long-running Node.js program (ESM source text) inside a namespace. */
  spawnNode(netns: string, source: string, args?: readonly string[]): ChildProcess
  destroy(): Promise<void>
}

async function ip(args: readonly string[]): Promise<void> {
  await run('ip', [...args])
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Deletes `netpol-dp-<pid>-...` namespaces whose creating process no longer runs (a killed test or benchmark). */
export async function removeStaleTopologies(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list'])
  const removed: string[] = []
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0]
    const m = /^netpol-dp-(\d+)-[0-9a-f]+-/.exec(name ?? '')
    if (!m || processAlive(Number(m[1]))) continue
    await run('ip', ['netns', 'del', name]).catch(() => undefined)
    removed.push(name)
  }
  return removed
}

/** Creates a node namespace and one routed pod namespace per name (pod i gets 10.250.<i>.2 and fd00:250:<i>::2). */
export async function createTopology(podNames: readonly string[], id = `${process.pid}-${randomBytes(4).toString('hex')}`): Promise<Topology> {
  await removeStaleTopologies()
  const nodeNetns = `netpol-dp-${id}-node`
  const created: string[] = []
  const children = new Set<ChildProcess>()
  const destroy = async (): Promise<void> => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    for (const ns of [...created].reverse()) await run('ip', ['netns', 'del', ns]).catch(() => undefined)
  }
  try {
    await ip(['netns', 'add', nodeNetns])
    created.push(nodeNetns)
    await ip(['-n', nodeNetns, 'link', 'set', 'lo', 'up'])
    await run('ip', ['netns', 'exec', nodeNetns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'])
    const pods: TopologyPod[] = []
    for (const [i, name] of podNames.entries()) {
      const netns = `netpol-dp-${id}-${name}`
      await ip(['netns', 'add', netns])
      created.push(netns)
      const hostSide = `vp${i}`
      await ip(['-n', nodeNetns, 'link', 'add', hostSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns])
      await ip(['-n', nodeNetns, 'addr', 'add', `10.250.${i}.1/24`, 'dev', hostSide])
      await ip(['-n', nodeNetns, 'link', 'set', hostSide, 'up'])
      await ip(['-n', netns, 'link', 'set', 'lo', 'up'])
      await ip(['-n', netns, 'addr', 'add', `10.250.${i}.2/24`, 'dev', 'eth0'])
      await ip(['-n', netns, 'link', 'set', 'eth0', 'up'])
      await ip(['-n', netns, 'route', 'add', 'default', 'via', `10.250.${i}.1`])
      // IPv6 without duplicate address detection, so the addresses are usable at once.
      await ip(['-n', nodeNetns, '-6', 'addr', 'add', `fd00:250:${i}::1/64`, 'dev', hostSide, 'nodad'])
      await ip(['-n', netns, '-6', 'addr', 'add', `fd00:250:${i}::2/64`, 'dev', 'eth0', 'nodad'])
      await ip(['-n', netns, '-6', 'route', 'add', 'default', 'via', `fd00:250:${i}::1`])
      pods.push({ name, netns, ip: `10.250.${i}.2`, ip6: `fd00:250:${i}::2` })
    }
    return {
      id,
      nodeNetns,
      pods,
      exec: async (netns, argv) => (await run('ip', ['netns', 'exec', netns, ...argv], { maxBuffer: 256 * 1024 * 1024 })).stdout,
      spawnNode: (netns, source, args = []) => {
        const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '--input-type=module', '-e', source, '--', ...args], {
          stdio: ['pipe', 'pipe', 'pipe'],
        })
        children.add(child)
        child.on('exit', () => children.delete(child))
        return child
      },
      destroy,
    }
  } catch (e) {
    await destroy()
    throw e
  }
}

/** One client and one server namespace joined by `paths` separate node namespaces. */
export interface ParallelPaths {
  readonly id: string
  readonly clientNetns: string
  readonly serverNetns: string
  /** Path k: its node namespace and the client/server addresses that route through it. */
  readonly paths: readonly { readonly nodeNetns: string; readonly clientIp: string; readonly serverIp: string }[]
  destroy(): Promise<void>
}

/**
 * A client and a server namespace connected through `count` node namespaces: path k is
 * client 10.240.k.2 -> node k -> server 10.241.k.2, so one client process can drive traffic through
 * every node (each holding its own ruleset) at the same time. Same naming and cleanup rules as
 * createTopology.
 */
export async function createParallelPaths(count: number, id = `${process.pid}-${randomBytes(4).toString('hex')}`): Promise<ParallelPaths> {
  if (count < 1 || count > 250) throw new Error('between 1 and 250 paths')
  await removeStaleTopologies()
  const clientNetns = `netpol-dp-${id}-client`
  const serverNetns = `netpol-dp-${id}-server`
  const created: string[] = []
  const destroy = async (): Promise<void> => {
    for (const ns of [...created].reverse()) await run('ip', ['netns', 'del', ns]).catch(() => undefined)
  }
  try {
    for (const ns of [clientNetns, serverNetns]) {
      await ip(['netns', 'add', ns])
      created.push(ns)
      await ip(['-n', ns, 'link', 'set', 'lo', 'up'])
    }
    const paths: { nodeNetns: string; clientIp: string; serverIp: string }[] = []
    for (let k = 0; k < count; k++) {
      const nodeNetns = `netpol-dp-${id}-node${k}`
      await ip(['netns', 'add', nodeNetns])
      created.push(nodeNetns)
      await ip(['-n', nodeNetns, 'link', 'set', 'lo', 'up'])
      await run('ip', ['netns', 'exec', nodeNetns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'])
      for (const [side, ns, net] of [
        ['c', clientNetns, 240],
        ['s', serverNetns, 241],
      ] as const) {
        await ip(['-n', nodeNetns, 'link', 'add', side, 'type', 'veth', 'peer', 'name', `eth${k}`, 'netns', ns])
        await ip(['-n', nodeNetns, 'addr', 'add', `10.${net}.${k}.1/24`, 'dev', side])
        await ip(['-n', nodeNetns, 'link', 'set', side, 'up'])
        await ip(['-n', ns, 'addr', 'add', `10.${net}.${k}.2/24`, 'dev', `eth${k}`])
        await ip(['-n', ns, 'link', 'set', `eth${k}`, 'up'])
      }
      await ip(['-n', clientNetns, 'route', 'add', `10.241.${k}.0/24`, 'via', `10.240.${k}.1`])
      await ip(['-n', serverNetns, 'route', 'add', `10.240.${k}.0/24`, 'via', `10.241.${k}.1`])
      paths.push({ nodeNetns, clientIp: `10.240.${k}.2`, serverIp: `10.241.${k}.2` })
    }
    return { id, clientNetns, serverNetns, paths, destroy }
  } catch (e) {
    await destroy()
    throw e
  }
}

/** Resolves with the first line a child prints (e.g. `ready`), rejects if it exits first. */
export function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = ''
    let err = ''
    child.stderr?.on('data', (b: Buffer) => (err += b.toString()))
    const onData = (b: Buffer): void => {
      buf += b.toString()
      const nl = buf.indexOf('\n')
      if (nl >= 0) {
        child.stdout?.off('data', onData)
        resolve(buf.slice(0, nl))
      }
    }
    child.stdout?.on('data', onData)
    child.on('exit', (code) => reject(new Error(`process exited (${code}) before printing: ${err.trim()}`)))
  })
}

/** Collects everything a child prints until it exits. */
export function collectOutput(child: ChildProcess): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()))
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()))
    child.on('exit', (code) => resolve({ stdout, stderr, code }))
  })
}

/** A TCP server answering each connection with one byte then closing; UDP echo on the same ports. */
export const SERVER_SOURCE = `
import net from 'node:net'
import dgram from 'node:dgram'
const ports = process.argv.slice(1).map(Number)
let ready = 0
const udpCounts = {}
for (const port of ports) {
  const s = net.createServer((c) => { c.on('error', () => {}); c.end('x') })
  s.listen(port, '::', () => { if (++ready === ports.length * 2) console.log('ready') })
  const u = dgram.createSocket('udp4')
  udpCounts[port] = 0
  u.on('message', (m, r) => { udpCounts[port]++; u.send(m, r.port, r.address) })
  u.bind(port, '0.0.0.0', () => { if (++ready === ports.length * 2) console.log('ready') })
}
process.on('SIGTERM', () => { console.log(JSON.stringify(udpCounts)); process.exit(0) })
`
