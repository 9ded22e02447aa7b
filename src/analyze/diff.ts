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
import { qualifiedName, type ClusterState, type Pod } from '../model/types.js'
import type { DirectionVerdict, Endpoint, Evaluator, Verdict } from '../engine/verdict.js'
import { externalRanges, mergeAdjacentRanges, rangeLabel, type ExternalRange } from './external-ranges.js'
import { groupLabel, podGroup, type GroupBy } from './group.js'
import { formatPortSet, portClasses, type PortClass } from './port-classes.js'

export interface DiffSide {
  readonly state: ClusterState
  readonly evaluator: Evaluator
}

export interface DiffOptions {
  readonly groupBy: GroupBy
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
  readonly side: 'egress' | 'ingress'
  readonly kind: 'allowed-by' | 'no-longer-isolated' | 'isolated-by' | 'no-longer-allowed'
  readonly policies: readonly CausePolicy[]
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
  /** Groups present only after / only before. */
  readonly groupsAdded: readonly string[]
  readonly groupsRemoved: readonly string[]
}

type EndpointRef = { readonly kind: 'pod'; readonly key: string } | { readonly kind: 'external'; readonly index: number }

interface PairAccumulator {
  readonly from: EndpointRef
  readonly to: EndpointRef
  readonly before: Set<number>
  readonly after: Set<number>
  readonly added: Set<number>
  readonly removed: Set<number>
  readonly causes: Map<string, DiffCause>
}

function causePolicies(refs: readonly { policy: { namespace: string; name: string; source: { file: string; line: number } } }[]): CausePolicy[] {
  const seen = new Map<string, CausePolicy>()
  for (const r of refs) {
    const p = r.policy
    seen.set(`${p.namespace}/${p.name}`, { namespace: p.namespace, name: p.name, file: p.source.file, line: p.source.line })
  }
  return [...seen.values()].sort((a, b) => (a.namespace + '/' + a.name < b.namespace + '/' + b.name ? -1 : 1))
}

function sideCause(side: 'egress' | 'ingress', before: DirectionVerdict, after: DirectionVerdict): DiffCause | undefined {
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
  const out: DiffCause[] = []
  const e = sideCause('egress', before.egress, after.egress)
  const i = sideCause('ingress', before.ingress, after.ingress)
  if (e) out.push(e)
  if (i) out.push(i)
  return out
}

function causeKey(c: DiffCause): string {
  return `${c.side}|${c.kind}|${c.policies.map((p) => `${p.namespace}/${p.name}`).join(',')}`
}

function podMap(state: ClusterState): Map<string, Pod> {
  return new Map(state.pods.map((p) => [qualifiedName(p), p]))
}

