/**
 * @module `npm run bench:agent`: the node agent's sync latency, from an API write to the ruleset
 * being in the kernel, on a node with 110 pods in a cluster of 5,000 pods and 2,000 policies.
 *
 * The cluster comes from the benchmark generator (seeded), served by the in-process test API
 * server over real HTTP (list + chunked watch); the agent is the real one (netpol's informers,
 * state build, compiler) and, when run as root, applies with `nft -f` inside a scratch network
 * namespace `netpol-agtbench-<id>` (removed at the end). Each sample is one API write that changes
 * this node's ruleset: a policy selecting local pods gains/loses a rule, a pod joins the node, a
 * pod leaves it. Samples are spaced past the agent's minimum sync interval, so they measure the
 * sync itself, not the coalescing wait. Writes a table to stdout and JSON to bench/results/.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { parseAllDocuments } from 'yaml'
import { Agent } from '../src/agent/agent.js'
import type { AgentDataplane, CompiledRuleset } from '../src/agent/agent-dataplane.js'
import { createAgentMetrics } from '../src/agent/agent-metrics.js'
import { createNftDataplane } from '../src/agent/nft-dataplane.js'
import { rulesetStats } from '../src/agent/ruleset-stats.js'
import { compileRuleset } from '../src/dataplane/compile-ruleset.js'
import { IncrementalCompiler } from '../src/dataplane/incremental-compile.js'
import { NAMESPACE_NAME_LABEL, type ClusterState, type Pod } from '../src/model/types.js'
import type { ApiObject, Resource } from '../testing/test-api-server.js'
import { KubeConfig } from '@kubernetes/client-node'
import { ApiServerProcess } from './api-server-process.js'
import { clusterManifests } from '../testing/cluster-manifests.js'
import { DEFAULT_SEED, generateCluster, type GeneratedNode } from '../testing/generate-cluster.js'

const SIZE = { pods: 5_000, namespaces: 250, policies: 2_000 }
const SAMPLES_PER_KIND = Number(process.env.AGENT_BENCH_SAMPLES ?? 30)
const MIN_SYNC_INTERVAL_MS = 250

const KINDS = ['policy-update', 'pod-add', 'pod-delete', 'namespace-label'] as const
type Kind = (typeof KINDS)[number]

interface Sample {
  readonly kind: Kind
  /** API write -> nft transaction committed (ms). */
  readonly endToEndMs: number
  /** The agent's `apply` log lines before the write: the sample's own line is the next one. */
  readonly logIndex: number
}

const MODE_NAMES = ['full', 'incremental'] as const
type Mode = (typeof MODE_NAMES)[number]
/** Which applies to measure: a pass with a data plane that replaces the whole table per update, then one that applies the difference. */
const MODES: readonly Mode[] = (process.env.AGENT_BENCH_MODES ?? 'full,incremental').split(',').map((m) => {
  if (!(MODE_NAMES as readonly string[]).includes(m)) throw new Error(`AGENT_BENCH_MODES: ${JSON.stringify(m)} is not one of ${MODE_NAMES.join(', ')}`)
  return m as Mode
})

/** One agent run: its samples and its \`apply\` log lines (the first is the first sync's). */
interface Pass {
  readonly mode: Mode
  readonly samples: readonly Sample[]
  readonly applies: readonly Record<string, unknown>[]
  readonly initialMs: number
}

type Summary = ReturnType<typeof summary>
/** Where a slow sample's time went: the tail is what the p99 is made of. */
interface SlowSample {
  readonly endToEndMs: number
  readonly latencyMs: number
  readonly buildMs: number
  readonly compileMs: number
  readonly applyMs: number
}
const SLOWEST = 3
type Phases = Record<'latency' | 'build' | 'compile' | 'apply', Summary>

