/**
 * @module Where an analysis command gets its cluster state: manifest PATHs, or, with no PATH, the
 * live cluster of a kubeconfig (`--kubeconfig`, `--context`, `-n/--namespace`, `-A/--all-namespaces`,
 * as with kubectl).
 */
import type { Command } from 'commander'
import type { LoadResult } from '../cluster/load-manifests.js'
import { formatDiagnostic } from '../model/diagnostic.js'
import { printable } from '../model/printable.js'
import { EnvironmentError, UsageError } from '../model/errors.js'
import type { CliIO } from './io.js'
import {
  addInputLimitOptions,
  applyPodCidr,
  checkPodCidr,
  inputLimits,
  kubeVersionRules,
  loadInput,
  skipInvalidMode,
  type LoadInputOptions,
  POD_CIDR_DESCRIPTION,
  POD_CIDR_FLAGS,
} from './load-input.js'

export interface StateSourceFlags {
  /** With PATHs: the namespace of objects without one. Live: the namespace to read. */
  readonly namespace?: string
  readonly allNamespaces?: boolean
  readonly kubeconfig?: string
  readonly context?: string
  readonly verbose?: boolean
  /**
   * `--pod-cidr`: with PATHs, pods without an IP get one from it (default 10.244.0.0/16, `none`:
   * they stay without). Live, pods carry their real IPs; only when the flag is given do pods still
   * without one (Pending) get an assumed address.
   */
  readonly podCidr?: string
  /** `--max-pods`, `--max-file-size` (with PATHs). */
  readonly maxPods?: string
  readonly maxFileSize?: string
  /** `--kube-version` (with PATHs: a live cluster's objects were validated by the cluster itself). */
  readonly kubeVersion?: string
  /** `--config FILE`: the configuration file (docs/cli.md, "Configuration file"). */
  readonly config?: string
  /** `--skip-invalid [warn]` (with PATHs). */
  readonly skipInvalid?: boolean | string
}

/** Adds `--pod-cidr <cidr>` (no commander default: the live cluster must see whether it was given). */
export function addPodCidrOption(cmd: Command): Command {
  return cmd.option(POD_CIDR_FLAGS, POD_CIDR_DESCRIPTION)
}

/** `--kubeconfig`, `--context`, `-A/--all-namespaces` as commander `.option(...)` arguments (commands declare their own `-n`). */
const LIVE_CLUSTER_OPTIONS: readonly (readonly [flags: string, description: string])[] = [
  ['--kubeconfig <file>', 'with no PATH: read the live cluster of this kubeconfig (default: $KUBECONFIG, else ~/.kube/config)'],
  ['--context <name>', 'with no PATH: the kubeconfig context to read'],
  ['-A, --all-namespaces', "with no PATH: read every namespace of the live cluster (default: -n, else the context's namespace)"],
]

/**
 * Adds the options of LIVE_CLUSTER_OPTIONS to a command, and the input limits (--max-pods,
 * --max-file-size) that every command reading PATHs through loadStateSource honours.
 */
export function addLiveClusterOptions(cmd: Command): Command {
  for (const [flags, description] of LIVE_CLUSTER_OPTIONS) cmd.option(flags, description)
  return addInputLimitOptions(cmd)
}

/** Help text for commands that read the live cluster when given no PATH. */
export function liveClusterHelp(command: string, exampleArgs = ''): string {
  const args = exampleArgs ? ` ${exampleArgs}` : ''
  return `
Live cluster: with no PATH, ${command} reads Namespaces, Pods, NetworkPolicies, Services and
EndpointSlices from the cluster of your kubeconfig, and ClusterNetworkPolicies (and Nodes when one has a nodes peer) where the
cluster has them (read-only: get/list), like kubectl: -n NAMESPACE reads one namespace (default:
the context's), -A all of them.
  netpol ${command} -A${args}
  netpol ${command} --context prod -n shop${args}`
}

