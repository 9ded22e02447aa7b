/**
 * @module `npm run bench:dataplane`: new-connection rate between two real pods with 0 to 5,000 policies selecting other pods,
 * and with 200 ClusterNetworkPolicies of both tiers on top of 5,000 policies.
 *
 * Side by side in one run: one client namespace and one server namespace are joined through a
 * node namespace per case (no netpol table; 0, 100, 1,000, 5,000 policies selecting other pods;
 * the same with one more policy isolating the server; and a control), each node holding its
 * case's ruleset for the whole run. Two more cases add ClusterNetworkPolicies (half Admin, half
 * Baseline) on top of 5,000 policies: selecting other pods, and the same plus an Admin policy that
 * passes and a Baseline policy that accepts the measured connection (it then walks both tiers on
 * both sides); they are compared with the case without any policy. ONE client process makes short TCP connections (connect, read
 * one byte, close) ONE at a time, taking the paths in turn, netperf TCP_CRR style; the rate of a
 * case is 1 / its median connection time. One connection in flight makes each connection's time
 * its own path's cost; taking the paths in turn makes any disturbance of the machine hit every
 * case alike. Per round, each case is divided by the 0-policy case of the same round; the median
 * over rounds is reported. The control path walks 5,000 non-matching rules per new connection,
 * what a compiler emitting one rule per policy would cost, to show the method sees such a cost.
 * Also: compile time, `nft -f` apply (replace) time, ruleset size, and the rules the pure
 * interpreter evaluates per new connection (the deterministic cost). Prints a table, writes
 * bench/results/dataplane.json. Needs root, iproute2, nftables. Not a timed test.
 *
 * Options (env): DP_BENCH_WINDOW_MS (per round, default 2000), DP_BENCH_ROUNDS (default 30),
 * DP_BENCH_CONTROL_RULES (default 5000), DP_BENCH_CLUSTER_POLICIES (default 200).
 */
import { spawn, type ChildProcess } from 'node:child_process'
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
import { BENCH_NODE, dataplaneBenchState, withClusterPolicies } from './dataplane-cluster.js'
import { createParallelPaths, firstLine } from '../testing/dataplane-topology.js'

const SIZES = [0, 100, 1000, 5000]
type Variant = 'unselected' | 'selected'
const VARIANTS: readonly Variant[] = ['unselected', 'selected']
const WINDOW_MS = Number(process.env.DP_BENCH_WINDOW_MS ?? 2000)
const ROUNDS = Number(process.env.DP_BENCH_ROUNDS ?? 30)
/** ClusterNetworkPolicies of the two tiered cases, on top of the largest size. */
const CLUSTER_POLICIES = Number(process.env.DP_BENCH_CLUSTER_POLICIES ?? 200)
const TIERED_SIZE = SIZES[SIZES.length - 1]

const SERVER = `
import net from 'node:net'
const s = net.createServer((c) => { c.on('error', () => {}); c.end('x') })
s.listen(80, '0.0.0.0', () => console.log('ready'))
`

/**
 * Stays up; for each line `<ms>` on stdin makes connections for that long, ONE at a time, taking
 * the targets in turn (netperf TCP_CRR style: connect, read one byte, close), and prints the
 * median connection time per target in microseconds and the counts. One connection in flight
 * means each one's time is its own path's cost, not a share of a queue; taking the targets in
 * turn means any disturbance of the machine hits them all alike.
 */
