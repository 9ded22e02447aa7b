/**
 * The upstream ClusterNetworkPolicy conformance suite (cnp-conformance-table.ts) as cluster states:
 * the upstream base model (conformance/base/manifests.yaml) with each test's vendored manifest,
 * mutated step by step like the upstream subtests patch the live objects, and each probe with the
 * expected outcome. Shared by the evaluator runner (test/engine/cluster-policy-conformance.test.ts),
 * the data plane runner (test/dataplane/compiled-semantics.test.ts) and the runs through real
 * packets in the lab (test/lab/cnp-conformance-through-packets.test.ts).
 */
import { readFileSync } from 'node:fs'
import { parseAllDocuments, stringify } from 'yaml'
import type { ConformanceEvent, ConformanceTest } from './cnp-conformance-table.js'
import { documents, namespaceYaml, podYaml, type PortSpecLike } from './case-types.js'
import { buildState } from './build-state.js'
import type { ClusterState, Pod } from '../../src/model/types.js'
import type { Outcome, Traffic } from '../../src/engine/verdict.js'

export const PREFIX = 'network-policy-conformance-'
/** Stand-ins for the suite's random host-network ports (`.HostNetworkPorts`), as the cases use them. */
const HOST_NETWORK_PORTS = [34345, 34346, 34347, 34348, 34349, 34350, 34351, 34352]

/** conformance/base/manifests.yaml: house namespaces, two pods each (StatefulSets), their labels and named ports. */
const HOUSES: readonly { house: string; set: string; hostNetwork?: boolean }[] = [
  { house: 'gryffindor', set: 'harry-potter' },
  { house: 'slytherin', set: 'draco-malfoy' },
  { house: 'hufflepuff', set: 'cedric-diggory' },
  { house: 'ravenclaw', set: 'luna-lovegood' },
  { house: 'forbidden-forrest', set: 'centaur', hostNetwork: true },
]
const POD_PORTS: PortSpecLike[] = [
  { port: 80, protocol: 'TCP', name: 'web' },
  { port: 53, protocol: 'UDP', name: 'dns' },
]
/**
 * The other ports the upstream pods serve and the cases probe. Declared only where each needs a
 * server (the lab): unnamed, so no case's named port resolves differently.
 */
const SERVED_PORTS: PortSpecLike[] = [
  { port: 8080, protocol: 'TCP' },
  { port: 5353, protocol: 'UDP' },
  { port: 9003, protocol: 'SCTP' },
  { port: 9005, protocol: 'SCTP' },
]
const HOST_PORTS: PortSpecLike[] = [
  { port: HOST_NETWORK_PORTS[0]!, protocol: 'TCP', name: `web-${HOST_NETWORK_PORTS[0]}` },
  { port: HOST_NETWORK_PORTS[1]!, protocol: 'TCP', name: `web-${HOST_NETWORK_PORTS[1]}` },
  { port: HOST_NETWORK_PORTS[2]!, protocol: 'UDP', name: `dns-${HOST_NETWORK_PORTS[2]}` },
  { port: HOST_NETWORK_PORTS[4]!, protocol: 'UDP', name: `dns-${HOST_NETWORK_PORTS[4]}` },
]

function podIp(houseIndex: number, ordinal: number, hostNetwork: boolean): string {
  // Host-network pods carry their node's address.
  return hostNetwork ? `172.18.0.${ordinal + 2}` : `10.244.${houseIndex + 1}.${ordinal + 10}`
}

export interface Model {
  namespaceLabels: Map<string, Record<string, string>>
  /** Parsed upstream documents (ClusterNetworkPolicies, NetworkPolicies), mutated in place. */
  docs: Record<string, unknown>[]
}

function loadManifest(path: string): Record<string, unknown>[] {
  const text = readFileSync(`vendor/network-policy-api/v1alpha2/conformance/${path.replace(/^base\//, '').replace(/^api_integration\//, '')}`, 'utf8').replace(
    /\{\{ index \.HostNetworkPorts (\d+) \}\}/g,
    (_, i: string) => String(HOST_NETWORK_PORTS[Number(i)]),
  )
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d !== null)
}

/** The model of one upstream test before its first subtest: the base namespaces and its manifest. */
export function newModel(manifest: string): Model {
  return { namespaceLabels: new Map(HOUSES.map((h) => [h.house, { 'conformance-house': h.house }])), docs: loadManifest(manifest) }
}

