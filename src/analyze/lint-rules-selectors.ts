/**
 * @module Lint rules about selectors and names that do not mean what they seem: labels no
 * namespace carries, selectors that select nothing, the one-dash-too-many AND/OR trap, and named
 * ports nobody exposes.
 */
import { formatSelector, isEmptySelector, matchesSelector } from '../model/label-selector.js'
import { formatContainerPort } from '../model/describe.js'
import { NAMESPACE_NAME_LABEL, type LabelSelector, type NetworkPolicy, type NetworkPolicyPeer, type NetworkPolicyPort, type Pod } from '../model/types.js'
import type { LintContext } from './lint-context.js'
import { policyFinding, type LintFinding, type LintRule } from './lint-rule.js'
import { describePods } from './lint-rules-isolation.js'

function isEmptyOrAbsent(s: LabelSelector | undefined): boolean {
  return s !== undefined && isEmptySelector(s)
}

/** Every peer of a policy with its direction, rule and index, and its API field path. */
export interface PeerAt {
  readonly policy: NetworkPolicy
  readonly peer: NetworkPolicyPeer
  readonly field: string
  readonly list: readonly NetworkPolicyPeer[]
  readonly index: number
}

function peersOf(policy: NetworkPolicy): PeerAt[] {
  const out: PeerAt[] = []
  policy.ingress.forEach((r, ri) => r.from.forEach((peer, i) => out.push({ policy, peer, field: `spec.ingress[${ri}].from[${i}]`, list: r.from, index: i })))
  policy.egress.forEach((r, ri) => r.to.forEach((peer, i) => out.push({ policy, peer, field: `spec.egress[${ri}].to[${i}]`, list: r.to, index: i })))
  return out
}

function allPeers(ctx: LintContext): PeerAt[] {
  return ctx.state.policies.flatMap(peersOf)
}

/** Names of the namespaces a peer can reach by selector: its namespaceSelector's matches, or the policy's own. */
function peerNamespaces(ctx: LintContext, policy: NetworkPolicy, peer: NetworkPolicyPeer): string[] {
  const sel = peer.namespaceSelector
  if (!sel) return [policy.namespace]
  return ctx.state.namespaces.filter((n) => matchesSelector(sel, n.labels)).map((n) => n.name)
}

function requiredKeys(s: LabelSelector): string[] {
  return [...Object.keys(s.matchLabels), ...s.matchExpressions.filter((e) => e.operator === 'In' || e.operator === 'Exists').map((e) => e.key)]
}

function missingNamespaceKeys(ctx: LintContext, sel: LabelSelector): string[] {
  return requiredKeys(sel).filter((key) => !ctx.state.namespaces.some((n) => n.labels[key] !== undefined))
}

const namespaceLabelUnknown: LintRule = {
  id: 'namespace-label-unknown',
  severity: 'warning',
  title: 'namespaceSelector on a label no known namespace carries',
  help:
    `Select namespaces by \`${NAMESPACE_NAME_LABEL}\`, which Kubernetes sets on every namespace, or label the namespace and include the ` +
    `Namespace manifest in the input.`,
  check(ctx) {
    const out: LintFinding[] = []
    for (const at of allPeers(ctx)) {
      const sel = at.peer.namespaceSelector
      if (!sel) continue
      const missing = missingNamespaceKeys(ctx, sel)
      if (missing.length === 0) continue
      const key = missing[0]
      const value = sel.matchLabels[key] ?? sel.matchExpressions.find((e) => e.key === key && e.operator === 'In')?.values[0]
      const hint =
        value !== undefined
          ? `Use \`namespaceSelector: {matchLabels: {${NAMESPACE_NAME_LABEL}: ${value}}}\` (set automatically on every namespace), or label the ` +
            `namespace: \`kubectl label namespace ${value} ${key}=${value}\` and include that Namespace in the input.`
          : this.help
      out.push(
        policyFinding(
          this,
          at.policy,
          at.peer.source,
          `${at.field}.namespaceSelector`,
          `namespaceSelector ${formatSelector(sel)} needs label "${key}", which no namespace in the input carries: this peer matches nothing`,
          hint,
        ),
      )
    }
    return out
  },
}

/** Distinct values the pods of a namespace carry for the selector's keys: the likely intended ones. */
function nearbyLabels(pods: readonly Pod[], sel: LabelSelector): string[] {
  const keys = requiredKeys(sel)
  const seen = new Set<string>()
  for (const pod of pods) for (const k of keys) if (pod.labels[k] !== undefined) seen.add(`${k}=${pod.labels[k]}`)
  return [...seen].sort().slice(0, 6)
}