/** Compares the connectivity of two states. */
export function diffConnectivity(before: DiffSide, after: DiffSide, options: DiffOptions): DiffResult {
  const classes = portClasses([before.state, after.state])
  const ranges = externalRanges([before.state, after.state])
  const podsBefore = podMap(before.state)
  const podsAfter = podMap(after.state)
  const podKeys = [...new Set([...podsBefore.keys(), ...podsAfter.keys()])].sort()
  const refs: EndpointRef[] = [...podKeys.map((key) => ({ kind: 'pod', key }) as const), ...ranges.map((_, index) => ({ kind: 'external', index }) as const)]

  const endpointIn = (ref: EndpointRef, pods: Map<string, Pod>, r: readonly ExternalRange[]): Endpoint | undefined => {
    if (ref.kind === 'external') return { kind: 'ip', ip: r[ref.index].probe }
    const pod = pods.get(ref.key)
    return pod ? { kind: 'pod', pod } : undefined
  }

  const pairs: PairAccumulator[] = []
  for (const from of refs) {
    for (const to of refs) {
      if (from.kind === 'external' && to.kind === 'external') continue
      if (from.kind === 'pod' && to.kind === 'pod' && from.key === to.key) continue // a pod to itself is always allowed
      const fb = endpointIn(from, podsBefore, ranges)
      const tb = endpointIn(to, podsBefore, ranges)
      const fa = endpointIn(from, podsAfter, ranges)
      const ta = endpointIn(to, podsAfter, ranges)
      const acc: PairAccumulator = { from, to, before: new Set(), after: new Set(), added: new Set(), removed: new Set(), causes: new Map() }
      classes.forEach((c, ci) => {
        const tb2 = fb && tb ? { from: fb, to: tb, port: c.start, protocol: c.protocol } : undefined
        const ta2 = fa && ta ? { from: fa, to: ta, port: c.start, protocol: c.protocol } : undefined
        const wasAllowed = tb2 ? before.evaluator.isAllowed(tb2) : false
        const isAllowed = ta2 ? after.evaluator.isAllowed(ta2) : false
        if (wasAllowed) acc.before.add(ci)
        if (isAllowed) acc.after.add(ci)
        if (wasAllowed === isAllowed) return
        ;(isAllowed ? acc.added : acc.removed).add(ci)
        const causes = causesOf(tb2 && before.evaluator.evaluate(tb2), ta2 && after.evaluator.evaluate(ta2))
        for (const cause of causes) acc.causes.set(causeKey(cause), cause)
      })
      if (acc.added.size > 0 || acc.removed.size > 0) pairs.push(acc)
    }
  }

  // Fold pod pairs into group pairs; external ranges stay separate until merged below.
  const groupOf = (ref: EndpointRef): string => {
    if (ref.kind === 'external') return `\u0000ext:${ref.index}`
    const pod = podsAfter.get(ref.key) ?? podsBefore.get(ref.key)!
    return groupLabel(podGroup(pod, options.groupBy))
  }
  const groupsBefore = new Set([...podsBefore.values()].map((p) => groupLabel(podGroup(p, options.groupBy))))
  const groupsAfter = new Set([...podsAfter.values()].map((p) => groupLabel(podGroup(p, options.groupBy))))
  interface GroupAcc {
    from: string
    to: string
    fromRange?: number
    toRange?: number
    before: Set<number>
    after: Set<number>
    added: Set<number>
    removed: Set<number>
    causes: Map<string, DiffCause>
  }
  const grouped = new Map<string, GroupAcc>()
  for (const p of pairs) {
    const from = groupOf(p.from)
    const to = groupOf(p.to)
    const key = `${from}\u0001${to}`
    let g = grouped.get(key)
    if (!g) {
      g = {
        from,
        to,
        fromRange: p.from.kind === 'external' ? p.from.index : undefined,
        toRange: p.to.kind === 'external' ? p.to.index : undefined,
        before: new Set(),
        after: new Set(),
        added: new Set(),
        removed: new Set(),
        causes: new Map(),
      }
      grouped.set(key, g)
    }
    for (const [src, dst] of [
      [p.before, g.before],
      [p.after, g.after],
      [p.added, g.added],
      [p.removed, g.removed],
    ] as const) {
      for (const ci of src) dst.add(ci)
    }
    for (const [k, c] of p.causes) g.causes.set(k, c)
  }

  const set = (s: Set<number>): PortClass[] => [...s].sort((a, b) => a - b).map((i) => classes[i])
  const noteFor = (group: string): string | undefined => {
    if (group.startsWith('\u0000')) return undefined
    if (!groupsBefore.has(group)) return 'workload added'
    if (!groupsAfter.has(group)) return 'workload removed'
    return undefined
  }
  interface Draft {
    row: Omit<DiffRow, 'from' | 'to'> & { from: string; to: string }
    range: IpRange | undefined
    rangeSide: 'from' | 'to' | undefined
  }
  const drafts: Draft[] = [...grouped.values()].map((g) => {
    const before = set(g.before)
    const after = set(g.after)
    const change: DiffRow['change'] = before.length === 0 ? 'added' : after.length === 0 ? 'removed' : 'changed'
    const note = noteFor(g.from) ?? noteFor(g.to)
    const causes = [...g.causes.values()].sort((a, b) => (causeKey(a) < causeKey(b) ? -1 : 1))
    const rangeIndex = g.fromRange ?? g.toRange
    return {
      row: {
        from: g.fromRange !== undefined ? '' : g.from,
        to: g.toRange !== undefined ? '' : g.to,
        change,
        before: formatPortSet(before),
        after: formatPortSet(after),
        newlyAllowed: formatPortSet(set(g.added)),
        newlyDenied: formatPortSet(set(g.removed)),
        causes,
        ...(note ? { note } : {}),
      },
      range: rangeIndex !== undefined ? ranges[rangeIndex] : undefined,
      rangeSide: g.fromRange !== undefined ? 'from' : g.toRange !== undefined ? 'to' : undefined,
    }
  })

  // Neighbouring address ranges with the same change towards the same group print as one range.
  const podRows = drafts.filter((d) => !d.range).map((d) => d.row)
  const externalDrafts = drafts.filter((d) => d.range)
  const sameKey = (d: Draft) => JSON.stringify({ ...d.row, side: d.rangeSide })
  const buckets = new Map<string, { range: IpRange; row: Draft['row']; side: 'from' | 'to' }[]>()
  for (const d of externalDrafts) {
    const k = sameKey(d)
    const list = buckets.get(k) ?? []
    list.push({ range: d.range!, row: d.row, side: d.rangeSide! })
    buckets.set(k, list)
  }
  const externalRows: DiffRow[] = []
  for (const list of buckets.values()) {
    list.sort((a, b) => a.range.family - b.range.family || (a.range.start < b.range.start ? -1 : 1))
    const merged = mergeAdjacentRanges(
      list,
      () => true,
      (a, range) => ({ ...a, range }),
    )
    for (const m of merged) {
      const label = rangeLabel(m.range)
      externalRows.push({ ...m.row, from: m.side === 'from' ? label : m.row.from, to: m.side === 'to' ? label : m.row.to })
    }
  }
  const order = { added: 0, changed: 1, removed: 2 }
  const rows = [...podRows, ...externalRows].sort(
    (a, b) => order[a.change] - order[b.change] || (a.from < b.from ? -1 : a.from > b.from ? 1 : 0) || (a.to < b.to ? -1 : a.to > b.to ? 1 : 0),
  )
  return {
    groupBy: options.groupBy,
    rows,
    groupsAdded: [...groupsAfter].filter((g) => !groupsBefore.has(g)).sort(),
    groupsRemoved: [...groupsBefore].filter((g) => !groupsAfter.has(g)).sort(),
  }
}

/** True when the change allows something that was not allowed before. */
export function allowsSomethingNew(result: DiffResult): boolean {
  return result.rows.some((r) => r.newlyAllowed !== 'none')
}
