/**
 * @module The content of `netpol report`: the graph of allowed connections, the grouped matrix,
 * lint findings and one section per policy (what it selects, what it allows, where it comes
 * from). Pure: the renderer (render/report-html.ts) turns it into one self-contained page.
 */
import { qualifiedName, type ClusterState, type NetworkPolicy, type NetworkPolicyPeer, type Pod } from '../model/types.js'
import type { Engine } from '../engine/engine.js'
import { computeConnectivities, type Connectivity } from './connectivity.js'
import { describePeer, formatPolicyPort, type Side } from '../model/describe.js'
import { formatSelector, isEmptySelector } from '../model/label-selector.js'
import { groupLabel, podGroup, type GroupBy, type GroupedMatrix } from './group.js'
import { computeGroupedMatrix } from './grouped-matrix.js'
import { lint } from './lint.js'
import { policyObject, type LintFinding } from './lint-rule.js'
import { defaultPorts } from './matrix.js'
import { buildTierSections, type TierSection } from './report-tiers.js'

export interface PeerSection {
  readonly text: string
  readonly line: number
  /** Groups the peer matches in the input (ipBlock peers: pods whose IPs it covers). */
  readonly matches: readonly string[]
  /** An ipBlock peer that matches pods through addresses netpol assumed (the manifests have none; --pod-cidr). */
  readonly throughAssumedIps?: boolean
}

export interface RuleSection {
  readonly direction: Side
  readonly index: number
  readonly line: number
  /** Empty: every source/destination. */
  readonly peers: readonly PeerSection[]
  /** Empty: every port. */
  readonly ports: readonly string[]
}

export interface PolicySection {
  readonly anchor: string
  readonly namespace: string
  readonly name: string
  readonly file: string
  readonly line: number
  readonly policyTypes: readonly string[]
  readonly podSelector: string
  readonly selects: readonly string[]
  readonly selectedPods: number
  readonly rules: readonly RuleSection[]
  /** Directions the policy isolates without any rule: deny all. */
  readonly deniesAll: readonly string[]
  readonly findings: readonly LintFinding[]
}

export interface ReportModel {
  readonly title: string
  readonly inputs: readonly string[]
  readonly groupBy: GroupBy
  readonly counts: { readonly namespaces: number; readonly pods: number; readonly groups: number; readonly policies: number }
  /** Every allowed connection by `groupBy` (the connections table). */
  readonly connectivity: Connectivity
  /** What the graph draws: `connectivity`, or by namespace when that would be unreadable. */
  readonly graph: Connectivity
  /** Why the graph or the matrix is coarser than asked, for the page. */
  readonly notes: readonly string[]
  readonly matrix: GroupedMatrix
  readonly findings: readonly LintFinding[]
  readonly policies: readonly PolicySection[]
  /** Only with ClusterNetworkPolicies: the Admin and the Baseline tier, each policy in evaluation order. */
  readonly tiers?: readonly TierSection[]
}

export interface ReportOptions {
  readonly groupBy: GroupBy
  readonly inputs: readonly string[]
  readonly title?: string
}

function anchorOf(p: NetworkPolicy): string {
  return `policy-${p.namespace}-${p.name}`.replace(/[^A-Za-z0-9_-]/g, '-')
}

function selectorText(p: NetworkPolicy): string {
  return isEmptySelector(p.podSelector) ? '{} (every pod in the namespace)' : formatSelector(p.podSelector)
}

/** Beyond this many arrows a graph is a hairball; beyond this many groups a matrix is a wall. */
export const MAX_GRAPH_EDGES = 250
const MAX_MATRIX_GROUPS = 80
const MAX_GRAPH_NODES = 150

