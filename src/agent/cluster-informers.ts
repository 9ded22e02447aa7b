/**
 * @module The agent's view of the API server: one informer (resource-watcher.ts) per resource it
 * needs (Namespaces, Pods, NetworkPolicies, ClusterNetworkPolicies, Nodes), each reporting its API errors,
 * refused input, lists and events to the logs and metrics, and calling `onChange` whenever its
 * store changed.
 *
 * ClusterNetworkPolicies are a custom resource: a cluster without their CRD answers 404, which
 * counts as "none" (no such object can exist there), is logged once, shown in the status notes,
 * and checked again every `crdRecheckIntervalMs` (see resource-watcher.ts for a CRD that goes away).
 *
 * Nodes resolve the `nodes` peers of ClusterNetworkPolicies. Only their name, labels and addresses
 * are kept, and an event that changes none of them is no change (a Node's status moves every few
 * minutes). An agent that may not list them (403: a ClusterRole from before they were needed) is
 * told so in its logs and status and goes on with nodes unknown, as netpol without Node objects
 * does: a `nodes` peer then never accepts and, in a Deny, drops every address that is not an
 * ordinary pod's (fail closed); they are asked again every `crdRecheckIntervalMs`.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import type { AgentMetrics } from './agent-metrics.js'
import type { ResourceKind } from './api-envelope.js'
import { errorText } from './error-text.js'
import { ResourceWatcher, type ResourceWatcherOptions } from './resource-watcher.js'
import type { ClusterObjects } from './sync-step.js'
import { nodeFieldsRead } from '../cluster/live-objects.js'

export type ResourceName = 'namespaces' | 'pods' | 'networkpolicies' | 'clusternetworkpolicies' | 'nodes'

const RESOURCES: readonly ResourceName[] = ['namespaces', 'pods', 'networkpolicies', 'clusternetworkpolicies', 'nodes']

const PATHS: Record<ResourceName, string> = {
  namespaces: '/api/v1/namespaces',
  pods: '/api/v1/pods',
  networkpolicies: '/apis/networking.k8s.io/v1/networkpolicies',
  clusternetworkpolicies: '/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies',
  nodes: '/api/v1/nodes',
}

const KINDS: Record<ResourceName, ResourceKind> = {
  namespaces: { kind: 'Namespace', namespaced: false },
  pods: { kind: 'Pod', namespaced: true },
  networkpolicies: { kind: 'NetworkPolicy', namespaced: true },
  clusternetworkpolicies: { kind: 'ClusterNetworkPolicy', namespaced: false },
  nodes: { kind: 'Node', namespaced: false },
}

/** What a forbidden Node list means for enforcement. */
const NODES_FORBIDDEN =
  'nodes: the agent may not list them (forbidden: grant list and watch on nodes to its ClusterRole): nodes unknown, ' +
  "so a nodes peer of a ClusterNetworkPolicy never accepts and, in a Deny, drops every address that is not an ordinary pod's"

/** Custom resources and their CRD: a 404 means the CRD is not installed. */
const CRDS: Partial<Record<ResourceName, string>> = { clusternetworkpolicies: 'clusternetworkpolicies.policy.networking.k8s.io' }

/** Options passed to each resource's watcher as they are. */
export type WatchTuning = Pick<
  ResourceWatcherOptions,
  | 'backoffInitialMs'
  | 'backoffMaxMs'
  | 'watchTimeoutSeconds'
  | 'idleTimeoutMs'
  | 'answerTimeoutMs'
  | 'pageSize'
  | 'maxLineBytes'
  | 'maxListPageBytes'
  | 'limits'
  | 'getPage'
>

export interface ClusterInformersOptions {
  readonly kubeConfig: KubeConfig
  readonly metrics: AgentMetrics
  readonly logger: Logger
  readonly watch?: WatchTuning
  /** A store changed; `receivedAt`: when the watch event that changed it arrived (undefined for a LIST). */
  readonly onChange: (receivedAt?: number) => void
  /** Whether a ruleset is in force (said in the error lines: an outage never touches it). */
  readonly rulesetKept: () => boolean
  /** While a CRD is not installed, it is checked again this often. @default 30000 */
  readonly crdRecheckIntervalMs?: number
}

export class ClusterInformers {
  readonly watchers: Readonly<Record<ResourceName, ResourceWatcher>>
  private rejectedCount = 0

  private readonly recheckMs: number

