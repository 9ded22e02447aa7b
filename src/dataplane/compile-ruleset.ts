/**
 * @module The nftables ruleset compiler: cluster state + one node -> an nft script (pure, deterministic).
 *
 * Usage (lab nodes, the agent):
 * ```ts
 * import { compileRuleset } from './compile-ruleset.js'
 * import { applyRuleset } from './nft.js'
 * const { script, index } = compileRuleset(state, { nodeName: 'node-1' })
 * await applyRuleset(script, { netns: 'netpol-lab1-node-1' })
 * ```
 * The script replaces netpol's own table (`table inet netpol` by default) in ONE transaction
 * (`add table` + `delete table` + the full table), so it works whether or not the table exists and
 * no packet ever sees a half-built or missing ruleset. Other tables are never touched.
 *
 * Enforcement: ingress for the pods on this node as destinations, egress for the pods on this node
 * as sources (forward hook; pod -> node traffic on the input hook). Per new connection the packet
 * does one verdict-map lookup by pod IP, so only the policies selecting THAT pod are visited: the
 * number of other policies and pods never adds work. See docs/dataplane.md for the full layout.
 * `compileRuleset` returns the script with its index, which says which counter/set belongs to
 * which policy or pod (for counters and deny logs), from one planning pass.
 *
 * The semantics come from the engine (src/engine): which policies isolate a pod, which pods a peer
 * matches, what a named port means on a destination pod. This module only decides how to express
 * those answers in nftables (sets, maps, chains, names). ClusterNetworkPolicies add the Admin tier
 * before the NetworkPolicy part of a pod chain and the Baseline tier after it
 * (compile-cluster-tiers.ts); a state without them compiles exactly as before.
 */
import { formatIp, ipBlockRanges, parseCidr, type IpFamily, type IpRange } from '../model/cidr.js'
import {
  compareQualifiedNames,
  qualifiedName,
  type ClusterState,
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
  type Pod,
  type Protocol,
} from '../model/types.js'
import { InputError, type Diagnostic } from '../model/diagnostic.js'
import { formatSelector } from '../model/label-selector.js'
import { createEngine, type Engine } from '../engine/engine.js'
import { planClusterTiers, type ClusterConflictCounter, type ClusterRuleCounter, type ClusterTiers } from './compile-cluster-tiers.js'
import type { Side } from '../model/describe.js'
import { isNftTableName, NftDeclarations, NftNameAllocator, nftString, printableAscii, type HashMemo, type NftObjectKind } from './nft-names.js'
import {
  addrType,
  crossMatches,
  COMMENT_MAX,
  denyChainName,
  passChainName,
  passMapName,
  dispatchMapName,
  FAMILIES,
  ipKeyword,
  LOG_PREFIX_MAX,
  MAX_PORT,
  mergeRanges,
  NamedPortResolution,
  NamedPorts,
  numericPortElements,
  podAddresses,
  PROTO_KEYWORD,
  renderRange,
  SetRegistry,
  setMatch,
  type SetAdder,
  SIDE_PREFIX,
  SIDES,
  type SetDef,
} from './nft-match.js'
import { declarationText, keyOf, type KeptObjects, type ObjectPart, type TableObject, type TableObjects } from './table-objects.js'

export interface CompileOptions {
  /** Pods whose `nodeName` equals this are enforced by the ruleset. */
  readonly nodeName: string
  /** @default 'netpol' */
  readonly tableName?: string
  /** NFLOG group for denied new connections (rate-limited; for ulogd/tcpdump `nflog:N`). @default 100 */
  readonly logGroup?: number
  /** How long a denied-connection record stays in the deny-log sets. @default 3600 */
  readonly denyLogTimeoutSeconds?: number
  /** Maximum records per deny-log set; when full, drops continue but are not recorded. @default 65536 */
  readonly denyLogSize?: number
}

export const DEFAULT_TABLE_NAME = 'netpol'
export const DEFAULT_LOG_GROUP = 100
export const DEFAULT_DENY_LOG_TIMEOUT_SECONDS = 3600
export const DEFAULT_DENY_LOG_SIZE = 65536

/** The meaning of the named objects of a compiled ruleset (for reading counters and deny logs). */
export interface RulesetIndex {
  readonly tableName: string
  /** Named counters of allowed new connections, one per (policy, side) with a chain on this node. */
  readonly allowCounters: readonly { name: string; namespace: string; policy: string; side: Side }[]
  /** Named counters of denied packets, one per (enforced local pod, side). */
  readonly denyCounters: readonly { name: string; namespace: string; pod: string; side: Side }[]
  /** The dynamic sets recording denied new connections. Key: saddr . daddr . l4proto . sport . dport. */
  readonly denySets: readonly { name: string; side: Side; family: IpFamily }[]
  /** Named counters of ClusterNetworkPolicy rules, one per (policy, side, rule) with lines on this node: connections the rule decided. */
  readonly clusterRuleCounters: readonly ClusterRuleCounter[]
  /** Named counters of connections dropped because policies of one tier and priority matched with different actions. */
  readonly clusterConflictCounters: readonly ClusterConflictCounter[]
}

