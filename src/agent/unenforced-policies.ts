/**
 * @module Whether the cluster holds ClusterNetworkPolicies, which this agent does not enforce yet.
 *
 * An agent that enforces only the NetworkPolicies of a cluster with an Admin Deny or a Baseline
 * default deny lets through what the cluster's guardrails deny, and before this check it did so in
 * silence. It keeps enforcing the NetworkPolicies (dropping them would open more), but it reports
 * not ready and logs an error while any ClusterNetworkPolicy exists, so the gap is visible on every
 * node. One small LIST (limit=1) per poll: the answer needed is "any or none".
 */
import type { KubeConfig } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import { ApiRequestError, apiGetJson } from '../cluster/live-api.js'
import { printable } from '../model/printable.js'
import { errorText } from './error-text.js'

const CNP_PATH = '/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies'
/** A LIST of at most one object is small; a larger answer is refused, not parsed. */
const MAX_ANSWER_BYTES = 1 << 20

/** What the last poll found: 'unknown' until a poll answered (or after errors other than 403/404). */
export type ClusterPolicyPresence = 'unknown' | 'none' | 'not-served' | 'forbidden' | 'present'

export class UnenforcedPolicies {
  private presence: ClusterPolicyPresence = 'unknown'
  private example = ''
  private polling = false

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly log: Logger,
  ) {}

  get state(): ClusterPolicyPresence {
    return this.presence
  }

  /** The reason for /readyz while ClusterNetworkPolicies exist; undefined otherwise. */
  problem(): string | undefined {
    if (this.presence !== 'present') return undefined
    return `ClusterNetworkPolicies exist (e.g. ${this.example}) and this agent does not enforce them: only NetworkPolicies are enforced on this node`
  }

  /** One poll; never throws (an API error keeps the last answer). */
  async poll(): Promise<void> {
    if (this.polling) return
    this.polling = true
    try {
      this.settle(await this.ask())
    } finally {
      this.polling = false
    }
  }

  private async ask(): Promise<{ presence: ClusterPolicyPresence; example?: string }> {
    try {
      const body = await apiGetJson(this.kubeConfig, CNP_PATH, { limit: '1' }, undefined, MAX_ANSWER_BYTES)
      const items = (body as { items?: unknown } | null)?.items
      if (!Array.isArray(items)) return { presence: this.presence }
      if (items.length === 0) return { presence: 'none' }
      const name = (items[0] as { metadata?: { name?: unknown } } | null)?.metadata?.name
      return { presence: 'present', example: typeof name === 'string' ? `"${printable(name.slice(0, 253))}"` : 'one without a name' }
    } catch (err) {
      if (err instanceof ApiRequestError && err.statusCode === 404) return { presence: 'not-served' }
      if (err instanceof ApiRequestError && err.statusCode === 403) return { presence: 'forbidden' }
      this.log.debug(
        { event: 'cluster-policies-poll-error', err: errorText(err) },
        `clusternetworkpolicies: API error, keeping the last answer (${this.presence})`,
      )
      return { presence: this.presence }
    }
  }

  private settle(next: { presence: ClusterPolicyPresence; example?: string }): void {
    const before = this.presence
    this.presence = next.presence
    if (next.example !== undefined) this.example = next.example
    if (next.presence === before) return
    if (next.presence === 'present')
      this.log.error(
        { event: 'cluster-policies-not-enforced', example: this.example },
        `${this.problem()}; the Admin and Baseline tiers are not applied, so traffic they deny may pass (reported not ready until they are gone)`,
      )
    else if (next.presence === 'forbidden')
      this.log.warn(
        { event: 'cluster-policies-unknown' },
        'cannot list clusternetworkpolicies.policy.networking.k8s.io (forbidden): cannot tell whether the cluster has guardrails this agent ' +
          'does not enforce; grant list on them (deploy/rbac.yaml)',
      )
    else if (before === 'present') this.log.info({ event: 'cluster-policies-gone' }, 'no ClusterNetworkPolicies any more')
  }
}
