/**
 * @module A lab of network namespaces (one per node, one per pod, real servers) with one
 * `netpol agent` process per lab node, each applying its ruleset inside its node's namespace
 * (`--netns`; the agent process itself stays in the host namespace so it reaches the API server on
 * loopback). The API server is the caller's: the test API server or a real kube-apiserver. Real
 * probes between lab pods are compared with what the engine's matrix says for `expected`, the state
 * the API server holds.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { createNetwork, enableForwarding, startServers, teardown } from '../../src/lab/lab-build.js'
import { labProbe } from '../../src/lab/lab-probe.js'
import type { LabState } from '../../src/lab/lab-state.js'
import { sctpSupport } from '../../src/lab/sctp-support.js'
import { planTopology, type LabPlan } from '../../src/lab/topology.js'
import type { ClusterState, Pod } from '../../src/model/types.js'
import { cluster, ns, pod, tcp, uniqueLabName } from '../lab/fixtures.js'
import type { ApiObject } from '../../testing/test-api-server.js'
import { waitFor } from './api-objects.js'

const root = join(import.meta.dirname, '..', '..')
const cli = join(root, 'bin', 'netpol')

/** Root, and the CLI built (the agents are `netpol agent` processes). */
export const canRunAgentLab = process.getuid?.() === 0 && existsSync(join(root, 'dist', 'src', 'cli', 'main.js'))

export interface RunningAgent {
  readonly node: string
  readonly child: ChildProcess
  readonly logs: Record<string, unknown>[]
  url?: string
}

export interface ProbeResult {
  readonly disagreements: string[]
  readonly denied: number
  readonly allowed: number
  /** `from -> to` of each denied connection, sorted. */
  readonly deniedPairs: string[]
}

/** A lab pod as the API server holds it (address in status.podIPs, as a kubelet reports it). */
export function podApiObject(p: Pod): ApiObject {
  return {
    metadata: { name: p.name, namespace: p.namespace, labels: { ...p.labels } },
    spec: { nodeName: p.nodeName, containers: [{ name: 'main', image: 'lab', ports: p.containerPorts.map((c) => ({ ...c })) }] },
    status: { phase: 'Running', podIP: p.ips[0], podIPs: p.ips.map((ip) => ({ ip })) },
  }
}

/** The agent lab tests' cluster: namespaces x and y (labelled team=<name>), two pods each (app=<name>) serving TCP 80. */
export function agentLabCluster(): ClusterState {
  return cluster(
    [ns('x', { team: 'x' }), ns('y', { team: 'y' })],
    [
      pod('x', 'a', { app: 'a' }, [tcp(80)]),
      pod('x', 'b', { app: 'b' }, [tcp(80)]),
      pod('y', 'c', { app: 'c' }, [tcp(80)]),
      pod('y', 'd', { app: 'd' }, [tcp(80)]),
    ],
  )
}

export class AgentLab {
  readonly agents: RunningAgent[] = []
  /** The state the API server holds, as the model sees it: the expectation for the probes. */
  expected: ClusterState

  private constructor(
    readonly lab: string,
    readonly dir: string,
    readonly labDirPath: string,
    public plan: LabPlan,
  ) {
    this.expected = plan.state
  }

  /** Builds the lab for `initial` (pods get addresses and nodes); the caller then fills its API server from `expected`. */
  static async create(tag: string, initial: ClusterState, nodeCount = 2): Promise<AgentLab> {
    const lab = uniqueLabName(tag)
    const dir = await mkdtemp(join(tmpdir(), `netpol-${tag}-`))
    const plan = planTopology(initial, { lab, nodeCount })
    // The lab's own layout (<root>/<lab>/): probes then reach the servers' control sockets.
    const labDirPath = join(dir, lab)
    try {
      await createNetwork(plan.topology)
      await enableForwarding(plan.topology)
      await mkdir(labDirPath, { recursive: true })
      await startServers(lab, labDirPath, plan.topology.pods)
    } catch (err) {
      await teardown({ lab, topology: plan.topology })
      await rm(dir, { recursive: true, force: true })
      throw err
    }
    return new AgentLab(lab, dir, labDirPath, plan)
  }

