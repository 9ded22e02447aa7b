/**
 * @module `lab apply`: change a running lab like `kubectl apply`. New pods get namespaces and
 * links first, then every node's ruleset is replaced atomically (new pods are isolated before
 * their servers start), then servers start and removed pods go away.
 *
 * Recoverable: before the kernel is touched, the state is written as `applying`, with the target
 * (`pending`) next to the last state in force. If the apply fails, it puts the lab back at once;
 * if it is killed, the next `lab apply` does (lab-reconcile.ts) before it applies anything.
 */
import type { ClusterState } from '../model/types.js'
import { holdSignals, type LabContext } from './lab-context.js'
import type { LabState } from './lab-state.js'
import { diffTopology, planTopology } from './topology.js'
import { addPods, applyAllNodes, checkServiceNat, dnsServing, dnsServingChanged, removePods, startServers, syncClusterDns } from './lab-build.js'
import { planServices } from './lab-services.js'
import { labDir, writeLabState } from './state-store.js'
import { isLabProcess, stopProcesses } from './lab-processes.js'
import { mergeClusterState } from './merge-state.js'
import { notReadyReason, readLab } from './require-lab.js'
import { needsReconcile, reconcileLab } from './lab-reconcile.js'
import { assumePodIPs } from '../cluster/assume-pod-ips.js'
import { UsageError } from '../model/errors.js'

export interface ApplyOptions {
  readonly name: string
  /** Absolute manifest paths (recorded). */
  readonly manifests: readonly string[]
  readonly state: ClusterState
  /** The new manifests are everything: objects not in them are removed. */
  readonly prune?: boolean
  /**
   * Pods without an IP get one from this CIDR, as `matrix --pod-cidr` assumes; chosen after the
   * merge, so the running pods' addresses are never handed out twice. Absent: the lab allocates.
   */
  readonly podCidr?: string
  /** The most pods the lab may run after the merge (each is a server process). @default DEFAULT_LAB_MAX_PODS */
  readonly maxPods?: number
}

/**
 * Each lab pod is a network namespace and a Node.js server process (about 45 MB), so a lab is
 * capped far below the analysis commands' --max-pods: a manifest with `replicas: 600` would
 * otherwise exhaust a workstation's memory.
 */
export const DEFAULT_LAB_MAX_PODS = 200

/** Refuses a lab of more than `max` pods (hostNetwork pods are not run, so they do not count). */
export function checkLabPodCount(state: ClusterState, max: number): void {
  const count = state.pods.filter((p) => !p.hostNetwork).length
  if (count > max) {
    throw new UsageError(
      `the lab would run ${count} pods, more than --max-pods ${max} allows (each pod is a network namespace and a server process of about 45 ` +
        `MB); raise --max-pods if this machine has the memory`,
    )
  }
}

export interface ApplyResult {
  readonly state: LabState
  readonly added: readonly string[]
  readonly removed: readonly string[]
  readonly restarted: readonly string[]
}

export async function labApply(ctx: LabContext, o: ApplyOptions): Promise<ApplyResult> {
  let running = await readLab(ctx.root, o.name)
  if (running.controlPlane !== undefined) {
    const flag = running.name === 'default' ? '' : ` --name ${running.name}`
    throw new UsageError(
      `lab "${running.name}" runs what its API server holds: change it with kubectl, e.g. \`kubectl --kubeconfig "$(netpol lab kubeconfig${flag})" apply -f ` +
        `FILE\``,
    )
  }
  if (needsReconcile(running)) {
    ctx.warn(`lab "${running.name}": the last \`lab apply\` did not finish; putting the lab back as it was before it`)
    running = await reconcileLab(ctx, running)
  }
  const reason = notReadyReason(running)
  if (reason !== undefined) throw new UsageError(reason)
  const merged = mergeClusterState(running.cluster, o.state, o.prune)
  checkLabPodCount(merged, o.maxPods ?? DEFAULT_LAB_MAX_PODS)
  const desired = o.podCidr !== undefined ? assumePodIPs(merged, { podCidr: o.podCidr }) : merged
  return applyClusterState(ctx, running, desired, o.manifests)
}