const policySelectsNothing: LintRule = {
  id: 'policy-selects-nothing',
  severity: 'warning',
  title: 'Policy that selects no pod',
  help: 'Fix spec.podSelector to match the labels of the pods it is meant for (the pod template labels of the Deployment), or delete the policy.',
  check(ctx) {
    const out: LintFinding[] = []
    for (const policy of ctx.state.policies) {
      const pods = ctx.podsIn(policy.namespace)
      if (pods.length === 0) continue
      if (ctx.engine.selectedPods(policy).length > 0) continue
      const near = nearbyLabels(pods, policy.podSelector)
      out.push(
        policyFinding(
          this,
          policy,
          policy.source,
          'spec.podSelector',
          `podSelector ${formatSelector(policy.podSelector)} selects none of the ${pods.length} pod(s) in namespace ` +
            `${policy.namespace}${near.length ? ` (they carry ${near.join(', ')})` : ''}: the policy has no effect`,
        ),
      )
    }
    return out
  },
}

/**
 * A peer with both selectors (AND) that matches no pod, while its podSelector alone matches pods
 * of the policy's own namespace: the author most likely meant two peers (OR).
 */
function andLooksLikeOr(ctx: LintContext, policy: NetworkPolicy, peer: NetworkPolicyPeer): Pod[] | undefined {
  if (!peer.podSelector || !peer.namespaceSelector || isEmptyOrAbsent(peer.podSelector) || isEmptyOrAbsent(peer.namespaceSelector)) return undefined
  if (peerNamespaces(ctx, policy, peer).includes(policy.namespace)) return undefined
  if (ctx.engine.peerPods(policy, peer).length > 0) return undefined
  const sel = peer.podSelector
  const local = ctx.podsIn(policy.namespace).filter((p) => matchesSelector(sel, p.labels))
  return local.length > 0 ? local : undefined
}

const peerSelectsNothing: LintRule = {
  id: 'peer-selects-nothing',
  severity: 'warning',
  title: 'Peer that selects nothing',
  help: 'Fix the selector to match the labels of the pods you mean (check the pod template labels and the namespace labels), or remove the peer.',
  check(ctx) {
    const out: LintFinding[] = []
    for (const at of allPeers(ctx)) {
      const { policy, peer } = at
      if (peer.ipBlock) continue
      if (peer.namespaceSelector && missingNamespaceKeys(ctx, peer.namespaceSelector).length > 0) continue
      const namespaces = peerNamespaces(ctx, policy, peer)
      // A namespace without pods in the input may well run the pods meant (kube-dns in kube-system):
      // judge only when every namespace the peer can reach shows its pods.
      if (namespaces.length === 0 || !namespaces.every((n) => ctx.podsIn(n).length > 0)) continue
      if (ctx.engine.peerPods(policy, peer).length > 0) continue
      if (andLooksLikeOr(ctx, policy, peer)) continue
      const what = peer.podSelector ? `podSelector ${formatSelector(peer.podSelector)}` : 'namespaceSelector'
      const where = peer.namespaceSelector ? `namespaces ${namespaces.join(', ')}` : `namespace ${policy.namespace}`
      const near = peer.podSelector
        ? nearbyLabels(
            namespaces.flatMap((n) => ctx.podsIn(n)),
            peer.podSelector,
          )
        : []
      out.push(
        policyFinding(
          this,
          policy,
          peer.source,
          at.field,
          `${what} matches no pod in ${where}${near.length ? ` (pods there carry ${near.join(', ')})` : ''}: this peer allows nothing`,
        ),
      )
    }
    return out
  },
}

const peerAndLooksLikeOr: LintRule = {
  id: 'peer-and-looks-like-or',
  severity: 'warning',
  title: 'One peer with podSelector AND namespaceSelector that looks like an intended OR',
  help: 'In one list item, podSelector and namespaceSelector are ANDed. To allow either, start each with its own `-` so they become two peers.',
  check(ctx) {
    const out: LintFinding[] = []
    for (const at of allPeers(ctx)) {
      const local = andLooksLikeOr(ctx, at.policy, at.peer)
      if (!local) continue
      const { peer } = at
      out.push(
        policyFinding(
          this,
          at.policy,
          peer.source,
          at.field,
          `this peer means pods matching ${formatSelector(peer.podSelector!)} IN namespaces matching ` +
            `${formatSelector(peer.namespaceSelector!)}; no pod is both, but ${describePods(local, ctx)} in the policy's own namespace match ` +
            `the podSelector: did you mean two peers (OR)?`,
        ),
      )
    }
    return out
  },
}

