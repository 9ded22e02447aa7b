/**
 * @module `lab up --control-plane`: a lab driven through a real API server. In order:
 *
 * 1. the fabric and the nodes' namespaces (no pods yet), each node with its (empty) table;
 * 2. etcd and kube-apiserver on loopback, files in `<lab dir>/control-plane/` (0700), detached
 *    and recorded in the state file as soon as each runs (`lab down` stops them, also after a
 *    `kill -9` of `lab up`: they are found again by their command line, lab-processes.ts);
 * 3. the lab's nodes as Node objects, the ClusterNetworkPolicy CRD, then the manifests' objects
 *    (workloads expanded to their Pods, each bound to its lab node, as the lab plans them) through
 *    kubectl, and each Pod's address in its status;
 * 4. one `netpol agent` per node against the API server, applying into its node's namespace;
 *    `lab up` waits for each one's first apply, so the pods are isolated from their first instant;
 * 5. the first kubelet pass (lab-kubelet.ts) in this process, which creates the pods; then the
 *    kubelet process that keeps the lab in step with the API server.
 *
 * Any failure (or SIGINT/SIGTERM) removes everything again.
 */
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, constants, existsSync, openSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { readInputFile } from '../cluster/load-manifests.js'
import { fileURLToPath } from 'node:url'
import type { KubeConfig } from '@kubernetes/client-node'
import type { ClusterState } from '../model/types.js'
import { EnvironmentError, UsageError } from '../model/errors.js'
import type { LabContext } from './lab-context.js'
import { holdSignals } from './lab-context.js'
import type { LabControlPlane, LabState } from './lab-state.js'
import { buildingLabState, planNewLab } from './lab-up.js'
import { planTopology } from './topology.js'
import { applyAllNodes, createNetwork, enableForwarding, teardown } from './lab-build.js'
import { labDir, removeLabDir, writeLabState } from './state-store.js'
import { clusterStateManifests } from './export-manifests.js'
import { CommandError } from './run-command.js'
import {
  apiServerArgs,
  apiServerReady,
  controlPlaneLogTail,
  controlPlanePaths,
  etcdArgs,
  etcdHealthy,
  exitedText,
  freeLoopbackPort,
  kubeconfigYaml,
  spawnControlPlaneProcess,
  waitUntil,
  writeControlPlaneCredentials,
} from './control-plane.js'
import { bindPod, registerNode, reportPodRunning } from './lab-api.js'
import { kubeletPass } from './lab-kubelet.js'
import { startLabProcess } from './lab-processes.js'

/** kube-apiserver may take minutes to get ready on a loaded two-core machine. */
const START_TIMEOUT_MS = 240_000
const AGENT_TIMEOUT_MS = 120_000

/** The directory of a lab's control plane. */
export function labControlPlaneDir(root: string, lab: string): string {
  return join(labDir(root, lab), 'control-plane')
}

/** The admin kubeconfig of a lab's control plane (what `netpol lab kubeconfig` prints). */
export function labControlPlaneKubeconfig(root: string, lab: string): string {
  return controlPlanePaths(labControlPlaneDir(root, lab)).kubeconfig
}

/** The admin kubeconfig of a running `--control-plane` lab; a UsageError for a lab without one. */
export function labKubeconfig(root: string, state: LabState): string {
  if (state.controlPlane === undefined)
    throw new UsageError(
      `lab "${state.name}" has no control plane (it was started without --control-plane); start one with \`netpol lab down${nameFlag(state.name)}\` ` +
        `and \`netpol lab up --control-plane${nameFlag(state.name)} PATH...\``,
    )
  const path = labControlPlaneKubeconfig(root, state.name)
  if (!existsSync(path)) throw new UsageError(`lab "${state.name}" has no kubeconfig yet (its \`lab up\` is still starting the control plane, or was killed)`)
  return path
}

function nameFlag(lab: string): string {
  return lab === 'default' ? '' : ` --name ${lab}`
}