interface PolicyChain {
  readonly name: string
  readonly counter: string
  readonly policy: NetworkPolicy
  readonly side: Side
  /** Rule texts without the counter/verdict tail; empty when the policy allows nothing on this side. */
  readonly matches: readonly string[]
}

interface PodChain {
  readonly name: string
  /** The pod's deny counter: only when NetworkPolicy isolates it (its deny tail). */
  readonly counter?: string
  readonly pod: Pod
  readonly side: Side
  readonly addresses: readonly { family: IpFamily; value: bigint }[]
  /** NetworkPolicy isolates the pod on this side: the NetworkPolicy jumps, then the deny tail. */
  readonly isolated: boolean
  /** NetworkPolicy chains to jump to. */
  readonly jumps: readonly string[]
  /** ClusterNetworkPolicy Admin tier group chains, jumped to before the NetworkPolicy part. */
  readonly admin: readonly string[]
  /** Baseline tier group chains, jumped to when not isolated (then accept). */
  readonly baseline: readonly string[]
  /** The chain holding the NetworkPolicy and Baseline part when an Admin Pass can jump there. */
  readonly rest?: string
}

interface Plan {
  readonly table: string
  readonly nodeName: string
  readonly logGroup: number
  readonly denyTimeout: number
  readonly denySize: number
  readonly sets: readonly SetDef[]
  readonly policyChains: readonly PolicyChain[]
  readonly podChains: readonly PodChain[]
  /** undefined when the state has no ClusterNetworkPolicies (the script is then as without the feature). */
  readonly tiers?: ClusterTiers
}

export function denySetName(side: Side, family: IpFamily): string {
  return `denied_${SIDE_PREFIX[side]}_v${family}`
}

/** Name prefixes per side: the same strings every compile (names are remembered by object and prefix). */
const prefixes = (word: string): Readonly<Record<Side, string>> => ({ ingress: `${word}_${SIDE_PREFIX.ingress}`, egress: `${word}_${SIDE_PREFIX.egress}` })
const POLICY_CHAIN_PREFIX = prefixes('pol')
const ALLOW_COUNTER_PREFIX = prefixes('allow')
const DENY_COUNTER_PREFIX = prefixes('deny')
const REST_CHAIN_PREFIX = prefixes('rest')

/** The names the compiler writes itself; the allocator never hands them out. */
const FIXED_NAMES: readonly string[] = [
  'egress',
  'egress_to_node',
  'ingress',
  ...SIDES.map(denyChainName),
  ...SIDES.flatMap((side) => FAMILIES.flatMap((family) => [denySetName(side, family), dispatchMapName(side, family), passMapName(side, family)])),
  ...SIDES.map(passChainName),
]

/** `Kind "ns/name"`, quoted like the diagnostics do (control characters escaped). */
function describe(kind: string, o: { namespace: string; name: string }): string {
  return `${kind} ${JSON.stringify(qualifiedName(o))}`
}

/** A number that goes into the script as a port: an integer in 0..65535 (a NaN or 1e21 must never become nft text). */
function isPortNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_PORT
}

function isProtocol(value: unknown): value is Protocol {
  return typeof value === 'string' && Object.hasOwn(PROTO_KEYWORD, value)
}

/**
 * The values of a policy that become nft text, each checked before anything is compiled (the
 * loader and the agent reject such objects first; the compiler does not rely on it): ports,
 * endPorts, protocols and ipBlocks. An ipBlock whose CIDR or an `except` does not parse would be
 * compiled as a wider block (a skipped `except` opens its hole). Every problem, as diagnostics.
 */
export function checkPolicy(policy: NetworkPolicy): Diagnostic[] {
  const out: Diagnostic[] = []
  const problem = (field: string, message: string): void => {
    out.push({
      severity: 'error',
      file: policy.source?.file ?? '<unknown>',
      line: policy.source?.line ?? 0,
      object: describe('NetworkPolicy', policy),
      field,
      message: `${message} (refusing to compile a ruleset from it)`,
    })
  }
  const sides = [
    { field: 'spec.ingress', peerField: 'from', rules: policy.ingress.map((r) => ({ peers: r.from, ports: r.ports })) },
    { field: 'spec.egress', peerField: 'to', rules: policy.egress.map((r) => ({ peers: r.to, ports: r.ports })) },
  ]
  for (const side of sides) {
    for (const [i, rule] of side.rules.entries()) {
      const field = `${side.field}[${i}]`
      for (const [j, peer] of rule.peers.entries()) {
        if (peer.ipBlock) checkIpBlock(peer.ipBlock, `${field}.${side.peerField}[${j}].ipBlock`, problem)
      }
      for (const [k, p] of rule.ports.entries()) {
        const at = `${field}.ports[${k}]`
        if (!isProtocol(p.protocol))
          problem(`${at}.protocol`, `Unsupported value: ${JSON.stringify(String(p.protocol))}: supported values: "TCP", "UDP", "SCTP"`)
        if (typeof p.port === 'string') continue
        for (const [name, value] of [
          ['port', p.port],
          ['endPort', p.endPort],
        ] as const) {
          if (value !== undefined && !isPortNumber(value))
            problem(`${at}.${name}`, `Invalid value: ${JSON.stringify(String(value))}: must be an integer between 1 and 65535`)
        }
      }
    }
  }
  return out
}

