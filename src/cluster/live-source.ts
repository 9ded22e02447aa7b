/**
 * @module Reading a live cluster's Namespaces, Pods, NetworkPolicies, Services and EndpointSlices into a LoadResult, the same
 * shape the manifest loader returns, so every analysis works on a running cluster as on files.
 *
 * Scope like kubectl: `allNamespaces` reads everything; otherwise one namespace (the given one, else
 * the kubeconfig context's, else "default"). Objects the loader's validation rejects make the
 * whole read fail with every problem listed (InputError), as a manifest file would.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import { InputError, type Diagnostic } from '../model/diagnostic.js'
import { apiGetJson, apiListAll, ApiRequestError, nestsDeeperThan, type RawObject } from './live-api.js'
import { convertClusterNetworkPolicy, convertEndpointSlice, convertNode, convertService, describeObject } from './live-objects.js'
import type { EndpointSlice, Node, Service } from '../model/types.js'
import type { ClusterNetworkPolicy } from '../model/cluster-network-policy-types.js'
import { MAX_NESTING_DEPTH } from '../model/input-limits.js'
import { contextNamespace, loadKubeConfig } from './live-kubeconfig.js'
import { LIVE_FILE, LiveStateBuilder } from './live-state.js'
import type { LoadResult } from './load-manifests.js'

export interface LiveSourceOptions {
  readonly kubeconfig?: string
  readonly context?: string
  /** The namespace to read when not `allNamespaces` (default: the context's namespace, else "default"). */
  readonly namespace?: string
  readonly allNamespaces?: boolean
  readonly env?: NodeJS.ProcessEnv
  /** Items per LIST page (`limit`; later pages follow `continue`). @default 500 */
  readonly pageSize?: number
  /** A ready client configuration (tests); overrides kubeconfig/context. */
  readonly kubeConfig?: KubeConfig
}

/** What was read, for messages ("read 3 namespaces ... from cluster X"). */
export interface LiveLoadResult extends LoadResult {
  readonly server: string
  /** undefined: every namespace. */
  readonly namespace?: string
}