  constructor(options: ClusterInformersOptions) {
    const { metrics, logger: log } = options
    this.recheckMs = options.crdRecheckIntervalMs ?? 30_000
    const make = (name: ResourceName): ResourceWatcher =>
      new ResourceWatcher({
        kubeConfig: options.kubeConfig,
        path: PATHS[name],
        name,
        resource: KINDS[name],
        ...options.watch,
        ...(CRDS[name] !== undefined
          ? {
              optional: true,
              recheckIntervalMs: this.recheckMs,
              onServedChange: (served: boolean) => {
                if (served) {
                  log.info(
                    { event: 'crd-served', resource: name, crd: CRDS[name] },
                    `${name}: served by the cluster (CRD ${CRDS[name]}); listing and watching them`,
                  )
                } else {
                  log.info(
                    { event: 'crd-not-served', resource: name, crd: CRDS[name], recheckInMs: this.recheckMs },
                    `${name}: not served by the cluster (CRD ${CRDS[name]} not installed): no Admin or Baseline tier to enforce; ` +
                      `checking again every ${seconds(this.recheckMs)}`,
                  )
                }
              },
            }
          : {}),
        ...(name === 'nodes'
          ? {
              optional: true,
              notServedStatus: 403 as const,
              keep: nodeFieldsRead,
              recheckIntervalMs: this.recheckMs,
              onServedChange: (readable: boolean) => {
                if (readable)
                  log.info({ event: 'nodes-readable', resource: name }, 'nodes: listing and watching them (for the nodes peers of ClusterNetworkPolicies)')
                else
                  log.warn(
                    { event: 'nodes-forbidden', resource: name, recheckInMs: this.recheckMs },
                    `${NODES_FORBIDDEN}; checking again every ${seconds(this.recheckMs)}`,
                  )
              },
            }
          : {}),
        onChange: options.onChange,
        onReject: (reason, detail, retryInMs) => {
          this.rejectedCount++
          metrics.rejectedObjects.inc({ resource: name, reason })
          log.error(
            { event: 'rejected', resource: name, reason, detail, retryInMs, rulesetKept: options.rulesetKept() },
            `${name}: refused input from the API server (${reason}: ${detail}); keeping the last good ${name} and relisting in ${retryInMs} ms`,
          )
        },
        onError: (err, retryInMs) => {
          metrics.apiErrors.inc({ resource: name })
          const rulesetKept = options.rulesetKept()
          log.warn(
            { event: 'api-error', resource: name, err: errorText(err), retryInMs, rulesetKept },
            `${name}: API error, retrying in ${retryInMs} ms; ` +
              `${rulesetKept ? 'the applied ruleset stays in force' : 'nothing is applied until every resource has been listed'}`,
          )
        },
        onList: (items, resourceVersion) => {
          metrics.relists.inc({ resource: name })
          log.info({ event: 'list', resource: name, items, resourceVersion }, `listed ${items} ${name}`)
        },
        onWatchEvent: (type) => metrics.watchEvents.inc({ resource: name, type }),
      })
    this.watchers = {
      namespaces: make('namespaces'),
      pods: make('pods'),
      networkpolicies: make('networkpolicies'),
      clusternetworkpolicies: make('clusternetworkpolicies'),
      nodes: make('nodes'),
    }
  }

  start(): void {
    for (const name of RESOURCES) this.watchers[name].start()
  }

  async stop(): Promise<void> {
    await Promise.all(RESOURCES.map((name) => this.watchers[name].stop()))
  }

  /** Every resource has been listed once: the stores are a whole view (never apply a partial one). */
  allSynced(): boolean {
    return RESOURCES.every((name) => this.watchers[name].synced)
  }

  /** The stores' current objects. */
  objects(): ClusterObjects {
    return {
      namespaces: this.watchers.namespaces.objects(),
      pods: this.watchers.pods.objects(),
      networkpolicies: this.watchers.networkpolicies.objects(),
      clusternetworkpolicies: this.watchers.clusternetworkpolicies.objects(),
      // Forbidden: unknown, never "none" (a Deny to nodes would then match nothing).
      ...(this.watchers.nodes.served === false ? {} : { nodes: this.watchers.nodes.objects() }),
    }
  }

  /** Facts for the status that do not make the agent not ready (a CRD that is not installed). */
  notes(): string[] {
    const notes: string[] = []
    for (const name of RESOURCES) {
      if (this.watchers[name].served !== false) continue
      if (name === 'nodes') notes.push(`${NODES_FORBIDDEN}; checked again every ${seconds(this.recheckMs)}`)
      else
        notes.push(
          `${name}: not served (CRD ${CRDS[name]} not installed): no Admin or Baseline tier to enforce; checked again every ${seconds(this.recheckMs)}`,
        )
    }
    return notes
  }

  /** Inputs refused since start (see netpol_agent_rejected_objects_total). */
  get rejected(): number {
    return this.rejectedCount
  }

  per<T>(f: (w: ResourceWatcher) => T): Record<ResourceName, T> {
    return {
      namespaces: f(this.watchers.namespaces),
      pods: f(this.watchers.pods),
      networkpolicies: f(this.watchers.networkpolicies),
      clusternetworkpolicies: f(this.watchers.clusternetworkpolicies),
      nodes: f(this.watchers.nodes),
    }
  }

  /** Why the watches make the agent not ready: a resource never watched, or without a live watch for `graceMs` (performance.now() clock). */
  watchProblems(now: number, graceMs: number): string[] {
    const problems: string[] = []
    for (const name of RESOURCES) {
      const w = this.watchers[name]
      // Not served: there is nothing to watch (the status notes say so).
      if (w.connected || w.served === false) continue
      const since = w.connectionChangedAt
      if (since === 0) problems.push(`${name}: no watch has been open yet`)
      else if (now - since >= graceMs) problems.push(`${name}: no live watch for ${seconds(now - since)}`)
    }
    return problems
  }
}

/** A duration for /readyz: tenths of seconds. */
export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`
}