function passResult(pass: Pass): {
  firstSync: { initialMs: number; buildMs: number; compileMs: number; applyMs: number }
  perKind: Record<string, { endToEndMs: Summary; agentPhasesMs: Phases; applyKinds: Record<string, number>; slowest: SlowSample[] }>
} {
  // Each sample's own apply line: the first after its write (one write, one sync).
  const lineOf = (sample: Sample): Record<string, unknown> | undefined => pass.applies[sample.logIndex]
  const phasesOf = (list: readonly Sample[]): Phases => {
    const lines = list.map(lineOf).filter((l): l is Record<string, unknown> => l !== undefined)
    const phase = (k: string): Summary => summary(lines.map((l) => Number(l[k])).filter((v) => Number.isFinite(v)))
    return { latency: phase('latencyMs'), build: phase('buildMs'), compile: phase('compileMs'), apply: phase('applyMs') }
  }
  const first = pass.applies[0] ?? {}
  return {
    firstSync: { initialMs: Math.round(pass.initialMs), buildMs: Number(first.buildMs), compileMs: Number(first.compileMs), applyMs: Number(first.applyMs) },
    perKind: Object.fromEntries(
      KINDS.map((kind) => {
        const mine = pass.samples.filter((s) => s.kind === kind)
        const applyKinds: Record<string, number> = {}
        // The apply line says which the agent did (\`applyKind\`); without it, a full replace.
        for (const s of mine) {
          const ak = String(lineOf(s)?.applyKind ?? 'full')
          applyKinds[ak] = (applyKinds[ak] ?? 0) + 1
        }
        const slowest = [...mine]
          .sort((a, b) => b.endToEndMs - a.endToEndMs)
          .slice(0, SLOWEST)
          .map((s) => {
            const line = lineOf(s) ?? {}
            const ms = (k: string): number => Math.round(Number(line[k]) * 10) / 10
            return {
              endToEndMs: Math.round(s.endToEndMs * 10) / 10,
              latencyMs: ms('latencyMs'),
              buildMs: ms('buildMs'),
              compileMs: ms('compileMs'),
              applyMs: ms('applyMs'),
            }
          })
        return [kind, { endToEndMs: summary(mine.map((s) => s.endToEndMs)), agentPhasesMs: phasesOf(mine), applyKinds, slowest }]
      }),
    ),
  }
}

/** What the samples write: found once, from the first pass's state. */
interface Targets {
  readonly policy: { readonly namespace: string; readonly name: string }
  readonly template: Pod
  readonly freeIps: readonly string[]
  readonly label: { readonly namespace: string; readonly key: string; readonly value: string }
}

function findTargets(state: ClusterState, script: string, node: GeneratedNode, localPods: readonly Pod[], generated: ClusterState): Targets {
  // A policy that has an ingress chain on this node (it selects local pods), and a local pod
  // that is isolated for ingress: changing either always changes this node's ruleset.
  const index = compileRuleset(state, { nodeName: node.name }).index
  const target = index.allowCounters.find((c) => c.side === 'ingress')
  if (!target) throw new Error(`no policy selects a pod of ${node.name} for ingress: cannot measure`)
  const isolated = new Set((/map in_v4 \{[^}]*?elements = \{ ([^}]*) \}/.exec(script)?.[1] ?? '').split(',').map((e) => e.trim().split(' ')[0]))
  const template = localPods.find((p) => p.ips.some((ip) => isolated.has(ip)))
  if (!template) throw new Error(`no isolated pod on ${node.name}`)
  const usedIps = new Set(generated.pods.flatMap((p) => p.ips))
  const base = node.podCIDR.split('/')[0].split('.').slice(0, 3).join('.')
  const freeIps = Array.from({ length: 254 }, (_, i) => `${base}.${i + 1}`).filter((ip) => !usedIps.has(ip))
  // A namespace label a peer of a policy with a chain on this node selects on: removing it from a
  // namespace takes that namespace's pods out of the peer (and putting it back brings them in).
  const label = findNamespaceLabel(state, node.name, script)
  if (!label) throw new Error(`no namespace label changes ${node.name}'s ruleset: cannot measure namespace-label`)
  return { policy: { namespace: target.namespace, name: target.policy }, template, freeIps, label }
}

const RESOURCE_OF: Record<string, Resource> = { Namespace: 'namespaces', Pod: 'pods', NetworkPolicy: 'networkpolicies' }

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]
}

function summary(values: readonly number[]): { n: number; median: number; p90: number; p99: number; max: number } {
  const s = [...values].sort((a, b) => a - b)
  const r = (x: number): number => Math.round(x * 10) / 10
  return { n: s.length, median: r(percentile(s, 50)), p90: r(percentile(s, 90)), p99: r(percentile(s, 99)), max: r(s[s.length - 1] ?? NaN) }
}

/**
 * A label of a namespace that a namespaceSelector of some policy's peer selects on, such that the
 * namespace without it compiles to a different ruleset for the node (checked with a full compile).
 */