const peersLookLikeAnd: LintRule = {
  id: 'peers-look-like-and',
  severity: 'warning',
  title: 'Separate namespaceSelector and podSelector peers that look like an intended AND',
  help:
    'If you meant "pods with these labels in those namespaces", put podSelector and namespaceSelector in ONE list item (delete the `-` ' +
    "before the second). As two items they allow every pod of those namespaces OR those pods of the policy's own namespace.",
  check(ctx) {
    const out: LintFinding[] = []
    for (const policy of ctx.state.policies) {
      for (const at of peersOf(policy)) {
        const { peer, list, index } = at
        if (index === 0) continue
        const prev = list[index - 1]
        const pair = [prev, peer]
        const nsOnly = pair.find((p) => p.namespaceSelector && !p.podSelector && !isEmptyOrAbsent(p.namespaceSelector))
        const podOnly = pair.find((p) => p.podSelector && !p.namespaceSelector && !isEmptyOrAbsent(p.podSelector))
        if (!nsOnly || !podOnly) continue
        const podSel = podOnly.podSelector!
        // The OR reading is plausible when the podSelector matches pods of the policy's own namespace.
        if (ctx.podsIn(policy.namespace).some((p) => matchesSelector(podSel, p.labels))) continue
        out.push(
          policyFinding(
            this,
            policy,
            peer.source,
            at.field,
            `namespaceSelector ${formatSelector(nsOnly.namespaceSelector!)} and podSelector ${formatSelector(podSel)} are two separate peers ` +
              `(OR): this allows EVERY pod in those namespaces, and pods ${formatSelector(podSel)} only in ${policy.namespace}`,
          ),
        )
      }
    }
    return out
  },
}

function exposes(pod: Pod, port: NetworkPolicyPort): boolean {
  return pod.containerPorts.some((c) => c.name === port.port && c.protocol === port.protocol)
}

function namedPortFindings(
  rule: LintRule,
  ctx: LintContext,
  policy: NetworkPolicy,
  ports: readonly NetworkPolicyPort[],
  field: string,
  targets: readonly Pod[],
  whose: string,
): LintFinding[] {
  const out: LintFinding[] = []
  if (targets.length === 0) return out
  ports.forEach((port, i) => {
    if (typeof port.port !== 'string') return
    if (targets.some((pod) => exposes(pod, port))) return
    const other = targets.flatMap((p) => p.containerPorts).find((c) => c.name === port.port)
    const names = [...new Set(targets.flatMap((p) => p.containerPorts.filter((c) => c.name).map(formatContainerPort)))].sort()
    const detail = other
      ? `a port named "${port.port}" exists but with protocol ${other.protocol}, not ${port.protocol}`
      : names.length
        ? `they name ${names.slice(0, 6).join(', ')}`
        : 'they declare no named ports'
    out.push(
      policyFinding(
        rule,
        policy,
        port.source,
        `${field}.ports[${i}]`,
        `named port "${port.port}"/${port.protocol} is exposed by none of ${whose} (${describePods(targets, ctx)}; ${detail}): this port allows nothing`,
      ),
    )
  })
  return out
}

const namedPortUnresolved: LintRule = {
  id: 'named-port-unresolved',
  severity: 'warning',
  title: 'Named port that no selected pod exposes',
  help: 'Use the containerPort name (and protocol) declared in the pod template of the destination, or the port number.',
  check(ctx) {
    const out: LintFinding[] = []
    for (const policy of ctx.state.policies) {
      const selected = ctx.engine.selectedPods(policy)
      policy.ingress.forEach((rule, ri) => out.push(...namedPortFindings(this, ctx, policy, rule.ports, `spec.ingress[${ri}]`, selected, 'the selected pods')))
      policy.egress.forEach((rule, ri) => {
        const targets =
          rule.to.length === 0 ? ctx.state.pods.filter((p) => !p.hostNetwork) : [...new Set(rule.to.flatMap((peer) => ctx.engine.peerPods(policy, peer)))]
        out.push(...namedPortFindings(this, ctx, policy, rule.ports, `spec.egress[${ri}]`, targets, 'the destination pods'))
      })
    }
    return out
  },
}

export const SELECTOR_RULES: readonly LintRule[] = [
  namespaceLabelUnknown,
  policySelectsNothing,
  peerSelectsNothing,
  peersLookLikeAnd,
  peerAndLooksLikeOr,
  namedPortUnresolved,
]
