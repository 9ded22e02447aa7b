/**
 * @module `npm run bench:dataplane`: new-connection rate between two real pods with 0 to 5,000 policies selecting other pods.
 *
 * For each policy count (and a reference without any netpol table) it builds its own node network
 * namespace with two routed pod namespaces (client, server) and loads that ruleset once, so all
 * rulesets are in place side by side. Then, round after round, it measures how many short TCP
 * connections per second each client completes (connect, read one byte, close; several in
 * flight) through its node's nftables. By default (`concurrent`) all cases run in the same window,
 * sharing the CPUs fairly, so load from the rest of the machine hits every case at the same
 * instant: a case whose ruleset cost more per connection would complete fewer. `DP_BENCH_MODE=
 * sequential` instead runs one case at a time, the order rotating every round. Long-lived client
 * processes avoid start-up noise; the per-round ratio to the 0-policy case cancels changes in
 * machine load between rounds; medians are reported.
 * Also: compile time, `nft -f` apply (replace) time, ruleset size, and the rules the pure
 * interpreter evaluates per new connection (the deterministic cost). Prints a table, writes
 * bench/results/dataplane.json. Needs root, iproute2, nftables, conntrack. Not a timed test.
 *
 * Options (env): DP_BENCH_MODE (concurrent|sequential), DP_BENCH_WINDOW_MS (per window; default
 * 1500 concurrent, 500 sequential), DP_BENCH_ROUNDS (default 40), DP_BENCH_CONCURRENCY
 * (connections in flight per client, default 8).
 */
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { compileRuleset } from '../src/dataplane/compile-ruleset.js'
import { applyRuleset } from '../src/dataplane/nft.js'
import { parseNftScript, runHook } from '../src/dataplane/nft-interpreter.js'
import { parseIp } from '../src/model/cidr.js'
import { formatBytes, formatCount, formatMs } from './bench-table.js'
import { BENCH_NODE, dataplaneBenchState } from './dataplane-cluster.js'
import { createTopology, firstLine, type Topology } from './dataplane-topology.js'

const SIZES = [0, 100, 1000, 5000]
type Variant = 'unselected' | 'selected'
const VARIANTS: readonly Variant[] = ['unselected', 'selected']
const MODE: 'concurrent' | 'sequential' = process.env.DP_BENCH_MODE === 'sequential' ? 'sequential' : 'concurrent'
const WINDOW_MS = Number(process.env.DP_BENCH_WINDOW_MS ?? (MODE === 'concurrent' ? 1500 : 500))
const ROUNDS = Number(process.env.DP_BENCH_ROUNDS ?? 40)
const CONCURRENCY = Number(process.env.DP_BENCH_CONCURRENCY ?? 8)

const SERVER = `
import net from 'node:net'
const s = net.createServer((c) => { c.on('error', () => {}); c.end('x') })
s.listen(80, '0.0.0.0', () => console.log('ready'))
`

/**
 * Stays up; for each line `<ms>` on stdin opens short connections for that long with a fixed number
 * in flight, then prints `{connections, errors, ms}`.
 */
const CLIENT = `
import net from 'node:net'
import readline from 'node:readline'
const [host, concurrency] = process.argv.slice(1)
function windowOf(durationMs) {
  return new Promise((resolve) => {
    let connections = 0, errors = 0, active = Number(concurrency)
    const start = Date.now(), end = start + durationMs
    function one() {
      if (Date.now() >= end) { if (--active === 0) resolve({ connections, errors, ms: Date.now() - start }); return }
      let settled = false
      const s = net.connect({ host, port: 80 })
      const finish = (ok) => { if (settled) return; settled = true; if (ok) connections++; else errors++; s.destroy(); one() }
      s.setTimeout(2000, () => finish(false))
      s.once('data', () => finish(true))
      s.once('error', () => finish(false))
    }
    for (let i = 0; i < active; i++) one()
  })
}
console.log('ready')
readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  console.log(JSON.stringify(await windowOf(Number(line))))
})
`

