/**
 * @module All-pairs outcomes with ClusterNetworkPolicy tiers, on identity bit sets.
 *
 * For one port, per subject identity and direction, the tiers are walked over the set of peer
 * identities still undecided: per priority, each policy's rules in order take the peers they match
 * from the policy's own undecided set (first match); the priority's Accept/Deny/Pass sets are
 * then applied, peers in two of them becoming `undefined`; peers a rule may only possibly match
 * (domainNames, nodes) are remembered per action. After the Admin tier, the rest (passed or not
 * matched) goes to NetworkPolicy when it isolates the subject, else through the Baseline tier,
 * and what is left is allowed. The decision rules are the same as `sideOutcome` (cluster-policy.ts)
 * and the reference evaluator; property tests hold them equal.
 *
 * Subjects with the same tier lists, the same NetworkPolicy answer and (ingress) the same named
 * ports share one walk. Cost: per distinct subject, (rules) × identities / 32 word operations.
 */
import type { PolicyType, Protocol } from '../model/types.js'
import type { ClusterNetworkPolicyRuleAction } from '../model/cluster-network-policy-types.js'
import { and, andInto, andNotInto, copySet, emptySet, fullSet, orInto, transpose, type Bitset } from './bitset.js'
import type { EngineIndex } from './engine-index.js'
import type { CompiledClusterPolicy, CompiledClusterRule, TierLists } from './cluster-policy-index.js'
import { namedPortKey } from './identity.js'

export interface TierRows {
  /** Per source identity: destinations allowed for certain. */
  readonly allowed: Bitset[]
  /** Per source identity: destinations whose outcome is `undefined`. */
  readonly undefinedRows: Bitset[]
  /** Per source identity: destinations whose outcome is `unknown`. */
  readonly unknownRows: Bitset[]
}

interface Walk {
  readonly accept: Bitset
  readonly deny: Bitset
  readonly undef: Bitset
  /** Passed or not matched. */
  readonly rest: Bitset
  readonly mayAccept: Bitset
  readonly mayDeny: Bitset
  readonly mayPass: Bitset
}

type RuleSets = { readonly certain: Bitset; readonly maybe: Bitset } | undefined

function isZero(s: Bitset): boolean {
  for (let w = 0; w < s.length; w++) if (s[w] !== 0) return false
  return true
}

function walkTier(
  size: number,
  list: readonly CompiledClusterPolicy[],
  direction: PolicyType,
  start: Bitset,
  ruleSets: (r: CompiledClusterRule) => RuleSets,
): Walk {
  const undecided = copySet(start)
  const decided = { Accept: emptySet(size), Deny: emptySet(size), Pass: emptySet(size) }
  const may = { Accept: emptySet(size), Deny: emptySet(size), Pass: emptySet(size) }
  const undef = emptySet(size)
  let i = 0
  while (i < list.length && !isZero(undecided)) {
    const priority = list[i]!.ref.priority
    const group: Record<ClusterNetworkPolicyRuleAction, Bitset> = { Accept: emptySet(size), Deny: emptySet(size), Pass: emptySet(size) }
    for (; i < list.length && list[i]!.ref.priority === priority; i++) {
      const own = copySet(undecided)
      for (const rule of direction === 'Ingress' ? list[i]!.ingressRules : list[i]!.egressRules) {
        const rs = ruleSets(rule)
        if (rs === undefined) continue
        const action = rule.view.action
        orInto(may[action], and(rs.maybe, own))
        orInto(group[action], and(rs.certain, own))
        andNotInto(own, rs.certain)
      }
    }
    const conflict = and(group.Accept, group.Deny)
    orInto(conflict, and(group.Accept, group.Pass))
    orInto(conflict, and(group.Deny, group.Pass))
    orInto(undef, conflict)
    for (const a of ['Accept', 'Deny', 'Pass'] as const) {
      andNotInto(group[a], conflict)
      orInto(decided[a], group[a])
      andNotInto(undecided, group[a])
    }
    andNotInto(undecided, conflict)
  }
  // Passed peers continue to the next tier like peers no rule matched.
  orInto(undecided, decided.Pass)
  return { accept: decided.Accept, deny: decided.Deny, undef, rest: undecided, mayAccept: may.Accept, mayDeny: may.Deny, mayPass: may.Pass }
}

