/**
 * @module `npm run bench:cli`: the commands as users run them — each one a `./bin/netpol`
 * process on manifest files on disk — on generated clusters at S, M and L, in both manifest styles
 * (Pods with IPs; Deployments/StatefulSets) and as YAML and JSON, against issue 10's targets.
 *
 * Measuring a child process: wall time is taken here around the child's whole life (spawn to
 * exit). CPU time (user + sys) and peak RSS come from the child itself: it runs with
 * `--require <probe>`, a few lines that on `exit` write `process.resourceUsage()` (getrusage of
 * the process: ru_utime, ru_stime, ru_maxrss) to a file the bench names in the environment. That
 * works wherever Node runs (no /usr/bin/time, no /proc polling that misses short peaks) and counts
 * exactly the netpol process. A child that dies without exiting (killed, out of memory) leaves
 * no figures and is reported as failed.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stringify } from 'yaml'
import { createEngine } from '../src/engine/engine.js'
import { qualifiedName, type ClusterState, type NetworkPolicy, type Pod } from '../src/model/types.js'
import { formatBytes, formatMs } from './bench-table.js'
import { clusterManifests, type ManifestStyle } from '../testing/cluster-manifests.js'
import { DEFAULT_SEED, generateCluster, type GeneratedCluster } from '../testing/generate-cluster.js'
import { createPrng } from '../testing/prng.js'
import { BenchArgs, BenchUsageError, parseSize } from './run-bench.js'
import type { SizeSpec } from './bench-result.js'

export type InputFormat = 'yaml' | 'json'

const COMMANDS = ['check', 'matrix-port', 'matrix-workload', 'list', 'explain', 'lint', 'diff', 'test', 'report'] as const
export type CommandName = (typeof COMMANDS)[number]

/** Issue 10's targets at L (wall time; every command also under 1 GiB peak RSS). */
const TIME_TARGETS_MS: Partial<Record<CommandName, number>> = {
  check: 1500,
  list: 3000,
  diff: 3000,
  lint: 3000,
  explain: 3000,
  test: 3000,
  'matrix-workload': 3000,
  report: 10_000,
}
const RSS_TARGET_BYTES = 1024 ** 3
/** Pairwise by nature: its output grows with pods², so no linear-growth target. */
const PAIRWISE: ReadonlySet<CommandName> = new Set(['matrix-port'])

export interface CliBenchOptions {
  readonly sizes: readonly SizeSpec[]
  readonly styles: readonly ManifestStyle[]
  readonly formats: readonly InputFormat[]
  readonly commands: readonly CommandName[]
  readonly seed: number
  readonly runs: number
  readonly timeoutMs: number
  readonly out: string
  readonly workDir: string
  readonly failOnMissed: boolean
}

export interface CommandRun {
  readonly size: string
  readonly style: ManifestStyle
  readonly format: InputFormat
  readonly command: CommandName
  readonly argv: readonly string[]
  /** `ok` (exit 0 or 1), `failed` (another exit code or a signal), `timeout`, `not-available`. */
  readonly status: 'ok' | 'failed' | 'timeout' | 'not-available'
  readonly exitCode?: number | null
  readonly wallMs?: number
  readonly cpuMs?: number
  readonly maxRssBytes?: number
  /** Every run's wall time, when --runs > 1 (the figures above are the median run's). */
  readonly wallRunsMs?: readonly number[]
  readonly outputBytes?: number
  readonly error?: string
}

export interface CliBenchResult {
  readonly date: string
  readonly node: string
  readonly cpus: number
  readonly cpuModel: string
  readonly memoryBytes: number
  readonly loadAverage: { readonly before: number; readonly after: number }
  readonly seed: number
  readonly sizes: readonly (SizeSpec & { readonly inputBytes: Record<string, number> })[]
  readonly runs: readonly CommandRun[]
  readonly targets: readonly TargetCheck[]
}

