/**
 * @module `npm run bench:dataplane`: new-connection rate between two real pods with 0 to 5,000 policies selecting other pods.
 *
 * Builds a node network namespace with two routed pod namespaces (client, server), compiles the
 * node's ruleset for each policy count, and measures, side by side in one run, how many short TCP
 * connections per second the client completes (connect, read one byte, close; several in
 * parallel) through the node's nftables. Repetitions are interleaved (every size once per round,
 * in a rotating order) so machine noise hits all sizes alike; the median per size is reported.
 * Also: compile time, `nft -f` apply (replace) time, ruleset size, and the rules the pure
 * interpreter evaluates per new connection (the deterministic cost). Prints a table, writes
 * bench/results/dataplane.json. Needs root, iproute2, nftables, conntrack. Not a timed test.
 *
 * Options (env): DP_BENCH_SECONDS (per measurement, default 2), DP_BENCH_ROUNDS (default 5),
 * DP_BENCH_CONCURRENCY (default 8).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { compileRuleset } from '../src/dataplane/compile-ruleset.js'
import { applyRuleset, deleteTable } from '../src/dataplane/nft.js'
import { parseNftScript, runHook } from '../src/dataplane/nft-interpreter.js'
import { parseIp } from '../src/model/cidr.js'
import { formatBytes, formatCount, formatMs } from './bench-table.js'
import { BENCH_NODE, dataplaneBenchState } from './dataplane-cluster.js'
import { collectOutput, createTopology, firstLine, type Topology } from './dataplane-topology.js'

const SIZES = [0, 100, 1000, 5000]
type Variant = 'unselected' | 'selected'
const VARIANTS: readonly Variant[] = ['unselected', 'selected']
const SECONDS = Number(process.env.DP_BENCH_SECONDS ?? 2)
const ROUNDS = Number(process.env.DP_BENCH_ROUNDS ?? 5)
const CONCURRENCY = Number(process.env.DP_BENCH_CONCURRENCY ?? 8)

const SERVER = `
import net from 'node:net'
const s = net.createServer((c) => { c.on('error', () => {}); c.end('x') })
s.listen(80, '0.0.0.0', () => console.log('ready'))
`

/** Opens short connections for a fixed time with a fixed number in flight; prints the count. */
const CLIENT = `
import net from 'node:net'
const [host, durationMs, concurrency] = process.argv.slice(1)
let connections = 0, errors = 0, active = Number(concurrency)
const start = Date.now(), end = start + Number(durationMs)
function one() {
  if (Date.now() >= end) { if (--active === 0) console.log(JSON.stringify({ connections, errors, ms: Date.now() - start })); return }
  let settled = false
  const s = net.connect({ host, port: 80 })
  const finish = (ok) => { if (settled) return; settled = true; if (ok) connections++; else errors++; s.destroy(); one() }
  s.setTimeout(2000, () => finish(false))
  s.once('data', () => finish(true))
  s.once('error', () => finish(false))
}
for (let i = 0; i < active; i++) one()
`

interface Case {
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

async function measure(topo: Topology, serverIp: string): Promise<{ rate: number; errors: number }> {
  // Start each measurement with an empty conntrack table in the node namespace (ours only).
  await topo.exec(topo.nodeNetns, ['conntrack', '-F']).catch(() => '')
  const out = await collectOutput(topo.spawnNode(topo.pods[0].netns, CLIENT, [serverIp, String(SECONDS * 1000), String(CONCURRENCY)]))
  const r = JSON.parse(out.stdout.trim()) as { connections: number; errors: number; ms: number }
  return { rate: r.connections / (r.ms / 1000), errors: r.errors }
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the data plane benchmark needs root (network namespaces and nftables)')
  const loadBefore = os.loadavg()[0]
  const topo = await createTopology(['client', 'server'])
  const cleanup = (): void => {
    void topo.destroy()
  }
  process.once('SIGINT', cleanup)
  process.once('SIGTERM', cleanup)
  try {
    const [client, server] = topo.pods
    const serverProc = topo.spawnNode(server.netns, SERVER)
    if ((await firstLine(serverProc)) !== 'ready') throw new Error('server did not start')
    process.stderr.write('compiling rulesets...\n')
    const cases: Case[] = []
    for (const variant of VARIANTS) for (const size of SIZES) cases.push(prepare(size, variant, client.ip, server.ip))

    // Reference: no netpol table at all.
    await deleteTable({ netns: topo.nodeNetns })
    await measure(topo, server.ip) // warm-up
    const noTable: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      process.stderr.write(`round ${round + 1}/${ROUNDS}\n`)
      await deleteTable({ netns: topo.nodeNetns })
      noTable.push((await measure(topo, server.ip)).rate)
      // Rotate the order every round so no size always runs first or last.
      const order = cases.map((_, i) => cases[(i + round) % cases.length])
      for (const c of order) {
        const t0 = performance.now()
        await applyRuleset(c.script, { netns: topo.nodeNetns, keepDenyLog: false })
        c.applyMs.push(performance.now() - t0)
        const m = await measure(topo, server.ip)
        c.rates.push(m.rate)
        c.errors.push(m.errors)
      }
    }
    await deleteTable({ netns: topo.nodeNetns })
    const loadAfter = os.loadavg()[0]

    const results = cases.map((c) => {
      const base = cases.find((b) => b.variant === c.variant && b.size === 0)!
      const rate = median(c.rates)
      return {
        policies: c.size,
        variant: c.variant,
        connectionsPerSecond: Math.round(rate),
        ratesPerRound: c.rates.map(Math.round),
        relativeToZero: rate / median(base.rates),
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
      method: { secondsPerMeasurement: SECONDS, rounds: ROUNDS, concurrency: CONCURRENCY, interleaved: true },
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
      ['  relative to 0 policies', ...results.map((r) => `${(r.relativeToZero * 100).toFixed(1)}%`)],
      ['  per round', ...results.map((r) => r.ratesPerRound.map((x) => (x / 1000).toFixed(1)).join('/') + 'k')],
      ['rules per new connection', ...results.map((r) => String(r.rulesEvaluatedPerNewConnection))],
      ['compile', ...results.map((r) => formatMs(r.compileMs))],
      ['nft -f apply (replace)', ...results.map((r) => formatMs(r.applyMs))],
      ['ruleset size', ...results.map((r) => formatBytes(r.rulesetBytes))],
      ['chains / sets / rules', ...results.map((r) => `${formatCount(r.chains)}/${r.sets}/${formatCount(r.rules)}`)],
    ]
    const widths = header.map((_, i) => Math.max(...rowsOut.map((r) => r[i].length)))
    const lines = [
      `netpol data plane benchmark: ${json.machine.cpus} CPUs, kernel ${json.machine.kernel}, Node ${json.machine.node}; load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`,
      `${ROUNDS} interleaved rounds x ${SECONDS}s per measurement, ${CONCURRENCY} connections in flight; "other": N policies select other pods; "sel.": plus one policy isolating the server`,
      `without any netpol table: ${formatCount(json.noTableConnectionsPerSecond)} connections/s`,
      '',
      ...rowsOut.map((r) => pad(r, widths)),
      '',
      `target: rate at 5,000 policies within 10% of the rate at 0 -> ${within ? 'met' : 'MISSED'}`,
      `written: bench/results/dataplane.json`,
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
  } finally {
    await topo.destroy()
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`dataplane benchmark failed: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exitCode = 1
})
