/**
 * @module `netpol diff`: which connections a change of manifests newly allows or denies, grouped
 * by workload (or pod, or namespace) and port, with the policies that cause each change.
 *
 * Exact, not sampled: ports are cut into classes at every boundary any policy or pod of either
 * side uses (port-classes.ts) and addresses outside the cluster into ranges at every ipBlock
 * boundary (external-ranges.ts); one probe per class decides for the whole class. Pure: two
 * states and their evaluators in, the changes out.
 */
import type { IpRange } from '../model/cidr.js'
import type { ClusterState } from '../model/types.js'
import type { DirectionVerdict, Evaluator, TierRuleMatch, Verdict } from '../engine/verdict.js'
import { externalRanges, mergeAdjacentRanges, rangeLabel } from './external-ranges.js'
import { computeReachability, podGroupEnds, rangeEnd, witness, type ClassSet, type GroupEnd, type Reachability } from './group-reachability.js'
import type { GroupBy } from './group.js'
import { affectedGroups, bulkSide, changedPolicies, reachabilityOfAffected, samePodsAndNamespaces } from './policy-edit-reachability.js'
import { formatPortSet, portClasses, type PortClass } from './port-classes.js'
import type { Side } from '../model/describe.js'

export interface DiffSide {
  readonly state: ClusterState
  readonly evaluator: Evaluator
}

export interface DiffOptions {
  readonly groupBy: GroupBy
  /** false: compute AFTER in full even when only policies changed (the reference for tests). */
  readonly incremental?: boolean
  /**
   * The largest share of groups a policy edit may affect and still be derived from BEFORE (tests set 1
   * to exercise the derivation on small clusters). @default 0.02
   */
  readonly maxAffectedShare?: number
}

export interface CausePolicy {
  readonly namespace: string
  readonly name: string
  readonly file: string
  readonly line: number
}

/**
 * Why one side (egress of the source, ingress of the destination) changed its answer:
 * - `allowed-by`: after the change a rule of these policies allows it;
 * - `no-longer-isolated`: these policies selected the pod before and no longer do (or are gone);
 * - `isolated-by`: these policies select the pod now and none of their rules allows it;
 * - `no-longer-allowed`: the pod stays isolated (by these policies) but no rule allows it any more.
 */
export interface DiffCause {
  readonly side: Side
  readonly kind: DiffCauseKind
  /** NetworkPolicies (empty for the ClusterNetworkPolicy kinds). */
  readonly policies: readonly CausePolicy[]
  /** The ClusterNetworkPolicy rules behind a `*-cnp` kind. */
  readonly clusterRules?: readonly CauseClusterRule[]
}

/**
 * The NetworkPolicy kinds above, and with ClusterNetworkPolicies (the side's tier decided after or
 * before the change):
 * - `accepted-by-cnp` / `denied-by-cnp`: after the change this Admin or Baseline rule decides
 *   (a Baseline Pass counts as accepted: the default allows);
 * - `no-longer-decided-by-cnp`: this rule decided before and no longer does (the NetworkPolicy
 *   cause that decides now, if any, is given too);
 * - `undefined-by-cnp`: rules of one tier and priority disagree after the change (named);
 * - `unknown-by-cnp`: after the change a domainNames or nodes peer of these rules may match.
 */
export type DiffCauseKind =
  | 'allowed-by'
  | 'no-longer-isolated'
  | 'isolated-by'
  | 'no-longer-allowed'
  | 'accepted-by-cnp'
  | 'denied-by-cnp'
  | 'no-longer-decided-by-cnp'
  | 'undefined-by-cnp'
  | 'unknown-by-cnp'

/** One ClusterNetworkPolicy rule, as a diff cause names it. */
export interface CauseClusterRule {
  readonly tier: 'Admin' | 'Baseline'
  readonly policy: string
  readonly priority: number
  readonly direction: 'ingress' | 'egress'
  readonly ruleIndex: number
  readonly ruleName?: string
  readonly action: 'Accept' | 'Deny' | 'Pass'
  readonly file: string
  readonly line: number
}

