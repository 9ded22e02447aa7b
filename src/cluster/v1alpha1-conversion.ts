/**
 * @module What `netpol convert` prints: the ClusterNetworkPolicies equivalent to the deprecated
 * v1alpha1 objects read, in input order, or every reason they cannot be made (each with
 * file:line, object and field). Pure.
 */
import { CNP_KIND } from '../model/cluster-network-policy-types.js'
import { formatSource, type Diagnostic } from '../model/diagnostic.js'
import type { PlainMap } from '../model/object-reader.js'
import type { V1alpha1Object } from './manifest-objects.js'

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