export interface TargetCheck {
  readonly command: CommandName
  readonly what: 'wall' | 'rss' | 'growth'
  readonly limit: number
  /** The worst over styles and formats at the largest size measured (growth: M -> L). */
  readonly value?: number
  readonly where?: string
  readonly met: boolean | undefined
  /** Time targets: the CPU time (user + sys) of that run, and whether it is under the limit: what the wall time would be on an idle machine (netpol is
   * single-threaded but for GC). */
  readonly cpu?: number
  readonly metOnCpu?: boolean
}

const USAGE = `usage: npm run bench:cli -- [--sizes S,M,L] [--styles pods,workloads] [--formats yaml,json]
                               [--commands check,matrix-port,...] [--runs N] [--timeout SECONDS]
                               [--seed N] [--out FILE] [--work-dir DIR] [--fail-on-missed]

Runs each netpol command as a user does (a ./bin/netpol process on manifest files) on generated
clusters, and prints wall time, CPU time (user+sys) and peak RSS per command and size, the growth
from size to size, and issue 10's targets at L.

  --sizes      S (100 pods), M (1,000), L (10,000 pods, 500 namespaces, 2,000 policies), or
               PODSxNAMESPACESxPOLICIES (default S,M,L)
  --styles     pods (Pods with IPs and nodes, as kubectl get -o yaml shows them) and/or
               workloads (Deployments and StatefulSets) (default both)
  --formats    yaml and/or json (kubectl get -o json Lists) (default both)
  --commands   any of ${COMMANDS.join(', ')} (default all)
  --runs       runs per command; the median is shown (default 1)
  --timeout    seconds before a command is killed and reported as timed out (default 300)
  --out        JSON with every figure (default bench/results/cli.json)
  --work-dir   where the generated manifests go; reused when already there
               (default $TMPDIR/netpol-cli-bench)
  --fail-on-missed   exit 1 when a target is missed

Examples:
  npm run bench:cli                                       # everything: about 10 to 20 minutes
  npm run bench:cli -- --sizes S,M --styles pods --formats yaml
  npm run bench:cli -- --sizes L --commands report,diff --formats json
`

function parseList<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  for (const i of items) if (!(allowed as readonly string[]).includes(i)) throw new BenchUsageError(`${flag}: unknown "${i}" (expected ${allowed.join(', ')})`)
  if (items.length === 0) throw new BenchUsageError(`${flag}: nothing given`)
  return items as T[]
}

export function parseCliBenchArgs(argv: readonly string[]): CliBenchOptions {
  let sizes: SizeSpec[] = ['S', 'M', 'L'].map(parseSize)
  let styles: ManifestStyle[] = ['pods', 'workloads']
  let formats: InputFormat[] = ['yaml', 'json']
  let commands: CommandName[] = [...COMMANDS]
  let seed = DEFAULT_SEED
  let runs = 1
  let timeoutMs = 300_000
  let out = 'bench/results/cli.json'
  let workDir = join(tmpdir(), 'netpol-cli-bench')
  let failOnMissed = false
  const args = new BenchArgs(argv)
  for (let arg = args.next(); arg !== undefined; arg = args.next()) {
    const value = (): string => args.value(arg)
    const number = (min: number): number => args.number(arg, min)
    switch (arg) {
      case '--sizes':
        sizes = value().split(',').filter(Boolean).map(parseSize)
        break
      case '--styles':
        styles = parseList(arg, value(), ['pods', 'workloads'] as const)
        break
      case '--formats':
        formats = parseList(arg, value(), ['yaml', 'json'] as const)
        break
      case '--commands':
        commands = parseList(arg, value(), COMMANDS)
        break
      case '--runs':
        runs = Math.max(1, Math.floor(number(1)))
        break
      case '--timeout':
        timeoutMs = number(1) * 1000
        break
      case '--seed':
        seed = Math.floor(number(0))
        break
      case '--out':
        out = value()
        break
      case '--work-dir':
        workDir = value()
        break
      case '--fail-on-missed':
        failOnMissed = true
        break
      case '-h':
      case '--help':
        throw new BenchUsageError('')
      default:
        throw new BenchUsageError(`unknown argument "${arg}"`)
    }
  }
  if (sizes.length === 0) throw new BenchUsageError('--sizes: no size given')
  return { sizes, styles, formats, commands, seed, runs, timeoutMs, out, workDir: resolve(workDir), failOnMissed }
}

