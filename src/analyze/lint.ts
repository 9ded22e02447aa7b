/**
 * @module `netpol lint`: the mistakes people make with NetworkPolicy, found before `kubectl apply`.
 *
 * Each rule has a stable id (users disable rules and CI tools track findings by it), a severity,
 * and checks a ClusterState; a finding names the file:line of the policy, rule or peer at fault
 * and says how to fix it. Pure: state in, findings out.
 */
import type { ClusterState } from '../model/types.js'
import type { LintFinding, LintRule, LintSeverity } from './lint-rule.js'
import { createLintContext } from './lint-context.js'
import { ISOLATION_RULES } from './lint-rules-isolation.js'
import { SELECTOR_RULES } from './lint-rules-selectors.js'
import { OVERLAP_RULES } from './lint-rules-overlap.js'
import { CLUSTER_POLICY_RULES } from './lint-rules-cluster.js'
import { CLUSTER_REACH_RULES } from './lint-rules-cluster-reach.js'
import { SERVICE_RULES } from './lint-rules-services.js'
import type { Cidr } from '../model/cidr.js'

export type { LintFinding, LintRule, LintSeverity } from './lint-rule.js'

export const LINT_RULES: readonly LintRule[] = [
  ...ISOLATION_RULES,
  ...SELECTOR_RULES,
  ...OVERLAP_RULES,
  ...CLUSTER_POLICY_RULES,
  ...CLUSTER_REACH_RULES,
  ...SERVICE_RULES,
]

export interface LintOptions {
  /** Rule ids to skip. */
  readonly disable?: readonly string[]
  /** The Service address ranges (`--service-cidr`); default 10.96.0.0/12. */
  readonly serviceCidrs?: readonly Cidr[]
}

export interface LintResult {
  readonly findings: readonly LintFinding[]
  /** The rules that ran, in catalogue order. */
  readonly rules: readonly LintRule[]
}

const SEVERITY_RANK: Record<LintSeverity, number> = { error: 2, warning: 1, info: 0 }

export function severityAtLeast(s: LintSeverity, threshold: LintSeverity): boolean {
  return SEVERITY_RANK[s] >= SEVERITY_RANK[threshold]
}

/** Runs every enabled rule; findings sorted by file, line, rule id. */
export function lint(state: ClusterState, options: LintOptions = {}): LintResult {
  const disabled = new Set(options.disable ?? [])
  const rules = LINT_RULES.filter((r) => !disabled.has(r.id))
  const ctx = createLintContext(state, options.serviceCidrs)
  const findings = rules.flatMap((r) => r.check(ctx))
  const seen = new Set<string>()
  const unique = findings.filter((f) => {
    const key = `${f.ruleId}\u0000${f.file}\u0000${f.line}\u0000${f.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
  unique.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0) ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  )
  return { findings: unique, rules }
}