export interface DiffRow {
  readonly from: string
  readonly to: string
  /** `added`: nothing was allowed before; `removed`: nothing is allowed after; else `changed`. */
  readonly change: 'added' | 'removed' | 'changed'
  /** Port sets, formatted (`TCP 80,443`, `all ports`, `none`). */
  readonly before: string
  readonly after: string
  readonly newlyAllowed: string
  readonly newlyDenied: string
  readonly causes: readonly DiffCause[]
  /** `workload added` / `workload removed` when an end exists on one side only. */
  readonly note?: string
}

export interface DiffResult {
  readonly groupBy: GroupBy
  readonly rows: readonly DiffRow[]
  /**
   * Only with ClusterNetworkPolicies (see `withPossiblyAllowed`): pairs whose ports were denied for
   * certain before and whose outcome is now undefined or unknown, so the cluster may allow them.
   * `rows` does not count them as allowed (fail closed); `newlyAllowed` of these rows lists those ports.
   */
  readonly possiblyNewlyAllowed?: readonly DiffRow[]
  /** Groups present only after / only before. */
  readonly groupsAdded: readonly string[]
  readonly groupsRemoved: readonly string[]
}

function causePolicies(refs: readonly { policy: { namespace: string; name: string; source: { file: string; line: number } } }[]): CausePolicy[] {
  const seen = new Map<string, CausePolicy>()
  for (const r of refs) {
    const p = r.policy
    seen.set(`${p.namespace}/${p.name}`, { namespace: p.namespace, name: p.name, file: p.source.file, line: p.source.line })
  }
  return [...seen.values()].sort((a, b) => (a.namespace + '/' + a.name < b.namespace + '/' + b.name ? -1 : 1))
}

function causeRule(m: TierRuleMatch): CauseClusterRule {
  return {
    tier: m.policy.tier,
    policy: m.policy.name,
    priority: m.policy.priority,
    direction: m.direction === 'Ingress' ? 'ingress' : 'egress',
    ruleIndex: m.ruleIndex,
    ...(m.ruleName === undefined ? {} : { ruleName: m.ruleName }),
    action: m.action,
    file: m.source.file,
    line: m.source.line,
  }
}

/** The tier that decided a side (Admin or Baseline), with the rules that did; undefined when NetworkPolicy or the default decided. */
function tierDecision(v: DirectionVerdict): { outcome: string; rules: CauseClusterRule[] } | undefined {
  const t = v.tiers
  if (t === undefined) return undefined
  const tier = t.decidedBy === 'Admin' ? t.admin : t.decidedBy === 'Baseline' ? t.baseline : undefined
  if (t.outcome === 'unknown') {
    const maybes = [...t.admin.matches, ...(t.baseline?.matches ?? [])].filter((m) => m.maybe !== undefined)
    return { outcome: 'unknown', rules: maybes.map(causeRule) }
  }
  if (tier === undefined) return undefined
  const certain = tier.matches.filter((m) => m.maybe === undefined)
  if (t.outcome === 'undefined') {
    // The conflict is at the last priority with certain matches.
    const last = certain[certain.length - 1]
    return { outcome: 'undefined', rules: certain.filter((m) => m.policy.priority === last?.policy.priority).map(causeRule) }
  }
  const deciding = certain[certain.length - 1]
  return deciding === undefined ? undefined : { outcome: t.outcome, rules: [causeRule(deciding)] }
}

function sideCauses(side: Side, before: DirectionVerdict, after: DirectionVerdict): DiffCause[] {
  if (before.allowed === after.allowed) return []
  const now = tierDecision(after)
  if (now !== undefined) {
    const kind = now.outcome === 'allowed' ? 'accepted-by-cnp' : now.outcome === 'denied' ? 'denied-by-cnp' : `${now.outcome}-by-cnp`
    return [{ side, kind: kind as DiffCauseKind, policies: [], clusterRules: now.rules }]
  }
  const was = tierDecision(before)
  const np = sideCause(side, before, after)
  if (was === undefined) return np === undefined ? [] : [np]
  return [{ side, kind: 'no-longer-decided-by-cnp', policies: [], clusterRules: was.rules }, ...(np === undefined || !after.isolated ? [] : [np])]
}