/** The model as manifests; with `served`, the pods also declare every other port the cases probe (for the lab). */
export function manifests(m: Model, options: { readonly served?: boolean } = {}): string {
  const ns = HOUSES.map((h) => namespaceYaml(PREFIX + h.house, m.namespaceLabels.get(h.house)!))
  const pods = HOUSES.flatMap((h, hi) =>
    [0, 1].map((o) =>
      podYaml(
        PREFIX + h.house,
        `${h.set}-${o}`,
        { 'conformance-house': h.house },
        [podIp(hi, o, h.hostNetwork ?? false)],
        h.hostNetwork ? HOST_PORTS : options.served ? [...POD_PORTS, ...SERVED_PORTS] : POD_PORTS,
        { hostNetwork: h.hostNetwork ?? false },
      ),
    ),
  )
  return documents(...ns, ...pods, ...m.docs.map((d) => stringify(d)))
}

type Rule = { action: string; protocols?: unknown[]; name?: string; to?: unknown[] }
type Spec = { priority: number; ingress?: Rule[]; egress?: Rule[] }

function cnp(m: Model, name: string): Spec {
  const d = m.docs.find((x) => x.kind === 'ClusterNetworkPolicy' && (x.metadata as { name: string }).name === name)
  if (d === undefined) throw new Error(`case mutates ClusterNetworkPolicy ${name}, which its manifest does not declare`)
  return d.spec as Spec
}

/** One mutation of the table, applied to the model in place (probes change nothing). */
export function apply(m: Model, e: ConformanceEvent): void {
  switch (e.op) {
    case 'swap': {
      const rules = cnp(m, e.policy)[e.direction]!
      const a = rules[e.a]!
      rules[e.a] = rules[e.b]!
      rules[e.b] = a
      return
    }
    case 'namedPort':
      cnp(m, e.policy)[e.direction]![e.rule]!.protocols = [{ destinationNamedPort: e.port }]
      return
    case 'action':
      cnp(m, e.policy)[e.direction]![e.rule]!.action = e.action
      return
    case 'priority':
      cnp(m, e.policy).priority = e.priority
      return
    case 'namespaceLabels':
      m.namespaceLabels.set(e.namespace, { ...e.labels })
      return
    case 'prependNetworksRule': {
      const ips = e.pods.map((p) => {
        const [house, pod] = p.split('/')
        const hi = HOUSES.findIndex((h) => h.house === house)
        return `${podIp(hi, Number(pod!.slice(pod!.lastIndexOf('-') + 1)), false)}/32`
      })
      const spec = cnp(m, e.policy)
      spec.egress = [{ name: e.name, action: e.action, to: [{ networks: ips }] }, ...(spec.egress ?? [])]
      return
    }
    case 'deleteNetworkPolicy':
      m.docs = m.docs.filter(
        (d) =>
          !(
            d.kind === 'NetworkPolicy' &&
            (d.metadata as { name: string; namespace: string }).name === e.name &&
            (d.metadata as { namespace: string }).namespace === PREFIX + e.namespace
          ),
      )
      return
    case 'probe':
      return
  }
}

export interface ConformanceProbe {
  readonly state: ClusterState
  readonly traffic: Traffic & { readonly from: { kind: 'pod'; pod: Pod }; readonly to: { kind: 'pod'; pod: Pod } }
  /** netpol's expected outcome (the upstream expectation, or netpol's documented departure). */
  readonly want: Outcome
  readonly label: string
}

/** Every probe of one upstream test, each with the state it runs against (states shared between probes of one step). */
export function conformanceProbes(t: ConformanceTest): ConformanceProbe[] {
  const m = newModel(t.manifest)
  const out: ConformanceProbe[] = []
  for (const run of t.runs) {
    let state: ClusterState | undefined
    for (const e of run.events) {
      if (e.op !== 'probe') {
        apply(m, e)
        state = undefined
        continue
      }
      const s = (state ??= buildState(manifests(m), t.manifest))
      const end = (text: string): { kind: 'pod'; pod: Pod } => {
        const [house, name] = text.split('/')
        const pod = s.pods.find((p) => p.namespace === PREFIX + house && p.name === name)
        if (pod === undefined) throw new Error(`no pod ${text}`)
        return { kind: 'pod', pod }
      }
      const want = e.netpol ?? (e.allowed ? 'allowed' : 'denied')
      out.push({
        state: s,
        traffic: { from: end(e.from), to: end(e.to), port: e.port, protocol: e.protocol },
        want,
        label: `${run.name}: ${e.from} -> ${e.to} ${e.port}/${e.protocol} (upstream ${e.allowed ? 'allowed' : 'denied'}, want ${want})`,
      })
    }
  }
  return out
}