/** One side of one subject: the peers allowed, undefined and unknown. `npAllowed` is undefined when no NetworkPolicy isolates it. */
function side(
  size: number,
  admin: readonly CompiledClusterPolicy[],
  baseline: readonly CompiledClusterPolicy[],
  npAllowed: Bitset | undefined,
  direction: PolicyType,
  ruleSets: (r: CompiledClusterRule) => RuleSets,
): { allowed: Bitset; undef: Bitset; unknown: Bitset } {
  const a = walkTier(size, admin, direction, fullSet(size), ruleSets)
  const allowed = copySet(a.accept)
  const denied = copySet(a.deny)
  const undef = copySet(a.undef)
  const mayAccept = copySet(a.mayAccept)
  const mayDeny = copySet(a.mayDeny)
  const mayPass = copySet(a.mayPass)
  if (npAllowed !== undefined) {
    orInto(allowed, and(a.rest, npAllowed))
    const no = copySet(a.rest)
    andNotInto(no, npAllowed)
    orInto(denied, no)
  } else {
    const b = walkTier(size, baseline, direction, a.rest, ruleSets)
    orInto(allowed, b.accept)
    orInto(allowed, b.rest)
    orInto(denied, b.deny)
    orInto(undef, b.undef)
    orInto(mayAccept, b.mayAccept)
    orInto(mayDeny, b.mayDeny)
    // A Baseline Pass falls through to the default allow: it would decide like an Accept.
    orInto(mayAccept, b.mayPass)
  }
  const unknown = copySet(mayDeny)
  orInto(unknown, mayPass)
  andInto(unknown, allowed)
  const deniedUnknown = copySet(mayAccept)
  orInto(deniedUnknown, mayPass)
  andInto(deniedUnknown, denied)
  orInto(unknown, deniedUnknown)
  andNotInto(allowed, unknown)
  return { allowed, undef, unknown }
}

/** Does a protocol list admit `port/protocol` on a destination with these named ports? */
function protocolsAdmit(rule: CompiledClusterRule, port: number, protocol: Protocol, named: ReadonlyMap<string, readonly number[]> | undefined): boolean {
  if (rule.protocols.length === 0) return true
  for (const e of rule.protocols) {
    if (e === undefined) continue
    if ('named' in e) {
      if (named?.get(namedPortKey(e.named, protocol))?.includes(port) === true) return true
    } else if (e.protocol === protocol && port >= e.lo && port <= e.hi) return true
  }
  return false
}

/**
 * Outcome rows for every identity pair on one port. `npRows[s]`: destinations NetworkPolicy egress
 * of `s` allows (index.all when not isolated); `npCols[d]`: sources NetworkPolicy ingress of `d`
 * allows (index.all when not isolated); `egressIsolated`/`ingressIsolated` per identity.
 */