function checkIpBlock(block: { cidr: string; except: readonly string[] }, field: string, problem: (field: string, message: string) => void): void {
  const cidr = typeof block.cidr === 'string' ? parseCidr(block.cidr) : undefined
  if (!cidr?.ok) return problem(`${field}.cidr`, `Invalid value: ${JSON.stringify(String(block.cidr))}: must be a valid CIDR`)
  if (!Array.isArray(block.except)) return problem(`${field}.except`, 'Invalid value: must be a list of CIDRs')
  for (const [k, e] of block.except.entries()) {
    const hole = typeof e === 'string' ? parseCidr(e) : undefined
    if (!hole?.ok || hole.cidr.family !== cidr.cidr.family) {
      problem(`${field}.except[${k}]`, `Invalid value: ${JSON.stringify(String(e))}: must be a valid CIDR of the same family as cidr`)
    }
  }
}

/** A rule's peer addresses of one family, rendered, in address order. */
export interface FamilyElements {
  readonly family: IpFamily
  /**
   * True when an ipBlock gives ranges of this family: the elements are merged ranges, for an
   * interval set. False when only pods do: one element per address, for a plain set, which nft
   * loads without sorting and checking intervals and the kernel keeps in a hash table.
   */
  readonly interval: boolean
  readonly elements: readonly string[]
}

/** A pod address as an element, written once per range object (the incremental compiler keeps them while the address stays). */
const addressTexts = new WeakMap<IpRange, string>()
function addressText(range: IpRange): string {
  let text = addressTexts.get(range)
  if (text === undefined) addressTexts.set(range, (text = renderRange(range)))
  return text
}

/**
 * A rule's peer elements per family (families without any left out): `blocks` are the ranges of
 * its ipBlocks, `pods` the addresses (one-address ranges) of the pods its selectors match.
 */
export function familyElements(blocks: readonly IpRange[], pods: readonly IpRange[]): FamilyElements[] {
  const out: FamilyElements[] = []
  for (const family of FAMILIES) {
    const mine = pods.filter((r) => r.family === family)
    if (blocks.some((r) => r.family === family)) {
      out.push({ family, interval: true, elements: mergeRanges([...blocks.filter((r) => r.family === family), ...mine]).map(renderRange) })
      continue
    }
    if (mine.length === 0) continue
    const sorted = mine.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
    const elements: string[] = []
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i].start !== sorted[i - 1].start) elements.push(addressText(sorted[i]))
    out.push({ family, interval: false, elements })
  }
  return out
}

/**
 * What planning needs to know about a state besides its objects: the engine answers for a
 * one-off compile (`compileRuleset`), the incremental compiler from what it kept of the previous
 * state (incremental-compile.ts). Both must give the same answers; the plan is the same code.
 */
export interface PlanSource {
  /** The state's pods in (namespace, name) order. */
  readonly pods: readonly Pod[]
  /** This node's pods that have an address, in the same order. */
  readonly localPods: readonly Pod[]
  /** Named ports over every pod of the cluster (egress destinations). */
  readonly clusterNamedPorts: NamedPortResolution
  /** Name hashes kept between rulesets (the incremental compiler's); none for a one-off compile. */
  readonly hashes?: HashMemo
  /** The policies isolating a local pod on a side, in verdict order (none for a hostNetwork pod). */
  isolating(pod: Pod, side: Side): readonly NetworkPolicy[]
  /**
   * Every address the peers of rule `ruleIndex` of the policy's side admit: an ipBlock is its own
   * address ranges, a selector peer stands for the addresses of the pods it matches.
   */
  peerElements(policy: NetworkPolicy, side: Side, ruleIndex: number, peers: readonly NetworkPolicyPeer[]): readonly FamilyElements[]
  /** Numeric port elements of a rule (the same array for the same ports). */
  portElements(ports: readonly NetworkPolicyPort[]): readonly string[]
  /** Rules as compiled for earlier rulesets (the incremental compiler's); none for a one-off compile. */
  readonly rules?: RuleMemos
  /** Named ports over a policy's local pods (ingress), kept while they are the same pods; absent: resolved anew. */
  scopedNamedPorts?(policy: NetworkPolicy, pods: readonly Pod[]): NamedPortResolution
}