function sideCause(side: Side, before: DirectionVerdict, after: DirectionVerdict): DiffCause | undefined {
  if (before.allowed === after.allowed) return undefined
  if (after.allowed) {
    if (after.isolated) {
      const matches = after.policies.flatMap((p) => p.allowedBy)
      return { side, kind: 'allowed-by', policies: causePolicies(matches.length ? matches : after.policies) }
    }
    return { side, kind: 'no-longer-isolated', policies: causePolicies(before.policies) }
  }
  if (before.isolated) {
    // The policies whose rules allowed it before (as they are now); others only isolate.
    const allowedBefore = new Set(before.policies.filter((p) => p.allowedBy.length > 0).map((p) => `${p.policy.namespace}/${p.policy.name}`))
    const changed = after.policies.filter((p) => allowedBefore.has(`${p.policy.namespace}/${p.policy.name}`))
    return { side, kind: 'no-longer-allowed', policies: causePolicies(changed.length > 0 ? changed : after.policies) }
  }
  return { side, kind: 'isolated-by', policies: causePolicies(after.policies) }
}

/** The causes of a change between two verdicts of the same traffic; one side appearing or vanishing counts as its verdict. */
function causesOf(before: Verdict | undefined, after: Verdict | undefined): DiffCause[] {
  if (!before || !after) return []
  return [...sideCauses('egress', before.egress, after.egress), ...sideCauses('ingress', before.ingress, after.ingress)]
}

function causeKey(c: DiffCause): string {
  const rules = (c.clusterRules ?? []).map((r) => `${r.policy}#${r.direction}[${r.ruleIndex}]`).join(',')
  return `${c.side}|${c.kind}|${c.policies.map((p) => `${p.namespace}/${p.name}`).join(',')}|${rules}`
}

/**
 * Compares the connectivity of two states. Ends are matched by group (workload, pod or
 * namespace), so a live cluster's pods and a manifest's pods of the same Deployment line up
 * although their names differ; within a group a port counts as allowed when any pod pair may use it.
 */