const CLIENT = `
import net from 'node:net'
import readline from 'node:readline'
const targets = process.argv.slice(1)
function connectOnce(host) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint()
    let settled = false
    const s = net.connect({ host, port: 80 })
    const finish = (ok) => { if (settled) return; settled = true; s.destroy(); resolve(ok ? Number(process.hrtime.bigint() - t0) / 1000 : -1) }
    s.setTimeout(2000, () => finish(false))
    s.once('data', () => finish(true))
    s.once('error', () => finish(false))
  })
}
function median(xs) { const s = [...xs].sort((a, b) => a - b); return s.length === 0 ? NaN : s[Math.floor(s.length / 2)] }
async function windowOf(durationMs) {
  const times = targets.map(() => []), errors = targets.map(() => 0)
  const end = Date.now() + durationMs
  while (Date.now() < end) {
    for (let t = 0; t < targets.length; t++) {
      const us = await connectOnce(targets[t])
      if (us < 0) errors[t]++
      else times[t].push(us)
    }
  }
  return { medianUs: times.map(median), counts: times.map((x) => x.length), errors }
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
  /** ClusterNetworkPolicies on top of the `size` policies (0: none). */
  readonly clusterPolicies: number
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

function prepare(size: number, variant: Variant, clusterPolicies: number, clientIp: string, serverIp: string): Case {
  // With ClusterNetworkPolicies, "selected" means the tiers select the server and client (no NetworkPolicy does).
  const state =
    clusterPolicies > 0
      ? withClusterPolicies(dataplaneBenchState(size, false, clientIp, serverIp), clusterPolicies, variant === 'selected')
      : dataplaneBenchState(size, variant === 'selected', clientIp, serverIp)
  const times: number[] = []
  let script = ''
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now()
    script = compileRuleset(state, { nodeName: BENCH_NODE }).script
    times.push(performance.now() - t0)
  }
  const parsed = parseNftScript(script)
  const table = [...parsed.tables.values()][0]
  const packet = {
    family: 4 as const,
    saddr: parseIp(clientIp)!.value,
    daddr: parseIp(serverIp)!.value,
    l4proto: 6,
    sport: 40000,
    dport: 80,
    ctState: 'new' as const,
  }
  const walk = runHook(parsed, 'forward', packet)
  if (walk.verdict !== 'accept') throw new Error(`the benchmark ruleset (${size}, ${variant}, ${clusterPolicies}) would drop client -> server:80`)
  const sets = [...table.sets.values()]
  return {
    label: `${size}${clusterPolicies > 0 ? `+${clusterPolicies}` : ''} ${variant}`,
    size,
    variant,
    clusterPolicies,
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

const CONTROL_RULES = Number(process.env.DP_BENCH_CONTROL_RULES ?? 5000)

/** A table whose forward chain walks `n` non-matching rules for every new connection. */
function linearControl(n: number): string {
  const rules: string[] = []
  for (let i = 0; i < n; i++) rules.push(`\t\tip saddr 10.99.${i >> 8}.${i & 255} ip daddr 10.98.${i >> 8}.${i & 255} tcp dport 80 drop`)
  return [
    'add table inet netpol',
    'delete table inet netpol',
    'table inet netpol {',
    '\tchain forward {',
    '\t\ttype filter hook forward priority filter; policy accept;',
    '\t\tct state established,related accept',
    ...rules,
    '\t}',
    '}',
    '',
  ].join('\n')
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the data plane benchmark needs root (network namespaces and nftables)')
  const loadBefore = os.loadavg()[0]
  // Path 0: no netpol table; then one path per case; the last path: the linear control.
  const count = 2 + (SIZES.length + 1) * VARIANTS.length
  process.stderr.write(`building ${count} node namespaces between one client and one server...\n`)
  const net = await createParallelPaths(count)
  const children: ChildProcess[] = []
  const cleanup = async (): Promise<void> => {
    for (const c of children.splice(0)) c.kill('SIGKILL')
    await net.destroy()
  }
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)))
  process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)))
  try {
    process.stderr.write('compiling and applying rulesets...\n')
    // Path 0 has no netpol table; path 1.. one case each.
    const cases: Case[] = []
    const plan: { size: number; variant: Variant; clusterPolicies: number }[] = []
    for (const variant of VARIANTS) for (const size of SIZES) plan.push({ size, variant, clusterPolicies: 0 })
    for (const variant of VARIANTS) plan.push({ size: TIERED_SIZE, variant, clusterPolicies: CLUSTER_POLICIES })
    for (const { size, variant, clusterPolicies } of plan) {
      const path = net.paths[1 + cases.length]
      const c = prepare(size, variant, clusterPolicies, path.clientIp, path.serverIp)
      await applyRuleset(c.script, { netns: path.nodeNetns, keepDenyLog: false })
      // The replace time is what a policy change costs.
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now()
        await applyRuleset(c.script, { netns: path.nodeNetns, keepDenyLog: false })
        c.applyMs.push(performance.now() - t0)
      }
      cases.push(c)
    }

    // Control: what a naive compiler (one rule per policy, walked in order) costs, so the run shows
    // it can see a per-connection cost when there is one.
    const controlPath = net.paths[count - 1]
    await applyRuleset(linearControl(CONTROL_RULES), { netns: controlPath.nodeNetns, keepDenyLog: false })

    const server = spawn('ip', ['netns', 'exec', net.serverNetns, process.execPath, '--input-type=module', '-e', SERVER], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    children.push(server)
    if ((await firstLine(server)) !== 'ready') throw new Error('server did not start')
    const targets = net.paths.map((p) => p.serverIp)
    const client = spawn('ip', ['netns', 'exec', net.clientNetns, process.execPath, '--input-type=module', '-e', CLIENT, '--', ...targets], {
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    children.push(client)
    const pending: ((line: string) => void)[] = []
    readline.createInterface({ input: client.stdout! }).on('line', (line) => pending.shift()?.(line))
    const next = (): Promise<string> => new Promise((resolve) => pending.push(resolve))
    if ((await next()) !== 'ready') throw new Error('client did not start')
    const window = async (ms: number): Promise<{ medianUs: number[]; counts: number[]; errors: number[] }> => {
      const answer = next()
      client.stdin!.write(`${ms}\n`)
      return JSON.parse(await answer) as { medianUs: number[]; counts: number[]; errors: number[] }
    }

    await window(WINDOW_MS) // warm-up
    const noTable: number[] = []
    const control: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      process.stderr.write(`round ${round + 1}/${ROUNDS}\r`)
      const w = await window(WINDOW_MS)
      // Connections per second one sequential client achieves on path k: 1 / median connection time.
      const rate = (k: number): number => 1e6 / w.medianUs[k]
      noTable.push(rate(0))
      control.push(rate(count - 1))
      cases.forEach((c, i) => {
        c.rates.push(rate(i + 1))
        c.errors.push(w.errors[i + 1])
      })
    }
    await cleanup()
    const loadAfter = os.loadavg()[0]

    const results = cases.map((c) => {
      // Tiered cases against no policy at all; the others against 0 policies of their variant.
      const base = cases.find((b) => b.clusterPolicies === 0 && b.size === 0 && b.variant === (c.clusterPolicies > 0 ? 'unselected' : c.variant))!
      const rate = median(c.rates)
      // Paired per round: this case and the 0-policy case were measured moments apart.
      const ratios = c.rates.map((r, i) => r / base.rates[i])
      return {
        policies: c.size,
        clusterNetworkPolicies: c.clusterPolicies,
        variant: c.variant,
        connectionsPerSecond: Math.round(rate),
        ratesPerRound: c.rates.map(Math.round),
        relativeToZero: median(ratios),
        relativeToZeroPooled: c.rates.reduce((a, b) => a + b, 0) / base.rates.reduce((a, b) => a + b, 0),
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
    const within = results.filter((r) => r.policies === TIERED_SIZE).every((r) => Math.abs(1 - r.relativeToZero) <= 0.1)
    const json = {
      benchmark: 'dataplane',
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? '?',
        kernel: os.release(),
        node: process.version,
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadAfter,
      },
      method: { windowMs: WINDOW_MS, rounds: ROUNDS, oneConnectionInFlightPathsInTurn: true, rate: '1 / median connection time per round' },
      noTableConnectionsPerSecond: Math.round(median(noTable)),
      linearControl: {
        rules: CONTROL_RULES,
        connectionsPerSecond: Math.round(median(control)),
        relativeToZero: median(control.map((r, i) => r / cases[0].rates[i])),
      },
      noTableRatesPerRound: noTable.map(Math.round),
      results,
      target: { rule: `rate at 5,000 policies (and with ${CLUSTER_POLICIES} ClusterNetworkPolicies on top) within 10% of the rate at 0`, met: within },
    }
    const here = dirname(fileURLToPath(import.meta.url))
    const outDir = join(here, '..', '..', 'bench', 'results')
    mkdirSync(outDir, { recursive: true })
    writeFileSync(join(outDir, 'dataplane.json'), `${JSON.stringify(json, null, 2)}\n`)

    const header = [
      '',
      ...results.map(
        (r) =>
          `${formatCount(r.policies)}${r.clusterNetworkPolicies > 0 ? `+${r.clusterNetworkPolicies} CNP` : ''} ${r.variant === 'selected' ? 'sel.' : 'other'}`,
      ),
    ]
    const rowsOut: string[][] = [
      header,
      ['new connections/s (median)', ...results.map((r) => formatCount(r.connectionsPerSecond))],
      ['  relative to 0 (median of rounds)', ...results.map((r) => `${(r.relativeToZero * 100).toFixed(1)}%`)],
      ['  relative to 0 (all rounds pooled)', ...results.map((r) => `${(r.relativeToZeroPooled * 100).toFixed(1)}%`)],
      ['  rounds: min / max', ...results.map((r) => `${formatCount(Math.min(...r.ratesPerRound))} / ${formatCount(Math.max(...r.ratesPerRound))}`)],
      ['rules per new connection', ...results.map((r) => String(r.rulesEvaluatedPerNewConnection))],
      ['compile', ...results.map((r) => formatMs(r.compileMs))],
      ['nft -f apply (replace)', ...results.map((r) => formatMs(r.applyMs))],
      ['ruleset size', ...results.map((r) => formatBytes(r.rulesetBytes))],
      ['chains / sets / rules', ...results.map((r) => `${formatCount(r.chains)}/${r.sets}/${formatCount(r.rules)}`)],
    ]
    const widths = header.map((_, i) => Math.max(...rowsOut.map((r) => r[i].length)))
    const lines = [
      `netpol data plane benchmark: ${json.machine.cpus} CPUs, kernel ${json.machine.kernel}, Node ${json.machine.node}; load average ` +
        `${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`,
      `${ROUNDS} rounds x ${WINDOW_MS} ms; one client, one server, one node namespace per case; one connection at a time, cases in turn; rate = ` +
        `1 / median connection time;`,
      `"other": N policies select other pods; "sel.": plus one policy isolating the server; "+${CLUSTER_POLICIES} CNP": ClusterNetworkPolicies of both ` +
        `tiers on top (sel.: the tiers pass and accept the measured connection), relative to no policy at all`,
      `without any netpol table: ${formatCount(json.noTableConnectionsPerSecond)} connections/s; control, ${formatCount(CONTROL_RULES)} linear ` +
        `rules per new connection (a naive compiler): ${formatCount(json.linearControl.connectionsPerSecond)} connections/s, ` +
        `${(json.linearControl.relativeToZero * 100).toFixed(1)}% of 0 policies`,
      '',
      ...rowsOut.map((r) => pad(r, widths)),
      '',
      `target: rate at 5,000 policies (also with ${CLUSTER_POLICIES} ClusterNetworkPolicies) within 10% of the rate at 0 -> ${within ? 'met' : 'MISSED'}`,
      `written: bench/results/dataplane.json`,
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
  } finally {
    await cleanup()
  }
}

const USAGE = `usage: npm run bench:dataplane        (as root; about a minute; writes bench/results/dataplane.json)

New-connection rate between two real pods through a node enforcing 0, 100, 1,000 and 5,000
policies that select other pods (and the same plus one isolating the server), 200
ClusterNetworkPolicies of both tiers on top of 5,000 policies, against a 5,000-rule linear
control. Method and figures: docs/dataplane.md.

Settings (environment):
  DP_BENCH_ROUNDS=30          rounds (each case once per round)
  DP_BENCH_WINDOW_MS=2000     time per round
  DP_BENCH_CONTROL_RULES=5000 rules of the linear control
  DP_BENCH_CLUSTER_POLICIES=200 ClusterNetworkPolicies of the tiered cases

Examples:
  npm run bench:dataplane
  DP_BENCH_ROUNDS=5 npm run bench:dataplane     # a quick look
`
// --help prints the above without building anything; any other argument is a mistake (exit 2).
const args = process.argv.slice(2)
if (args.length > 0 && args.every((a) => a === '--help' || a === '-h')) process.stdout.write(USAGE)
else if (args.length > 0) {
  process.stderr.write(`error: unknown argument ${JSON.stringify(args.find((a) => a !== '--help' && a !== '-h'))}\n${USAGE}`)
  process.exitCode = 2
} else
  main().catch((e: unknown) => {
    process.stderr.write(`dataplane benchmark failed: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exitCode = 1
  })