/** The engine's answers: a fresh index of the state (a one-off compile). */
export function enginePlanSource(state: ClusterState, nodeName: string, engine: Engine = createEngine(state)): PlanSource {
  const pods = [...state.pods].sort(compareQualifiedNames)
  return {
    pods,
    localPods: pods.filter((p) => p.nodeName === nodeName && podAddresses(p).length > 0),
    clusterNamedPorts: new NamedPortResolution(pods),
    isolating: (pod, side) => engine.isolatingPolicies(pod, side === 'ingress' ? 'Ingress' : 'Egress'),
    peerElements: (policy, _side, _rule, peers) => {
      const blocks: IpRange[] = []
      const addresses: IpRange[] = []
      for (const peer of peers) {
        if (peer.ipBlock) {
          blocks.push(...ipBlockRanges(peer.ipBlock))
          continue
        }
        for (const pod of engine.peerPods(policy, peer)) {
          for (const ip of podAddresses(pod)) addresses.push({ family: ip.family, start: ip.value, end: ip.value })
        }
      }
      return familyElements(blocks, addresses)
    },
    portElements: numericPortElements,
  }
}

/**
 * What decides a rule's peer addresses: its peers' selectors (a podSelector alone reads the
 * policy's namespace) and ipBlocks. Its pod-only sets are named by it (SetRegistry), so they keep
 * their names while pods come and go.
 */
const definitions = new WeakMap<readonly NetworkPolicyPeer[], Map<string, string>>()
function peersDefinition(policy: NetworkPolicy, peers: readonly NetworkPolicyPeer[]): string {
  let byNamespace = definitions.get(peers)
  if (byNamespace === undefined) definitions.set(peers, (byNamespace = new Map()))
  let text = byNamespace.get(policy.namespace)
  if (text === undefined) {
    const peerText = (p: NetworkPolicyPeer): string =>
      p.ipBlock !== undefined
        ? `ipBlock ${p.ipBlock.cidr} except ${p.ipBlock.except.join(',')}`
        : `pods ${p.podSelector === undefined ? '*' : formatSelector(p.podSelector)} in ${p.namespaceSelector === undefined ? `=${policy.namespace}` : formatSelector(p.namespaceSelector)}`
    byNamespace.set(policy.namespace, (text = peers.map(peerText).join('; ')))
  }
  return text
}

/** One set a rule's matches read: what it was registered with and the name it got. */
interface SetUse {
  readonly prefix: string
  readonly type: string
  readonly interval: boolean
  readonly elements: readonly string[]
  readonly definition: string | undefined
  readonly name: string
}

/** A rule's matches as last compiled, with what they were made from (see `RuleMemos`). */
interface RuleMemo {
  readonly peerElements: readonly FamilyElements[] | undefined
  readonly portElements: readonly string[] | undefined
  readonly sets: readonly SetUse[]
  readonly matches: readonly string[]
}

/**
 * The rules of each policy object as last compiled, kept by the incremental compiler: a rule
 * without named ports whose peer and port elements are the same arrays again has the same
 * matches, once its sets are registered again in the same order and get the same names.
 */
export type RuleMemos = WeakMap<NetworkPolicy, Map<string, RuleMemo>>

/** The match parts of the nft rules for one NetworkPolicy rule (each later gets `counter ... accept`). */
function compileRule(
  source: PlanSource,
  policy: NetworkPolicy,
  side: Side,
  ruleIndex: number,
  peers: readonly NetworkPolicyPeer[],
  ports: readonly NetworkPolicyPort[],
  namedPorts: NamedPorts,
  sets: SetRegistry,
): readonly string[] {
  const peerElements = peers.length === 0 ? undefined : source.peerElements(policy, side, ruleIndex, peers)
  const portElements = ports.length === 0 ? undefined : source.portElements(ports)
  const usesNames = ports.some((p) => typeof p.port === 'string')
  let memos: Map<string, RuleMemo> | undefined
  if (source.rules !== undefined && !usesNames) {
    memos = source.rules.get(policy)
    if (memos === undefined) source.rules.set(policy, (memos = new Map()))
  }
  const key = `${side}/${ruleIndex}`
  const kept = memos?.get(key)
  // Registering a set again with what it was registered with is a no-op but for its name, which
  // is what the kept matches were written with; any other name and they are compiled again.
  if (
    kept !== undefined &&
    kept.peerElements === peerElements &&
    kept.portElements === portElements &&
    kept.sets.every((u) => sets.add(u.prefix, u.type, u.interval, u.elements, u.definition) === u.name)
  )
    return kept.matches
  const used: SetUse[] = []
  const registry: SetAdder =
    memos === undefined
      ? sets
      : {
          add: (prefix, type, interval, elements, definition) => {
            const name = sets.add(prefix, type, interval, elements, definition)
            used.push({ prefix, type, interval, elements, definition, name })
            return name
          },
        }
  // Peer side of the packet: sources for ingress, destinations for egress.
  const addrField = side === 'ingress' ? 'saddr' : 'daddr'
  const peerMatches: { family?: IpFamily; text: string }[] = []
  if (peerElements === undefined) {
    peerMatches.push({ text: '' })
  } else {
    const definition = peersDefinition(policy, peers)
    for (const { family, interval, elements } of peerElements) {
      peerMatches.push({
        family,
        text: setMatch(registry, [`${ipKeyword(family)} ${addrField}`], `peer${family}`, addrType(family), interval, elements, definition),
      })
    }
  }
  const portMatches: { family?: IpFamily; text: string }[] = []
  if (portElements === undefined) {
    portMatches.push({ text: '' })
  } else {
    if (portElements.length > 0) {
      portMatches.push({ text: setMatch(registry, ['meta l4proto', 'th dport'], 'port', 'inet_proto . inet_service', true, portElements) })
    }
    if (usesNames) {
      for (const family of FAMILIES) {
        const text = namedPorts.match(ports, family, sets)
        if (text !== '') portMatches.push({ family, text })
      }
    }
  }
  const matches = crossMatches(peerMatches, portMatches)
  memos?.set(key, { peerElements, portElements, sets: used, matches })
  return matches
}