/** Where a file of this checkout is, next to the compiled module or from the sources (tests). */
function checkoutFile(...parts: string[]): string {
  const here = dirname(fileURLToPath(import.meta.url))
  // dist/src/lab -> the checkout is three levels up; src/lab -> two.
  const candidates = [join(here, '..', '..', '..', ...parts), join(here, '..', '..', ...parts)]
  return candidates.find((c) => existsSync(c)) ?? candidates[0]!
}

/** The `netpol` command of this checkout (the agents are `netpol agent` processes). */
function netpolCommand(): string {
  const bin = checkoutFile('bin', 'netpol')
  const built = checkoutFile('dist', 'src', 'cli', 'main.js')
  if (!existsSync(bin) || !existsSync(built)) throw new EnvironmentError(`netpol is not built (looked for ${built}); run \`npm run build\` first`)
  return bin
}

const CRD_FILE = ['vendor', 'network-policy-api', 'v1alpha2', 'crd', 'standard', 'policy.networking.k8s.io_clusternetworkpolicies.yaml']

/** Runs the control plane's kubectl with the lab's kubeconfig; never through a shell, with a deadline. */
function kubectl(binDir: string, kubeconfig: string, home: string, args: readonly string[], stdin = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      join(binDir, 'kubectl'),
      ['--kubeconfig', kubeconfig, '--request-timeout=60s', ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home }, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`kubectl ${args.join(' ')}: ${String(stderr).trim() || err.message}`))
        else resolve(stdout)
      },
    )
    child.stdin?.end(stdin)
  })
}

export interface ControlPlaneUpOptions {
  readonly name: string
  readonly nodeCount: number
  readonly manifests: readonly string[]
  readonly state: ClusterState
  /** Where kube-apiserver, etcd and kubectl are (control-plane-binaries.ts). */
  readonly binDir: string
  /** What relative manifest paths are relative to. @default process.cwd() */
  readonly cwd?: string
}

const EMPTY: ClusterState = { namespaces: [], pods: [], policies: [] }