  /** One `netpol agent` per lab node with this kubeconfig; resolves after every agent's first apply. */
  async startAgents(kubeconfig: string, extraArgs: readonly string[] = []): Promise<void> {
    for (const node of this.plan.topology.nodes) this.agents.push(startAgent(node.name, node.netns, kubeconfig, extraArgs))
    await waitFor(() => this.agents.every((a) => a.logs.some((l) => l.event === 'apply')), 'first apply of every agent', 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${this.logTail()}`)
    })
  }

  /** The last log lines of every agent, for a failure message. */
  logTail(lines = 8): string {
    return this.agents
      .map(
        (a) =>
          `${a.node}:\n${a.logs
            .slice(-lines)
            .map((l) => JSON.stringify(l))
            .join('\n')}`,
      )
      .join('\n')
  }

  /**
   * Runs `change` (a write to the API server), then waits until every agent has synced a state for
   * which `done` holds of its apply/sync log line (counts: policies, clusterPolicies, pods, ...).
   */
  async converge(change: () => unknown, done: (line: Record<string, unknown>) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const marks = this.agents.map((a) => a.logs.length)
    await change()
    await waitFor(
      () => this.agents.every((a, i) => a.logs.slice(marks[i]).some((l) => (l.event === 'apply' || l.event === 'sync') && done(l))),
      `every agent synced: ${what}`,
      timeoutMs,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${this.logTail()}`)
    })
  }

  /** Probes every pod pair on TCP 80 through the kernel and compares with the engine's matrix of `expected`. */
  async probe(): Promise<ProbeResult> {
    const state: LabState = {
      version: 1,
      name: this.lab,
      phase: 'ready',
      createdAt: '',
      updatedAt: '',
      manifests: [],
      cluster: this.expected,
      topology: this.plan.topology,
      servers: {},
      collectors: {},
      warnings: [],
      sctp: sctpSupport(),
    }
    const r = await labProbe(this.dir, state, { ports: [{ port: 80, protocol: 'TCP' }], timeoutMs: 1000 })
    return {
      disagreements: r.disagreements.map(
        (d) => `${d.from} -> ${d.to} ${d.port}/${d.protocol}: kernel ${d.outcome}, matrix ${d.expected ? 'allowed' : 'denied'}`,
      ),
      denied: r.connections.filter((c) => !c.allowed).length,
      allowed: r.connections.filter((c) => c.allowed).length,
      deniedPairs: r.connections
        .filter((c) => !c.allowed)
        .map((c) => `${c.from} -> ${c.to}`)
        .sort(),
    }
  }

  /** Stops the agents (SIGTERM, then SIGKILL), removes the lab's namespaces and the directory. */
  async close(): Promise<void> {
    for (const a of this.agents) {
      if (a.child.exitCode === null && a.child.signalCode === null) {
        const exited = new Promise((r) => a.child.once('exit', r))
        a.child.kill('SIGTERM')
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))])
        if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL')
      }
    }
    await teardown({ lab: this.lab, topology: this.plan.topology })
    await rm(this.dir, { recursive: true, force: true })
  }
}

function startAgent(node: string, netns: string, kubeconfig: string, extraArgs: readonly string[]): RunningAgent {
  const child = spawn(
    process.execPath,
    [
      cli,
      'agent',
      '--node',
      node,
      '--netns',
      netns,
      '--kubeconfig',
      kubeconfig,
      '--listen',
      '127.0.0.1:0',
      '--min-sync-interval',
      '50',
      '--log-level',
      'debug',
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const a: RunningAgent = { node, child, logs: [] }
  createInterface(child.stdout!).on('line', (line) => {
    try {
      const rec = JSON.parse(line) as Record<string, unknown>
      a.logs.push(rec)
      if (rec.event === 'startup') a.url = String(rec.listen)
    } catch {
      a.logs.push({ raw: line })
    }
  })
  child.stderr!.on('data', (b: Buffer) => a.logs.push({ stderr: b.toString() }))
  return a
}
