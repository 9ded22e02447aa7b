/**
 * @module The shape of a lint rule and of what it finds; shared by the rule catalogue files.
 */
import type { Severity } from '../model/diagnostic.js'
import type { NetworkPolicy, NetworkPolicyPeer, SourceRef } from '../model/types.js'
import type { ClusterNetworkPolicy } from '../model/cluster-network-policy-types.js'
import type { LintContext } from './lint-context.js'
import { policyFieldLine } from '../model/network-policy.js'

/** `info`: worth knowing, not a mistake (e.g. NetworkPolicy rules an Admin Deny makes moot); never fails lint unless `--fail-on info`. */
export type LintSeverity = Severity | 'info'

export interface LintFinding {
  readonly ruleId: string
  readonly severity: LintSeverity
  readonly file: string
  /** 1-based; 0 when unknown. */
  readonly line: number
  /** `NetworkPolicy "ns/name"`, `Namespace "ns"`, `ClusterNetworkPolicy "name"` (or a deprecated `AdminNetworkPolicy "name"`). */
  readonly object: string
  /** API field path of the part at fault, e.g. `spec.egress[0].to[1]`. */
  readonly field?: string
  readonly message: string
  /** How to fix it, one sentence. */
  readonly hint: string
}

export interface LintRule {
  /** Stable, kebab-case; documented in docs/lint.md under the same heading. */
  readonly id: string
  readonly severity: LintSeverity
  /** One line: what the rule finds. */
  readonly title: string
  /** What to do about it, in general. */
  readonly help: string
  check(ctx: LintContext): LintFinding[]
}

/** `NetworkPolicy "ns/name"`, the way kubectl names the object in messages. */
export function policyObject(p: NetworkPolicy): string {
  return `NetworkPolicy "${p.namespace}/${p.name}"`
}

/** A finding about (a part of) a policy; `where` is the policy, rule, peer or port source. */
/** Every peer of a policy's rules, with its field path (`spec.ingress[0].from[1]`). */
export function policyPeers(policy: NetworkPolicy): { peer: NetworkPolicyPeer; field: string }[] {
  return [
    ...policy.ingress.flatMap((r, ri) => r.from.map((peer, i) => ({ peer, field: `spec.ingress[${ri}].from[${i}]` }))),
    ...policy.egress.flatMap((r, ri) => r.to.map((peer, i) => ({ peer, field: `spec.egress[${ri}].to[${i}]` }))),
  ]
}

/** A finding about a ClusterNetworkPolicy, at `where` (the policy, a rule or a peer). */
export function clusterPolicyFinding(rule: LintRule, policy: ClusterNetworkPolicy, where: SourceRef, field: string, message: string): LintFinding {
  return {
    ruleId: rule.id,
    severity: rule.severity,
    file: where.file,
    line: where.line,
    object: `ClusterNetworkPolicy "${policy.name}"`,
    field,
    message,
    hint: rule.help,
  }
}

export function policyFinding(
  rule: LintRule,
  policy: NetworkPolicy,
  where: SourceRef,
  field: string | undefined,
  message: string,
  hint: string = rule.help,
): LintFinding {
  // A finding about a field of the policy as a whole is placed at that field, not at `apiVersion:`.
  const fieldLine =
    where === policy.source && field !== undefined
      ? (policyFieldLine(policy, field.replace(/\[.*$/, '')) ?? policyFieldLine(policy, field.split('.').slice(0, 2).join('.')))
      : undefined
  return { ruleId: rule.id, severity: rule.severity, file: where.file, line: fieldLine ?? where.line, object: policyObject(policy), field, message, hint }
}
