/**
 * @module Runs every source pod's probes at once, inside the pod's namespace: through the pod
 * server's control socket when it has one, else by starting a prober process in the namespace.
 */
import { createConnection } from 'node:net'
import { labScriptPath } from './lab-scripts.js'
import { runCommand } from './run-command.js'
import type { ProbeResult, ProbeTarget } from './prober.js'
import type { SourceProbes } from './probe-plan.js'
import { forEachLimit } from './lab-build.js'

export interface ProbeRunOptions {
  readonly lab: string
  readonly timeoutMs: number
  /** The control socket of each source pod's server (`ns/name` -> path), where there is one. */
  readonly controlSockets?: ReadonlyMap<string, string>
}

/** Asks a pod server to probe; undefined when nobody listens on the socket (e.g. a stale path). */
function viaControlSocket(path: string, timeoutMs: number, targets: readonly ProbeTarget[]): Promise<ProbeResult[] | undefined> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path)
    let data = ''
    let connected = false
    socket.setTimeout(timeoutMs + 30_000, () => socket.destroy(new Error(`no answer from ${path}`)))
    socket.on('connect', () => {
      connected = true
      socket.write(`${JSON.stringify({ timeoutMs, targets })}\n`)
    })
    socket.on('data', (b: Buffer) => (data += b.toString('utf8')))
    socket.on('end', () => {
      try {
        resolve(JSON.parse(data) as ProbeResult[])
      } catch {
        reject(new Error(`bad answer from the pod server at ${path}: ${data.slice(0, 200)}`))
      }
    })
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected && (err.code === 'ENOENT' || err.code === 'ECONNREFUSED')) resolve(undefined)
      else reject(err)
    })
  })
}

async function viaProberProcess(lab: string, src: SourceProbes, timeoutMs: number, targets: readonly ProbeTarget[]): Promise<ProbeResult[]> {
  const script = labScriptPath('prober-main')
  const input = JSON.stringify({ timeoutMs, targets })
  const r = await runCommand('ip', ['netns', 'exec', src.netns, process.execPath, script, `--lab=${lab}`], { input, timeoutMs: timeoutMs + 30_000 })
  if (r.code !== 0) throw new Error(`prober in ${src.from} (${src.netns}) failed: ${r.stderr.trim() || `exit ${r.code}`}`)
  return JSON.parse(r.stdout) as ProbeResult[]
}

export async function runProbes(plan: readonly SourceProbes[], o: ProbeRunOptions): Promise<Map<string, ProbeResult[]>> {
  const results = new Map<string, ProbeResult[]>()
  // Probes mostly wait on timeouts, so all sources run at once even on two cores.
  await forEachLimit(plan, 64, async (src) => {
    const targets = src.targets.map(({ ip, port, protocol, identify }) => ({ ip, port, protocol, ...(identify ? { identify } : {}) }))
    if (targets.length === 0) {
      results.set(src.from, [])
      return
    }
    const socket = o.controlSockets?.get(src.from)
    const viaSocket = socket !== undefined ? await viaControlSocket(socket, o.timeoutMs, targets) : undefined
    results.set(src.from, viaSocket ?? (await viaProberProcess(o.lab, src, o.timeoutMs, targets)))
  })
  return results
}
