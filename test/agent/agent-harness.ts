/**
 * @module An agent wired to the in-process test API server and a recording data plane, with its
 * JSON log lines captured: the setup shared by the agent's end-to-end tests.
 */
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { Agent, type AgentOptions } from '../../src/agent/agent.js'
import { createAgentMetrics, type AgentMetrics } from '../../src/agent/agent-metrics.js'
import { recordingDataplane, type RecordingDataplane } from './recording-dataplane.js'
import type { TestApiServer } from '../../testing/test-api-server.js'
import { KubeConfig } from '@kubernetes/client-node'

export interface AgentHarness {
  readonly agent: Agent
  readonly dp: RecordingDataplane
  readonly logs: Record<string, unknown>[]
  readonly metrics: AgentMetrics
}

/** An agent of node-a fed by `api`, or by the API server of `options.kubeconfigYaml` (e.g. a real kube-apiserver). */
export function startAgent(
  api: TestApiServer | undefined,
  options: Partial<AgentOptions> & { kubeconfigYaml?: string; incremental?: boolean } = {},
): AgentHarness {
  const logs: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>)
      cb()
    },
  })
  const dp = recordingDataplane('node-a', { incremental: options.incremental === true })
  const metrics = createAgentMetrics({ defaultMetrics: false })
  const { kubeconfigYaml, incremental: _incremental, ...agentOptions } = options
  let kubeConfig: KubeConfig
  if (kubeconfigYaml !== undefined) {
    kubeConfig = new KubeConfig()
    kubeConfig.loadFromString(kubeconfigYaml)
  } else if (api) {
    kubeConfig = api.kubeConfig()
  } else {
    throw new Error('startAgent: give an API server or a kubeconfig')
  }
  const agent = new Agent({
    nodeName: 'node-a',
    kubeConfig,
    dataplane: dp,
    logger: pino({ level: 'debug' }, sink),
    metrics,
    minSyncIntervalMs: 20,
    resyncIntervalMs: 0,
    ...agentOptions,
    watch: { backoffInitialMs: 20, backoffMaxMs: 100, ...agentOptions.watch },
  })
  agent.start()
  return { agent, dp, logs, metrics }
}

/** Local pod IPs in a dispatch map of the compiled script: the pods isolated on that side. */
export function isolated(script: string | undefined, side: 'in' | 'eg'): string[] {
  if (!script) return []
  const m = new RegExp(`map ${side}_v4 \\{[^}]*?elements = \\{ ([^}]*) \\}`).exec(script)
  if (!m) return []
  return m[1]
    .split(',')
    .map((e) => e.trim().split(' ')[0])
    .sort()
}

/** The value of one counter or gauge sample in the agent's registry (0 when absent). */
export async function metricValue(metrics: AgentMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name)
  if (!metric) return 0
  const data = await metric.get()
  let total = 0
  for (const v of data.values) {
    if (Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want)) total += v.value
  }
  return total
}