export async function labUpControlPlane(ctx: LabContext, o: ControlPlaneUpOptions): Promise<LabState> {
  // The lab's plan for the manifests: which node and address each pod gets (written into the API).
  const { name, plan, warnings } = await planNewLab(ctx, o)
  // The lab starts without pods: the kubelet pass creates them from the API server.
  const bare = planTopology(EMPTY, { lab: name, nodeCount: o.nodeCount })
  let controlPlane: LabControlPlane = {
    apiServerPort: await freeLoopbackPort(),
    etcdClientPort: await freeLoopbackPort(),
    etcdPeerPort: await freeLoopbackPort(),
    agents: {},
  }
  let state: LabState = { ...buildingLabState(name, o.manifests, { cluster: bare.state, topology: bare.topology }, warnings), controlPlane }
  const record = async (change: Partial<LabControlPlane>): Promise<void> => {
    controlPlane = { ...controlPlane, ...change }
    state = { ...state, controlPlane }
    await writeLabState(ctx.root, state)
  }
  // Written first, so `lab down` knows what to remove even if this process is killed mid-way.
  await writeLabState(ctx.root, state)

  const signals = holdSignals()
  const dir = labDir(ctx.root, name)
  const cpDir = labControlPlaneDir(ctx.root, name)
  const paths = controlPlanePaths(cpDir)
  try {
    await createNetwork(bare.topology)
    await applyAllNodes(ctx.dataplane, bare.topology, EMPTY)
    await enableForwarding(bare.topology)
    signals.checkpoint()

    // 2. etcd and kube-apiserver.
    await mkdir(cpDir, { mode: 0o700 })
    const adminToken = randomBytes(24).toString('hex')
    await writeControlPlaneCredentials(cpDir, adminToken)
    const etcdPorts = { client: controlPlane.etcdClientPort, peer: controlPlane.etcdPeerPort }
    const etcd = spawnControlPlaneProcess({
      binDir: o.binDir,
      name: 'etcd',
      args: etcdArgs(cpDir, etcdPorts),
      logFile: join(cpDir, 'etcd.log'),
      home: cpDir,
      detached: true,
    })
    if (etcd.pid !== undefined) await record({ etcd: etcd.pid })
    await waitUntil(
      'etcd',
      START_TIMEOUT_MS,
      () => etcdHealthy(etcdPorts),
      () => interruptedText(signals.signal()) ?? exitedText(etcd),
    )
    const apiserver = spawnControlPlaneProcess({
      binDir: o.binDir,
      name: 'kube-apiserver',
      args: apiServerArgs(cpDir, etcdPorts, controlPlane.apiServerPort),
      logFile: join(cpDir, 'kube-apiserver.log'),
      home: cpDir,
      detached: true,
    })
    if (apiserver.pid !== undefined) await record({ apiServer: apiserver.pid })
    await waitUntil(
      'kube-apiserver',
      START_TIMEOUT_MS,
      () => apiServerReady(cpDir, controlPlane.apiServerPort, adminToken),
      () => interruptedText(signals.signal()) ?? exitedText(apiserver),
    )
    const server = `https://127.0.0.1:${controlPlane.apiServerPort}`
    await writeFile(paths.kubeconfig, kubeconfigYaml({ server, ca: paths.ca, token: adminToken, user: 'admin', cluster: `netpol-lab-${name}` }), {
      mode: 0o600,
    })
    signals.checkpoint()

    // 3. Nodes, the CRD, the manifests' objects, the pods' addresses.
    // Loaded here: the Kubernetes client costs about 0.35 s of every netpol command's start-up.
    const { loadKubeConfig } = await import('../cluster/live-kubeconfig.js')
    const kc = loadKubeConfig({ kubeconfig: paths.kubeconfig })
    for (const node of bare.topology.nodes) await registerNode(kc, node.name, node.underlayIp, node.podCidr)
    const crd = checkoutFile(...CRD_FILE)
    if (existsSync(crd)) {
      await kubectl(o.binDir, paths.kubeconfig, cpDir, ['apply', '-f', crd])
      await kubectl(o.binDir, paths.kubeconfig, cpDir, [
        'wait',
        '--for=condition=Established',
        '--timeout=120s',
        'crd/clusternetworkpolicies.policy.networking.k8s.io',
      ])
    } else ctx.warn(`the ClusterNetworkPolicy CRD (${crd}) is missing: the lab's API server does not serve ClusterNetworkPolicies`)
    const items = await apiObjects(plan.state, o.cwd ?? process.cwd())
    await createObjects(o.binDir, paths.kubeconfig, cpDir, items)
    await bindPods(kc, plan.state, items)
    await reportAddresses(kc, plan.state, bare.topology, items)
    signals.checkpoint()

    // 4. One agent per node; each must have applied once before any pod exists.
    const agents: Record<string, number> = {}
    const agentLogs: string[] = []
    for (const node of bare.topology.nodes) {
      const log = join(dir, `agent-${node.name}.log`)
      agentLogs.push(log)
      agents[node.name] = startAgent(node.name, node.netns, paths.kubeconfig, log)
      await record({ agents: { ...agents } })
    }
    await waitUntil(
      "the nodes' agents (first apply)",
      AGENT_TIMEOUT_MS,
      async () => (await Promise.all(agentLogs.map((f) => readFile(f, 'utf8').catch(() => '')))).every((t) => /"event":"apply"/.test(t)),
      () => interruptedText(signals.signal()),
    )
    signals.checkpoint()

    // 5. The first kubelet pass here; then the kubelet process.
    const first = await kubeletPass(ctx, state, kc)
    state = { ...first.state, phase: 'building', controlPlane }
    await writeLabState(ctx.root, state)
    signals.checkpoint()
    const kubelet = await startLabProcess({ lab: name, script: 'lab-kubelet-main', args: [`--root=${resolve(ctx.root)}`], logFile: join(dir, 'kubelet.log') })
    await record({ kubelet })
    state = { ...state, phase: 'ready', updatedAt: new Date().toISOString() }
    await writeLabState(ctx.root, state)
    return state
  } catch (err) {
    const logs = await controlPlaneLogTail(cpDir, 10)
    const cp = state.controlPlane
    const pids = [...Object.values(state.servers), ...(cp ? [cp.kubelet, ...Object.values(cp.agents), cp.apiServer, cp.etcd] : [])].filter(
      (p): p is number => p !== undefined,
    )
    await teardown({ lab: name, topology: state.topology, pids })
    await removeLabDir(ctx.root, name)
    signals.checkpoint()
    if (err instanceof CommandError)
      throw new EnvironmentError(`could not build lab "${name}" (everything it had built is removed again): ${err.message}`, { cause: err })
    if (err instanceof UsageError) throw err
    throw new EnvironmentError(
      `could not start lab "${name}"'s control plane (everything it had built is removed again): ${err instanceof Error ? err.message : String(err)}`,
      { cause: err, detail: logs ? logs.split('\n') : [] },
    )
  } finally {
    signals.release()
  }
}