export function diffConnectivity(before: DiffSide, after: DiffSide, options: DiffOptions): DiffResult {
  const classes = portClasses([before.state, after.state])
  const ranges = externalRanges([before.state, after.state])
  const groupsBefore = podGroupEnds(before.state, options.groupBy)
  const groupsAfter = podGroupEnds(after.state, options.groupBy)
  const indexBefore = new Map(groupsBefore.map((g, i) => [g.key, i]))
  const indexAfter = new Map(groupsAfter.map((g, i) => [g.key, i]))
  const keys = [...new Set([...indexBefore.keys(), ...indexAfter.keys()])].sort()
  const inBefore = keys.map((k) => indexBefore.get(k) ?? -1)
  const inAfter = keys.map((k) => indexAfter.get(k) ?? -1)
  // A policy review (same namespaces and pods, so the same groups in the same order): both sides
  // answer only for the groups the changed policies select; every other answer is the same on both.
  const bulkBefore = options.incremental !== false ? bulkSide(before.evaluator, before.state) : undefined
  const bulkAfter = options.incremental !== false ? bulkSide(after.evaluator, after.state) : undefined
  const affected =
    bulkBefore && bulkAfter && samePodsAndNamespaces(before.state, after.state) && keys.every((_, i) => inBefore[i] === i && inAfter[i] === i)
      ? affectedGroups(groupsAfter, changedPolicies(before.state, after.state), options.maxAffectedShare)
      : undefined
  let reachBefore: Reachability
  let reachAfter: Reachability
  if (affected !== undefined) {
    reachBefore = reachabilityOfAffected(bulkBefore!, groupsBefore, affected, classes, ranges)
    reachAfter = reachabilityOfAffected(bulkAfter!, groupsAfter, affected, classes, ranges)
  } else {
    reachBefore = computeReachability(before.state, before.evaluator, groupsBefore, ranges, classes)
    reachAfter = computeReachability(after.state, after.evaluator, groupsAfter, ranges, classes)
  }
  const set = (s: Iterable<number>): PortClass[] => [...s].sort((a, b) => a - b).map((i) => classes[i])
  const noteFor = (key: string | undefined): string | undefined => {
    if (key === undefined) return undefined
    if (!indexBefore.has(key)) return `${options.groupBy} added`
    if (!indexAfter.has(key)) return `${options.groupBy} removed`
    return undefined
  }

  interface Draft {
    readonly row: DiffRow
    readonly range?: IpRange
    readonly rangeSide?: 'from' | 'to'
  }
  const drafts: Draft[] = []
  const none: ClassSet = new Set<number>()
  const same = (x: ClassSet, y: ClassSet): boolean => {
    if (x === y) return true
    if (x.size !== y.size) return false
    for (const ci of x) if (!y.has(ci)) return false
    return true
  }
  /** One pair of ends: a group or a range (`undefined` key) on each side. */
  const consider = (
    fromKey: string | undefined,
    toKey: string | undefined,
    b: ClassSet,
    a: ClassSet,
    ends: { fb?: GroupEnd; tb?: GroupEnd; fa?: GroupEnd; ta?: GroupEnd },
    range?: { range: IpRange; side: 'from' | 'to' },
  ): void => {
    if (same(a, b)) return
    const added = [...a].filter((ci) => !b.has(ci))
    const removed = [...b].filter((ci) => !a.has(ci))
    const { fb, tb, fa, ta } = ends
    const causes = new Map<string, DiffCause>()
    for (const ci of [...added, ...removed]) {
      const nowAllowed = a.has(ci)
      // A pair that shows the old answer and one that shows the new one.
      const wb = fb && tb ? witness(before.evaluator, fb, tb, classes[ci], !nowAllowed) : undefined
      const wa = fa && ta ? witness(after.evaluator, fa, ta, classes[ci], nowAllowed) : undefined
      for (const cause of causesOf(wb && before.evaluator.evaluate(wb), wa && after.evaluator.evaluate(wa))) causes.set(causeKey(cause), cause)
    }
    const beforeSet = set(b)
    const afterSet = set(a)
    const note = noteFor(fromKey) ?? noteFor(toKey)
    drafts.push({
      row: {
        from: fromKey ?? '',
        to: toKey ?? '',
        change: beforeSet.length === 0 ? 'added' : afterSet.length === 0 ? 'removed' : 'changed',
        before: formatPortSet(beforeSet),
        after: formatPortSet(afterSet),
        newlyAllowed: formatPortSet(set(added)),
        newlyDenied: formatPortSet(set(removed)),
        causes: [...causes.values()].sort((x, y) => (causeKey(x) < causeKey(y) ? -1 : 1)),
        ...(note ? { note } : {}),
      },
      ...(range ? { range: range.range, rangeSide: range.side } : {}),
    })
  }

  // A policy review: pairs of two unaffected groups are unchanged (and not computed).
  const affectedKeys = affected === undefined ? undefined : keys.flatMap((_, j) => (affected[j] ? [j] : []))
  keys.forEach((fromKey, i) => {
    const b1 = inBefore[i]
    const a1 = inAfter[i]
    const pair = (j: number): void => {
      const toKey = keys[j]
      const b2 = inBefore[j]
      const a2 = inAfter[j]
      const b = (b1 >= 0 && b2 >= 0 ? reachBefore.between(b1, b2) : undefined) ?? none
      const a = (a1 >= 0 && a2 >= 0 ? reachAfter.between(a1, a2) : undefined) ?? none
      if (b === a) return
      consider(fromKey, toKey, b, a, { fb: groupsBefore[b1], tb: groupsBefore[b2], fa: groupsAfter[a1], ta: groupsAfter[a2] })
    }
    if (affected !== undefined && affectedKeys !== undefined && !affected[i]) for (const j of affectedKeys) pair(j)
    else for (let j = 0; j < keys.length; j++) pair(j)
  })
  ranges.forEach((range, r) => {
    const end = rangeEnd(range, r)
    const rcb = reachBefore.rangeClass[r]
    const rca = reachAfter.rangeClass[r]
    keys.forEach((key, i) => {
      if (affected !== undefined && !affected[i]) return
      const gb = inBefore[i]
      const ga = inAfter[i]
      const fb = gb >= 0 ? groupsBefore[gb] : undefined
      const fa = ga >= 0 ? groupsAfter[ga] : undefined
      consider(
        key,
        undefined,
        (gb >= 0 ? reachBefore.toRange(gb, rcb) : undefined) ?? none,
        (ga >= 0 ? reachAfter.toRange(ga, rca) : undefined) ?? none,
        { fb, tb: end, fa, ta: end },
        { range, side: 'to' },
      )
      consider(
        undefined,
        key,
        (gb >= 0 ? reachBefore.fromRange(rcb, gb) : undefined) ?? none,
        (ga >= 0 ? reachAfter.fromRange(rca, ga) : undefined) ?? none,
        { fb: end, tb: fb, fa: end, ta: fa },
        { range, side: 'from' },
      )
    })
  })

  // Neighbouring address ranges with the same change towards the same group print as one range.
  const podRows = drafts.filter((d) => !d.range).map((d) => d.row)
  const buckets = new Map<string, { range: IpRange; row: DiffRow; side: 'from' | 'to' }[]>()
  for (const d of drafts) {
    if (!d.range) continue
    const k = JSON.stringify({ ...d.row, side: d.rangeSide })
    let list = buckets.get(k)
    if (!list) buckets.set(k, (list = []))
    list.push({ range: d.range, row: d.row, side: d.rangeSide! })
  }
  const externalRows: DiffRow[] = []
  for (const list of buckets.values()) {
    list.sort((x, y) => x.range.family - y.range.family || (x.range.start < y.range.start ? -1 : 1))
    for (const m of mergeAdjacentRanges(
      list,
      () => true,
      (x, range) => ({ ...x, range }),
    )) {
      const label = rangeLabel(m.range)
      externalRows.push({ ...m.row, from: m.side === 'from' ? label : m.row.from, to: m.side === 'to' ? label : m.row.to })
    }
  }
  const order = { added: 0, changed: 1, removed: 2 }
  const rows = [...podRows, ...externalRows].sort(
    (x, y) => order[x.change] - order[y.change] || (x.from < y.from ? -1 : x.from > y.from ? 1 : 0) || (x.to < y.to ? -1 : x.to > y.to ? 1 : 0),
  )
  return {
    groupBy: options.groupBy,
    rows,
    groupsAdded: [...indexAfter.keys()].filter((g) => !indexBefore.has(g)).sort(),
    groupsRemoved: [...indexBefore.keys()].filter((g) => !indexAfter.has(g)).sort(),
  }
}