/** Moves a running lab to `desired` (a whole cluster state); shared by `lab apply` and tests. */
export async function applyClusterState(ctx: LabContext, running: LabState, desired: ClusterState, manifests: readonly string[] = []): Promise<ApplyResult> {
  const name = running.name
  const nodeCount = running.topology.nodes.length
  const services = planServices(desired, running.cluster)
  const plan = planTopology(services.state, { lab: name, nodeCount, previous: running.topology })
  const warnings = [...services.warnings, ...plan.warnings]
  for (const w of warnings) ctx.warn(w)
  const topologyChange = diffTopology(running.topology, plan.topology)
  // A pod that starts or stops serving cluster DNS (or on other ports) gets a new server, like one whose ports changed.
  const dnsChanged = dnsServingChanged(running.cluster, plan.state)
  const kept = (p: { namespace: string; name: string }): boolean => !topologyChange.added.some((a) => a.namespace === p.namespace && a.name === p.name)
  const change = {
    ...topologyChange,
    portsChanged: plan.topology.pods.filter(
      (p) =>
        topologyChange.portsChanged.includes(p) ||
        (kept(p) && dnsChanged.has(`${p.namespace}/${p.name}`) && running.servers[`${p.namespace}/${p.name}`] !== undefined),
    ),
  }
  if ([...change.added, ...change.portsChanged].some((p) => p.containerPorts.some((c) => c.protocol === 'SCTP'))) ctx.warn(`SCTP: ${running.sctp.reason}`)
  const dir = labDir(ctx.root, name)
  const key = (p: { namespace: string; name: string }): string => `${p.namespace}/${p.name}`

  // Every node's new ruleset is validated before anything changes, so a refusal changes nothing.
  for (const node of plan.topology.nodes) await ctx.dataplane.checkNode(plan.state, node)
  await checkServiceNat(plan.topology, plan.state)
  const servers: Record<string, number> = { ...running.servers }
  // From here on the kernel changes: a killed apply leaves this record for the next one to repair.
  const applying: LabState = { ...running, phase: 'applying', updatedAt: new Date().toISOString(), pending: { cluster: plan.state, topology: plan.topology } }
  await writeLabState(ctx.root, applying)
  // SIGINT/SIGTERM: stop at the next step and put the lab back.
  const signals = holdSignals('put the lab back as it was before this apply')
  try {
    // Gone (or recreated) pods first: a recreated pod reuses its namespace name, a new pod may reuse an address.
    await removePods(running.topology, change.removed, running.servers, name, dir)
    for (const p of change.removed) delete servers[key(p)]
    signals.checkpoint()
    await addPods(plan.topology, change.added)
    signals.checkpoint()
    await applyAllNodes(ctx.dataplane, plan.topology, plan.state, running.cluster)
    await syncClusterDns(dir, plan.topology, plan.state)
    signals.checkpoint()
    const oldPids: number[] = []
    for (const p of change.portsChanged) {
      const pid = servers[key(p)]
      if (pid !== undefined && (await isLabProcess(name, pid))) oldPids.push(pid)
    }
    await stopProcesses(oldPids)
    Object.assign(servers, await startServers(name, dir, [...change.added, ...change.portsChanged], dnsServing(dir, plan.state)))
    signals.checkpoint()
  } catch (err) {
    // Pods may already be gone or half added: put the lab back as it was. If even that fails, the
    // state stays `applying` and the next `lab apply` tries again.
    try {
      await reconcileLab(ctx, { ...applying, servers })
    } catch (repairErr) {
      ctx.warn(
        `lab "${name}" could not be put back as it was (${repairErr instanceof Error ? repairErr.message : String(repairErr)}); the next \`lab ` +
          `apply\` tries again, or \`lab down\` removes it`,
      )
      throw err
    }
    signals.checkpoint()
    throw err
  } finally {
    signals.release()
  }

  const { pending: _done, ...base } = running
  const state: LabState = {
    ...base,
    phase: 'ready',
    updatedAt: new Date().toISOString(),
    manifests: [...running.manifests, ...manifests.filter((m) => !running.manifests.includes(m))],
    cluster: plan.state,
    topology: plan.topology,
    servers,
    warnings,
  }
  await writeLabState(ctx.root, state)
  return { state, added: change.added.map(key), removed: change.removed.map(key), restarted: change.portsChanged.map(key) }
}
