/**
 * @module What `netpol convert` prints: the ClusterNetworkPolicies equivalent to the deprecated
 * v1alpha1 objects read, in input order, or every reason they cannot be made (each with
 * file:line, object and field); and the same policies as the model, for the lab, which enforces
 * v1alpha1 objects as what `convert` prints. Pure.
 */
import { CNP_API_VERSION, CNP_KIND, type ClusterNetworkPolicy } from '../model/cluster-network-policy-types.js'
import { V1ALPHA1_API_VERSION } from '../model/admin-network-policy-v1alpha1.js'
import { formatSource, InputError, type Diagnostic } from '../model/diagnostic.js'
import type { PlainMap } from '../model/object-reader.js'
import type { ClusterState } from '../model/types.js'
import type { V1alpha1Object } from './manifest-objects.js'
import { loadManifestText } from './load-manifests.js'

/**
 * The loader's warnings about a v1alpha1 object (its deprecation, what cannot be converted), which
 * `convert` and the lab say in their own way (the analysis commands leave these objects out).
 */
export function isV1alpha1ConversionNotice(warning: { readonly message: string }): boolean {
  return warning.message.startsWith('deprecated: ') || warning.message.startsWith('cannot convert to ')
}

export interface ConvertOptions {
  /** `spec.priority` of the policies made from BaselineAdminNetworkPolicies. */
  readonly baselinePriority: number
}

export interface ConvertedPolicy {
  readonly from: V1alpha1Object
  readonly object: PlainMap
}

export function convertedPolicies(objects: readonly V1alpha1Object[], options: ConvertOptions): { policies: ConvertedPolicy[]; errors: Diagnostic[] } {
  const errors: Diagnostic[] = objects.flatMap((o) => o.problemDiagnostics)
  const policies: ConvertedPolicy[] = []
  const byName = new Map<string, V1alpha1Object>()
  for (const o of objects) {
    if (!o.converted) continue
    const first = byName.get(o.name)
    if (first) {
      // An AdminNetworkPolicy and the BaselineAdminNetworkPolicy may both be called "default".
      errors.push({
        severity: 'error',
        file: o.source.file,
        line: o.source.line,
        object: `${o.kind} ${JSON.stringify(o.name)}`,
        message:
          `both this and ${first.kind} ${JSON.stringify(first.name)} at ${formatSource(first.source)} would become ` +
          `${CNP_KIND} ${JSON.stringify(o.name)}: rename one (metadata.name) before converting`,
      })
      continue
    }
    byName.set(o.name, o)
    const spec = o.converted.spec as PlainMap
    const object = o.kind === 'BaselineAdminNetworkPolicy' ? { ...o.converted, spec: { ...spec, priority: options.baselinePriority } } : o.converted
    policies.push({ from: o, object })
  }
  return { policies, errors }
}

/**
 * One converted policy read back as the released v1alpha2 CRD reads it (`text`: how it is
 * printed, by default as JSON): the model, or why the API server would refuse it, placed at the
 * v1alpha1 object it came from (the v1alpha1 CRDs took some values v1alpha2 refuses, such as a
 * label value with spaces). Every `source` of the model is the v1alpha1 object's.
 */
export function readConvertedPolicy(p: ConvertedPolicy, text = JSON.stringify(p.object)): { policy?: ClusterNetworkPolicy; errors: Diagnostic[] } {
  const from = p.from
  let read: readonly ClusterNetworkPolicy[]
  try {
    read = loadManifestText(text, { file: 'converted' }).state.clusterNetworkPolicies ?? []
  } catch (err) {
    if (!(err instanceof InputError)) throw err
    const errors = err.diagnostics
      .filter((d) => d.severity === 'error')
      .map((d) => ({
        severity: 'error' as const,
        file: from.source.file,
        line: from.source.line,
        object: `${from.kind} ${JSON.stringify(from.name)}`,
        ...(d.field !== undefined ? { field: d.field } : {}),
        message: `cannot convert to ${CNP_KIND}: the result would be invalid: ${d.message}`,
      }))
    return { errors }
  }
  if (read.length !== 1) throw new Error(`converting ${from.kind} ${JSON.stringify(from.name)} made ${read.length} ClusterNetworkPolicies (a bug)`)
  const policy = JSON.parse(JSON.stringify(read[0]), (k, v: unknown) => (k === 'source' ? { ...from.source } : v)) as ClusterNetworkPolicy
  return { policy, errors: [] }
}

/**
 * `state` with the v1alpha1 policies added as the ClusterNetworkPolicies `netpol convert` prints
 * (how the lab enforces them), and one deprecation warning each saying so. All or nothing: any
 * policy that cannot be converted, or whose name another ClusterNetworkPolicy has, is an
 * InputError with every such problem (enforcing the others alone could open what it closes).
 */
export function withConvertedV1alpha1(
  state: ClusterState,
  objects: readonly V1alpha1Object[],
  options: ConvertOptions,
): { state: ClusterState; warnings: Diagnostic[] } {
  if (objects.length === 0) return { state, warnings: [] }
  const { policies, errors } = convertedPolicies(objects, options)
  const native = new Map((state.clusterNetworkPolicies ?? []).map((p) => [p.name, p]))
  const added: ClusterNetworkPolicy[] = []
  const warnings: Diagnostic[] = []
  for (const p of policies) {
    const { policy, errors: invalid } = readConvertedPolicy(p)
    errors.push(...invalid)
    const clash = native.get(p.from.name)
    if (clash) {
      errors.push({
        severity: 'error',
        file: p.from.source.file,
        line: p.from.source.line,
        object: `${p.from.kind} ${JSON.stringify(p.from.name)}`,
        message:
          `it would become ${CNP_KIND} ${JSON.stringify(p.from.name)}, the name of the one at ${formatSource(clash.source)}: rename one ` +
          `(metadata.name), or leave out the one that is no longer used`,
      })
    }
    if (!policy) continue
    added.push(policy)
    const baseline = p.from.kind === 'BaselineAdminNetworkPolicy'
    warnings.push({
      severity: 'warning',
      file: p.from.source.file,
      line: p.from.source.line,
      object: `${p.from.kind} ${JSON.stringify(p.from.name)}`,
      message:
        `deprecated: ${p.from.kind} (${V1ALPHA1_API_VERSION}) is replaced by ${CNP_KIND} (${CNP_API_VERSION}) and its CRD no longer ships; ` +
        `enforced as the equivalent ${CNP_KIND} (tier ${baseline ? `Baseline, priority ${options.baselinePriority}` : 'Admin'}), which \`netpol convert\` prints`,
    })
  }
  if (errors.length > 0) throw new InputError(errors)
  return { state: { ...state, clusterNetworkPolicies: [...(state.clusterNetworkPolicies ?? []), ...added] }, warnings }
}