/** The options of a compile, checked (they go into the script as words and numbers). */
interface CheckedOptions {
  readonly table: string
  readonly logGroup: number
  readonly denyTimeout: number
  readonly denySize: number
}

function checkOptions(options: CompileOptions): CheckedOptions {
  const table = options.tableName ?? DEFAULT_TABLE_NAME
  // Options go into the script as words and numbers: a plain word and integers only.
  if (!isNftTableName(table)) throw new RangeError(`table name ${JSON.stringify(table)}: use a letter or _, then letters, digits, - and _ (at most 64)`)
  const integer = (name: string, value: number | undefined, fallback: number, min: number, max: number): number => {
    const v = value ?? fallback
    if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} ${JSON.stringify(String(v))}: must be an integer from ${min} to ${max}`)
    return v
  }
  return {
    table,
    logGroup: integer('logGroup', options.logGroup, DEFAULT_LOG_GROUP, 0, 65535),
    denyTimeout: integer('denyLogTimeoutSeconds', options.denyLogTimeoutSeconds, DEFAULT_DENY_LOG_TIMEOUT_SECONDS, 1, 2 ** 31 / 1000),
    denySize: integer('denyLogSize', options.denyLogSize, DEFAULT_DENY_LOG_SIZE, 1, 2 ** 32 - 1),
  }
}

/** Refuses a state with a policy whose values cannot become nft text (see checkPolicy); `check` may remember answers per policy. */
export function refuseUncompilable(policies: readonly NetworkPolicy[], check: (policy: NetworkPolicy) => readonly Diagnostic[] = checkPolicy): void {
  let problems: Diagnostic[] | undefined
  for (const policy of policies) {
    const found = check(policy)
    if (found.length > 0) (problems ??= []).push(...found)
  }
  if (problems !== undefined) throw new InputError(problems)
}

function plan(state: ClusterState, options: CompileOptions, source?: PlanSource): Plan {
  const { table, logGroup, denyTimeout, denySize } = checkOptions(options)
  if (source === undefined) {
    refuseUncompilable(state.policies)
    source = enginePlanSource(state, options.nodeName)
  }
  const { pods, localPods } = source
  const scopedNamedPorts = (policy: NetworkPolicy, pods: readonly Pod[]): readonly Pod[] | NamedPortResolution =>
    source.scopedNamedPorts?.(policy, pods) ?? pods
  const names = new NftNameAllocator(FIXED_NAMES, source.hashes)
  const sets = new SetRegistry(names)
  // Egress: the destination can be any pod of the cluster.
  const clusterNamedPorts = new NamedPorts(source.clusterNamedPorts, 'every pod')

  // Keyed by the policy object: two objects are two policies, even if a broken input gave them one name.
  const policyChains = new Map<NetworkPolicy, Record<Side, PolicyChain | undefined>>()
  const podChains: PodChain[] = []
  // ClusterNetworkPolicy tiers: only planned (and only then named) when the state has any, so a
  // state without them compiles to the same script as before they existed.
  const tiers =
    (state.clusterNetworkPolicies ?? []).length > 0 ? planClusterTiers({ state, pods, localPods, names, sets, clusterNamedPorts, logGroup }) : undefined
  for (const side of SIDES) {
    // The engine's isolation: none for hostNetwork pods, so they get no chain.
    const isolating = new Map(localPods.map((pod) => [pod, source.isolating(pod, side)]))
    for (const pod of localPods) {
      const selecting = isolating.get(pod)!
      const isolated = selecting.length > 0
      const podTiers = tiers?.podTiers(pod, side)
      const admin = podTiers?.admin ?? []
      const baseline = isolated ? [] : (podTiers?.baseline ?? [])
      if (!isolated && admin.length === 0 && baseline.length === 0) continue
      const jumps: string[] = []
      const bodies = new Set<string>()
      for (const policy of selecting) {
        const chains = policyChains.get(policy) ?? { ingress: undefined, egress: undefined }
        policyChains.set(policy, chains)
        let chain = chains[side]
        if (!chain) {
          const rules =
            side === 'ingress' ? policy.ingress.map((r) => ({ peers: r.from, ports: r.ports })) : policy.egress.map((r) => ({ peers: r.to, ports: r.ports }))
          // Ingress: the destination is always one of this policy's pods on this node (the dispatch is by daddr).
          const usesNames = rules.some((r) => r.ports.some((pp) => typeof pp.port === 'string'))
          const namedPorts =
            side === 'ingress' && usesNames
              ? new NamedPorts(
                  scopedNamedPorts(
                    policy,
                    localPods.filter((p) => isolating.get(p)!.includes(policy)),
                  ),
                  `pods of ${qualifiedName(policy)}`,
                )
              : clusterNamedPorts
          const matches = rules.flatMap((r, i) => compileRule(source, policy, side, i, r.peers, r.ports, namedPorts, sets))
          const texts = (): [string, string] => [`${policy.namespace}_${policy.name}`, qualifiedName(policy)]
          chain = {
            name: names.allocateFor(policy, POLICY_CHAIN_PREFIX[side], texts),
            counter: names.allocateFor(policy, ALLOW_COUNTER_PREFIX[side], texts),
            policy,
            side,
            matches,
          }
          chains[side] = chain
        }
        // A chain that allows nothing, or exactly what an earlier chain allows, cannot change the verdict.
        const body = chain.matches.join('\n')
        if (chain.matches.length === 0 || bodies.has(body)) continue
        bodies.add(body)
        jumps.push(chain.name)
      }
      const addresses = podAddresses(pod)
      const texts = (): [string, string] => [`${pod.namespace}_${pod.name}`, qualifiedName(pod)]
      const name = names.allocateFor(pod, SIDE_PREFIX[side], texts)
      const counter = isolated ? names.allocateFor(pod, DENY_COUNTER_PREFIX[side], texts) : undefined
      const rest = podTiers?.adminPasses === true ? names.allocateFor(pod, REST_CHAIN_PREFIX[side], texts) : undefined
      podChains.push({
        name,
        ...(counter === undefined ? {} : { counter }),
        pod,
        side,
        addresses,
        isolated,
        jumps,
        admin,
        baseline,
        ...(rest === undefined ? {} : { rest }),
      })
    }
  }
  return {
    table,
    nodeName: options.nodeName,
    logGroup,
    denyTimeout,
    denySize,
    sets: sets.sets,
    policyChains: [...policyChains.values()].flatMap((c) => SIDES.map((side) => c[side]).filter((x): x is PolicyChain => x !== undefined)),
    podChains,
    ...(tiers === undefined ? {} : { tiers }),
  }
}

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}

/**
 * The objects of the plan's table, in the order of the script; every name declared once
 * (NftDeclarations). With `kept` (the incremental compiler's), an object made from the same parts
 * as in the last ruleset is that object again.
 */
function tableObjects(p: Plan, kept?: KeptObjects): TableObject[] {
  const objects: TableObject[] = []
  // Every chain, set, map and counter name passes here once: a second declaration is refused.
  const declared = new NftDeclarations()
  /** Declares the name and adds the object `make` builds from `parts` (it reads nothing else). */
  const add = (kind: NftObjectKind, name: string, owner: string | (() => string), parts: readonly ObjectPart[], make: () => TableObject): void => {
    declared.declare(kind, name, owner)
    objects.push(kept === undefined ? make() : kept.object(kind, name, parts, make))
  }
  const chain = (name: string, owner: string | (() => string), parts: readonly ObjectPart[], props: () => string[], rules: () => readonly string[]): void =>
    add('chain', name, owner, parts, () => ({ kind: 'chain', name, props: props(), rules: rules() }))

  const counters: { name: string; comment: string; owner: () => string }[] = [
    ...p.policyChains.map((c) => ({
      name: c.counter,
      comment: `allowed ${c.side} by ${qualifiedName(c.policy)}`,
      owner: () => `${c.side} of ${describe('NetworkPolicy', c.policy)}`,
    })),
    ...p.podChains.flatMap((c) =>
      c.counter === undefined
        ? []
        : [{ name: c.counter, comment: `denied ${c.side} of ${qualifiedName(c.pod)}`, owner: () => `${c.side} of ${describe('Pod', c.pod)}` }],
    ),
    ...(p.tiers?.counters ?? []),
  ].sort(byName)
  for (const c of counters)
    add('counter', c.name, c.owner, [c.comment], () => ({ kind: 'counter', name: c.name, props: [`comment ${nftString(c.comment, COMMENT_MAX)}`] }))

  for (const side of SIDES) {
    for (const family of FAMILIES) {
      const name = denySetName(side, family)
      add('set', name, 'the deny log', [p.denySize, p.denyTimeout], () => ({
        kind: 'set',
        name,
        props: [
          `type ${addrType(family)} . ${addrType(family)} . inet_proto . inet_service . inet_service`,
          `size ${p.denySize}`,
          'flags dynamic,timeout',
          `timeout ${p.denyTimeout}s`,
          'counter',
        ],
        elements: [],
      }))
    }
  }

  for (const set of [...p.sets].sort(byName)) {
    add(
      'set',
      set.name,
      () => `elements ${set.elements[0]}, ...`,
      [set.type, set.interval, set.elements],
      () => ({
        kind: 'set',
        name: set.name,
        props: set.interval ? [`type ${set.type}`, 'flags interval'] : [`type ${set.type}`],
        elements: set.elements,
      }),
    )
  }

  for (const side of SIDES) {
    for (const family of FAMILIES) {
      const entries: { value: bigint; text: string }[] = []
      const owners = new Map<bigint, PodChain>()
      for (const chain of p.podChains) {
        if (chain.side !== side) continue
        for (const a of chain.addresses) {
          // Two local pods claiming one IP: the first (by namespace/name) keeps it.
          if (a.family !== family || owners.has(a.value)) continue
          owners.set(a.value, chain)
          entries.push({ value: a.value, text: `${formatIp(a)} : goto ${chain.name}` })
        }
      }
      entries.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
      const map = (name: string, owner: string, elements: readonly string[]): void =>
        add('map', name, owner, [elements], () => ({ kind: 'map', name, props: [`type ${addrType(family)} : verdict`], elements }))
      map(
        dispatchMapName(side, family),
        'dispatch',
        entries.map((e) => e.text),
      )
      if (p.tiers === undefined) continue
      // Where an Admin Pass continues: the same address (first pod keeps it) -> that pod's chain after the Admin tier.
      const passes = entries.flatMap((e) => {
        const chain = owners.get(e.value)!
        return chain.rest === undefined ? [] : [`${formatIp({ family, value: e.value })} : goto ${chain.rest}`]
      })
      map(passMapName(side, family), 'the Admin tier Pass targets', passes)
    }
  }

  // Base chains (the same for every ruleset). Egress runs first; `accept` ends only this base chain, so ingress still runs.
  const established = 'ct state established,related accept'
  chain(
    'egress',
    'a base chain',
    [],
    () => ['type filter hook forward priority filter - 10; policy accept;'],
    () => [established, `ip saddr vmap @${dispatchMapName('egress', 4)}`, `ip6 saddr vmap @${dispatchMapName('egress', 6)}`],
  )
  chain(
    'egress_to_node',
    'a base chain',
    [],
    () => ['type filter hook input priority filter - 10; policy accept;'],
    () => [
      established,
      'icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, nd-redirect } accept',
      `ip saddr vmap @${dispatchMapName('egress', 4)}`,
      `ip6 saddr vmap @${dispatchMapName('egress', 6)}`,
    ],
  )
  chain(
    'ingress',
    'a base chain',
    [],
    () => ['type filter hook forward priority filter; policy accept;'],
    () => [established, `ip daddr vmap @${dispatchMapName('ingress', 4)}`, `ip6 daddr vmap @${dispatchMapName('ingress', 6)}`],
  )

  // One shared deny tail per side: records the connection in the deny-log set, then drops.
  for (const side of SIDES) {
    const record = (family: IpFamily): string => {
      const ip = ipKeyword(family)
      return (
        `ct state new meta nfproto ipv${family} meta l4proto { tcp, udp, sctp } add @${denySetName(side, family)} { ${ip} saddr . ` +
        `${ip} daddr . meta l4proto . th sport . th dport }`
      )
    }
    chain(
      denyChainName(side),
      'the deny tail',
      [],
      () => [],
      () => [...FAMILIES.map(record), 'drop'],
    )
  }
  if (p.tiers !== undefined) {
    for (const side of SIDES) {
      const field = side === 'ingress' ? 'daddr' : 'saddr'
      chain(
        passChainName(side),
        'the Admin tier Pass lookup',
        [],
        () => [],
        () => [
          `ip ${field} vmap @${passMapName(side, 4)}`,
          `ip6 ${field} vmap @${passMapName(side, 6)}`,
          // Unreachable (a pod's Pass rules exist only with its map entry); dropping keeps it closed.
          `goto ${denyChainName(side)}`,
        ],
      )
    }
  }

  for (const c of [...p.podChains].sort(byName)) {
    const who = qualifiedName(c.pod)
    const owner = (): string => `${c.side} of ${describe('Pod', c.pod)}`
    const parts = [c.side, who, c.counter, c.isolated, c.jumps, c.admin, c.baseline, c.rest, p.logGroup]
    const admin = (): string[] => c.admin.map((j) => `jump ${j}`)
    const rest = (): string[] => {
      const rules = c.rest === undefined ? admin() : []
      if (c.isolated) {
        for (const j of c.jumps) rules.push(`jump ${j}`)
        rules.push(
          `ct state new limit rate 10/second burst 20 packets log prefix ${nftString(`netpol deny ${c.side} ${who}: `, LOG_PREFIX_MAX)} group ${p.logGroup}`,
          `counter name "${c.counter}" goto ${denyChainName(c.side)}`,
        )
      } else {
        for (const j of c.baseline) rules.push(`jump ${j}`)
        rules.push('accept')
      }
      return rules
    }
    const comment = (): string[] => [`comment ${nftString(`${c.side} of ${who}`, COMMENT_MAX)}`]
    if (c.rest === undefined) chain(c.name, owner, parts, comment, rest)
    else {
      const after = c.rest
      chain(c.name, owner, parts, comment, () => [...admin(), `goto ${after}`])
      chain(
        after,
        () => `${owner()} after the Admin tier`,
        parts,
        () => [`comment ${nftString(`${c.side} of ${who} after the admin tier`, COMMENT_MAX)}`],
        rest,
      )
    }
  }

  for (const c of [...p.policyChains].sort(byName)) {
    if (c.matches.length === 0) continue
    const who = qualifiedName(c.policy)
    chain(
      c.name,
      () => `${c.side} rules of ${describe('NetworkPolicy', c.policy)}`,
      [c.side, who, c.counter, c.matches],
      () => [`comment ${nftString(`${c.side} rules of ${who}`, COMMENT_MAX)}`],
      () => c.matches.map((m) => `${m === '' ? '' : `${m} `}counter name "${c.counter}" accept`),
    )
  }

  for (const c of [...(p.tiers?.chains ?? [])].sort(byName)) {
    chain(
      c.name,
      c.owner,
      [c.comment, c.rules],
      () => [`comment ${nftString(c.comment, COMMENT_MAX)}`],
      () => c.rules,
    )
  }
  return objects
}

/** The script of the plan's table objects: it replaces the whole table in one transaction. */
function render(p: Plan, objects: readonly TableObject[]): string {
  const enforced = (side: Side): number => p.podChains.filter((c) => c.side === side && c.isolated).length
  const tierNote = p.tiers === undefined ? '' : ` ${p.podChains.length} pod chains with ClusterNetworkPolicy tiers, ${p.tiers.chains.length} tier chains.`
  const out = [
    `# netpol ruleset for node "${printableAscii(p.nodeName)}": ${enforced('ingress')} pods isolated for ingress, ${enforced('egress')} for ` +
      `egress, ${p.policyChains.length} policy chains, ${p.sets.length} policy sets.${tierNote}`,
    '# Generated; replaces the whole table in one transaction. Do not edit.',
    `add table inet ${p.table}`,
    `delete table inet ${p.table}`,
    `table inet ${p.table} {`,
  ]
  for (const o of objects) out.push(declarationText(o))
  out.push('}')
  return out.join('\n') + '\n'
}