/** True when the change allows (or, with ClusterNetworkPolicies, may allow) something that was not allowed before. */
export function allowsSomethingNew(result: DiffResult): boolean {
  return result.rows.some((r) => r.newlyAllowed !== 'none') || (result.possiblyNewlyAllowed ?? []).length > 0
}

/** Counts an undefined or unknown outcome as allowed: what the cluster may allow (only denied is certain). */
export function possiblyAllowingEvaluator(e: Evaluator): Evaluator {
  const side = (d: DirectionVerdict): DirectionVerdict => (d.tiers === undefined ? d : { ...d, allowed: d.tiers.outcome !== 'denied' })
  const evaluate = (t: Parameters<Evaluator['evaluate']>[0]): Verdict => {
    const v = e.evaluate(t)
    if (v.outcome === undefined) return v
    return { ...v, allowed: v.outcome !== 'denied', egress: side(v.egress), ingress: side(v.ingress) }
  }
  return { evaluate, isAllowed: (t) => evaluate(t).allowed }
}

/**
 * `result` (proven-allowed connections) with the connections the change may newly allow: the same
 * diff, counting undefined and unknown outcomes as allowed, keeping the pairs whose possibly
 * allowed ports grew beyond what `result` already shows as newly allowed. Only when either side
 * has ClusterNetworkPolicies (without them every outcome is proven).
 */
export function withPossiblyAllowed(result: DiffResult, before: DiffSide, after: DiffSide): DiffResult {
  if ((before.state.clusterNetworkPolicies ?? []).length + (after.state.clusterNetworkPolicies ?? []).length === 0) return result
  const possible = diffConnectivity(
    { state: before.state, evaluator: possiblyAllowingEvaluator(before.evaluator) },
    { state: after.state, evaluator: possiblyAllowingEvaluator(after.evaluator) },
    { groupBy: result.groupBy, incremental: false },
  )
  const proven = new Map(result.rows.map((r) => [`${r.from}\u0000${r.to}`, r.newlyAllowed]))
  const possiblyNewlyAllowed = possible.rows.filter((r) => r.newlyAllowed !== 'none' && proven.get(`${r.from}\u0000${r.to}`) !== r.newlyAllowed)
  return { ...result, possiblyNewlyAllowed }
}