export async function loadLiveCluster(options: LiveSourceOptions): Promise<LiveLoadResult> {
  const kc = options.kubeConfig ?? loadKubeConfig({ kubeconfig: options.kubeconfig, context: options.context, env: options.env })
  const server = kc.getCurrentCluster()?.server ?? ''
  const builder = new LiveStateBuilder()
  const page = options.pageSize ?? 500
  const warnings: Diagnostic[] = []
  let namespaces: RawObject[]
  let pods: RawObject[]
  let policies: RawObject[]
  let scope: string | undefined
  let clusterPolicies: RawObject[] = []
  let serviceObjects: RawObject[] = []
  let sliceObjects: RawObject[] = []
  try {
    // Cluster-scoped, so read whatever the scope: they apply to the pods of every namespace.
    const clusterWide = Promise.all([listClusterNetworkPolicies(kc, page, warnings), warnAboutV1alpha1(kc, warnings)]).then(([cnps]) => cnps)
    // Awaited below; if another read fails first, its own failure is the one reported.
    clusterWide.catch(() => undefined)
    if (options.allNamespaces) {
      ;[namespaces, pods, policies, serviceObjects, sliceObjects] = await Promise.all([
        apiListAll(kc, '/api/v1/namespaces', page).then((l) => l.items),
        apiListAll(kc, '/api/v1/pods', page).then((l) => l.items),
        apiListAll(kc, '/apis/networking.k8s.io/v1/networkpolicies', page).then((l) => l.items),
        listOptional(kc, '/api/v1/services', page, 'services', warnings),
        listOptional(kc, '/apis/discovery.k8s.io/v1/endpointslices', page, 'endpointslices.discovery.k8s.io', warnings),
      ])
      clusterPolicies = await clusterWide
    } else {
      scope = options.namespace || contextNamespace(kc)
      const ns = encodeURIComponent(scope)
      const [nsObject, podList, policyList] = await Promise.all([
        apiGetJson(kc, `/api/v1/namespaces/${ns}`).then(
          (o) => o as RawObject,
          (err: unknown) => {
            // Reading one namespace's objects does not need permission to read the Namespace itself;
            // without it, its labels are unknown (only kubernetes.io/metadata.name is certain).
            if (err instanceof ApiRequestError && err.statusCode === 403) {
              warnings.push({
                severity: 'warning',
                file: LIVE_FILE,
                line: 0,
                object: `Namespace "${scope}"`,
                message: 'cannot read the namespace (forbidden): its labels other than kubernetes.io/metadata.name are unknown',
              })
              return undefined
            }
            if (err instanceof ApiRequestError && err.statusCode === 404) throw new ApiRequestError(`namespaces "${scope}" not found`, 404)
            throw err
          },
        ),
        apiListAll(kc, `/api/v1/namespaces/${ns}/pods`, page),
        apiListAll(kc, `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`, page),
      ])
      ;[serviceObjects, sliceObjects] = await Promise.all([
        listOptional(kc, `/api/v1/namespaces/${ns}/services`, page, 'services', warnings),
        listOptional(kc, `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, page, 'endpointslices.discovery.k8s.io', warnings),
      ])
      namespaces = nsObject ? [nsObject] : []
      clusterPolicies = await clusterWide
      pods = podList.items
      policies = policyList.items
      const crossNamespace = policies.some(hasNamespaceSelector)
      if (crossNamespace) {
        warnings.push({
          severity: 'warning',
          file: LIVE_FILE,
          line: 0,
          message:
            `only namespace "${scope}" was read, but some of its policies have namespaceSelectors: pods of other namespaces are not part ` +
            `of this analysis (use -A/--all-namespaces)`,
        })
      }
    }
  } catch (err) {
    if (err instanceof ApiRequestError)
      throw new ApiRequestError(`reading the cluster at ${server}: ${explain(err, scope)}`, err.statusCode, err.reason, { cause: err })
    throw err
  }
  // Deeper than any manifest may be: refused before anything walks it recursively.
  const tooDeep: Diagnostic[] = []
  for (const [kind, list] of [
    ['Namespace', namespaces],
    ['Pod', pods],
    ['NetworkPolicy', policies],
    ['ClusterNetworkPolicy', clusterPolicies],
    ['Service', serviceObjects],
    ['EndpointSlice', sliceObjects],
  ] as const) {
    for (const o of list) {
      if (nestsDeeperThan(o, MAX_NESTING_DEPTH))
        tooDeep.push({ severity: 'error', file: LIVE_FILE, line: 0, object: describeObject(kind, o), message: `nests deeper than ${MAX_NESTING_DEPTH} levels` })
    }
  }
  if (tooDeep.length > 0) throw new InputError(tooDeep)
  const built = builder.build(namespaces, pods, policies)
  if (built.invalid.length > 0) throw new InputError(built.invalid.flatMap((o) => o.diagnostics))
  const clusterNetworkPolicies: ClusterNetworkPolicy[] = []
  const invalid: Diagnostic[] = []
  for (const raw of clusterPolicies) {
    const c = convertClusterNetworkPolicy(raw)
    if (c.ok) {
      clusterNetworkPolicies.push(c.value)
      warnings.push(...c.warnings)
    } else {
      invalid.push(...c.diagnostics)
    }
  }
  // As for a NetworkPolicy: leaving out a policy the cluster enforces would show traffic it denies as allowed.
  if (invalid.length > 0) throw new InputError(invalid)
  const services: Service[] = []
  const endpointSlices: EndpointSlice[] = []
  for (const raw of serviceObjects) {
    const c = convertService(raw)
    if (c.ok) {
      services.push(c.value)
      warnings.push(...c.warnings)
    } else invalid.push(...c.diagnostics)
  }
  for (const raw of sliceObjects) {
    const c = convertEndpointSlice(raw)
    if (c.ok) {
      endpointSlices.push(c.value)
      warnings.push(...c.warnings)
    } else invalid.push(...c.diagnostics)
  }
  if (invalid.length > 0) throw new InputError(invalid)
  const nodes = clusterNetworkPolicies.some(hasNodesPeer) ? await listNodes(kc, page, warnings) : undefined
  let state = clusterNetworkPolicies.length > 0 ? { ...built.state, clusterNetworkPolicies } : built.state
  if (nodes) state = { ...state, nodes }
  if (services.length > 0) state = { ...state, services }
  if (endpointSlices.length > 0) state = { ...state, endpointSlices }
  return {
    state,
    skipped: [],
    warnings: [...warnings, ...built.warnings],
    server,
    ...(scope !== undefined ? { namespace: scope } : {}),
  }
}

/**
 * Services and EndpointSlices: what `ns/service/NAME` endpoints and the Service lint rules need.
 * A user who may not list them still gets the policy analysis, with one warning saying so.
 */
async function listOptional(kc: KubeConfig, path: string, page: number, resource: string, warnings: Diagnostic[]): Promise<RawObject[]> {
  try {
    return (await apiListAll(kc, path, page)).items
  } catch (err) {
    // Every API server serves both; one that does not (an aggregated test double) simply has none.
    if (err instanceof ApiRequestError && err.statusCode === 404) return []
    if (err instanceof ApiRequestError && err.statusCode === 403) {
      warnings.push({
        severity: 'warning',
        file: LIVE_FILE,
        line: 0,
        message: `cannot list ${resource} (forbidden): Services cannot be resolved to their backends`,
      })
      return []
    }
    throw err
  }
}

function hasNodesPeer(p: ClusterNetworkPolicy): boolean {
  return p.spec.egress.some((rule) => rule.to.some((peer) => peer.nodes !== undefined))
}

/**
 * The nodes, read only when a ClusterNetworkPolicy has a `nodes` peer; undefined (unknown, with a
 * warning) when the user may not list them.
 */
async function listNodes(kc: KubeConfig, page: number, warnings: Diagnostic[]): Promise<Node[] | undefined> {
  let items: RawObject[]
  try {
    items = (await apiListAll(kc, '/api/v1/nodes', page)).items
  } catch (err) {
    if (err instanceof ApiRequestError && err.statusCode === 403) {
      warnings.push({
        severity: 'warning',
        file: LIVE_FILE,
        line: 0,
        message: 'cannot list nodes (forbidden): the nodes peers of ClusterNetworkPolicies cannot be resolved',
      })
      return undefined
    }
    if (!(err instanceof ApiRequestError)) throw err
    throw new ApiRequestError(`reading the cluster's nodes: ${err.message}`, err.statusCode, err.reason, { cause: err })
  }
  const nodes: Node[] = []
  const invalid: Diagnostic[] = []
  for (const raw of items) {
    if (nestsDeeperThan(raw, MAX_NESTING_DEPTH)) {
      invalid.push({
        severity: 'error',
        file: LIVE_FILE,
        line: 0,
        object: describeObject('Node', raw),
        message: `nests deeper than ${MAX_NESTING_DEPTH} levels`,
      })
      continue
    }
    const c = convertNode(raw)
    if (c.ok) nodes.push(c.value)
    else invalid.push(...c.diagnostics)
  }
  if (invalid.length > 0) throw new InputError(invalid)
  return nodes
}

const CNP_PATH = '/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies'

/**
 * Every ClusterNetworkPolicy; none, with one warning saying why, when the cluster does not serve
 * them (no CRD: 404) or the user may not list them (403).
 */
async function listClusterNetworkPolicies(kc: KubeConfig, page: number, warnings: Diagnostic[]): Promise<RawObject[]> {
  try {
    return (await apiListAll(kc, CNP_PATH, page)).items
  } catch (err) {
    if (err instanceof ApiRequestError && err.statusCode === 404) {
      warnings.push({
        severity: 'warning',
        file: LIVE_FILE,
        line: 0,
        message: 'the cluster does not serve ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2; its CRD is not installed): NetworkPolicies only',
      })
      return []
    }
    if (err instanceof ApiRequestError && err.statusCode === 403) {
      warnings.push({
        severity: 'warning',
        file: LIVE_FILE,
        line: 0,
        message:
          'cannot list clusternetworkpolicies.policy.networking.k8s.io (forbidden): the Admin and Baseline tiers are not part of this analysis, ' +
          'so traffic they deny or allow may be shown otherwise',
      })
      return []
    }
    throw err
  }
}

/**
 * Deprecated v1alpha1 AdminNetworkPolicies and BaselineAdminNetworkPolicies the cluster still
 * holds: not analysed, so said. A cluster without their CRDs (the usual case now) is silent.
 */
async function warnAboutV1alpha1(kc: KubeConfig, warnings: Diagnostic[]): Promise<void> {
  for (const [plural, kind] of [
    ['adminnetworkpolicies', 'AdminNetworkPolicies'],
    ['baselineadminnetworkpolicies', 'BaselineAdminNetworkPolicies'],
  ] as const) {
    let count: number
    try {
      count = (await apiListAll(kc, `/apis/policy.networking.k8s.io/v1alpha1/${plural}`, 500)).items.length
    } catch (err) {
      if (err instanceof ApiRequestError && (err.statusCode === 404 || err.statusCode === 403)) continue
      throw err
    }
    if (count > 0) {
      warnings.push({
        severity: 'warning',
        file: LIVE_FILE,
        line: 0,
        message:
          `the cluster holds ${count} ${kind} (policy.networking.k8s.io/v1alpha1, deprecated): netpol does not analyse them; \`kubectl ` +
          `get ${plural} -o yaml | netpol convert -\` prints the equivalent ClusterNetworkPolicies`,
      })
    }
  }
}

/** A policy with a namespaceSelector in one of its peers (read structurally: no walk of the whole spec). */
function hasNamespaceSelector(policy: RawObject): boolean {
  const spec = policy.spec as { ingress?: unknown; egress?: unknown } | undefined
  const rules = [spec?.ingress, spec?.egress].flatMap((r) => (Array.isArray(r) ? r : []))
  return rules.some((rule: unknown) => {
    const r = rule as { from?: unknown; to?: unknown } | null
    const peers = [r?.from, r?.to].flatMap((p) => (Array.isArray(p) ? p : []))
    return peers.some((peer: unknown) => typeof peer === 'object' && peer !== null && (peer as { namespaceSelector?: unknown }).namespaceSelector != null)
  })
}

function explain(err: ApiRequestError, scope: string | undefined): string {
  if (err.statusCode === 401) return `${err.message} (the kubeconfig's credentials were refused)`
  if (err.statusCode === 403) {
    return scope === undefined
      ? `${err.message} (forbidden: listing across all namespaces needs cluster-wide list permission on pods, namespaces and networkpolicies; try -n NAMESPACE)`
      : `${err.message} (forbidden: reading namespace "${scope}" needs list permission on pods and networkpolicies there)`
  }
  return err.message
}
