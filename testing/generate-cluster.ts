/**
 * @module Seeded generator of realistic synthetic clusters for the benchmark (pure: same options,
 * same ClusterState, on every machine).
 *
 * The shape follows what real multi-tenant clusters look like: a few system namespaces
 * (kube-system with CoreDNS, monitoring with Prometheus, ingress-nginx), and application
 * namespaces `<app>-<env>` labelled with `team` and `env`, each running an app made of
 * Deployments and StatefulSets (web, api, worker, db, cache, ...) whose pods carry
 * `app`/`tier`/`version` labels and named container ports. Pods are packed onto nodes (about 110
 * per node, like the kubelet's default limit) and get IPs from the node's /24 of the pod CIDR
 * 10.244.0.0/16, so ipBlock peers over the pod CIDR match some pods and not others. Policies are
 * the shapes people write: default deny, DNS egress, tiered apps, allow from a namespace or team,
 * monitoring scrapes, internet egress via ipBlock with except, endPort ranges and
 * matchExpressions.
 */
import type {
  ClusterState,
  ContainerPort,
  IPBlock,
  LabelSelector,
  LabelSelectorRequirement,
  Labels,
  Namespace,
  NetworkPolicy,
  NetworkPolicyEgressRule,
  NetworkPolicyIngressRule,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  OwnerRef,
  Pod,
  PolicyType,
  Protocol,
  SourceRef,
} from '../src/model/types.js'
import { NAMESPACE_NAME_LABEL } from '../src/model/types.js'
import { createPrng, type Prng } from './prng.js'

export type SizeName = 'S' | 'M' | 'L'

export interface ClusterSize {
  readonly pods: number
  readonly namespaces: number
  readonly policies: number
}

/** The benchmark's standard sizes: about 20 pods and 4 policies per namespace, like a multi-tenant cluster. */
export const SIZES: Readonly<Record<SizeName, ClusterSize>> = {
  S: { pods: 100, namespaces: 8, policies: 30 },
  M: { pods: 1_000, namespaces: 50, policies: 200 },
  L: { pods: 10_000, namespaces: 500, policies: 2_000 },
}

export const DEFAULT_SEED = 20261120
export const PODS_PER_NODE = 110
/** flannel's default; one /24 per node, like the node IPAM controller hands out. */
export const POD_CIDR = '10.244.0.0/16'
const POD_CIDR_BASE = (10 << 24) | (244 << 16)
const MAX_NODES = 256

export interface GenerateOptions extends ClusterSize {
  readonly seed?: number
  /** @default 110 */
  readonly podsPerNode?: number
  /** Prefix for the `source.file` of every object. @default `generated` */
  readonly sourcePrefix?: string
}

export interface GeneratedNode {
  readonly name: string
  /** The node's slice of the pod CIDR. */
  readonly podCIDR: string
  readonly podCount: number
}

/** A Deployment or StatefulSet: the pods it made are `<name>-<i>` in `namespace`. */
export interface GeneratedWorkload {
  readonly namespace: string
  readonly kind: 'Deployment' | 'StatefulSet'
  readonly name: string
  readonly replicas: number
  readonly labels: Labels
  readonly containerPorts: readonly ContainerPort[]
}

