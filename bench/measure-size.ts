/**
 * @module Measures one cluster size: the fast engine and the reference side by side on the same
 * generated cluster, plus explain latency, incremental update, ruleset compile and manifest load.
 *
 * The reference evaluator walks every policy for every pair, so at L it cannot finish all pairs:
 * it evaluates whole rows of the matrix (a source against every destination) in a seeded random
 * order until its time budget runs out, and its time for all pairs is extrapolated from the pairs
 * done. Every pair the reference evaluated is also compared with the fast engine's answer.
 */
import type { ClusterState, NetworkPolicy, Pod, Protocol } from '../src/model/types.js'
import { qualifiedName } from '../src/model/types.js'
import { endpointName, formatPort } from '../src/model/describe.js'
import type { Endpoint, Evaluator, Traffic, Verdict } from '../src/engine/verdict.js'
import { referenceEvaluator } from '../src/engine/reference.js'
import { compileRuleset } from '../src/dataplane/compile-ruleset.js'
import { explainVerdict, resolveEndpoint, resolveExplainPort } from '../src/analyze/explain.js'
import { loadManifestText, mergeLoadResults } from '../src/cluster/load-manifests.js'
import type { AllPairsResult, SizeResult, SizeSpec } from './bench-result.js'
import { generateCluster, type GeneratedCluster } from '../testing/generate-cluster.js'
import { clusterManifests } from '../testing/cluster-manifests.js'
import { createPrng, type Prng } from '../testing/prng.js'
import { buildFastEngine, type FastAllPairs, type FastEngine, type PolicyChange } from './fast-engine-adapter.js'

export interface MeasureOptions {
  readonly seed: number
  /** Time budget of each bounded reference run (pod level, workload level). */
  readonly budgetMs: number
  /** Random pairs (with random ports and IP endpoints) compared between engine and reference. */
  readonly samplePairs: number
  /** Skip loading the YAML manifests through the loader. */
  readonly skipLoad?: boolean
  /** Progress lines; called with a phase name. */
  readonly log?: (text: string) => void
  /** Whether this runs in its own process (recorded in the result). */
  readonly isolatedProcess: boolean
}

const BENCH_PORT = { port: 8080, protocol: 'TCP' as Protocol }

function now(): number {
  return performance.now()
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]
}

function peakRss(): number {
  // Linux reports maxRSS in kilobytes.
  return process.resourceUsage().maxRSS * 1024
}

const podEndpoint = (pod: Pod): Endpoint => ({ kind: 'pod', pod })

/** One pod per Deployment/StatefulSet (its first replica), in state order. */
function workloadRepresentatives(pods: readonly Pod[]): Pod[] {
  const seen = new Set<string>()
  const out: Pod[] = []
  for (const p of pods) {
    const key = p.owner ? `${p.namespace}/${p.owner.kind}/${p.owner.name}` : qualifiedName(p)
    if (seen.has(key)) continue
    seen.add(key)
    out.push(p)
  }
  return out
}

interface Agreement {
  pairs: number
  verdicts: number
  disagreements: number
  examples: string[]
}

function describeTraffic(t: Traffic): string {
  return `${endpointName(t.from)} -> ${endpointName(t.to)} ${formatPort(t)}`
}

function disagree(a: Agreement, text: string): void {
  a.disagreements++
  if (a.examples.length < 10) a.examples.push(text)
}