// ---------------------------------------------------------------------------------------------
// Inputs on disk

interface Dataset {
  readonly dir: string
  readonly changedDir: string
  readonly expectations: string
  readonly explainFrom: string
  readonly explainTo: string
  readonly inputBytes: number
}

/** Bump when the files written change, so a reused work dir is regenerated. */
const DATASET_VERSION = 2

/** An existing policy with one more port in its first ingress rule (or a new rule): `diff`'s change. */
function changeOnePolicy(state: ClusterState, seed: number): ClusterState {
  const rng = createPrng(seed ^ 0x5eed)
  const candidates = state.policies.filter((p) => p.ingress.length > 0)
  const old = candidates.length > 0 ? rng.pick(candidates) : state.policies[0]
  if (!old) return state
  const rule = old.ingress[0]
  const changed: NetworkPolicy = rule
    ? {
        ...old,
        ingress: [
          { ...rule, ports: rule.ports.length > 0 ? [...rule.ports, { protocol: 'TCP', port: 9999, source: rule.ports[0].source }] : rule.ports },
          ...old.ingress.slice(1),
        ],
      }
    : old
  const opened: NetworkPolicy =
    changed === old || rule?.ports.length === 0
      ? {
          ...old,
          policyTypes: [...new Set([...old.policyTypes, 'Ingress' as const])],
          ingress: [...old.ingress, { from: [], ports: [{ protocol: 'TCP', port: 9999, source: old.source }], source: old.source }],
        }
      : changed
  return { ...state, policies: state.policies.map((p) => (p === old ? opened : p)) }
}

/** 1,000 expectations on random pod pairs and ports, with the engine's answer on the generated state. */
function generateExpectations(state: ClusterState, count: number, seed: number): string {
  const rng = createPrng(seed ^ 0xe4c7)
  const engine = createEngine(state)
  const pods = state.pods.filter((p) => p.containerPorts.length > 0)
  const items: Record<string, unknown>[] = []
  for (let i = 0; i < count && pods.length > 1; i++) {
    const from = rng.pick(pods)
    let to = rng.pick(pods)
    if (to === from) to = pods[(pods.indexOf(from) + 1) % pods.length]
    const cp = rng.pick(to.containerPorts)
    const allowed = engine.isAllowed({ from: { kind: 'pod', pod: from }, to: { kind: 'pod', pod: to }, port: cp.containerPort, protocol: cp.protocol })
    items.push({ name: `pair ${i + 1}`, from: qualifiedName(from), to: qualifiedName(to), port: `${cp.containerPort}/${cp.protocol}`, allowed })
  }
  return (
    `# Generated by bench/cli-bench.ts: answers from the generated state (pods with ` +
    `IPs).\n${stringify({ apiVersion: 'netpol.dev/v1', kind: 'Expectations', expectations: items }, { lineWidth: 0 })}`
  )
}

/** A frontend pod and the api pod of its namespace (both exist in either manifest style). */
function explainPair(state: ClusterState): { from: string; to: string } {
  const byName = new Map(state.pods.map((p) => [qualifiedName(p), p]))
  for (const p of state.pods) {
    if (p.labels.tier !== 'frontend') continue
    if (byName.has(`${p.namespace}/api-0`)) return { from: qualifiedName(p), to: `${p.namespace}/api-0` }
  }
  const last: Pod = state.pods[state.pods.length - 1]
  return { from: qualifiedName(last), to: qualifiedName(state.pods[0]) }
}

function writeSet(dir: string, files: readonly { path: string; text: string }[]): number {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  let bytes = 0
  for (const f of files) {
    writeFileSync(join(dir, f.path), f.text)
    bytes += Buffer.byteLength(f.text)
  }
  return bytes
}