export function tierRows(
  index: EngineIndex,
  tiers: TierLists,
  port: number,
  protocol: Protocol,
  npRows: readonly Bitset[],
  npCols: readonly Bitset[],
  egressIsolated: (s: number) => boolean,
  ingressIsolated: (d: number) => boolean,
): TierRows {
  const size = index.size
  const identities = index.ids.identities
  const ids = new Map<object, number>()
  const idOf = (o: object): number => {
    let id = ids.get(o)
    if (id === undefined) ids.set(o, (id = ids.size))
    return id
  }

  // Egress: a rule's peers are destinations; named ports resolve on them.
  const egressRuleSets = new Map<CompiledClusterRule, RuleSets>()
  const egressSets = (r: CompiledClusterRule): RuleSets => {
    if (egressRuleSets.has(r)) return egressRuleSets.get(r)
    let dest = 'none' as Bitset | 'all' | 'none'
    if (r.protocols.length === 0) dest = 'all'
    else {
      for (const e of r.protocols) {
        if (e === undefined) continue
        if ('named' in e) {
          const s = index.namedIndex.get(namedPortKey(e.named, protocol))?.get(port)
          if (s !== undefined) {
            if (dest === 'none') dest = copySet(s)
            else if (dest !== 'all') orInto(dest, s)
          }
        } else if (e.protocol === protocol && port >= e.lo && port <= e.hi) {
          dest = 'all'
          break
        }
      }
    }
    const rs: RuleSets =
      dest === 'none'
        ? undefined
        : dest === 'all'
          ? { certain: r.certain, maybe: r.maybeOnly }
          : { certain: and(r.certain, dest), maybe: and(r.maybeOnly, dest) }
    egressRuleSets.set(r, rs)
    return rs
  }
  const egressByKey = new Map<string, { allowed: Bitset; undef: Bitset; unknown: Bitset }>()
  const eAllowed: Bitset[] = []
  const eUndef: Bitset[] = []
  const eUnknown: Bitset[] = []
  for (let s = 0; s < size; s++) {
    const admin = tiers.adminEgressOf[s]!
    const baseline = tiers.baselineEgressOf[s]!
    const iso = egressIsolated(s)
    const key = `${idOf(admin)},${idOf(baseline)},${iso ? idOf(npRows[s]!) : -1}`
    let r = egressByKey.get(key)
    if (r === undefined) {
      r = side(size, admin, baseline, iso ? npRows[s]! : undefined, 'Egress', egressSets)
      egressByKey.set(key, r)
    }
    eAllowed.push(r.allowed)
    eUndef.push(r.undef)
    eUnknown.push(r.unknown)
  }

  // Ingress: a rule's peers are sources; named ports resolve on the subject (the destination).
  const ingressByKey = new Map<string, { allowed: Bitset; undef: Bitset; unknown: Bitset }>()
  const iAllowed: Bitset[] = []
  const iUndef: Bitset[] = []
  const iUnknown: Bitset[] = []
  for (let d = 0; d < size; d++) {
    const admin = tiers.adminIngressOf[d]!
    const baseline = tiers.baselineIngressOf[d]!
    const iso = ingressIsolated(d)
    const named = identities[d]!.namedPorts
    // Which rules admit this port on d: only rules with named ports differ between subjects.
    let portKey = ''
    for (const list of [admin, baseline]) {
      for (const p of list) for (const r of p.ingressRules) if (r.hasNamed) portKey += protocolsAdmit(r, port, protocol, named) ? '1' : '0'
    }
    const key = `${idOf(admin)},${idOf(baseline)},${iso ? idOf(npCols[d]!) : -1},${portKey}`
    let r = ingressByKey.get(key)
    if (r === undefined) {
      const sets = (rule: CompiledClusterRule): RuleSets =>
        protocolsAdmit(rule, port, protocol, named) ? { certain: rule.certain, maybe: rule.maybeOnly } : undefined
      r = side(size, admin, baseline, iso ? npCols[d]! : undefined, 'Ingress', sets)
      ingressByKey.set(key, r)
    }
    iAllowed.push(r.allowed)
    iUndef.push(r.undef)
    iUnknown.push(r.unknown)
  }

  const aT = transpose(iAllowed, size)
  const uT = transpose(iUndef, size)
  const kT = transpose(iUnknown, size)
  const allowed: Bitset[] = []
  const undefinedRows: Bitset[] = []
  const unknownRows: Bitset[] = []
  for (let s = 0; s < size; s++) {
    const ea = eAllowed[s]!
    const eu = eUndef[s]!
    const ek = eUnknown[s]!
    const ia = aT[s]!
    const iu = uT[s]!
    const ik = kT[s]!
    const a = emptySet(size)
    const u = emptySet(size)
    const k = emptySet(size)
    for (let w = 0; w < a.length; w++) {
      const notDenied = (ea[w]! | eu[w]! | ek[w]!) & (ia[w]! | iu[w]! | ik[w]!)
      const both = ea[w]! & ia[w]!
      const undef = notDenied & (eu[w]! | iu[w]!)
      a[w] = both
      u[w] = undef
      k[w] = notDenied & ~undef & ~both
    }
    allowed.push(a)
    undefinedRows.push(u)
    unknownRows.push(k)
  }
  return { allowed, undefinedRows, unknownRows }
}