/** Bounded reference all-pairs over `endpoints`, checked against the fast engine's matrix. */
function referenceRows(
  reference: Evaluator,
  endpoints: readonly Pod[],
  fast: FastAllPairs,
  budgetMs: number,
  rng: Prng,
  agreement: Agreement,
  log: (text: string) => void,
  label: string,
): AllPairsResult['reference'] {
  const n = endpoints.length
  const eps = endpoints.map(podEndpoint)
  const order = rng.shuffle([...Array(n).keys()])
  const start = now()
  let pairsDone = 0
  let rows = 0
  let lastLog = start
  for (const i of order) {
    const from = eps[i]
    for (let j = 0; j < n; j++) {
      const allowed = reference.isAllowed({ from, to: eps[j], port: BENCH_PORT.port, protocol: BENCH_PORT.protocol })
      agreement.pairs++
      if (allowed !== fast.allowed(i, j)) {
        disagree(
          agreement,
          `${label} ${qualifiedName(endpoints[i])} -> ${qualifiedName(endpoints[j])} ${formatPort(BENCH_PORT)}: reference ${allowed}, fast ${!allowed}`,
        )
      }
    }
    pairsDone += n
    rows++
    const t = now()
    if (t - lastLog > 5000) {
      log(`${label}: reference ${rows}/${n} rows, ${((t - start) / 1000).toFixed(1)}s`)
      lastLog = t
    }
    if (t - start >= budgetMs) break
  }
  const ms = now() - start
  const total = n * n
  const complete = pairsDone === total
  return { pairsDone, ms, complete, estimatedMs: complete ? ms : (ms / pairsDone) * total }
}

function allPairs(
  engine: FastEngine,
  buildMs: number,
  rebuild: () => FastEngine,
  reference: Evaluator,
  endpoints: readonly Pod[],
  options: MeasureOptions,
  rng: Prng,
  agreement: Agreement,
  log: (text: string) => void,
  label: string,
): AllPairsResult {
  const t0 = now()
  const first = engine.allPairs(endpoints, BENCH_PORT)
  const fastMs = now() - t0
  // More runs, each on a freshly built engine (it caches answers per port): at least 3 in all,
  // more while cheap. The first run is cold (fresh process), the others show the warm cost.
  const totals = [buildMs + fastMs]
  const warm: number[] = []
  const start = now()
  while (totals.length < 3 || (totals.length < 7 && now() - start < 2000)) {
    const b = now()
    const fresh = rebuild()
    const m = now()
    fresh.allPairs(endpoints, BENCH_PORT)
    const e = now()
    warm.push(e - m)
    totals.push(e - b)
  }
  const e0 = now()
  const visited = first.visit()
  const enumerateMs = now() - e0
  if (visited !== first.allowedPairs) {
    disagree(agreement, `${label}: the fast engine counts ${first.allowedPairs} allowed pairs but answers allowed for ${visited}`)
  }
  const totalMedianMs = median(totals)
  log(
    `${label}: fast ${totalMedianMs.toFixed(0)} ms (build + matrix, median of ${totals.length}); reference for up to ${(options.budgetMs / 1000).toFixed(0)} s`,
  )
  const ref = referenceRows(reference, endpoints, first, options.budgetMs, rng, agreement, log, label)
  return {
    endpoints: endpoints.length,
    pairs: endpoints.length * endpoints.length,
    allowedPairs: first.allowedPairs,
    fastMs,
    buildMs,
    fastWarmMs: median(warm),
    totalRunsMs: totals,
    totalMedianMs,
    fastRuns: totals.length,
    enumerateMs,
    reference: ref,
    // Conservative: the engine's index build and visiting every pair's answer count against it
    // (the reference builds nothing and answers pair by pair).
    ratio: ref.estimatedMs / (totalMedianMs + enumerateMs),
  }
}

/** Ports the random sample probes: the app ports, DNS, a range port, and ports nobody opens. */
const SAMPLE_PORTS: readonly { port: number; protocol: Protocol }[] = [
  { port: 8080, protocol: 'TCP' },
  { port: 9000, protocol: 'TCP' },
  { port: 5432, protocol: 'TCP' },
  { port: 6379, protocol: 'TCP' },
  { port: 9090, protocol: 'TCP' },
  { port: 8025, protocol: 'TCP' },
  { port: 8050, protocol: 'TCP' },
  { port: 443, protocol: 'TCP' },
  { port: 53, protocol: 'UDP' },
  { port: 53, protocol: 'TCP' },
  { port: 8080, protocol: 'UDP' },
  { port: 5432, protocol: 'SCTP' },
  { port: 1234, protocol: 'TCP' },
]

const EXTERNAL_IPS = ['8.8.8.8', '169.254.169.254', '192.168.1.10', '10.96.0.10', '10.244.0.2', '203.0.113.7']

function randomEndpoint(rng: Prng, pods: readonly Pod[]): Endpoint {
  if (rng.chance(0.05)) return { kind: 'ip', ip: rng.pick(EXTERNAL_IPS) }
  return podEndpoint(rng.pick(pods))
}