function prepareDataset(options: CliBenchOptions, size: SizeSpec, cluster: GeneratedCluster, style: ManifestStyle, format: InputFormat): Dataset {
  const base = join(options.workDir, `seed-${options.seed}`, `${size.name}-${style}-${format}`)
  const marker = join(base, 'complete.json')
  const dir = join(base, 'manifests')
  const changedDir = join(base, 'changed')
  const expectations = join(base, 'expectations.yaml')
  const pair = explainPair(cluster.state)
  if (existsSync(marker)) {
    const m = JSON.parse(readFileSync(marker, 'utf8')) as { version: number; inputBytes: number }
    if (m.version === DATASET_VERSION) return { dir, changedDir, expectations, explainFrom: pair.from, explainTo: pair.to, inputBytes: m.inputBytes }
  }
  const inputBytes = writeSet(dir, clusterManifests(cluster, style, format))
  writeSet(changedDir, clusterManifests({ ...cluster, state: changeOnePolicy(cluster.state, options.seed) }, style, format))
  writeFileSync(expectations, generateExpectations(cluster.state, 1000, options.seed))
  writeFileSync(marker, JSON.stringify({ version: DATASET_VERSION, inputBytes }))
  return { dir, changedDir, expectations, explainFrom: pair.from, explainTo: pair.to, inputBytes }
}

// ---------------------------------------------------------------------------------------------
// Running one command

const PROBE = `'use strict'
const file = process.env.NETPOL_BENCH_RUSAGE
const write = () => {
  if (!file) return
  const u = process.resourceUsage()
  require('node:fs').writeFileSync(file, JSON.stringify({ user: u.userCPUTime, system: u.systemCPUTime, maxRSS: u.maxRSS }))
}
process.on('exit', write)
// The bench stops a command that runs too long with SIGTERM: its figures so far are kept.
process.on('SIGTERM', () => {
  write()
  process.exit(143)
})
`

/** The repository: the first folder up from this file with a package.json (from bench/ or dist/bench/). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir)
    if (up === dir) break
    dir = up
  }
  return dir
}
const ROOT = findRoot()
const CLI = join(ROOT, 'bin', 'netpol')
const BUILT = join(ROOT, 'dist', 'src', 'cli', 'main.js')

function argvFor(command: CommandName, d: Dataset, reportFile: string): string[] {
  switch (command) {
    case 'check':
      return ['check', d.dir]
    case 'matrix-port':
      return ['matrix', d.dir, '--port', '8080/TCP', '-o', 'json']
    case 'matrix-workload':
      return ['matrix', d.dir, '--group-by', 'workload', '-o', 'json']
    case 'list':
      return ['list', d.dir]
    case 'explain':
      return ['explain', d.dir, '--from', d.explainFrom, '--to', d.explainTo, '--port', '8080/TCP']
    case 'lint':
      return ['lint', d.dir]
    case 'diff':
      return ['diff', d.dir, d.changedDir]
    case 'test':
      return ['test', d.dir, '--expect', d.expectations]
    case 'report':
      return ['report', d.dir, '-o', reportFile]
  }
}

interface Measured {
  readonly status: CommandRun['status']
  readonly exitCode?: number | null
  readonly wallMs?: number
  readonly cpuMs?: number
  readonly maxRssBytes?: number
  readonly error?: string
}

/** `bin/netpol` in node with the probe; stdout to /dev/null. */
function runOnce(args: readonly string[], probe: string, usageFile: string, timeoutMs: number): Promise<Measured> {
  rmSync(usageFile, { force: true })
  return new Promise((done) => {
    const start = process.hrtime.bigint()
    const child = spawn(process.execPath, ['--require', probe, CLI, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NETPOL_BENCH_RUSAGE: usageFile, NO_COLOR: '1' },
    })
    let stderr = ''
    child.stderr.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-4000)
    })
    let timedOut = false
    // For a command stopped at the timeout the probe may get no chance to run (a busy event loop
    // never sees the signal): on Linux the peak RSS so far is read from /proc meanwhile.
    let peakSoFar: number | undefined
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
        if (m) peakSoFar = Number(m[1]) * 1024
      } catch {
        clearInterval(poll)
      }
    }, 250)
    let killer: NodeJS.Timeout | undefined
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGTERM')
      killer = setTimeout(() => child.kill('SIGKILL'), 5000)
    }, timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      clearInterval(poll)
      if (killer) clearTimeout(killer)
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6
      let usage: { user: number; system: number; maxRSS: number } | undefined
      try {
        usage = JSON.parse(readFileSync(usageFile, 'utf8'))
      } catch {
        usage = undefined
      }
      const figures = usage ? { cpuMs: (usage.user + usage.system) / 1000, maxRssBytes: usage.maxRSS * 1024 } : {}
      // Figures up to the stop (CPU time, peak RSS so far), when the probe could write them.
      if (timedOut)
        return done({ status: 'timeout', wallMs, ...(peakSoFar ? { maxRssBytes: peakSoFar } : {}), ...figures, error: `stopped after ${formatMs(timeoutMs)}` })
      const ok = signal === null && (code === 0 || code === 1) && usage !== undefined
      done({
        status: ok ? 'ok' : 'failed',
        exitCode: code,
        wallMs,
        ...figures,
        ...(ok ? {} : { error: `${signal ? `signal ${signal}` : `exit ${code}`}: ${stderr.trim().split('\n').slice(-3).join(' | ')}` }),
      })
    })
  })
}