function findNamespaceLabel(state: ClusterState, nodeName: string, script: string): { namespace: string; key: string; value: string } | undefined {
  const tried = new Set<string>()
  for (const policy of state.policies) {
    for (const rule of [...policy.ingress.map((r) => r.from), ...policy.egress.map((r) => r.to)]) {
      for (const peer of rule) {
        for (const [key, value] of Object.entries(peer.namespaceSelector?.matchLabels ?? {})) {
          if (key === NAMESPACE_NAME_LABEL) continue
          const ns = state.namespaces.find((n) => n.labels[key] === value && state.pods.some((p) => p.namespace === n.name))
          if (!ns || tried.has(`${ns.name}/${key}`)) continue
          tried.add(`${ns.name}/${key}`)
          const { [key]: _dropped, ...rest } = ns.labels
          const changed = { ...state, namespaces: state.namespaces.map((n) => (n === ns ? { ...n, labels: rest } : n)) }
          if (compileRuleset(changed, { nodeName }).script !== script) return { namespace: ns.name, key, value }
          if (tried.size >= 20) return undefined
        }
      }
    }
  }
  return undefined
}

function canUseNft(): boolean {
  if (process.getuid?.() !== 0) return false
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore' })
    execFileSync('ip', ['-V'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString()
  const cluster = generateCluster({ ...SIZE, seed: DEFAULT_SEED })
  const node = [...cluster.nodes].sort((a, b) => b.podCount - a.podCount)[0]
  const localPods = cluster.state.pods.filter((p) => p.nodeName === node.name)
  process.stderr.write(
    `cluster: ${cluster.state.pods.length} pods on ${cluster.nodes.length} nodes, ${cluster.state.policies.length} policies, ` +
      `${cluster.state.namespaces.length} namespaces; node ${node.name} has ${localPods.length} pods\n`,
  )

  // The API server holds what `kubectl get ns,pods,netpol -A -o yaml` would show. It runs in a
  // process of its own, as a kube-apiserver does (not on the agent's event loop).
  const api = await ApiServerProcess.start()
  const loading: Promise<unknown>[] = []
  for (const file of clusterManifests(cluster, 'pods')) {
    for (const doc of parseAllDocuments(file.text)) {
      const o = doc.toJS() as ApiObject & { kind: string }
      loading.push(api.create(RESOURCE_OF[o.kind], o))
    }
  }
  await Promise.all(loading)
  const kubeConfig = new KubeConfig()
  kubeConfig.loadFromString(await api.kubeconfigYaml())

  const netns = canUseNft() ? `netpol-agtbench-${randomBytes(3).toString('hex')}` : undefined
  const cleanup = (): void => {
    if (netns) {
      try {
        execFileSync('ip', ['netns', 'delete', netns], { stdio: 'ignore' })
      } catch {
        // already gone
      }
    }
  }
  process.once('SIGINT', () => {
    cleanup()
    process.exit(130)
  })
  if (netns) execFileSync('ip', ['netns', 'add', netns])

  let stopAgent: (() => Promise<void>) | undefined
  try {
    // Without nft, the agent's own (incremental) compiler, as createNftDataplane has it.
    const compiler = new IncrementalCompiler({ nodeName: node.name })
    const inner: AgentDataplane = netns
      ? createNftDataplane({ nodeName: node.name, netns })
      : {
          compile: (state: ClusterState): CompiledRuleset => ({
            script: compiler.compile(state).script,
            allowCounters: [],
            clusterRuleCounters: [],
          }),
          apply: async () => {},
        }
    let targets: Targets | undefined
    let stats: ReturnType<typeof rulesetStats> | undefined
    const passes: Pass[] = []
    for (const [passIndex, mode] of MODES.entries()) {
      let onApplied: ((at: number) => void) | undefined
      let lastScript = ''
      const applied = (script: string): void => {
        lastScript = script
        onApplied?.(performance.now())
      }
      // The agent's own pre-apply work (reading the old table's counters) is part of the latency.
      // Mode full: a data plane without applyIncremental, so every update replaces the whole table.
      const dataplane: AgentDataplane = {
        ...(inner.readCounters ? { readCounters: () => inner.readCounters!() } : {}),
        ...(inner.close ? { close: () => inner.close!() } : {}),
        compile: (state) => inner.compile(state),
        apply: async (script) => {
          await inner.apply(script)
          applied(script)
        },
        ...(mode === 'incremental' && inner.applyIncremental
          ? {
              applyIncremental: async (previous: string, next: string) => {
                const r = await inner.applyIncremental!(previous, next)
                if (r.kind === 'incremental') applied(next)
                return r
              },
            }
          : {}),
      }
      const logs: Record<string, unknown>[] = []
      const sink = new Writable({
        write(chunk, _e, cb) {
          for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>)
          cb()
        },
      })
      const agent = new Agent({
        nodeName: node.name,
        kubeConfig,
        dataplane,
        logger: pino({ level: 'info' }, sink),
        metrics: createAgentMetrics({ defaultMetrics: false }),
        minSyncIntervalMs: MIN_SYNC_INTERVAL_MS,
        resyncIntervalMs: 0,
        denyPollIntervalMs: 0,
      })
      stopAgent = () => agent.stop()
      const t0 = performance.now()
      const firstApply = new Promise<number>((resolve) => (onApplied = resolve))
      agent.start()
      const initialMs = (await firstApply) - t0
      // The apply resolved inside the sync: let the agent record it before reading its state.
      while (agent.status().applies === 0) await new Promise((r) => setTimeout(r, 5))
      stats ??= rulesetStats(lastScript)
      process.stderr.write(
        `${mode}: initial list + first apply ${initialMs.toFixed(0)} ms; ruleset ${stats.bytes} bytes, ${stats.rules} rules, ${stats.sets} sets\n`,
      )
      targets ??= findTargets(agent.currentState(), lastScript, node, localPods, cluster.state)
      const t = targets

      const samples: Sample[] = []
      const applyLogs = (): Record<string, unknown>[] => logs.filter((l) => l.event === 'apply')
      const measure = async (kind: Kind, write: () => Promise<unknown>): Promise<void> => {
        await new Promise((r) => setTimeout(r, MIN_SYNC_INTERVAL_MS + 20))
        const logIndex = applyLogs().length
        const done = new Promise<number | undefined>((resolve) => {
          onApplied = resolve
          setTimeout(() => resolve(undefined), 15_000)
        })
        const start = performance.now()
        const written = write()
        const at = await done
        await written
        onApplied = undefined
        if (at === undefined) throw new Error(`${kind}: no apply within 15 s (the write did not change ${node.name}'s ruleset?)`)
        samples.push({ kind, endToEndMs: at - start, logIndex })
      }

      const original = (await api.get('networkpolicies', t.policy.name, t.policy.namespace))!
      for (let i = 0; i < SAMPLES_PER_KIND; i++) {
        const spec = original.spec as { ingress?: unknown[] }
        await measure('policy-update', () =>
          api.update('networkpolicies', {
            ...original,
            spec: { ...spec, ingress: [...(spec.ingress ?? []), { ports: [{ protocol: 'TCP', port: 40_000 + passIndex * 1000 + i }] }] },
          }),
        )
        const name = `bench-${mode}-${i}`
        const ip = t.freeIps[i % t.freeIps.length]
        await measure('pod-add', () =>
          api.create('pods', {
            metadata: { name, namespace: t.template.namespace, labels: { ...t.template.labels } },
            spec: { nodeName: node.name, containers: [{ name: 'main', image: 'bench', ports: t.template.containerPorts.map((c) => ({ ...c })) }] },
            status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
          }),
        )
        await measure('pod-delete', () => api.delete('pods', name, t.template.namespace))
        const ns = (await api.get('namespaces', t.label.namespace))!
        const labels = { ...(ns.metadata?.labels as Record<string, string>) }
        // Take the label away when it is there, else put it back: each changes the ruleset.
        if (labels[t.label.key] === t.label.value) delete labels[t.label.key]
        else labels[t.label.key] = t.label.value
        await measure('namespace-label', () => api.update('namespaces', { ...ns, metadata: { ...ns.metadata, labels } }))
        // One line rewritten in place on a terminal; in a log, a line every ten rounds.
        const total = KINDS.length * SAMPLES_PER_KIND
        if (process.stderr.isTTY) process.stderr.write(`\r${mode}: samples ${samples.length}/${total}`)
        else if ((i + 1) % 10 === 0 || i + 1 === SAMPLES_PER_KIND) process.stderr.write(`${mode}: samples ${samples.length}/${total}\n`)
      }
      if (process.stderr.isTTY) process.stderr.write('\n')
      await agent.stop()
      stopAgent = undefined
      passes.push({ mode, samples, applies: applyLogs(), initialMs })
    }

    const perMode = Object.fromEntries(passes.map((pass) => [pass.mode, passResult(pass)]))
    const result = {
      benchmark: 'agent sync latency',
      startedAt,
      node: { name: node.name, pods: localPods.length },
      cluster: {
        pods: cluster.state.pods.length,
        policies: cluster.state.policies.length,
        namespaces: cluster.state.namespaces.length,
        nodes: cluster.nodes.length,
        seed: DEFAULT_SEED,
      },
      apply: netns ? `nft -f in network namespace ${netns}` : 'skipped (not root or no nft): compile only',
      minSyncIntervalMs: MIN_SYNC_INTERVAL_MS,
      samplesPerKind: SAMPLES_PER_KIND,
      ruleset: stats,
      namespaceLabel: targets?.label,
      perMode,
      machine: {
        node: process.version,
        platform: `${process.platform}/${process.arch}`,
        cpus: cpus().length,
        loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
      },
    }
    type Row = [string, ReturnType<typeof summary>]
    const rows: Row[] = []
    for (const kind of KINDS) {
      for (const pass of passes) {
        const k = perMode[pass.mode]!.perKind[kind]!
        const counts = Object.entries(k.applyKinds)
          .map(([ak, n]) => `${n} ${ak}`)
          .join(', ')
        rows.push(
          [`${kind}, ${pass.mode} mode (${counts}): API write -> applied`, k.endToEndMs],
          [`  agent: event received -> applied`, k.agentPhasesMs.latency],
          [`  agent: build state`, k.agentPhasesMs.build],
          [`  agent: compile`, k.agentPhasesMs.compile],
          [`  agent: nft apply`, k.agentPhasesMs.apply],
        )
      }
    }
    const w = Math.max(...rows.map(([k]) => k.length))
    const out = [
      `netpol agent sync latency: node ${node.name} with ${localPods.length} pods, cluster of ${result.cluster.pods} pods / ` +
        `${result.cluster.policies} policies / ${result.cluster.namespaces} namespaces`,
      `apply: ${result.apply}; ruleset ${stats?.bytes} bytes, ${stats?.rules} rules, ${stats?.sets} sets; ` +
        `load average ${result.machine.loadAverage.join(' ')} on ${result.machine.cpus} CPUs`,
      ...passes.map((pass) => {
        const f = perMode[pass.mode]!.firstSync
        return `first sync (${pass.mode} mode): initial list + first apply ${f.initialMs} ms (build ${f.buildMs} ms, compile ${f.compileMs} ms, apply ${f.applyMs} ms)`
      }),
      '',
      `${'measure'.padEnd(w)}  ${'n'.padStart(4)}  ${'median'.padStart(8)}  ${'p90'.padStart(8)}  ${'p99'.padStart(8)}  ${'max'.padStart(8)}`,
      ...rows.map(([k, v]) => [k.padEnd(w), String(v.n).padStart(4), ...[v.median, v.p90, v.p99, v.max].map((ms) => `${ms} ms`.padStart(8))].join('  ')),
      '',
      `the ${SLOWEST} slowest samples per kind and mode: API write -> applied (agent: event -> applied = build + compile + nft apply + waiting), ms`,
      ...KINDS.flatMap((kind) =>
        passes.map((pass) => {
          const slow = perMode[pass.mode]!.perKind[kind]!.slowest
          const text = slow.map((s) => `${s.endToEndMs} (${s.latencyMs} = ${s.buildMs} + ${s.compileMs} + ${s.applyMs})`).join(', ')
          return `${`${kind}, ${pass.mode}:`.padEnd(w)}  ${text}`
        }),
      ),
    ]
    process.stdout.write(`${out.join('\n')}\n`)
    const dir = join(import.meta.dirname, '..', '..', 'bench', 'results')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'agent-bench.json'), `${JSON.stringify(result, null, 2)}\n`)
    writeFileSync(join(dir, 'agent-bench.txt'), `${out.join('\n')}\n`)
    process.stderr.write(`wrote bench/results/agent-bench.json and agent-bench.txt\n`)
  } finally {
    await stopAgent?.()
    await api.close()
    cleanup()
  }
}

