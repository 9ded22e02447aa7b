/**
 * @module `npm run bench:load`: how fast manifests are read, in MB/s, on the benchmark's generated
 * clusters (both manifest styles, YAML and JSON): the reader netpol uses (strict JSON and
 * common-YAML fast paths, the full YAML reader behind them) against the full YAML reader alone,
 * and the whole load (reading, checking, assembling the state). CPU time of this process, median
 * of the runs; the machine's other load does not count. Figures and method: docs/performance.md,
 * "Loading manifests".
 */
import { loadManifestText, mergeLoadResults } from '../src/cluster/load-manifests.js'
import { readManifestDocuments, readYamlManifestDocuments } from '../src/model/yaml-documents.js'
import { clusterManifests, type ManifestFile, type ManifestStyle } from '../testing/cluster-manifests.js'
import { DEFAULT_SEED, generateCluster, SIZES, type SizeName } from '../testing/generate-cluster.js'

const USAGE = `usage: npm run bench:load -- [--sizes S,M,L] [--runs N] [--json FILE]

Reads the generated clusters' manifests in memory (no disk) and prints MB/s of:
  read         readManifestDocuments: what netpol uses (fast paths, full YAML reader as fallback)
  full YAML    readYamlManifestDocuments: the full YAML reader alone (skipped at L: minutes)
  load         loadManifestText + mergeLoadResults: reading, validation and the assembled state
CPU time (user + system) of this process, median of --runs (default 3).`

interface Row {
  readonly size: SizeName
  readonly style: ManifestStyle
  readonly format: 'yaml' | 'json'
  readonly megabytes: number
  readonly documents: number
  readonly readMBps: number
  readonly fullYamlMBps?: number
  readonly loadMs: number
  readonly loadMBps: number
}

function cpuMs(run: () => void): number {
  const before = process.cpuUsage()
  run()
  const d = process.cpuUsage(before)
  return (d.user + d.system) / 1000
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

function measure(files: readonly ManifestFile[], runs: number, fullYaml: boolean): Omit<Row, 'size' | 'style' | 'format'> {
  const megabytes = files.reduce((n, f) => n + Buffer.byteLength(f.text), 0) / 1e6
  let documents = 0
  const read = median(
    Array.from({ length: runs }, () =>
      cpuMs(() => {
        documents = 0
        for (const f of files) documents += readManifestDocuments(f.text, f.path).documents.length
      }),
    ),
  )
  const full = fullYaml
    ? median(Array.from({ length: Math.min(runs, 2) }, () => cpuMs(() => files.forEach((f) => readYamlManifestDocuments(f.text, f.path)))))
    : undefined
  const load = median(Array.from({ length: runs }, () => cpuMs(() => mergeLoadResults(files.map((f) => loadManifestText(f.text, { file: f.path }))))))
  return {
    megabytes,
    documents,
    readMBps: megabytes / (read / 1000),
    ...(full === undefined ? {} : { fullYamlMBps: megabytes / (full / 1000) }),
    loadMs: load,
    loadMBps: megabytes / (load / 1000),
  }
}

function main(argv: readonly string[]): number {
  let sizes: SizeName[] = ['S', 'M', 'L']
  let runs = 3
  let json: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`)
      return 0
    }
    const v = argv[++i]
    if (a === '--sizes' && v)
      sizes = v
        .split(',')
        .map((s) => s.trim())
        .filter((s): s is SizeName => s in SIZES)
    else if (a === '--runs' && v && Number(v) >= 1) runs = Math.floor(Number(v))
    else if (a === '--json' && v) json = v
    else {
      process.stderr.write(`error: bad argument ${JSON.stringify(a)}\n${USAGE}\n`)
      return 2
    }
  }
  const rows: Row[] = []
  const fmt = (n: number | undefined): string => (n === undefined ? '-' : n.toFixed(1))
  process.stdout.write('size style     format    MB   docs  read MB/s  full YAML MB/s  load ms  load MB/s\n')
  for (const size of sizes) {
    const cluster = generateCluster({ ...SIZES[size], seed: DEFAULT_SEED })
    for (const style of ['pods', 'workloads'] as const) {
      for (const format of ['yaml', 'json'] as const) {
        const files = clusterManifests(cluster, style, format)
        const row: Row = { size, style, format, ...measure(files, runs, format === 'yaml' && size !== 'L') }
        rows.push(row)
        const cells = [
          size.padEnd(4),
          style.padEnd(9),
          format.padEnd(6),
          row.megabytes.toFixed(1).padStart(5),
          String(row.documents).padStart(6),
          fmt(row.readMBps).padStart(10),
          fmt(row.fullYamlMBps).padStart(15),
          row.loadMs.toFixed(0).padStart(8),
          fmt(row.loadMBps).padStart(10),
        ]
        process.stdout.write(`${cells.join(' ')}\n`)
      }
    }
  }
  if (json) {
    void import('node:fs').then((fs) => fs.writeFileSync(json, `${JSON.stringify({ seed: DEFAULT_SEED, runs, rows }, null, 2)}\n`))
  }
  return 0
}

process.exitCode = main(process.argv.slice(2))