interface Case {
  readonly label: string
  readonly size: number
  readonly variant: Variant
  readonly script: string
  readonly compileMs: number
  readonly bytes: number
  readonly counts: { chains: number; sets: number; mapElements: number; rules: number }
  readonly rulesPerConnection: number
  readonly rates: number[]
  readonly applyMs: number[]
  readonly errors: number[]
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  if (s.length === 0) return Number.NaN
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

function prepare(size: number, variant: Variant, clientIp: string, serverIp: string): Case {
  const state = dataplaneBenchState(size, variant === 'selected', clientIp, serverIp)
  const times: number[] = []
  let script = ''
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now()
    script = compileRuleset(state, { nodeName: BENCH_NODE })
    times.push(performance.now() - t0)
  }
  const parsed = parseNftScript(script)
  const table = [...parsed.tables.values()][0]
  const packet = { family: 4 as const, saddr: parseIp(clientIp)!.value, daddr: parseIp(serverIp)!.value, l4proto: 6, sport: 40000, dport: 80, ctState: 'new' as const }
  const walk = runHook(parsed, 'forward', packet)
  if (walk.verdict !== 'accept') throw new Error(`the benchmark ruleset (${size}, ${variant}) would drop client -> server:80`)
  const sets = [...table.sets.values()]
  return {
    label: `${size} ${variant}`,
    size,
    variant,
    script,
    compileMs: median(times),
    bytes: Buffer.byteLength(script),
    counts: {
      chains: table.chains.size,
      sets: sets.filter((s) => !s.isMap).length,
      mapElements: sets.filter((s) => s.isMap).reduce((n, s) => n + s.elements.length, 0),
      rules: [...table.chains.values()].reduce((n, c) => n + c.rules.length, 0),
    },
    rulesPerConnection: walk.rulesEvaluated,
    rates: [],
    applyMs: [],
    errors: [],
  }
}

/** A topology holding one ruleset for the whole run, with its server and long-lived client. */
interface Bed {
  readonly topo: Topology
  window(ms: number): Promise<{ rate: number; errors: number }>
}

