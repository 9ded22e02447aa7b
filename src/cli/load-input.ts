/**
 * @module The one way commands read their PATH arguments: load the manifests (relative to the
 * CLI's working directory, `-` for stdin), print warnings, with --verbose list what was skipped,
 * and give pods without an address one from --pod-cidr (see docs/semantics.md, "Pods without addresses").
 */
import { isAbsolute, resolve } from 'node:path'
import { formatDiagnostic, type Diagnostic } from '../model/diagnostic.js'
import { printable } from '../model/printable.js'
import { loadManifests, type LoadResult } from '../cluster/load-manifests.js'
import { assumePodIPs, DEFAULT_POD_CIDR, parsePodCidr } from '../cluster/assume-pod-ips.js'
import { DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_PODS, formatBytes, parseBytes } from '../model/input-limits.js'
import type { ClusterState } from '../model/types.js'
import { formatKubeVersion, NEWEST_KUBE_VERSION, parseKubeVersion, validationRules, type ValidationRules } from '../model/kube-version.js'
import type { Command } from 'commander'
import { UsageError } from '../model/errors.js'
import type { CliIO } from './io.js'
import { readProjectConfig } from './project-config.js'

export interface LoadInputOptions {
  readonly namespace?: string
  readonly verbose?: boolean
  /** `--pod-cidr`: where pods without an IP get one; `none` keeps them without. Default DEFAULT_POD_CIDR. */
  readonly podCidr?: string
  /** `--max-pods`, as given. */
  readonly maxPods?: string
  /** `--max-file-size`, as given. */
  readonly maxFileSize?: string
  /** Warnings the command reports in its own way (not printed here). */
  readonly hideWarning?: (warning: Diagnostic) => boolean
  /** `--kube-version`, as given (else $NETPOL_KUBE_VERSION, else the configuration file's, else the newest release). */
  readonly kubeVersion?: string
  /** `--config FILE`: the configuration file (else `.netpol.yaml` found from the working directory up). */
  readonly config?: string
  /** `--skip-invalid [warn]`: leave invalid objects out, list them, read the rest. */
  readonly skipInvalid?: boolean | string
}

/** The bounds on manifest input, as flags of every command that reads PATHs (docs/manifests.md, "Limits"). */
export function addInputLimitOptions(cmd: Command): Command {
  return cmd
    .option('--max-pods <n>', MAX_PODS_DESCRIPTION)
    .option('--max-file-size <size>', MAX_FILE_SIZE_DESCRIPTION)
    .option(KUBE_VERSION_FLAGS, KUBE_VERSION_DESCRIPTION)
    .option(CONFIG_FLAGS, CONFIG_DESCRIPTION)
    .option(SKIP_INVALID_FLAGS, SKIP_INVALID_DESCRIPTION)
}
export const CONFIG_FLAGS = '--config <file>'
export const CONFIG_DESCRIPTION = 'the configuration file (default: .netpol.yaml in the working directory or the nearest parent, up to the git repository root)'
export const KUBE_VERSION_FLAGS = '--kube-version <version>'
export const SKIP_INVALID_FLAGS = '--skip-invalid [warn]'
export const SKIP_INVALID_DESCRIPTION =
  'leave invalid objects out (listed on stderr) and analyse the rest, as kubectl apply -f applies the valid ones; the exit code is still 2 ' +
  'after the output unless given as --skip-invalid=warn'

/** Checks `--skip-invalid`'s value: undefined (not given), 'exit' (given: exit 2 when anything was left out) or 'warn'. */
export function skipInvalidMode(value: boolean | string | undefined): 'exit' | 'warn' | undefined {
  if (value === undefined || value === false) return undefined
  if (value === true) return 'exit'
  if (value === 'warn') return 'warn'
  throw new UsageError(
    `--skip-invalid: ${JSON.stringify(value)} is not a mode (give --skip-invalid, or --skip-invalid=warn to keep the command's own exit code)`,
  )
}
export const KUBE_VERSION_DESCRIPTION =
  `validate manifests as this Kubernetes release's API server does, e.g. 1.35 (default: ` +
  `$NETPOL_KUBE_VERSION, else the configuration file's kubeVersion, else ${formatKubeVersion(NEWEST_KUBE_VERSION)})`

/**
 * The validation rules of `--kube-version`, else of $NETPOL_KUBE_VERSION, else of the configuration
 * file's kubeVersion, else the newest release's. The configuration file is checked even when a flag
 * or the environment overrides it. Throws UsageError on a bad value, InputError on a bad file.
 */
export async function kubeVersionRules(flag: string | undefined, io: CliIO, configFile?: string): Promise<ValidationRules> {
  const config = await readProjectConfig(io, configFile)
  const env = io.env
  const [name, text] =
    flag !== undefined ? ['--kube-version', flag] : env.NETPOL_KUBE_VERSION ? ['$NETPOL_KUBE_VERSION', env.NETPOL_KUBE_VERSION] : [undefined, undefined]
  if (name === undefined || text === undefined) return validationRules(config.kubeVersion)
  const parsed = parseKubeVersion(text)
  if (!parsed.ok) throw new UsageError(`${name}: ${parsed.error}`)
  return validationRules(parsed.version)
}
const MAX_PODS_DESCRIPTION = `refuse input with more pods than this, counting the pods workloads make from spec.replicas (default ${DEFAULT_MAX_PODS})`
export const MAX_FILE_SIZE_DESCRIPTION = `refuse a manifest file or stdin larger than this, e.g. 64Mi, 1Gi (default ${formatBytes(DEFAULT_MAX_FILE_BYTES)})`

