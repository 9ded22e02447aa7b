/**
 * @module The answer to "is this connection allowed, and by which rule?", shared by every evaluator.
 *
 * A verdict is never a bare boolean: per side (egress of the source, ingress of the destination) it
 * says whether the endpoint is isolated, by which policies, which rule/peer/port allowed the traffic,
 * or why each selecting policy's rules did not match.
 */
import type { NetworkPolicy, Pod, PolicyType, Protocol, SourceRef } from '../model/types.js'

/** One end of a connection: a pod of the cluster, or an address outside it (or not known as a pod). */
export type Endpoint =
  | { readonly kind: 'pod'; readonly pod: Pod }
  | { readonly kind: 'ip'; readonly ip: string }

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
  readonly allowed: boolean
}

export interface Verdict {
  readonly traffic: Traffic
  /** Egress of the source and ingress of the destination both allow. */
  readonly allowed: boolean
  /** A pod connecting to itself never leaves its network namespace: always allowed, never filtered. */
  readonly loopback: boolean
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