function randomTraffic(rng: Prng, pods: readonly Pod[]): Traffic {
  const p = rng.pick(SAMPLE_PORTS)
  let from = randomEndpoint(rng, pods)
  let to = randomEndpoint(rng, pods)
  if (from.kind === 'ip' && to.kind === 'ip') to = podEndpoint(rng.pick(pods))
  if (rng.chance(0.01)) from = to
  return { from, to, port: p.port, protocol: p.protocol }
}

/** Verdicts are compared as data (order included): the engine must explain exactly like the reference. */
function sameVerdict(a: Verdict, b: Verdict): boolean {
  return JSON.stringify(a, verdictReplacer) === JSON.stringify(b, verdictReplacer)
}

function verdictReplacer(key: string, value: unknown): unknown {
  // Endpoints hold whole pods; name them instead.
  if ((key === 'from' || key === 'to') && value && typeof value === 'object' && 'kind' in value) {
    const e = value as Endpoint
    return e.kind === 'pod' ? `pod:${qualifiedName(e.pod)}` : `ip:${e.ip}`
  }
  return value
}

function compareSample(
  fast: Evaluator,
  reference: Evaluator,
  pods: readonly Pod[],
  count: number,
  rng: Prng,
  agreement: Agreement,
  label: string,
  fullVerdictEvery = 4,
): void {
  for (let k = 0; k < count; k++) {
    const t = randomTraffic(rng, pods)
    const r = reference.evaluate(t)
    const quick = fast.isAllowed(t)
    agreement.pairs++
    if (quick !== r.allowed) disagree(agreement, `${label} ${describeTraffic(t)}: reference ${r.allowed}, fast isAllowed ${quick}`)
    if (k % fullVerdictEvery === 0) {
      const v = fast.evaluate(t)
      agreement.verdicts++
      if (!sameVerdict(v, r)) disagree(agreement, `${label} ${describeTraffic(t)}: verdicts differ (reference allowed=${r.allowed}, fast allowed=${v.allowed})`)
    }
  }
}

/** An explain worth timing: a cross-tier pair inside one namespace whose destination is isolated. */
function explainPair(engine: Evaluator, state: ClusterState): Traffic {
  const byName = new Map(state.pods.map((p) => [qualifiedName(p), p]))
  for (const p of state.pods) {
    if (p.labels.tier !== 'frontend') continue
    const api = byName.get(`${p.namespace}/api-0`)
    if (!api) continue
    const t: Traffic = { from: podEndpoint(p), to: podEndpoint(api), port: BENCH_PORT.port, protocol: BENCH_PORT.protocol }
    const v = engine.evaluate(t)
    if (v.ingress.isolated && v.ingress.policies.length >= 2) return t
  }
  return { from: podEndpoint(state.pods[state.pods.length - 1]), to: podEndpoint(state.pods[0]), ...BENCH_PORT }
}

/** One-policy changes people make: open a port, narrow a selector, add a policy, delete one. */
function policyChanges(state: ClusterState, rng: Prng): { describe: string; change: PolicyChange; next: ClusterState }[] {
  const out: { describe: string; change: PolicyChange; next: ClusterState }[] = []
  const withRules = state.policies.filter((p) => p.ingress.length > 0 && p.ingress[0].from.length > 0)
  const replace = (old: NetworkPolicy, p: NetworkPolicy): ClusterState => ({
    ...state,
    policies: state.policies.map((q) => (q === old ? p : q)),
  })
  for (let k = 0; k < 3 && withRules.length > 0; k++) {
    const old = rng.pick(withRules)
    const rule = old.ingress[0]
    const opened: NetworkPolicy = {
      ...old,
      ingress: [{ ...rule, ports: [...rule.ports, { protocol: 'TCP', port: 8443, source: rule.source }] }, ...old.ingress.slice(1)],
    }
    out.push({ describe: `open port 8443 in ${qualifiedName(old)}`, change: { kind: 'put', policy: opened }, next: replace(old, opened) })
    const narrowed: NetworkPolicy = { ...old, podSelector: { ...old.podSelector, matchLabels: { ...old.podSelector.matchLabels, version: 'v2' } } }
    out.push({ describe: `narrow the podSelector of ${qualifiedName(old)}`, change: { kind: 'put', policy: narrowed }, next: replace(old, narrowed) })
  }
  const ns = rng.pick(state.namespaces.filter((n) => n.labels.team !== undefined))
  const src = { file: 'bench/change.yaml', line: 1 }
  const added: NetworkPolicy = {
    namespace: ns.name,
    name: 'bench-added-allow-team',
    podSelector: { matchLabels: {}, matchExpressions: [] },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: ns.labels.team }, matchExpressions: [] }, source: src }], ports: [], source: src }],
    egress: [],
    source: src,
  }
  out.push({ describe: `add ${qualifiedName(added)}`, change: { kind: 'put', policy: added }, next: { ...state, policies: [...state.policies, added] } })
  const removed = rng.pick(state.policies)
  out.push({
    describe: `delete ${qualifiedName(removed)}`,
    change: { kind: 'delete', namespace: removed.namespace, name: removed.name },
    next: { ...state, policies: state.policies.filter((p) => p !== removed) },
  })
  return out
}