/** Checks --max-pods and --max-file-size; throws UsageError on a bad value. */
export function inputLimits(options: { readonly maxPods?: string; readonly maxFileSize?: string }): { maxPods: number; maxFileBytes: number } {
  let maxPods = DEFAULT_MAX_PODS
  if (options.maxPods !== undefined) {
    maxPods = /^[0-9]+$/.test(options.maxPods.trim()) ? Number(options.maxPods) : NaN
    if (!Number.isSafeInteger(maxPods) || maxPods < 1) throw new UsageError(`--max-pods: ${JSON.stringify(options.maxPods)} is not a positive whole number`)
  }
  let maxFileBytes = DEFAULT_MAX_FILE_BYTES
  if (options.maxFileSize !== undefined) {
    const n = parseBytes(options.maxFileSize)
    if (n === undefined || n < 1)
      throw new UsageError(`--max-file-size: ${JSON.stringify(options.maxFileSize)} is not a size (bytes, or with a unit: 64Mi, 1Gi, 500k)`)
    maxFileBytes = n
  }
  return { maxPods, maxFileBytes }
}

/** The `--pod-cidr` option, shared by every command that reads manifests (and the lab). */
export const POD_CIDR_FLAGS = '--pod-cidr <cidr>'
export const POD_CIDR_DESCRIPTION =
  `IPv4 network from which pods without an IP in the manifests get one, so ipBlock peers match them as in a ` +
  `real cluster (default ${DEFAULT_POD_CIDR}, kubeadm/flannel's pod network; "none": leave them without address)`

/** Checks a --pod-cidr value; undefined for `none`. Throws UsageError on a bad value. */
export function checkPodCidr(value: string | undefined): string | undefined {
  const text = value ?? DEFAULT_POD_CIDR
  if (text === 'none') return undefined
  parsePodCidr(text)
  return text
}

/** Gives pods without an address one from the pod CIDR (`none`: unchanged). Throws UsageError when the CIDR is too small. */
export function applyPodCidr(state: ClusterState, podCidr: string | undefined): ClusterState {
  const cidr = checkPodCidr(podCidr)
  if (cidr === undefined) return state
  return assumePodIPs(state, { podCidr: cidr })
}

export async function loadInput(paths: readonly string[], io: CliIO, options: LoadInputOptions = {}): Promise<LoadResult> {
  // Paths stay as written (so messages name files the user's way) unless the CLI runs for another directory.
  const sameDir = resolve(io.cwd) === process.cwd()
  checkPodCidr(options.podCidr) // a bad flag is reported before any file is read
  const limits = inputLimits(options)
  const rules = await kubeVersionRules(options.kubeVersion, io, options.config)
  const skipInvalid = skipInvalidMode(options.skipInvalid) !== undefined
  const located = paths.map((p) => (p === '-' || isAbsolute(p) || sameDir ? p : resolve(io.cwd, p)))
  const result = await loadManifests(located, { namespace: options.namespace, stdin: io.stdin, ...limits, rules, ...(skipInvalid ? { skipInvalid } : {}) })
  for (const w of result.warnings) if (!options.hideWarning?.(w)) printInputDiagnostic(io, w)
  if (result.invalid) {
    for (const d of result.invalid) printInputDiagnostic(io, d)
    const objects = new Set(result.invalid.map((d) => `${d.file}:${d.object ?? d.line}`)).size
    io.stderr(
      `warning: --skip-invalid: left out ` +
        `${objects === 1 ? 'one invalid object or document' : `${objects} invalid objects or documents`} (above); the analysis covers the rest\n`,
    )
  }
  if (options.verbose) {
    for (const s of result.skipped) {
      // Kinds, names and apiVersions of skipped objects are not validated: escaped like the file name.
      const what = `${s.kind}${s.name ? ` "${s.name}"` : ''} (${s.apiVersion})`
      io.stderr(`${printable(relativeTo(s.file, io.cwd))}:${s.line}: skipped ${printable(what)}: netpol does not use this kind\n`)
    }
  }
  return { ...result, state: applyPodCidr(result.state, options.podCidr) }
}

/** One diagnostic about the input on stderr, as loadInput prints its warnings. */
export function printInputDiagnostic(io: CliIO, d: Diagnostic): void {
  io.stderr(`${relativeTo(formatDiagnostic(d), printable(io.cwd))}\n`)
}

/** Messages name files the way the user wrote them, not as absolute paths. */
function relativeTo(text: string, cwd: string): string {
  const prefix = cwd.endsWith('/') ? cwd : `${cwd}/`
  return text.startsWith(prefix) ? text.slice(prefix.length) : text
}