export function buildReport(state: ClusterState, engine: Engine, options: ReportOptions): ReportModel {
  const { groupBy } = options
  const labelOfPod = new Map<Pod, string>()
  const podLabel = (p: Pod): string => {
    let l = labelOfPod.get(p)
    if (l === undefined) labelOfPod.set(p, (l = groupLabel(podGroup(p, groupBy))))
    return l
  }
  const label = (pods: readonly Pod[]) => [...new Set(pods.map(podLabel))].sort()
  const findings = lint(state).findings
  const peerSection = (policy: NetworkPolicy, peer: NetworkPolicyPeer): PeerSection => {
    const pods = engine.peerPods(policy, peer)
    const assumed = peer.ipBlock !== undefined && pods.some((p) => p.ipsAssumed)
    return { text: describePeer(peer, policy.namespace), line: peer.source.line, matches: label(pods), ...(assumed ? { throughAssumedIps: true } : {}) }
  }
  const policies = [...state.policies]
    .sort((a, b) => (qualifiedName(a) < qualifiedName(b) ? -1 : qualifiedName(a) > qualifiedName(b) ? 1 : 0))
    .map((p): PolicySection => {
      const selected = engine.selectedPods(p)
      const rules: RuleSection[] = [
        ...p.ingress.map((r, i): RuleSection => ({
          direction: 'ingress',
          index: i,
          line: r.source.line,
          peers: r.from.map((peer) => peerSection(p, peer)),
          ports: r.ports.map(formatPolicyPort),
        })),
        ...p.egress.map((r, i): RuleSection => ({
          direction: 'egress',
          index: i,
          line: r.source.line,
          peers: r.to.map((peer) => peerSection(p, peer)),
          ports: r.ports.map(formatPolicyPort),
        })),
      ]
      const deniesAll = [
        ...(p.policyTypes.includes('Ingress') && p.ingress.length === 0 ? ['Ingress'] : []),
        ...(p.policyTypes.includes('Egress') && p.egress.length === 0 ? ['Egress'] : []),
      ]
      return {
        anchor: anchorOf(p),
        namespace: p.namespace,
        name: p.name,
        file: p.source.file,
        line: p.source.line,
        policyTypes: p.policyTypes,
        podSelector: selectorText(p),
        selects: label(selected),
        selectedPods: selected.length,
        rules,
        deniesAll,
        findings: findings.filter((f) => f.object === policyObject(p)),
      }
    })
  // By namespace from the same computation, for the graph when the groups make too many arrows.
  const [connectivity, byNamespace] = computeConnectivities(state, engine, groupBy, ['namespace'])
  const notes: string[] = []
  let graph = connectivity
  if (connectivity.edges.length > MAX_GRAPH_EDGES && groupBy !== 'namespace') {
    graph = byNamespace
    notes.push(
      `The graph shows namespaces: by ${groupBy} it would have ${connectivity.edges.length} arrows (more than ${MAX_GRAPH_EDGES}); the ` +
        `connections table below lists them all.`,
    )
  }
  if (graph.edges.length > MAX_GRAPH_EDGES) {
    // Still a hairball: leave out what no policy restricts (every port allowed), then cut.
    const restricted = graph.edges.filter((e) => !e.allPorts)
    const kept = restricted.slice(0, MAX_GRAPH_EDGES)
    notes.push(
      `${graph.edges.length - kept.length} of ${graph.edges.length} arrows are left out of the graph ` +
        `(${graph.edges.length - restricted.length} that allow every ` +
        `port${restricted.length > kept.length ? `, and ${restricted.length - kept.length} more beyond ${MAX_GRAPH_EDGES}` : ''}); the ` +
        `connections table lists them all.`,
    )
    graph = { ...graph, edges: kept }
  }
  if (graph.groups.length > MAX_GRAPH_NODES) {
    // Boxes without an arrow say nothing and cost Graphviz most of its time.
    const ends = new Set(graph.edges.flatMap((e) => [e.from, e.to]))
    const kept = graph.groups.filter((g) => ends.has(g.label))
    notes.push(
      `${graph.groups.length - kept.length} of ${graph.groups.length} ${graph.groupBy === 'namespace' ? 'namespaces' : 'groups'} without an ` +
        `arrow in the graph are left out of it.`,
    )
    graph = { ...graph, groups: kept }
  }
  // The matrix is a grid of groups²: by namespace when there are too many groups, left out when
  // even the namespaces are too many (the connections list has every connection).
  const ports = defaultPorts(state)
  const groupCount = (by: GroupBy) => new Set(state.pods.map((p) => groupLabel(podGroup(p, by)))).size
  let matrixBy: GroupBy | undefined = groupBy
  if (groupCount(groupBy) > MAX_MATRIX_GROUPS && groupBy !== 'namespace') {
    matrixBy = 'namespace'
    notes.push(`The matrix shows namespaces: by ${groupBy} it would have ${connectivity.groups.length} rows and columns (more than ${MAX_MATRIX_GROUPS}).`)
  }
  if (matrixBy === 'namespace' && groupCount('namespace') > MAX_MATRIX_GROUPS) {
    notes.push(
      `The matrix is left out: even by namespace it would have ${groupCount('namespace')} rows and columns (more than ${MAX_MATRIX_GROUPS}); ` +
        `the connections below list every allowed connection.`,
    )
    matrixBy = undefined
  }
  const matrix: GroupedMatrix = matrixBy
    ? computeGroupedMatrix(engine, state, ports, matrixBy)
    : { groupBy, groups: [], groupSizes: [], ports, connections: [] }
  return {
    title: options.title ?? `NetworkPolicy report: ${options.inputs.join(', ')}`,
    inputs: options.inputs,
    groupBy,
    counts: {
      namespaces: new Set([...state.namespaces.map((n) => n.name), ...state.pods.map((p) => p.namespace)]).size,
      pods: state.pods.length,
      groups: connectivity.groups.length,
      policies: state.policies.length,
    },
    connectivity,
    graph,
    notes,
    matrix,
    findings,
    policies,
    ...((state.clusterNetworkPolicies ?? []).length > 0 ? { tiers: buildTierSections(state, engine, groupBy, findings) } : {}),
  }
}
