/**
 * @module The answer to "is this connection allowed, and by which rule?", shared by every evaluator.
 *
 * A verdict is never a bare boolean: per side (egress of the source, ingress of the destination) it
 * says whether the endpoint is isolated, by which policies, which rule/peer/port allowed the traffic,
 * or why each selecting policy's rules did not match.
 */
import type { NetworkPolicy, Pod, PolicyType, Protocol, SourceRef } from '../model/types.js'
import type { ClusterNetworkPolicyRuleAction, ClusterNetworkPolicyTier } from '../model/cluster-network-policy-types.js'

/** One end of a connection: a pod of the cluster, or an address outside it (or not known as a pod). */
export type Endpoint = { readonly kind: 'pod'; readonly pod: Pod } | { readonly kind: 'ip'; readonly ip: string }

/** A new connection attempt. `port` is the numeric destination port. */
export interface Traffic {
  readonly from: Endpoint
  readonly to: Endpoint
  readonly port: number
  readonly protocol: Protocol
}

export interface PolicyRef {
  readonly namespace: string
  readonly name: string
  readonly source: SourceRef
}

/** The rule (and the peer and port inside it) that allowed the traffic. */
export interface RuleMatch {
  readonly policy: PolicyRef
  readonly direction: PolicyType
  readonly ruleIndex: number
  /** Index into from/to; absent when the rule has no peers (matches every peer). */
  readonly peerIndex?: number
  /** Index into ports; absent when the rule has no ports (matches every port). */
  readonly portIndex?: number
  readonly source: SourceRef
}

export type MissReason = 'peer' | 'port' | 'protocol' | 'no-rules'

/** Why one rule of a selecting policy did not allow the traffic. */
export interface RuleMiss {
  readonly policy: PolicyRef
  readonly direction: PolicyType
  /** -1 when the policy has no rules of this direction at all (reason `no-rules`). */
  readonly ruleIndex: number
  readonly reason: MissReason
  /** Human sentence, e.g. `peer x/b does not match any of 2 peers` or `port 81/TCP is not in [80/TCP]`. */
  readonly detail: string
  readonly source: SourceRef
}

export interface PolicyEvaluation {
  readonly policy: PolicyRef
  readonly allowedBy: readonly RuleMatch[]
  readonly misses: readonly RuleMiss[]
}

/**
 * The decision of a connection or one side, once ClusterNetworkPolicies take part:
 * - `allowed`, `denied`: proven from the manifests;
 * - `undefined`: two policies of one tier and priority match with different actions; the API lets an
 *   implementation apply either, so no answer is right (both are named in the trace);
 * - `unknown`: the answer depends on facts netpol cannot see offline: which addresses a
 *   `domainNames` peer resolves to, or which addresses a `nodes` peer means.
 * Anything but `allowed` is treated as not allowed wherever a yes/no is needed (fail closed).
 */
export type Outcome = 'allowed' | 'denied' | 'undefined' | 'unknown'

export interface ClusterPolicyRef {
  readonly name: string
  readonly tier: ClusterNetworkPolicyTier
  readonly priority: number
  readonly source: SourceRef
}

/** Why a rule matched only possibly: its peer is a `domainNames` or a `nodes` peer. */
export type MaybeReason = 'domainNames' | 'nodes'

/** One ClusterNetworkPolicy rule that matched the traffic (or may match it, see `maybe`). */
export interface TierRuleMatch {
  readonly policy: ClusterPolicyRef
  readonly direction: PolicyType
  readonly ruleIndex: number
  /** The rule's `name`, when written. */
  readonly ruleName?: string
  readonly action: ClusterNetworkPolicyRuleAction
  /** Index into from/to of the first peer that matched. */
  readonly peerIndex: number
  /** Index into protocols; absent when the rule has none (every protocol and port). */
  readonly protocolIndex?: number
  /** Present when the match cannot be proven offline. */
  readonly maybe?: MaybeReason
  readonly source: SourceRef
}

/**
 * One tier's part of a side. `policies` are the tier's policies selecting the subject pod with
 * rules of this direction, in evaluation order (priority, then name). `matches` are, per
 * priority, each policy's first matching rule, and the rules before it that may match, up to and
 * including the priority that decided. `result` is the action that decided, `undefined` for a
 * conflict at one priority, `none` when no rule matched.
 */
export interface TierVerdict {
  readonly tier: ClusterNetworkPolicyTier
  readonly policies: readonly ClusterPolicyRef[]
  readonly matches: readonly TierRuleMatch[]
  readonly result: ClusterNetworkPolicyRuleAction | 'none' | 'undefined'
}

/** Which layer decided a side: an Admin or Baseline rule, NetworkPolicy isolation, or the default allow. */
export type DecidedBy = 'Admin' | 'NetworkPolicy' | 'Baseline' | 'default'

export interface DirectionVerdict {
  readonly direction: PolicyType
  /**
   * False when nothing enforces this side: the endpoint is an external IP or a hostNetwork pod.
   * Such a side always allows.
   */
  readonly enforced: boolean
  /** True when at least one policy with this policy type selects the pod. */
  readonly isolated: boolean
  /** Every selecting policy of this direction, in a stable order (namespace, name). */
  readonly policies: readonly PolicyEvaluation[]
  /** True only when the side's outcome is `allowed`. */
  readonly allowed: boolean
  /**
   * Present only when the state has ClusterNetworkPolicies (so verdicts of states without them are
   * unchanged). `admin`/`baseline` are the tiers evaluated; the Baseline tier is absent when the
   * Admin tier or NetworkPolicy decided. `policies`/`isolated` above are still the NetworkPolicy
   * side, also when a tier decided before it.
   */
  readonly tiers?: {
    readonly admin: TierVerdict
    readonly baseline?: TierVerdict
    readonly decidedBy: DecidedBy
    readonly outcome: Outcome
  }
}

export interface Verdict {
  readonly traffic: Traffic
  /** Egress of the source and ingress of the destination both allow (`outcome` is `allowed`). */
  readonly allowed: boolean
  /**
   * Present only when the state has ClusterNetworkPolicies: `denied` when a side denies, else
   * `undefined` or `unknown` when a side is, else `allowed`.
   */
  readonly outcome?: Outcome
  /** A pod connecting to itself never leaves its network namespace: always allowed, never filtered. */
  readonly loopback: boolean
  /**
   * The source is the destination's own node (a hostNetwork pod on the node the destination pod
   * runs on): always allowed, whatever the destination's ingress policies say.
   */
  readonly fromNode: boolean
  readonly egress: DirectionVerdict
  readonly ingress: DirectionVerdict
}

/** What every evaluator (reference, fast engine, compiled ruleset via the lab) answers. */
export interface Evaluator {
  /** The full verdict with reasons. */
  evaluate(traffic: Traffic): Verdict
  /** The same decision as `evaluate(traffic).allowed`, possibly faster. */
  isAllowed(traffic: Traffic): boolean
}

export function policyRef(p: NetworkPolicy): PolicyRef {
  return { namespace: p.namespace, name: p.name, source: p.source }
}