function interruptedText(signal: string | undefined): string | undefined {
  return signal === undefined ? undefined : `interrupted by ${signal}`
}

/** Fields of a manifest's metadata that only the API server sets (a `kubectl get -o yaml` copy has them). */
const SERVER_METADATA = ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'generation', 'selfLink', 'deletionTimestamp']

/** Each document of a manifest file as JSON (a `List` gives its items); undefined when the file cannot be read again. */
async function rawDocuments(file: string, cwd: string): Promise<Record<string, unknown>[] | undefined> {
  if (file === '-' || file === '' || file.startsWith('<')) return undefined
  try {
    const text = await readInputFile(resolve(cwd, file), file)
    const out: Record<string, unknown>[] = []
    const add = (v: unknown): void => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return
      const o = v as Record<string, unknown>
      if (o.kind === 'List' && Array.isArray(o.items)) for (const item of o.items) add(item)
      else out.push(o)
    }
    for (const doc of parseAllDocuments(text, { version: '1.1' })) add(doc.toJS({ maxAliasCount: 100 }))
    return out
  } catch {
    return undefined
  }
}

/**
 * The objects to create: each as the manifest wrote it (so \`kubectl apply\` of the same file later
 * changes nothing a Pod may not change), with its namespace filled in and, for a Pod, the lab node
 * the lab chose; what the lab made itself (workloads' Pods, cluster DNS, implicit Namespaces,
 * converted v1alpha1 policies) as \`lab export\` prints it.
 */
async function apiObjects(state: ClusterState, cwd: string): Promise<Record<string, unknown>[]> {
  const files = new Map<string, Promise<Record<string, unknown>[] | undefined>>()
  const raw = async (kind: string, namespace: string | undefined, name: string, file: string | undefined): Promise<Record<string, unknown> | undefined> => {
    if (file === undefined) return undefined
    if (!files.has(file)) files.set(file, rawDocuments(file, cwd))
    const docs = (await files.get(file)) ?? []
    const found = docs.find((d) => {
      const md = (d.metadata ?? {}) as Record<string, unknown>
      return d.kind === kind && md.name === name && (namespace === undefined || md.namespace === undefined || md.namespace === namespace)
    })
    if (found === undefined) return undefined
    const { status: _status, ...rest } = found
    const md = { ...(rest.metadata as Record<string, unknown>) }
    for (const k of SERVER_METADATA) delete md[k]
    return { ...rest, metadata: namespace === undefined ? md : { ...md, namespace } }
  }
  const sources = new Map<string, { file?: string; template: boolean; nodeName?: string }>()
  const key = (kind: string, namespace: string | undefined, name: string): string => `${kind}/${namespace ?? ''}/${name}`
  for (const n of state.namespaces) sources.set(key('Namespace', undefined, n.name), { ...(n.implicit ? {} : { file: n.source?.file }), template: false })
  for (const p of state.pods)
    sources.set(key('Pod', p.namespace, p.name), { file: p.source.file, template: p.template !== undefined, ...(p.nodeName ? { nodeName: p.nodeName } : {}) })
  for (const p of state.policies) sources.set(key('NetworkPolicy', p.namespace, p.name), { file: p.source.file, template: false })
  for (const v of state.services ?? []) sources.set(key('Service', v.namespace, v.name), { file: v.source.file, template: false })
  const out: Record<string, unknown>[] = []
  for (const d of clusterStateManifests(state) as Record<string, unknown>[]) {
    const md = (d.metadata ?? {}) as { name?: string; namespace?: string }
    const kind = String(d.kind)
    const src = sources.get(key(kind, md.namespace, md.name ?? ''))
    const mine = src && !src.template ? await raw(kind, md.namespace, md.name ?? '', src.file) : undefined
    if (mine === undefined) {
      // Status is the kubelet's to report (below), and the API server ignores it on create anyway;
      // the node is the scheduler's to set (bindPods): a later `kubectl apply` may not change it.
      const { status: _status, ...rest } = d
      if (kind === 'Pod') {
        const { nodeName: _node, ...spec } = rest.spec as Record<string, unknown>
        out.push({ ...rest, spec })
      } else out.push(rest)
    } else out.push(mine)
  }
  return out
}