function listAvailable(): boolean {
  // Unknown commands print the general help, so ask for the command list instead.
  const r = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' })
  return /^\s+list\b/m.test(r.stdout ?? '')
}

// ---------------------------------------------------------------------------------------------
// Targets and table

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor((s.length - 1) / 2)]
}

export function judgeCliTargets(runs: readonly CommandRun[], sizes: readonly SizeSpec[]): TargetCheck[] {
  const top = sizes[sizes.length - 1]
  const prev = sizes.length > 1 ? sizes[sizes.length - 2] : undefined
  const out: TargetCheck[] = []
  const commands = [...new Set(runs.map((r) => r.command))]
  for (const command of commands) {
    const at = (size: string) => runs.filter((r) => r.command === command && r.size === size && r.status !== 'not-available')
    const mine = at(top.name)
    if (mine.length === 0) continue
    const where = (r: CommandRun) => `${r.size} ${r.style} ${r.format}`
    const worst = (pick: (r: CommandRun) => number | undefined) => {
      let best: CommandRun | undefined
      for (const r of mine) if (best === undefined || (pick(r) ?? Infinity) > (pick(best) ?? Infinity)) best = r
      return best!
    }
    const failed = mine.find((r) => r.status !== 'ok')
    const limit = TIME_TARGETS_MS[command]
    if (limit !== undefined) {
      const w = failed ?? worst((r) => r.wallMs)
      const c = failed ?? worst((r) => r.cpuMs)
      out.push({
        command,
        what: 'wall',
        limit,
        value: w.status === 'ok' ? w.wallMs : undefined,
        where: where(w),
        met: w.status === 'ok' && (w.wallMs ?? Infinity) < limit,
        ...(c.status === 'ok' && c.cpuMs !== undefined ? { cpu: c.cpuMs, metOnCpu: c.cpuMs < limit } : {}),
      })
    }
    const r = failed ?? worst((x) => x.maxRssBytes)
    // A command stopped at the timeout has no final peak; the peak so far is shown.
    out.push({
      command,
      what: 'rss',
      limit: RSS_TARGET_BYTES,
      value: r.status === 'ok' || r.status === 'timeout' ? r.maxRssBytes : undefined,
      where: where(r),
      met: r.status === 'ok' && (r.maxRssBytes ?? Infinity) < RSS_TARGET_BYTES,
    })
    if (prev && !PAIRWISE.has(command)) {
      // CPU time against (pods + policies): a command linear in its input grows by their ratio.
      const linear = (top.pods + top.policies) / (prev.pods + prev.policies)
      let worstRatio: number | undefined
      let worstWhere = ''
      for (const big of mine) {
        const small = at(prev.name).find((s) => s.style === big.style && s.format === big.format)
        if (small?.status !== 'ok' || big.status !== 'ok' || !small.cpuMs || !big.cpuMs) continue
        const ratio = big.cpuMs / small.cpuMs
        if (worstRatio === undefined || ratio > worstRatio) {
          worstRatio = ratio
          worstWhere = `${big.style} ${big.format}`
        }
      }
      out.push({
        command,
        what: 'growth',
        limit: linear,
        value: worstRatio,
        where: worstWhere,
        met: worstRatio === undefined ? undefined : worstRatio <= linear,
      })
    }
  }
  return out
}