/** Script, index and objects of a plan (`kept`: see tableObjects). */
function compiled(p: Plan, kept?: KeptObjects): CompiledNodeRuleset {
  const list = tableObjects(p, kept)
  return { script: render(p, list), index: indexPlan(p), objects: { table: `inet ${p.table}`, objects: new Map(list.map((o) => [keyOf(o), o])) } }
}

/** A node's script and the index of its named objects, from one planning pass. */
export interface CompiledNodeRuleset {
  /** `nft -f` it (see `applyRuleset` in nft.ts) to replace netpol's table atomically. */
  readonly script: string
  /** What the script's counters and deny-log sets stand for (see `readPolicyCounters` in nft.ts). */
  readonly index: RulesetIndex
  /** The objects the script declares, as `parseTableObjects` reads them from it (for a delta without reading the script back). */
  readonly objects: TableObjects
}

/** The nft script for one node and what its counters and deny-log sets stand for. Same state and options -> byte-identical script. */
export function compileRuleset(state: ClusterState, options: CompileOptions): CompiledNodeRuleset {
  return compiled(plan(state, options))
}

/**
 * The same, with the answers about the state from `source` (the incremental compiler's), which
 * must have refused uncompilable policies itself (refuseUncompilable), and the objects of the last
 * ruleset in `kept` (equal objects are kept, not built again). Same output as compileRuleset.
 */
export function compileRulesetWith(state: ClusterState, options: CompileOptions, source: PlanSource, kept?: KeptObjects): CompiledNodeRuleset {
  return compiled(plan(state, options, source), kept)
}

/** What the counters and deny-log sets of a plan stand for (`render` has declared every name once). */
function indexPlan(p: Plan): RulesetIndex {
  return {
    tableName: p.table,
    allowCounters: p.policyChains.map((c) => ({ name: c.counter, namespace: c.policy.namespace, policy: c.policy.name, side: c.side })).sort(byName),
    denyCounters: p.podChains
      .flatMap((c) => (c.counter === undefined ? [] : [{ name: c.counter, namespace: c.pod.namespace, pod: c.pod.name, side: c.side }]))
      .sort(byName),
    denySets: SIDES.flatMap((side) => FAMILIES.map((family) => ({ name: denySetName(side, family), side, family }))),
    clusterRuleCounters: [...(p.tiers?.ruleCounters ?? [])].sort(byName),
    clusterConflictCounters: [...(p.tiers?.conflictCounters ?? [])].sort(byName),
  }
}