/** The manifests' objects (Pods bound to their lab node), created with kubectl in one apply. */
async function createObjects(binDir: string, kubeconfig: string, home: string, items: readonly Record<string, unknown>[]): Promise<void> {
  if (items.length === 0) return
  await kubectl(binDir, kubeconfig, home, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }))
}

/** Binds each created Pod that names no node to the node the lab planned for it, as a scheduler would. */
async function bindPods(kc: KubeConfig, state: ClusterState, items: readonly Record<string, unknown>[]): Promise<void> {
  const planned = new Map(state.pods.map((p) => [`${p.namespace}/${p.name}`, p.nodeName]))
  for (const d of items as { kind?: string; metadata?: { namespace?: string; name?: string }; spec?: { nodeName?: unknown } }[]) {
    if (d.kind !== 'Pod' || d.spec?.nodeName !== undefined) continue
    const node = planned.get(`${d.metadata?.namespace}/${d.metadata?.name}`)
    if (node !== undefined) await bindPod(kc, d.metadata?.namespace ?? '', d.metadata?.name ?? '', undefined, node)
  }
}

async function reportAddresses(kc: KubeConfig, state: ClusterState, topology: LabState['topology'], items: readonly Record<string, unknown>[]): Promise<void> {
  const underlay = new Map(topology.nodes.map((n) => [n.name, n.underlayIp]))
  const containers = new Map<string, { name: string; image: string }[]>()
  for (const d of items as { kind?: string; metadata?: { namespace?: string; name?: string }; spec?: { containers?: unknown } }[]) {
    if (d.kind !== 'Pod' || !Array.isArray(d.spec?.containers)) continue
    const list = (d.spec.containers as { name?: unknown; image?: unknown }[]).map((c) => ({ name: String(c?.name ?? ''), image: String(c?.image ?? '') }))
    containers.set(`${d.metadata?.namespace}/${d.metadata?.name}`, list)
  }
  for (const pod of state.pods) {
    if (pod.hostNetwork || pod.ips[0] === undefined) continue
    await reportPodRunning(kc, pod.namespace, pod.name, pod.ips[0], underlay.get(pod.nodeName ?? '') ?? '', containers.get(`${pod.namespace}/${pod.name}`))
  }
}

/** `netpol agent` for one node, detached, applying into the node's namespace; resolves its PID. */
function startAgent(node: string, netns: string, kubeconfig: string, logFile: string): number {
  const log = openSync(logFile, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644)
  try {
    const child = spawn(
      process.execPath,
      [netpolCommand(), 'agent', `--node=${node}`, `--netns=${netns}`, `--kubeconfig=${kubeconfig}`, '--listen=127.0.0.1:0', '--min-sync-interval=100'],
      { detached: true, stdio: ['ignore', log, log], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dirname(kubeconfig) } },
    )
    child.unref()
    if (child.pid === undefined) throw new EnvironmentError(`could not start the agent of node ${node}`)
    return child.pid
  } finally {
    closeSync(log)
  }
}
