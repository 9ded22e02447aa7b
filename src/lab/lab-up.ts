/**
 * @module `lab up`: a new lab from a cluster state. The order keeps every pod isolated from its
 * first instant: links and routes, then each node's ruleset, then forwarding, then the servers.
 * Any failure (or SIGINT/SIGTERM) removes what was built; `lab down` handles a `kill -9`.
 */
import type { ClusterState } from '../model/types.js'
import { EnvironmentError, UsageError } from '../model/errors.js'
import { CommandError } from './run-command.js'
import { holdSignals, type LabContext } from './lab-context.js'
import { LAB_STATE_VERSION, type LabState } from './lab-state.js'
import { planTopology } from './topology.js'
import { applyAllNodes, createNetwork, dnsServing, enableForwarding, startServers, syncClusterDns, teardown } from './lab-build.js'
import { planServices } from './lab-services.js'
import { labDir, readLabState, removeLabDir, writeLabState } from './state-store.js'
import { listLabNetns } from './netns.js'
import { sctpSupport } from './sctp-support.js'
import { validateLabName } from './lab-names.js'

export interface UpOptions {
  readonly name: string
  readonly nodeCount: number
  /** Absolute manifest paths the state came from (recorded for `lab status`). */
  readonly manifests: readonly string[]
  readonly state: ClusterState
}

/**
 * The start of every `lab up`: a name no lab holds (no state file, no namespaces), and the plan of
 * the state's Services and topology, whose warnings are told.
 */
export async function planNewLab(ctx: LabContext, o: { readonly name: string; readonly nodeCount: number; readonly state: ClusterState }) {
  const name = validateLabName(o.name)
  if ((await readLabState(ctx.root, name)) !== undefined || (await listLabNetns(name)).length > 0) {
    throw new UsageError(`lab "${name}" already exists; remove it first with \`netpol lab down --name ${name}\` (or pick another --name)`)
  }
  const services = planServices(o.state)
  const plan = planTopology(services.state, { lab: name, nodeCount: o.nodeCount })
  const warnings = [...services.warnings, ...plan.warnings]
  for (const w of warnings) ctx.warn(w)
  return { name, services, plan, warnings }
}

/** The state record of a lab being built (written before anything is created, so `lab down` can find it). */
export function buildingLabState(
  name: string,
  manifests: readonly string[],
  built: Pick<LabState, 'cluster' | 'topology'>,
  warnings: readonly string[],
): LabState {
  const now = new Date().toISOString()
  return {
    version: LAB_STATE_VERSION,
    name,
    phase: 'building',
    createdAt: now,
    updatedAt: now,
    manifests,
    cluster: built.cluster,
    topology: built.topology,
    servers: {},
    collectors: {},
    warnings,
    sctp: sctpSupport(),
  }
}

export async function labUp(ctx: LabContext, o: UpOptions): Promise<LabState> {
  const { name, plan, warnings } = await planNewLab(ctx, o)
  let state = buildingLabState(name, o.manifests, { cluster: plan.state, topology: plan.topology }, warnings)
  if (plan.topology.pods.some((p) => p.containerPorts.some((c) => c.protocol === 'SCTP'))) ctx.warn(`SCTP: ${state.sctp.reason}`)
  // Written first, so `lab down` knows what to remove even if this process is killed mid-way.
  await writeLabState(ctx.root, state)

  const signals = holdSignals()
  try {
    const dir = labDir(ctx.root, name)
    await createNetwork(plan.topology)
    signals.checkpoint()
    await syncClusterDns(dir, plan.topology, plan.state)
    await applyAllNodes(ctx.dataplane, plan.topology, plan.state)
    signals.checkpoint()
    await enableForwarding(plan.topology)
    signals.checkpoint()
    const servers = await startServers(name, dir, plan.topology.pods, dnsServing(dir, plan.state))
    state = { ...state, servers }
    signals.checkpoint()
    state = { ...state, phase: 'ready', updatedAt: new Date().toISOString() }
    await writeLabState(ctx.root, state)
    return state
  } catch (err) {
    await teardown({ lab: name, topology: plan.topology, pids: Object.values(state.servers) })
    await removeLabDir(ctx.root, name)
    // Ctrl-C also reaches the `ip`/`nft` children, so their failure then means "interrupted".
    signals.checkpoint()
    // iproute2 refusing (no CAP_NET_ADMIN, no netns support, ...) is the machine's limit, not a bug.
    if (err instanceof CommandError)
      throw new EnvironmentError(`could not build lab "${name}" (everything it had built is removed again): ${err.message}`, { cause: err })
    throw err
  } finally {
    signals.release()
  }
}