export interface GeneratedCluster {
  readonly seed: number
  readonly size: ClusterSize
  readonly state: ClusterState
  readonly nodes: readonly GeneratedNode[]
  readonly workloads: readonly GeneratedWorkload[]
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

const APP_WORDS = [
  'checkout',
  'payments',
  'catalog',
  'search',
  'cart',
  'orders',
  'billing',
  'invoices',
  'shipping',
  'inventory',
  'accounts',
  'profiles',
  'auth',
  'identity',
  'notifications',
  'email',
  'sms',
  'reviews',
  'ratings',
  'recommend',
  'ads',
  'analytics',
  'reports',
  'ledger',
  'pricing',
  'promotions',
  'loyalty',
  'returns',
  'support',
  'chat',
  'media',
  'images',
  'video',
  'upload',
  'storage',
  'export',
  'import',
  'scheduler',
  'calendar',
  'booking',
  'maps',
  'geo',
  'fraud',
  'risk',
  'kyc',
  'audit',
  'compliance',
  'gateway',
  'portal',
  'admin',
  'cms',
  'blog',
  'docs',
  'wiki',
  'forum',
  'feed',
  'social',
  'events',
  'tickets',
  'crm',
  'erp',
  'hr',
  'payroll',
  'metrics',
  'tracing',
  'logging',
  'alerts',
  'status',
]
const TEAM_WORDS = [
  'alpha',
  'bravo',
  'charlie',
  'delta',
  'echo',
  'foxtrot',
  'golf',
  'hotel',
  'india',
  'juliet',
  'kilo',
  'lima',
  'mike',
  'november',
  'oscar',
  'papa',
  'quebec',
  'romeo',
  'sierra',
  'tango',
  'uniform',
  'victor',
  'whiskey',
  'xray',
  'yankee',
  'zulu',
]
type Env = 'prod' | 'staging' | 'dev'

type Component = 'web' | 'api' | 'api-canary' | 'worker' | 'db' | 'cache' | 'queue'

interface ComponentSpec {
  readonly kind: 'Deployment' | 'StatefulSet'
  readonly tier: string
  /** Share of the namespace's pods beyond the first replica of each component. */
  readonly weight: number
  readonly ports: readonly ContainerPort[]
}

const tcp = (name: string, containerPort: number): ContainerPort => ({ name, containerPort, protocol: 'TCP' })

const COMPONENTS: Readonly<Record<Component, ComponentSpec>> = {
  web: { kind: 'Deployment', tier: 'frontend', weight: 3, ports: [tcp('http', 8080), tcp('metrics', 9090)] },
  api: { kind: 'Deployment', tier: 'backend', weight: 4, ports: [tcp('http', 8080), tcp('grpc', 9000), tcp('metrics', 9090)] },
  'api-canary': { kind: 'Deployment', tier: 'backend', weight: 0.3, ports: [tcp('http', 8080), tcp('grpc', 9000), tcp('metrics', 9090)] },
  worker: { kind: 'Deployment', tier: 'worker', weight: 2, ports: [tcp('jobs', 8025), tcp('metrics', 9090)] },
  db: { kind: 'StatefulSet', tier: 'db', weight: 1, ports: [tcp('postgres', 5432), tcp('metrics', 9187)] },
  cache: { kind: 'StatefulSet', tier: 'cache', weight: 0.8, ports: [tcp('redis', 6379), tcp('metrics', 9121)] },
  queue: { kind: 'StatefulSet', tier: 'queue', weight: 0.8, ports: [tcp('amqp', 5672), tcp('metrics', 15692)] },
}

/** Blocks an internet egress rule leaves out: private ranges and the cloud metadata address. */
const PRIVATE_EXCEPT = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.169.254/32']

// ---------------------------------------------------------------------------------------------
// Helpers

const sel = (matchLabels: Labels = {}, matchExpressions: readonly LabelSelectorRequirement[] = []): LabelSelector => ({
  matchLabels,
  matchExpressions,
})
const nsNameSel = (name: string): LabelSelector => sel({ [NAMESPACE_NAME_LABEL]: name })

/** Splits `total` into integer parts proportional to `weights` (largest remainder), each >= `min`. */
function apportion(total: number, weights: readonly number[], min: number): number[] {
  const n = weights.length
  const spare = total - min * n
  if (spare < 0) throw new Error(`cannot give ${n} parts at least ${min} each out of ${total}`)
  const sum = weights.reduce((a, b) => a + b, 0)
  const exact = weights.map((w) => (sum > 0 ? (w / sum) * spare : spare / n))
  const parts = exact.map((x) => Math.floor(x))
  let left = spare - parts.reduce((a, b) => a + b, 0)
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])
  for (let k = 0; left > 0; k = (k + 1) % n, left--) parts[order[k][1]]++
  return parts.map((p) => p + min)
}