function busiestNode(state: ClusterState): { name: string; pods: number } | undefined {
  const counts = new Map<string, number>()
  for (const p of state.pods) if (p.nodeName) counts.set(p.nodeName, (counts.get(p.nodeName) ?? 0) + 1)
  let best: { name: string; pods: number } | undefined
  for (const [name, pods] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) if (!best || pods > best.pods) best = { name, pods }
  return best
}

export function measureSize(size: SizeSpec, options: MeasureOptions): SizeResult {
  const log = options.log ?? (() => {})
  const label = size.name
  const totalStart = now()
  const rng = createPrng(options.seed ^ 0x5eed)
  const agreement: Agreement = { pairs: 0, verdicts: 0, disagreements: 0, examples: [] }

  let t = now()
  const cluster: GeneratedCluster = generateCluster({ ...size, seed: options.seed })
  const generateMs = now() - t
  const { state } = cluster
  log(`${label}: generated ${state.pods.length} pods, ${state.namespaces.length} namespaces, ${state.policies.length} policies in ${generateMs.toFixed(0)} ms`)

  t = now()
  const engine = buildFastEngine(state)
  const engineBuildMs = now() - t
  const reference = referenceEvaluator(state)

  const pods = state.pods
  const podLevel = allPairs(engine, engineBuildMs, () => buildFastEngine(state), reference, pods, options, rng, agreement, log, `${label} pod level`)
  const reps = workloadRepresentatives(pods)
  // A fresh engine: the first one has the answers for this port cached from the pod level.
  t = now()
  const workloadEngine = buildFastEngine(state)
  const workloadBuildMs = now() - t
  const workloadLevel = allPairs(
    workloadEngine,
    workloadBuildMs,
    () => buildFastEngine(state),
    reference,
    reps,
    options,
    rng,
    agreement,
    log,
    `${label} workload level`,
  )

  log(`${label}: comparing ${options.samplePairs} random pairs with the reference`)
  compareSample(engine.evaluator, reference, pods, options.samplePairs, rng, agreement, `${label} sample`)

  // Explain as `netpol explain` does it once the state is loaded and the engine built: resolve
  // both names, evaluate with reasons, build the explanation it renders.
  const pair = explainPair(engine.evaluator, state)
  const fromText = endpointName(pair.from)
  const toText = endpointName(pair.to)
  const portText = `${pair.port}/${pair.protocol}`
  const explainOnce = (): boolean => {
    const from = resolveEndpoint(state, fromText)
    const to = resolveEndpoint(state, toText)
    const p = resolveExplainPort(portText, to)
    const v = engine.evaluator.evaluate({ from, to, port: p.port, protocol: p.protocol })
    explainVerdict(state, v)
    return v.allowed
  }
  const explainTimes: number[] = []
  let explainAllowed = false
  for (let k = 0; k < 200; k++) {
    const s = now()
    explainAllowed = explainOnce()
    explainTimes.push(now() - s)
  }
  // And over many different pairs, for the spread.
  const spread: number[] = []
  for (let k = 0; k < 200; k++) {
    const t = randomTraffic(rng, pods)
    const s = now()
    engine.evaluator.evaluate(t)
    spread.push(now() - s)
  }

  // Incremental update: each change applied to a fresh copy of the engine's state.
  log(`${label}: incremental updates`)
  const changes = policyChanges(state, rng)
  const updateTimes: number[] = []
  const updateAllPairsTimes: number[] = []
  let incremental = 0
  let checkedPairs = 0
  let rebuildMs = 0
  for (const change of changes) {
    const s = now()
    const updated = engine.update(change.change)
    updateTimes.push(now() - s)
    updated.allPairs(updated.engine.state.pods, BENCH_PORT)
    updateAllPairsTimes.push(now() - s)
    if (updated.engine.incremental) incremental++
    const refNext = referenceEvaluator(change.next)
    const before = agreement.pairs
    compareSample(updated.evaluator, refNext, change.next.pods, Math.min(400, options.samplePairs), rng, agreement, `${label} after "${change.describe}"`, 8)
    checkedPairs += agreement.pairs - before
  }
  {
    const s = now()
    buildFastEngine(changes[0].next)
    rebuildMs = now() - s
  }

  // Data plane: the ruleset of the busiest node (110 pods at M and L).
  let compile: SizeResult['compile']
  const node = busiestNode(state)
  if (node) {
    log(`${label}: compiling the ruleset of ${node.name} (${node.pods} pods)`)
    const times: number[] = []
    let script = ''
    const start = now()
    while (times.length < 3 || (times.length < 15 && now() - start < 3000)) {
      const s = now()
      script = compileRuleset(state, { nodeName: node.name }).script
      times.push(now() - s)
    }
    compile = {
      nodeName: node.name,
      nodePods: node.pods,
      medianMs: median(times),
      repetitions: times.length,
      bytes: Buffer.byteLength(script),
      lines: script.split('\n').length,
    }
  }
  const peakRssBytes = peakRss()

  let load: SizeResult['load']
  if (!options.skipLoad) {
    log(`${label}: loading the YAML manifests`)
    const files = clusterManifests(cluster, 'pods')
    const s = now()
    const loaded = mergeLoadResults(files.map((f) => loadManifestText(f.text, { file: f.path })))
    const ms = now() - s
    if (loaded.state.pods.length !== state.pods.length || loaded.state.policies.length !== state.policies.length) {
      throw new Error(
        `loading the manifests gave ${loaded.state.pods.length} pods and ${loaded.state.policies.length} policies, expected ` +
          `${state.pods.length} and ${state.policies.length}`,
      )
    }
    load = { bytes: files.reduce((n, f) => n + Buffer.byteLength(f.text), 0), files: files.length, ms }
  }

  return {
    size,
    seed: options.seed,
    workloads: reps.length,
    identities: engine.engine.identities.length,
    nodes: cluster.nodes.length,
    port: BENCH_PORT,
    generateMs,
    engineBuildMs,
    podLevel,
    workloadLevel,
    explain: {
      from: endpointName(pair.from),
      to: endpointName(pair.to),
      allowed: explainAllowed,
      repetitions: explainTimes.length,
      firstMs: explainTimes[0],
      medianMs: median(explainTimes),
      p90Ms: percentile(explainTimes, 0.9),
      randomPairsMedianMs: median(spread),
      randomPairsMaxMs: Math.max(...spread),
    },
    update: {
      changes: changes.map((c, i) => ({ change: c.describe, ms: updateTimes[i] })),
      medianMs: median(updateTimes),
      maxMs: Math.max(...updateTimes),
      incremental,
      withAllPairsMedianMs: median(updateAllPairsTimes),
      rebuildMs,
      checkedPairs,
    },
    ...(compile ? { compile } : {}),
    ...(load ? { load } : {}),
    agreement: { pairsCompared: agreement.pairs, verdictsCompared: agreement.verdicts, disagreements: agreement.disagreements, examples: agreement.examples },
    peakRssBytes,
    peakRssWithLoadBytes: peakRss(),
    isolatedProcess: options.isolatedProcess,
    totalMs: now() - totalStart,
  }
}