/** The state from PATHs, or from the live cluster when there is none. */
/** Manifests from PATHs with the command's loading flags; `ctx` as for loadStateSource. */
export async function loadPaths(
  paths: readonly string[],
  flags: StateSourceFlags,
  io: CliIO,
  ctx?: { invalidInput?: boolean },
  options: Pick<LoadInputOptions, 'hideWarning'> = {},
): Promise<LoadResult> {
  const result = await loadInput(paths, io, {
    ...options,
    namespace: flags.namespace,
    verbose: flags.verbose,
    podCidr: flags.podCidr,
    maxPods: flags.maxPods,
    maxFileSize: flags.maxFileSize,
    kubeVersion: flags.kubeVersion,
    config: flags.config,
    ...(flags.skipInvalid !== undefined ? { skipInvalid: flags.skipInvalid } : {}),
  })
  if (result.invalid && skipInvalidMode(flags.skipInvalid) === 'exit' && ctx) ctx.invalidInput = true
  return result
}

/**
 * `namespace` of the result: the one namespace read from a live cluster (-n, else the context's),
 * where bare pod names are, as for kubectl; absent for PATHs and -A.
 * `ctx`: where `--skip-invalid` records that input was left out, so the exit code says so (2)
 * after the command's output, unless `--skip-invalid=warn`.
 */
export async function loadStateSource(
  paths: readonly string[],
  flags: StateSourceFlags,
  io: CliIO,
  ctx?: { invalidInput?: boolean },
): Promise<LoadResult & { readonly namespace?: string }> {
  if (paths.length > 0) {
    const live = [flags.kubeconfig && '--kubeconfig', flags.context && '--context', flags.allNamespaces && '--all-namespaces'].filter(Boolean)
    if (live.length > 0)
      throw new UsageError(`${live.join(', ')} read${live.length === 1 ? 's' : ''} a live cluster: give either PATHs or ${live.join(', ')}, not both`)
    return loadPaths(paths, flags, io, ctx)
  }
  if (flags.allNamespaces && flags.namespace) throw new UsageError('-n/--namespace and -A/--all-namespaces cannot be combined')
  inputLimits(flags) // a bad value is an error even where the live cluster does not need it
  await kubeVersionRules(flags.kubeVersion, io, flags.config)
  skipInvalidMode(flags.skipInvalid)
  if (flags.podCidr !== undefined) checkPodCidr(flags.podCidr)
  // Loaded on demand: the Kubernetes client costs most of the CLI's start-up time, and file
  // analysis never needs it.
  const [{ ApiRequestError }, { KubeConfigError }, { loadLiveCluster }] = await Promise.all([
    import('../cluster/live-api.js'),
    import('../cluster/live-kubeconfig.js'),
    import('../cluster/live-source.js'),
  ])
  try {
    const result = await loadLiveCluster({
      ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
      ...(flags.context ? { context: flags.context } : {}),
      ...(flags.namespace ? { namespace: flags.namespace } : {}),
      allNamespaces: Boolean(flags.allNamespaces),
      env: io.env,
    })
    for (const w of result.warnings) io.stderr(`${formatDiagnostic(w)}\n`)
    if (flags.verbose) {
      const s = result.state
      io.stderr(
        `read ${s.namespaces.length} namespaces, ${s.pods.length} pods, ${s.policies.length} policies from ` +
          `${printable(result.server)}${result.namespace ? ` (namespace ${printable(result.namespace)})` : ''}\n`,
      )
    }
    // Live pods carry their real IPs; a Pending pod without one is given an assumed address only on request.
    return flags.podCidr === undefined ? result : { ...result, state: applyPodCidr(result.state, flags.podCidr) }
  } catch (err) {
    if (err instanceof KubeConfigError) throw new EnvironmentError(`${err.message} (or give manifest PATHs to analyse files)`)
    if (err instanceof ApiRequestError) throw new EnvironmentError(err.message)
    throw err
  }
}
