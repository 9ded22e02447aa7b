/**
 * @module `npm run bench`: the fast engine against the reference, side by side, on generated
 * clusters of sizes S, M and L; a table on screen, JSON in `bench/results/bench.json`.
 *
 * Each size runs in its own child process, so its peak memory (RSS high-water mark) is its own.
 * Exit 1 when the fast engine and the reference disagree on any compared pair (or, with
 * `--fail-on-missed`, when a target is missed); 2 on bad arguments.
 *
 *   npm run bench                          # S, M, L
 *   npm run bench -- --sizes S,M --budget 5
 *   npm run bench -- --sizes 20000x500x2000   # an extra point: pods x namespaces x policies
 *   npm run bench -- --write-manifests /tmp/clusters   # YAML for the CLI, then exit
 */
import { fork } from 'node:child_process'
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchResult, SizeResult, SizeSpec } from './bench-result.js'
import { judgeTargets } from './bench-result.js'
import { formatMs, renderTable } from './bench-table.js'
import { clusterManifests, type ManifestStyle } from '../testing/cluster-manifests.js'
import { DEFAULT_SEED, generateCluster, SIZES, type SizeName } from '../testing/generate-cluster.js'
import { measureSize } from './measure-size.js'

export interface BenchOptions {
  readonly sizes: readonly SizeSpec[]
  readonly seed: number
  readonly budgetMs: number
  readonly samplePairs: number
  readonly out: string
  /** Run each size in a child process (clean peak memory). Off in tests, which run TypeScript in-process. */
  readonly isolate: boolean
  readonly skipLoad: boolean
  readonly failOnMissed: boolean
  readonly writeManifests?: string
  readonly manifestStyle: ManifestStyle
}

export class BenchUsageError extends Error {}

/** The arguments of a bench command, read left to right: flags and the values that follow them. */
export class BenchArgs {
  private at = -1
  constructor(private readonly argv: readonly string[]) {}

  next(): string | undefined {
    return this.argv[++this.at]
  }

  /** The value after `flag`. */
  value(flag: string): string {
    const v = this.next()
    if (v === undefined) throw new BenchUsageError(`${flag} needs a value`)
    return v
  }

  /** The number after `flag`, at least `min`. */
  number(flag: string, min: number): number {
    const text = this.value(flag)
    const n = Number(text)
    if (!Number.isFinite(n) || n < min) throw new BenchUsageError(`${flag}: invalid number "${text}"`)
    return n
  }
}

const USAGE = `usage: npm run bench -- [--sizes S,M,L] [--budget SECONDS] [--samples N] [--seed N]
                           [--out FILE] [--in-process] [--skip-load] [--fail-on-missed]
       npm run bench -- --write-manifests DIR [--sizes ...] [--manifest-style pods|workloads]

  --sizes            comma-separated: S (100 pods), M (1,000), L (10,000 pods, 500 namespaces,
                     2,000 policies), or PODSxNAMESPACESxPOLICIES for an extra point (default S,M,L)
  --budget           seconds each bounded reference all-pairs run may take before its time is
                     extrapolated from the pairs done (default 20)
  --samples          random pairs compared between fast engine and reference (default 2000)
  --seed             generator seed (default ${DEFAULT_SEED})
  --out              JSON results file (default bench/results/bench.json)
  --in-process       measure every size in this process (peak memory then accumulates)
  --skip-load        do not time loading the generated YAML through the manifest loader
  --fail-on-missed   exit 1 when a target is missed (always exit 1 on disagreement)
  --write-manifests  write each size's manifests to DIR/<size>/ and exit (pods with IPs and nodes,
                     or with --manifest-style workloads the Deployments and StatefulSets)
`

export function parseSize(text: string): SizeSpec {
  const t = text.trim()
  if (t in SIZES) return { name: t, ...SIZES[t as SizeName] }
  const m = /^(\d+)x(\d+)x(\d+)$/.exec(t)
  if (!m) throw new BenchUsageError(`invalid size "${text}": expected S, M, L or PODSxNAMESPACESxPOLICIES`)
  return { name: t, pods: Number(m[1]), namespaces: Number(m[2]), policies: Number(m[3]) }
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let sizes: SizeSpec[] = (['S', 'M', 'L'] as const).map((n) => ({ name: n, ...SIZES[n] }))
  let seed = DEFAULT_SEED
  let budgetMs = 20_000
  let samplePairs = 2000
  let out = 'bench/results/bench.json'
  let isolate = true
  let skipLoad = false
  let failOnMissed = false
  let writeManifests: string | undefined
  let manifestStyle: ManifestStyle = 'pods'
  const args = new BenchArgs(argv)
  for (let arg = args.next(); arg !== undefined; arg = args.next()) {
    const value = (): string => args.value(arg)
    const number = (min: number): number => args.number(arg, min)
    switch (arg) {
      case '--sizes':
        sizes = value().split(',').filter(Boolean).map(parseSize)
        break
      case '--budget':
        budgetMs = number(0) * 1000
        break
      case '--samples':
        samplePairs = Math.floor(number(0))
        break
      case '--seed':
        seed = Math.floor(number(0))
        break
      case '--out':
        out = value()
        break
      case '--in-process':
        isolate = false
        break
      case '--skip-load':
        skipLoad = true
        break
      case '--fail-on-missed':
        failOnMissed = true
        break
      case '--write-manifests':
        writeManifests = value()
        break
      case '--manifest-style': {
        const v = value()
        if (v !== 'pods' && v !== 'workloads') throw new BenchUsageError(`--manifest-style: expected pods or workloads, got "${v}"`)
        manifestStyle = v
        break
      }
      case '-h':
      case '--help':
        throw new BenchUsageError('')
      default:
        throw new BenchUsageError(`unknown argument "${arg}"`)
    }
  }
  if (sizes.length === 0) throw new BenchUsageError('--sizes: no size given')
  return { sizes, seed, budgetMs, samplePairs, out, isolate, skipLoad, failOnMissed, writeManifests, manifestStyle }
}