async function createBed(): Promise<Bed> {
  const topo = await createTopology(['client', 'server'])
  try {
    const [client, server] = topo.pods
    const serverProc = topo.spawnNode(server.netns, SERVER)
    if ((await firstLine(serverProc)) !== 'ready') throw new Error('server did not start')
    const child = spawn('ip', ['netns', 'exec', client.netns, process.execPath, '--input-type=module', '-e', CLIENT, '--', server.ip, String(CONCURRENCY)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    const lines = readline.createInterface({ input: child.stdout })
    const pending: ((line: string) => void)[] = []
    lines.on('line', (line) => pending.shift()?.(line))
    const next = (): Promise<string> => new Promise((resolve) => pending.push(resolve))
    if ((await next()) !== 'ready') throw new Error('client did not start')
    const destroy = topo.destroy
    return {
      topo: {
        ...topo,
        destroy: async () => {
          child.kill('SIGKILL')
          await destroy()
        },
      },
      async window(ms) {
        const answer = next()
        child.stdin.write(`${ms}\n`)
        const r = JSON.parse(await answer) as { connections: number; errors: number; ms: number }
        return { rate: r.connections / (r.ms / 1000), errors: r.errors }
      },
    }
  } catch (e) {
    await topo.destroy()
    throw e
  }
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the data plane benchmark needs root (network namespaces and nftables)')
  const loadBefore = os.loadavg()[0]
  const beds: Bed[] = []
  const cleanup = async (): Promise<void> => {
    for (const b of beds.splice(0)) await b.topo.destroy()
  }
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)))
  process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)))
  try {
    process.stderr.write('compiling rulesets...\n')
    const clientIp = '10.250.0.2'
    const serverIp = '10.250.1.2'
    const cases: Case[] = []
    for (const variant of VARIANTS) for (const size of SIZES) cases.push(prepare(size, variant, clientIp, serverIp))

    process.stderr.write('building one node namespace per ruleset and applying...\n')
    const noTableBed = await createBed()
    beds.push(noTableBed)
    const bedOf = new Map<Case, Bed>()
    for (const c of cases) {
      const bed = await createBed()
      beds.push(bed)
      bedOf.set(c, bed)
      // Apply (first load), then replace it twice more: the replace time is what a policy change costs.
      await applyRuleset(c.script, { netns: bed.topo.nodeNetns, keepDenyLog: false })
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now()
        await applyRuleset(c.script, { netns: bed.topo.nodeNetns, keepDenyLog: false })
        c.applyMs.push(performance.now() - t0)
      }
    }

    const noTable: number[] = []
    const all: { bed: Bed; record: (rate: number, errors: number) => void }[] = [
      { bed: noTableBed, record: (rate) => noTable.push(rate) },
      ...cases.map((c) => ({
        bed: bedOf.get(c)!,
        record: (rate: number, errors: number) => {
          c.rates.push(rate)
          c.errors.push(errors)
        },
      })),
    ]
    for (const entry of all) await entry.bed.window(WINDOW_MS) // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      process.stderr.write(`round ${round + 1}/${ROUNDS}\r`)
      if (MODE === 'concurrent') {
        // Every case at once: whatever else the machine does hits all of them in the same instant.
        const ms = await Promise.all(all.map((e) => e.bed.window(WINDOW_MS)))
        ms.forEach((m, i) => all[i].record(m.rate, m.errors))
      } else {
        // One case after the other, the order rotating every round.
        for (let i = 0; i < all.length; i++) {
          const entry = all[(i + round) % all.length]
          const m = await entry.bed.window(WINDOW_MS)
          entry.record(m.rate, m.errors)
        }
      }
    }
    process.stderr.write('\n')
    await cleanup()
    const loadAfter = os.loadavg()[0]

    const results = cases.map((c) => {
      const base = cases.find((b) => b.variant === c.variant && b.size === 0)!
      const rate = median(c.rates)
      // Paired per round: this case and the 0-policy case were measured moments apart.
      const ratios = c.rates.map((r, i) => r / base.rates[i])
      return {
        policies: c.size,
        variant: c.variant,
        connectionsPerSecond: Math.round(rate),
        ratesPerRound: c.rates.map(Math.round),
        relativeToZero: median(ratios),
        relativeToZeroPerRound: ratios.map((x) => Number(x.toFixed(3))),
        connectErrors: c.errors.reduce((a, b) => a + b, 0),
        compileMs: c.compileMs,
        applyMs: median(c.applyMs),
        rulesetBytes: c.bytes,
        chains: c.counts.chains,
        sets: c.counts.sets,
        dispatchMapElements: c.counts.mapElements,
        rules: c.counts.rules,
        rulesEvaluatedPerNewConnection: c.rulesPerConnection,
      }
    })
    const within = results.filter((r) => r.policies === 5000).every((r) => Math.abs(1 - r.relativeToZero) <= 0.1)
    const json = {
      benchmark: 'dataplane',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '?', kernel: os.release(), node: process.version, loadAverageBefore: loadBefore, loadAverageAfter: loadAfter },
      method: { mode: MODE, windowMs: WINDOW_MS, rounds: ROUNDS, concurrency: CONCURRENCY, separateNodeNamespacePerRuleset: true },
      noTableConnectionsPerSecond: Math.round(median(noTable)),
      noTableRatesPerRound: noTable.map(Math.round),
      results,
      target: { rule: 'rate at 5,000 policies within 10% of the rate at 0', met: within },
    }
    const here = dirname(fileURLToPath(import.meta.url))
    const outDir = join(here, '..', '..', 'bench', 'results')
    mkdirSync(outDir, { recursive: true })
    writeFileSync(join(outDir, 'dataplane.json'), `${JSON.stringify(json, null, 2)}\n`)

    const header = ['', ...results.map((r) => `${formatCount(r.policies)} ${r.variant === 'selected' ? 'sel.' : 'other'}`)]
    const rowsOut: string[][] = [
      header,
      ['new connections/s (median)', ...results.map((r) => formatCount(r.connectionsPerSecond))],
      ['  relative to 0 (median of rounds)', ...results.map((r) => `${(r.relativeToZero * 100).toFixed(1)}%`)],
      ['  rounds: min / max', ...results.map((r) => `${formatCount(Math.min(...r.ratesPerRound))} / ${formatCount(Math.max(...r.ratesPerRound))}`)],
      ['rules per new connection', ...results.map((r) => String(r.rulesEvaluatedPerNewConnection))],
      ['compile', ...results.map((r) => formatMs(r.compileMs))],
      ['nft -f apply (replace)', ...results.map((r) => formatMs(r.applyMs))],
      ['ruleset size', ...results.map((r) => formatBytes(r.rulesetBytes))],
      ['chains / sets / rules', ...results.map((r) => `${formatCount(r.chains)}/${r.sets}/${formatCount(r.rules)}`)],
    ]
    const widths = header.map((_, i) => Math.max(...rowsOut.map((r) => r[i].length)))
    const lines = [
      `netpol data plane benchmark: ${json.machine.cpus} CPUs, kernel ${json.machine.kernel}, Node ${json.machine.node}; load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`,
      `${MODE}: ${ROUNDS} rounds x ${WINDOW_MS} ms per case, ${CONCURRENCY} connections in flight per client, one node namespace per ruleset; "other": N policies select other pods; "sel.": plus one policy isolating the server`,
      `without any netpol table: ${formatCount(json.noTableConnectionsPerSecond)} connections/s`,
      '',
      ...rowsOut.map((r) => pad(r, widths)),
      '',
      `target: rate at 5,000 policies within 10% of the rate at 0 -> ${within ? 'met' : 'MISSED'}`,
      `written: bench/results/dataplane.json`,
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
  } finally {
    await cleanup()
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`dataplane benchmark failed: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exitCode = 1
})