function cell(r: CommandRun | undefined): string {
  if (!r) return ''
  if (r.status === 'not-available') return 'not available'
  if (r.status === 'timeout') return `timeout (${formatMs(r.wallMs ?? 0)}${r.maxRssBytes ? `, ${formatBytes(r.maxRssBytes)} so far` : ''})`
  if (r.status === 'failed') return `FAILED ${r.exitCode ?? ''}`.trim()
  return `${formatMs(r.wallMs ?? NaN)} / ${formatMs(r.cpuMs ?? NaN)} / ${formatBytes(r.maxRssBytes ?? 0)}`
}

function pad(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

export function renderCliTable(result: CliBenchResult): string {
  const parts: string[] = []
  const combos = [...new Set(result.runs.map((r) => `${r.style} ${r.format}`))]
  for (const combo of combos) {
    const runs = result.runs.filter((r) => `${r.style} ${r.format}` === combo)
    const sizes = result.sizes.filter((s) => runs.some((r) => r.size === s.name))
    const commands = COMMANDS.filter((c) => runs.some((r) => r.command === c))
    const header = ['command', ...sizes.map((s) => `${s.name} (${s.pods} pods)`)]
    if (sizes.length > 1) header.push(...sizes.slice(1).map((s, i) => `${sizes[i].name}->${s.name} cpu`))
    const rows = [header]
    for (const c of commands) {
      const at = sizes.map((s) => runs.find((r) => r.command === c && r.size === s.name))
      const row = [c, ...at.map(cell)]
      for (let i = 1; i < at.length; i++) {
        const a = at[i - 1]?.cpuMs
        const b = at[i]?.cpuMs
        row.push(a && b ? `${(b / a).toFixed(1)}x` : '-')
      }
      rows.push(row)
    }
    parts.push(`${combo} (wall / cpu / peak RSS)\n${pad(rows)}`)
  }
  if (result.targets.length > 0) {
    const top = result.sizes[result.sizes.length - 1]
    const rows = [['target', 'limit', `worst at ${top.name}`, 'where', 'status', 'worst cpu time']]
    for (const t of result.targets) {
      const fmt = (v: number | undefined) => (v === undefined ? '-' : t.what === 'wall' ? formatMs(v) : t.what === 'rss' ? formatBytes(v) : `${v.toFixed(1)}x`)
      const label = t.what === 'wall' ? `${t.command} time` : t.what === 'rss' ? `${t.command} peak RSS` : `${t.command} growth (cpu)`
      const status =
        t.met === undefined
          ? 'n/a'
          : t.met
            ? 'met'
            : t.value === undefined
              ? 'MISSED (did not finish)'
              : `MISSED by ${t.what === 'growth' ? `${(t.value / t.limit).toFixed(1)}x` : `${(((t.value - t.limit) / t.limit) * 100).toFixed(0)}%`}`
      rows.push([
        label,
        `< ${fmt(t.limit)}`,
        fmt(t.value),
        t.where ?? '',
        status,
        t.cpu === undefined ? '' : `${formatMs(t.cpu)} (${t.metOnCpu ? 'under' : 'over'})`,
      ])
    }
    parts.push(
      `Targets (issue 10; growth: cpu ratio ` +
        `${result.sizes.length > 1 ? `${result.sizes[result.sizes.length - 2].name}->${top.name}` : ''} against the ratio of pods + ` +
        `policies)\n${pad(rows)}`,
    )
  }
  parts.push(
    'Wall time is what a user waits on this machine now; on a busy shared machine it is several times the CPU time. On an idle machine it is ' +
      'at most the CPU time (user + sys of the netpol process; the garbage collector runs on other threads).',
  )
  parts.push(
    `Node ${result.node}, ${result.cpus} CPUs (${result.cpuModel}), load average ${result.loadAverage.before.toFixed(1)} before, ` +
      `${result.loadAverage.after.toFixed(1)} after.`,
  )
  return `${parts.join('\n\n')}\n`
}

// ---------------------------------------------------------------------------------------------

export async function runCliBench(options: CliBenchOptions, log: (t: string) => void): Promise<CliBenchResult> {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run npm run build first`)
  mkdirSync(options.workDir, { recursive: true })
  const probe = join(options.workDir, 'rusage-probe.cjs')
  writeFileSync(probe, PROBE)
  const usageFile = join(options.workDir, `rusage-${process.pid}.json`)
  const reportFile = join(options.workDir, `report-${process.pid}.html`)
  const loadBefore = loadavg()[0]
  const hasList = listAvailable()
  const runs: CommandRun[] = []
  const sizes: (SizeSpec & { inputBytes: Record<string, number> })[] = []
  for (const size of options.sizes) {
    log(`${size.name}: generating ${size.pods} pods, ${size.namespaces} namespaces, ${size.policies} policies`)
    const cluster = generateCluster({ ...size, seed: options.seed })
    const inputBytes: Record<string, number> = {}
    sizes.push({ ...size, inputBytes })
    for (const style of options.styles) {
      for (const format of options.formats) {
        const d = prepareDataset(options, size, cluster, style, format)
        inputBytes[`${style} ${format}`] = d.inputBytes
        for (const command of options.commands) {
          const argv = argvFor(command, d, reportFile)
          const base = { size: size.name, style, format, command, argv }
          if (command === 'list' && !hasList) {
            runs.push({ ...base, status: 'not-available' })
            continue
          }
          const all: Measured[] = []
          for (let i = 0; i < options.runs; i++) {
            const m = await runOnce(argv, probe, usageFile, options.timeoutMs)
            all.push(m)
            if (m.status !== 'ok') break
          }
          const ok = all.filter((m) => m.status === 'ok')
          const pick = ok.length === all.length ? ok.find((m) => m.wallMs === median(ok.map((x) => x.wallMs!)))! : all[all.length - 1]
          const outputBytes = command === 'report' && pick.status === 'ok' && existsSync(reportFile) ? statSync(reportFile).size : undefined
          const run: CommandRun = {
            ...base,
            ...pick,
            ...(all.length > 1 ? { wallRunsMs: all.map((m) => m.wallMs ?? NaN) } : {}),
            ...(outputBytes !== undefined ? { outputBytes } : {}),
          }
          runs.push(run)
          log(`${size.name} ${style} ${format} ${command}: ${cell(run)}${run.error ? ` (${run.error})` : ''}`)
        }
      }
    }
  }
  rmSync(usageFile, { force: true })
  rmSync(reportFile, { force: true })
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryBytes: totalmem(),
    loadAverage: { before: loadBefore, after: loadavg()[0] },
    seed: options.seed,
    sizes,
    runs,
    targets: judgeCliTargets(runs, options.sizes),
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let options: CliBenchOptions
  try {
    options = parseCliBenchArgs(argv)
  } catch (err) {
    if (err instanceof BenchUsageError) {
      if (!err.message) {
        process.stdout.write(USAGE)
        return 0
      }
      process.stderr.write(`error: ${err.message}\n${USAGE}`)
      return 2
    }
    throw err
  }
  const result = await runCliBench(options, (t) => void process.stderr.write(`${t}\n`))
  mkdirSync(dirname(resolve(options.out)), { recursive: true })
  writeFileSync(resolve(options.out), `${JSON.stringify(result, null, 2)}\n`)
  process.stdout.write(renderCliTable(result))
  process.stderr.write(`figures written to ${options.out}\n`)
  const missed = result.targets.some((t) => t.met === false)
  return options.failOnMissed && missed ? 1 : 0
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
      process.exitCode = 3
    },
  )
}
