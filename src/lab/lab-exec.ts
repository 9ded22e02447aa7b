/**
 * @module `lab exec POD -- CMD...`: a command inside a pod's network namespace, like `kubectl exec`.
 */
import { spawn } from 'node:child_process'
import { UsageError } from '../model/errors.js'
import { qualifiedName } from '../model/types.js'
import type { LabState } from './lab-state.js'
import type { LabPod } from './topology.js'
import { assertLabNetns } from './netns.js'

/** kubectl's names for workload kinds, as in `kubectl exec deploy/web`. */
const WORKLOAD_KINDS: Readonly<Record<string, string>> = {
  deploy: 'Deployment',
  deployment: 'Deployment',
  deployments: 'Deployment',
  sts: 'StatefulSet',
  statefulset: 'StatefulSet',
  statefulsets: 'StatefulSet',
  ds: 'DaemonSet',
  daemonset: 'DaemonSet',
  daemonsets: 'DaemonSet',
  rs: 'ReplicaSet',
  replicaset: 'ReplicaSet',
  replicasets: 'ReplicaSet',
  rc: 'ReplicationController',
  replicationcontroller: 'ReplicationController',
  job: 'Job',
  jobs: 'Job',
  cronjob: 'CronJob',
  cronjobs: 'CronJob',
}

/**
 * `ns/name`, `name` (in `namespace`, or the only pod of that name in the lab), or a workload like
 * kubectl takes it, `deploy/web` or `ns/deploy/web` (its first pod).
 */
export function findPod(state: LabState, ref: string, namespace?: string): LabPod {
  const pods = state.topology.pods
  const parts = ref.split('/')
  const list = pods.map(qualifiedName).join(', ')
  const kind = parts.length >= 2 ? WORKLOAD_KINDS[parts[parts.length - 2].toLowerCase()] : undefined
  if (kind !== undefined && parts.length <= 3) {
    const ns = parts.length === 3 ? parts[0] : namespace
    const name = parts[parts.length - 1]
    const owned = state.cluster.pods.filter((p) => p.owner?.kind === kind && p.owner.name === name && (ns === undefined || p.namespace === ns))
    const first = owned.map((o) => pods.find((p) => p.namespace === o.namespace && p.name === o.name)).find((p) => p !== undefined)
    if (first !== undefined && new Set(owned.map((p) => p.namespace)).size === 1) return first
    if (first !== undefined) throw new UsageError(`${kind} "${name}" exists in several namespaces: add -n NAMESPACE`)
    throw new UsageError(`${kind} "${ns !== undefined ? `${ns}/` : ''}${name}" has no pod in lab "${state.name}"${list ? ` (pods: ${list})` : ''}`)
  }
  const slash = ref.indexOf('/')
  const [ns, name] = slash >= 0 ? [ref.slice(0, slash), ref.slice(slash + 1)] : [namespace, ref]
  const matches = pods.filter((p) => p.name === name && (ns === undefined || p.namespace === ns))
  if (matches.length === 1) return matches[0]
  if (matches.length > 1) throw new UsageError(`pod "${ref}" is ambiguous: name it with its namespace (${matches.map(qualifiedName).join(', ')})`)
  throw new UsageError(`pod "${ns !== undefined ? `${ns}/${name}` : ref}" is not in lab "${state.name}"${list ? ` (pods: ${list})` : ''}`)
}

/** The streams and environment a command in a pod gets (the CLI passes its own). */
export interface PodExecIO {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
  readonly stdin: NodeJS.ReadableStream
  readonly env: NodeJS.ProcessEnv
}

/** Runs `command` in the pod's namespace; resolves with its exit code (128+signal when killed). */
export function execInPod(pod: LabPod, command: readonly string[], io: PodExecIO): Promise<number> {
  if (command.length === 0) throw new UsageError('no command given: lab exec POD -- COMMAND [ARGS...]')
  assertLabNetns(pod.netns)
  const interactive = io.stdin === process.stdin
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', pod.netns, ...command], {
      stdio: interactive ? 'inherit' : ['pipe', 'pipe', 'pipe'],
      env: { ...io.env, NETPOL_POD: `${pod.namespace}/${pod.name}`, NETPOL_POD_IP: pod.ip },
    })
    if (!interactive) {
      child.stdout!.on('data', (b: Buffer) => io.stdout(b.toString('utf8')))
      child.stderr!.on('data', (b: Buffer) => io.stderr(b.toString('utf8')))
      io.stdin.pipe(child.stdin!)
      child.stdin!.on('error', () => {})
    }
    child.on('error', reject)
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 + signalNumber(signal) : 1)))
  })
}

function signalNumber(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 }
  return numbers[signal] ?? 0
}