/** Progress on stderr: one redrawn line on a TTY, plain lines otherwise. */
export interface StatusSink {
  readonly line: (text: string) => void
  readonly clear: () => void
}

function statusSink(write: (text: string) => void, tty: boolean): StatusSink {
  let drawn = false
  return {
    line: (text) => {
      if (tty) {
        write(`\r\x1b[K${text}`)
        drawn = true
      } else write(`${text}\n`)
    },
    clear: () => {
      if (drawn) write('\r\x1b[K')
      drawn = false
    },
  }
}

interface ChildRequest {
  readonly size: SizeSpec
  readonly seed: number
  readonly budgetMs: number
  readonly samplePairs: number
  readonly skipLoad: boolean
}

function measureInChild(request: ChildRequest): Promise<SizeResult> {
  return new Promise((resolvePromise, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(request)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    let result: SizeResult | undefined
    child.on('message', (m) => (result = m as SizeResult))
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (result) resolvePromise(result)
      else reject(new Error(`measuring ${request.size.name} failed (${signal ? `signal ${signal}` : `exit code ${code}`})`))
    })
  })
}

function writeFileAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, text)
  renameSync(tmp, path)
}

export function writeManifestSets(options: BenchOptions, status: (text: string) => void): void {
  const dir = resolve(options.writeManifests!)
  for (const size of options.sizes) {
    const cluster = generateCluster({ ...size, seed: options.seed })
    const files = clusterManifests(cluster, options.manifestStyle)
    const target = join(dir, size.name)
    mkdirSync(target, { recursive: true })
    for (const f of files) writeFileAtomically(join(target, f.path), f.text)
    status(`${size.name}: ${files.length} files, ${cluster.state.pods.length} pods, ${cluster.state.policies.length} policies -> ${target}`)
  }
  status(`try: ./bin/netpol matrix ${join(dir, options.sizes[0].name)} --port 8080`)
}

export interface BenchIO {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
  readonly stderrIsTTY: boolean
}

export async function runBench(options: BenchOptions, io: BenchIO): Promise<{ result: BenchResult; exitCode: number }> {
  const status = statusSink(io.stderr, io.stderrIsTTY)
  const loadBefore = loadavg()[0]
  const sizes: SizeResult[] = []
  const failures: { size: string; error: string }[] = []
  for (const size of options.sizes) {
    status.line(`${size.name}: measuring ${size.pods} pods, ${size.namespaces} namespaces, ${size.policies} policies...`)
    const request: ChildRequest = { size, seed: options.seed, budgetMs: options.budgetMs, samplePairs: options.samplePairs, skipLoad: options.skipLoad }
    try {
      const r = options.isolate ? await measureInChild(request) : measureSize(size, { ...request, isolatedProcess: false, log: status.line })
      sizes.push(r)
      status.line(`${size.name}: done in ${formatMs(r.totalMs)}`)
    } catch (err) {
      // Keep the other sizes' figures; the run still fails.
      const message = err instanceof Error ? err.message : String(err)
      failures.push({ size: size.name, error: message })
      status.clear()
      io.stderr(`${size.name}: FAILED: ${message}\n`)
    }
  }
  status.clear()
  const cpu = cpus()
  const targets = judgeTargets(sizes)
  const agreed = sizes.every((s) => s.agreement.disagreements === 0)
  const result: BenchResult = {
    version: 1,
    date: new Date().toISOString(),
    machine: {
      cpus: cpu.length,
      cpuModel: cpu[0]?.model.trim() ?? 'unknown',
      totalMemoryBytes: totalmem(),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadavg()[0],
    },
    seed: options.seed,
    budgetMs: options.budgetMs,
    sizes,
    targets,
    agreed,
    targetsMet: targets.every((t) => t.met),
    failures,
  }
  writeFileAtomically(resolve(options.out), `${JSON.stringify(result, null, 2)}\n`)
  io.stdout(renderTable(result))
  io.stdout(`results written to ${options.out}\n`)
  const exitCode = !agreed || failures.length > 0 || (options.failOnMissed && !result.targetsMet) ? 1 : 0
  return { result, exitCode }
}

async function childMain(requestText: string): Promise<void> {
  const request = JSON.parse(requestText) as ChildRequest
  const status = statusSink((t) => void process.stderr.write(t), Boolean(process.stderr.isTTY))
  const result = measureSize(request.size, { ...request, isolatedProcess: true, log: status.line })
  await new Promise<void>((done, fail) => process.send!(result, (err: Error | null) => (err ? fail(err) : done())))
  process.disconnect?.()
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === '--child') {
    await childMain(argv[1])
    return 0
  }
  let options: BenchOptions
  try {
    options = parseBenchArgs(argv)
  } catch (err) {
    if (err instanceof BenchUsageError) {
      // --help: usage on stdout, exit 0; a bad argument: the error and usage on stderr, exit 2.
      if (!err.message) {
        process.stdout.write(USAGE)
        return 0
      }
      process.stderr.write(`error: ${err.message}\n${USAGE}`)
      return 2
    }
    throw err
  }
  const io: BenchIO = { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t), stderrIsTTY: Boolean(process.stderr.isTTY) }
  if (options.writeManifests) {
    writeManifestSets(options, (t) => io.stderr(`${t}\n`))
    return 0
  }
  const { exitCode } = await runBench(options, io)
  return exitCode
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