const USAGE = `usage: npm run bench:agent        (root for a real nft apply; about a minute; writes bench/results/agent-bench.{txt,json})

The agent's sync latency, from an API write to the ruleset committed in the kernel, for a node
with 110 pods in a generated cluster of 5,000 pods, 2,000 policies and 250 namespaces, served by
a test API server in a process of its own. Method and figures: docs/agent.md#performance.

Settings (environment):
  AGENT_BENCH_SAMPLES=30   samples per kind of write (policy update, pod added, pod deleted, namespace label changed)
  AGENT_BENCH_MODES=full,incremental   one agent run per mode: every update a full replace, then updates as deltas

Examples:
  npm run bench:agent
  AGENT_BENCH_SAMPLES=5 npm run bench:agent     # a quick look
`
// --help prints the above without building anything; any other argument is a mistake (exit 2).
const args = process.argv.slice(2)
if (args.length > 0 && args.every((a) => a === '--help' || a === '-h')) process.stdout.write(USAGE)
else if (args.length > 0) {
  process.stderr.write(`error: unknown argument ${JSON.stringify(args.find((a) => a !== '--help' && a !== '-h'))}\n${USAGE}`)
  process.exitCode = 2
} else
  main().catch((err: unknown) => {
    process.stderr.write(`agent bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exitCode = 1
  })