function ipv4(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`
}

function nodeSubnet(index: number): string {
  return `${ipv4(POD_CIDR_BASE + index * 256)}/24`
}

// ---------------------------------------------------------------------------------------------
// Namespaces and workloads

interface AppNamespace {
  readonly name: string
  readonly team: string
  readonly env: Env
  readonly components: readonly Component[]
  readonly workloads: GeneratedWorkload[]
}

function makeAppNamespaces(rng: Prng, count: number): { name: string; team: string; env: Env }[] {
  const teams = TEAM_WORDS.slice(0, Math.max(2, Math.min(TEAM_WORDS.length, Math.ceil(count / 20))))
  const out: { name: string; team: string; env: Env }[] = []
  const used = new Set<string>()
  let app = 0
  while (out.length < count) {
    // An application is deployed in one to three environments; a team owns several applications.
    const word = APP_WORDS[app % APP_WORDS.length]
    const round = Math.floor(app / APP_WORDS.length)
    const base = round === 0 ? word : `${word}-${round + 1}`
    const team = rng.pick(teams)
    const envs = rng.weighted<readonly Env[]>([
      [['prod'], 2],
      [['prod', 'staging'], 3],
      [['prod', 'staging', 'dev'], 4],
      [['dev'], 1],
    ])
    for (const env of envs) {
      if (out.length >= count) break
      const name = `${base}-${env}`
      if (used.has(name)) continue
      used.add(name)
      out.push({ name, team, env })
    }
    app++
  }
  return out
}

function chooseComponents(rng: Prng, budget: number): Component[] {
  const list: Component[] = ['web', 'api']
  if (budget >= 4) list.push('db')
  if (budget >= 5 && rng.chance(0.7)) list.push('worker')
  if (budget >= 6 && rng.chance(0.6)) list.push('cache')
  if (budget >= 8 && rng.chance(0.3)) list.push('api-canary')
  if (budget >= 10 && rng.chance(0.2)) list.push('queue')
  return list.filter((_, i) => i < budget)
}

function makeAppWorkloads(rng: Prng, ns: string, components: readonly Component[], budget: number): GeneratedWorkload[] {
  const weights = components.map((c) => COMPONENTS[c].weight * (0.5 + rng.next()))
  const replicas = apportion(budget, weights, 1)
  const version = rng.range(1, 5)
  return components.map((c, i) => {
    const spec = COMPONENTS[c]
    const v = c === 'api-canary' ? version + 1 : version
    return {
      namespace: ns,
      kind: spec.kind,
      name: c,
      replicas: replicas[i],
      labels: { app: c === 'api-canary' ? 'api' : c, tier: spec.tier, version: `v${v}` },
      containerPorts: spec.ports,
    }
  })
}

function systemWorkloads(): GeneratedWorkload[] {
  return [
    {
      namespace: 'kube-system',
      kind: 'Deployment',
      name: 'coredns',
      replicas: 2,
      labels: { 'k8s-app': 'kube-dns' },
      containerPorts: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' }, tcp('metrics', 9153)],
    },
    {
      namespace: 'monitoring',
      kind: 'StatefulSet',
      name: 'prometheus',
      replicas: 2,
      labels: { 'app.kubernetes.io/name': 'prometheus' },
      containerPorts: [tcp('web', 9090)],
    },
    {
      namespace: 'ingress-nginx',
      kind: 'Deployment',
      name: 'ingress-nginx-controller',
      replicas: 2,
      labels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' },
      containerPorts: [tcp('http', 80), tcp('https', 443)],
    },
  ]
}

// ---------------------------------------------------------------------------------------------
// Policies

type PolicyShape =
  | 'default-deny-ingress'
  | 'default-deny-all'
  | 'allow-dns-egress'
  | 'web-allow-ingress-controller'
  | 'api-allow-web'
  | 'db-allow-backend'
  | 'cache-allow-api'
  | 'allow-monitoring'
  | 'api-allow-same-team'
  | 'allow-internet-egress'
  | 'api-allow-pod-cidr'
  | 'worker-allow-port-range'
  | 'allow-env-expressions'
  | 'backend-egress'
  | 'allow-from-namespace'

const SHAPE_WEIGHTS: readonly (readonly [PolicyShape, number])[] = [
  ['default-deny-all', 3],
  ['allow-dns-egress', 5],
  ['web-allow-ingress-controller', 5],
  ['api-allow-web', 6],
  ['db-allow-backend', 6],
  ['cache-allow-api', 3],
  ['allow-monitoring', 5],
  ['api-allow-same-team', 4],
  ['allow-internet-egress', 3],
  ['api-allow-pod-cidr', 3],
  ['worker-allow-port-range', 3],
  ['allow-env-expressions', 3],
  ['backend-egress', 2],
  ['allow-from-namespace', 4],
]

interface PolicyContext {
  readonly rng: Prng
  readonly ns: AppNamespace
  readonly allNamespaces: readonly AppNamespace[]
  readonly teams: readonly string[]
  readonly nodeCount: number
  readonly src: SourceRef
}

function policy(
  c: PolicyContext,
  name: string,
  podSelector: LabelSelector,
  policyTypes: readonly PolicyType[],
  ingress: readonly { from: readonly Omit<NetworkPolicyPeer, 'source'>[]; ports: readonly Omit<NetworkPolicyPort, 'source'>[] }[],
  egress: readonly { to: readonly Omit<NetworkPolicyPeer, 'source'>[]; ports: readonly Omit<NetworkPolicyPort, 'source'>[] }[],
): NetworkPolicy {
  const s = c.src
  const ingressRules: NetworkPolicyIngressRule[] = ingress.map((r) => ({
    from: r.from.map((p) => ({ ...p, source: s })),
    ports: r.ports.map((p) => ({ ...p, source: s })),
    source: s,
  }))
  const egressRules: NetworkPolicyEgressRule[] = egress.map((r) => ({
    to: r.to.map((p) => ({ ...p, source: s })),
    ports: r.ports.map((p) => ({ ...p, source: s })),
    source: s,
  }))
  return { namespace: c.ns.name, name, podSelector, policyTypes, ingress: ingressRules, egress: egressRules, source: s }
}

const port = (p: number | string, protocol: Protocol = 'TCP', endPort?: number): Omit<NetworkPolicyPort, 'source'> =>
  endPort === undefined ? { protocol, port: p } : { protocol, port: p, endPort }

const has = (ns: AppNamespace, c: Component): boolean => ns.components.includes(c)

function makeShape(c: PolicyContext, shape: PolicyShape): NetworkPolicy | undefined {
  const { rng, ns } = c
  switch (shape) {
    case 'default-deny-ingress':
      return policy(c, shape, sel(), ['Ingress'], [], [])
    case 'default-deny-all':
      return policy(c, shape, sel(), ['Ingress', 'Egress'], [], [])
    case 'allow-dns-egress':
      return policy(
        c,
        shape,
        sel(),
        ['Egress'],
        [],
        [
          {
            to: [{ namespaceSelector: nsNameSel('kube-system'), podSelector: sel({ 'k8s-app': 'kube-dns' }) }],
            ports: [port(53, 'UDP'), port(53, 'TCP')],
          },
        ],
      )
    case 'web-allow-ingress-controller':
      return policy(
        c,
        shape,
        sel({ tier: 'frontend' }),
        ['Ingress'],
        [
          {
            from: [{ namespaceSelector: nsNameSel('ingress-nginx'), podSelector: sel({ 'app.kubernetes.io/name': 'ingress-nginx' }) }],
            ports: [port('http')],
          },
        ],
        [],
      )
    case 'api-allow-web':
      return policy(c, shape, sel({ app: 'api' }), ['Ingress'], [{ from: [{ podSelector: sel({ tier: 'frontend' }) }], ports: [port(8080), port(9000)] }], [])
    case 'db-allow-backend':
      if (!has(ns, 'db')) return undefined
      return policy(
        c,
        shape,
        sel({ app: 'db' }),
        ['Ingress'],
        [
          {
            from: [{ podSelector: sel({}, [{ key: 'tier', operator: 'In', values: ['backend', 'worker'] }]) }],
            ports: [port('postgres')],
          },
        ],
        [],
      )
    case 'cache-allow-api':
      if (!has(ns, 'cache')) return undefined
      return policy(
        c,
        shape,
        sel({ app: 'cache' }),
        ['Ingress'],
        [{ from: [{ podSelector: sel({ app: 'api' }) }, { podSelector: sel({ app: 'worker' }) }], ports: [port(6379)] }],
        [],
      )
    case 'allow-monitoring':
      return policy(
        c,
        shape,
        sel(),
        ['Ingress'],
        [
          {
            from: [{ namespaceSelector: sel({ [NAMESPACE_NAME_LABEL]: 'monitoring' }), podSelector: sel({ 'app.kubernetes.io/name': 'prometheus' }) }],
            ports: [port('metrics')],
          },
        ],
        [],
      )
    case 'api-allow-same-team':
      return policy(
        c,
        shape,
        sel({ app: 'api' }),
        ['Ingress'],
        [{ from: [{ namespaceSelector: sel({ team: ns.team }) }], ports: [port('http'), port('grpc')] }],
        [],
      )
    case 'allow-internet-egress':
      return policy(
        c,
        shape,
        sel({}, [{ key: 'tier', operator: 'In', values: ['frontend', 'backend'] }]),
        ['Egress'],
        [],
        [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE_EXCEPT } }], ports: [port(443)] }],
      )
    case 'api-allow-pod-cidr': {
      // Everything in the pod network but one or two nodes' ranges: matches pods by their IPs.
      const excluded = rng.shuffle([...Array(c.nodeCount).keys()]).slice(0, Math.min(c.nodeCount, rng.range(1, 2)))
      const block: IPBlock = { cidr: POD_CIDR, except: excluded.sort((a, b) => a - b).map(nodeSubnet) }
      return policy(c, shape, sel({ app: 'api' }), ['Ingress'], [{ from: [{ ipBlock: block }], ports: [port(8080)] }], [])
    }
    case 'worker-allow-port-range':
      if (!has(ns, 'worker')) return undefined
      return policy(
        c,
        shape,
        sel({ tier: 'worker' }),
        ['Ingress'],
        [{ from: [{ podSelector: sel({ tier: 'backend' }) }], ports: [port(8000, 'TCP', 8100)] }],
        [],
      )
    case 'allow-env-expressions': {
      const teams = rng.shuffle(c.teams).slice(0, Math.min(c.teams.length, 3))
      return policy(
        c,
        shape,
        sel({}, [
          { key: 'version', operator: 'Exists', values: [] },
          { key: 'tier', operator: 'NotIn', values: ['db', 'cache'] },
        ]),
        ['Ingress'],
        [
          {
            from: [
              {
                namespaceSelector: sel({}, [
                  { key: 'env', operator: 'In', values: ns.env === 'dev' ? ['dev', 'staging'] : ['prod', 'staging'] },
                  { key: 'team', operator: 'In', values: teams.sort() },
                ]),
                podSelector: sel({}, [{ key: 'tier', operator: 'In', values: ['backend'] }]),
              },
            ],
            ports: [port(8080)],
          },
        ],
        [],
      )
    }
    case 'allow-from-namespace':
      return allowFromNamespace(c, 0)
    case 'backend-egress':
      return policy(
        c,
        shape,
        sel({ tier: 'backend' }),
        ['Egress'],
        [],
        [
          { to: [{ podSelector: sel({}, [{ key: 'tier', operator: 'In', values: ['db', 'cache', 'queue'] }]) }], ports: [port(5432), port(6379), port(5672)] },
          { to: [{ namespaceSelector: sel({ team: ns.team }), podSelector: sel({ app: 'api' }) }], ports: [port(8080)] },
          { to: [{ namespaceSelector: nsNameSel('kube-system'), podSelector: sel({ 'k8s-app': 'kube-dns' }) }], ports: [port(53, 'UDP')] },
        ],
      )
  }
}

/** An allow-from-namespace policy naming one other namespace; enough of them fill any count. */
function allowFromNamespace(c: PolicyContext, index: number): NetworkPolicy {
  const other = c.rng.pick(c.allNamespaces)
  const target = c.rng.pick(c.ns.workloads)
  const ports = c.rng.chance(0.3) ? [] : [port(target.containerPorts[0].name ?? target.containerPorts[0].containerPort)]
  return policy(
    c,
    `${target.name}-allow-from-${other.name}${index > 0 ? `-${index}` : ''}`,
    sel({ app: target.labels.app }),
    ['Ingress'],
    [{ from: [{ namespaceSelector: nsNameSel(other.name) }], ports }],
    [],
  )
}

function makePolicies(c: PolicyContext, count: number): NetworkPolicy[] {
  const out: NetworkPolicy[] = []
  if (count === 0) return out
  if (c.rng.chance(0.9)) out.push(makeShape(c, 'default-deny-ingress')!)
  let pool = [...SHAPE_WEIGHTS]
  while (out.length < count && pool.length > 0) {
    const shape = c.rng.weighted(pool)
    pool = pool.filter(([s]) => s !== shape)
    const p = makeShape(c, shape)
    if (p) out.push(p)
  }
  const names = new Set(out.map((p) => p.name))
  for (let i = 0; out.length < count; i++) {
    const p = allowFromNamespace(c, i)
    if (names.has(p.name)) continue
    names.add(p.name)
    out.push(p)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// The generator

export function generateCluster(options: GenerateOptions): GeneratedCluster {
  const seed = options.seed ?? DEFAULT_SEED
  const podsPerNode = options.podsPerNode ?? PODS_PER_NODE
  const prefix = options.sourcePrefix ?? 'generated'
  const rng = createPrng(seed)
  const system = systemWorkloads()
  const systemNamespaces = ['kube-system', 'monitoring', 'ingress-nginx']
  const systemPods = system.reduce((n, w) => n + w.replicas, 0)
  const appCount = options.namespaces - systemNamespaces.length
  if (appCount < 1) throw new Error(`need at least ${systemNamespaces.length + 1} namespaces`)
  if (options.pods < systemPods + 2 * appCount) throw new Error(`${options.pods} pods are too few for ${options.namespaces} namespaces`)
  if (options.policies < 0) throw new Error('policies must be >= 0')
  const nodeCount = Math.ceil(options.pods / podsPerNode)
  if (nodeCount > MAX_NODES) throw new Error(`${options.pods} pods need ${nodeCount} nodes; the pod CIDR ${POD_CIDR} holds ${MAX_NODES}`)
  if (podsPerNode > 253) throw new Error('at most 253 pods per node fit a /24')

  const source = (ns: string): SourceRef => ({ file: `${prefix}/${ns}.yaml`, line: 1 })

  // Application namespaces, their pod budgets and workloads.
  const appMeta = makeAppNamespaces(rng, appCount)
  const teams = [...new Set(appMeta.map((m) => m.team))].sort()
  const budgets = apportion(
    options.pods - systemPods,
    appMeta.map(() => 0.4 + rng.next() * 1.2),
    2,
  )
  const apps: AppNamespace[] = appMeta.map((m, i) => {
    const components = chooseComponents(rng, budgets[i])
    return { ...m, components, workloads: makeAppWorkloads(rng, m.name, components, budgets[i]) }
  })

  const namespaces: Namespace[] = [
    ...systemNamespaces.map((name) => ({ name, labels: { [NAMESPACE_NAME_LABEL]: name }, implicit: false, source: source(name) })),
    ...apps.map((a) => ({
      name: a.name,
      labels: { [NAMESPACE_NAME_LABEL]: a.name, team: a.team, env: a.env },
      implicit: false,
      source: source(a.name),
    })),
  ]

  // Pods, placed on nodes in a shuffled order so replicas of one workload spread over nodes.
  const workloads = [...system, ...apps.flatMap((a) => a.workloads)]
  const podSpecs: { w: GeneratedWorkload; i: number }[] = []
  for (const w of workloads) for (let i = 0; i < w.replicas; i++) podSpecs.push({ w, i })
  const placement = rng.shuffle([...podSpecs.keys()])
  const slotOf = new Array<number>(podSpecs.length)
  placement.forEach((podIndex, k) => (slotOf[podIndex] = k))
  const nodeName = (n: number): string => `node-${String(n + 1).padStart(3, '0')}`
  const pods: Pod[] = podSpecs.map(({ w, i }, index) => {
    const slot = slotOf[index]
    const node = Math.floor(slot / podsPerNode)
    const ip = ipv4(POD_CIDR_BASE + node * 256 + 2 + (slot % podsPerNode))
    const owner: OwnerRef = { kind: w.kind, name: w.name }
    return {
      namespace: w.namespace,
      name: `${w.name}-${i}`,
      labels: w.labels,
      ips: [ip],
      containerPorts: w.containerPorts,
      hostNetwork: false,
      nodeName: nodeName(node),
      owner,
      source: source(w.namespace),
    }
  })
  const nodes: GeneratedNode[] = [...Array(nodeCount).keys()].map((n) => ({
    name: nodeName(n),
    podCIDR: nodeSubnet(n),
    podCount: Math.min(podsPerNode, options.pods - n * podsPerNode),
  }))

  // Policies: apportioned over application namespaces, some with none and some with many.
  const counts = apportion(
    options.policies,
    apps.map(() => rng.next() * 2),
    0,
  )
  const policies: NetworkPolicy[] = apps.flatMap((ns, i) => makePolicies({ rng, ns, allNamespaces: apps, teams, nodeCount, src: source(ns.name) }, counts[i]))

  return {
    seed,
    size: { pods: options.pods, namespaces: options.namespaces, policies: options.policies },
    state: { namespaces, pods, policies },
    nodes,
    workloads,
  }
}
