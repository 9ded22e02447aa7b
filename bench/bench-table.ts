/**
 * @module The benchmark's on-screen table: one column per size, side by side, with issue 6's
 * targets and whether they were met. Pure: results in, text out.
 */
import type { BenchResult, SizeResult, TargetResult } from './bench-result.js'

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-'
  if (ms < 1) return `${ms.toFixed(2)} ms`
  if (ms < 10) return `${ms.toFixed(1)} ms`
  if (ms < 1000) return `${ms.toFixed(0)} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(2)} s`
  if (s < 3600) return `${(s / 60).toFixed(1)} min`
  if (s < 86400 * 2) return `${(s / 3600).toFixed(1)} h`
  return `${(s / 86400).toFixed(1)} days`
}

export function formatBytes(b: number): string {
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(0)} KiB`
  if (b < 1024 ** 3) return `${(b / 1024 ** 2).toFixed(0)} MiB`
  return `${(b / 1024 ** 3).toFixed(2)} GiB`
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

function formatRatio(x: number): string {
  if (!Number.isFinite(x)) return '-'
  return x >= 100 ? `${formatCount(x)}x` : `${x.toFixed(1)}x`
}

/** A figure in the target's unit. */
function formatIn(unit: TargetResult['unit'], value: number): string {
  return unit === 'ms' ? formatMs(value) : unit === 'bytes' ? formatBytes(value) : formatRatio(value)
}

function formatTarget(t: TargetResult): string {
  return `${t.comparison} ${formatIn(t.unit, t.limit)}`
}

interface Row {
  readonly label: string
  readonly cells: readonly string[]
  /** Target name in judgeTargets, when the row has one. */
  readonly target?: string
}

function referenceCell(r: SizeResult['podLevel']['reference']): string {
  return r.complete ? formatMs(r.ms) : `~${formatMs(r.estimatedMs)}*`
}

function rows(sizes: readonly SizeResult[]): Row[] {
  const col = (f: (s: SizeResult) => string): string[] => sizes.map(f)
  const out: Row[] = [
    {
      label: 'pods / namespaces / policies',
      cells: col((s) => `${formatCount(s.size.pods)} / ${formatCount(s.size.namespaces)} / ${formatCount(s.size.policies)}`),
    },
    { label: 'workloads / identities / nodes', cells: col((s) => `${formatCount(s.workloads)} / ${formatCount(s.identities)} / ${s.nodes}`) },
  ]
  for (const [title, pick, target, ratioTarget] of [
    ['pod level', (s: SizeResult) => s.podLevel, 'pod-level all-pairs, one port (index build + matrix, median)', 'pod-level all-pairs vs reference'],
    ['workload level', (s: SizeResult) => s.workloadLevel, undefined, undefined],
  ] as const) {
    out.push({ label: `${title}: all pairs, ${sizes[0]?.port.port}/${sizes[0]?.port.protocol}`, cells: col((s) => formatCount(pick(s).pairs)) })
    out.push({ label: '  fast engine (build + matrix), median', cells: col((s) => `${formatMs(pick(s).totalMedianMs)} (${pick(s).fastRuns})`), target })
    out.push({ label: '    first run (cold): build + matrix', cells: col((s) => `${formatMs(pick(s).buildMs)} + ${formatMs(pick(s).fastMs)}`) })
    out.push({ label: '    matrix alone, warm', cells: col((s) => formatMs(pick(s).fastWarmMs)) })
    out.push({ label: '  then visiting every pair once', cells: col((s) => formatMs(pick(s).enumerateMs)) })
    out.push({ label: '  reference', cells: col((s) => referenceCell(pick(s).reference)) })
    out.push({ label: '  speed-up (build + matrix + visit)', cells: col((s) => formatRatio(pick(s).ratio)), target: ratioTarget })
  }
  out.push(
    { label: 'explain one pair (median)', cells: col((s) => formatMs(s.explain.medianMs)), target: 'explain one pair' },
    { label: '  first call / random pairs max', cells: col((s) => `${formatMs(s.explain.firstMs)} / ${formatMs(s.explain.randomPairsMaxMs)}`) },
    { label: 'update after one policy change (median)', cells: col((s) => formatMs(s.update.medianMs)), target: 'update after one policy change' },
    { label: '  slowest of the changes', cells: col((s) => `${formatMs(s.update.maxMs)} (${s.update.incremental}/${s.update.changes.length} incr.)`) },
    { label: '  update, then all pairs again', cells: col((s) => formatMs(s.update.withAllPairsMedianMs)) },
    { label: '  full index rebuild instead', cells: col((s) => formatMs(s.update.rebuildMs)) },
    { label: 'compile ruleset for one node', cells: col((s) => (s.compile ? `${formatMs(s.compile.medianMs)} (${s.compile.nodePods} pods)` : '-')) },
    { label: 'load YAML manifests', cells: col((s) => (s.load ? `${formatMs(s.load.ms)} (${formatBytes(s.load.bytes)})` : '-')) },
    { label: 'peak memory (RSS)', cells: col((s) => formatBytes(s.peakRssBytes)), target: 'peak memory (RSS)' },
    { label: '  with YAML loading', cells: col((s) => (s.load ? formatBytes(s.peakRssWithLoadBytes) : '-')) },
    {
      label: 'fast engine = reference',
      cells: col((s) =>
        s.agreement.disagreements === 0 ? `yes (${formatCount(s.agreement.pairsCompared)} pairs)` : `NO: ${s.agreement.disagreements} differ`,
      ),
    },
  )
  return out
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width)
}

export function renderTable(result: BenchResult): string {
  const { sizes } = result
  const table = rows(sizes)
  const head = ['', ...sizes.map((s) => s.size.name), 'target', '']
  const body = table.map((r) => {
    const targets = r.target ? result.targets.filter((t) => t.name === r.target) : []
    const targetText =
      targets.length > 0 ? `${formatTarget(targets[0])}${targets[0].size === 'L' && targets.length === 1 && sizes.length > 1 ? ' (L)' : ''}` : ''
    const missed = targets.filter((t) => !t.met)
    const status = targets.length === 0 ? '' : missed.length === 0 ? 'met' : `MISSED (${missed.map((t) => t.size).join(', ')})`
    return [r.label, ...r.cells, targetText, status]
  })
  const all = [head, ...body]
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i].length)))
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => pad(c, widths[i], i > 0 && i <= sizes.length))
      .join('  ')
      .trimEnd()
  const m = result.machine
  const lines = [
    `netpol benchmark: seed ${result.seed}, ${m.cpus} CPUs (${m.cpuModel}), Node ${m.node}, reference budget ${formatMs(result.budgetMs)} per run`,
    `load average ${m.loadAverageBefore.toFixed(1)} before, ${m.loadAverageAfter.toFixed(1)} after` +
      (m.loadAverageBefore > m.cpus || m.loadAverageAfter > m.cpus ? ' (a busy machine: timings are pessimistic)' : ''),
    '',
    line(head),
    ...body.map(line),
    '',
  ]
  const partial = sizes.flatMap((s) =>
    [s.podLevel, s.workloadLevel]
      .filter((p) => !p.reference.complete)
      .map((p) => `${s.size.name}: ${((p.reference.pairsDone / p.pairs) * 100).toPrecision(2)}% of ${formatCount(p.pairs)} pairs`),
  )
  if (partial.length > 0) lines.push(`* reference extrapolated from the pairs it finished within the budget: ${partial.join('; ')}`)
  const missed = result.targets.filter((t) => !t.met)
  lines.push(
    result.targets.length === 0
      ? 'targets: none judged (they apply to the sizes S, M and L)'
      : missed.length === 0
        ? `targets: all ${result.targets.length} met`
        : `targets: ${missed.length} of ${result.targets.length} MISSED: ` +
          `${missed.map((t) => `${t.size} ${t.name} ${formatIn(t.unit, t.value)} (target ${formatTarget(t)})`).join('; ')}`,
  )
  for (const f of result.failures) lines.push(`${f.size}: FAILED: ${f.error}`)
  if (!result.agreed) {
    lines.push('DISAGREEMENT between the fast engine and the reference:')
    for (const s of sizes) for (const e of s.agreement.examples) lines.push(`  ${e}`)
  }
  return `${lines.join('\n')}\n`
}
