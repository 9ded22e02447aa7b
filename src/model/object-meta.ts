/**
 * @module `metadata` of an object as `ValidateObjectMeta` checks it: the name (DNS-1123 subdomain,
 * or label for namespaces), the namespace (DNS-1123 label) and the labels.
 */
import type { FieldPath } from './field-path.js'
import { readLabels } from './labels.js'
import { dns1123LabelErrors, dns1123SubdomainErrors } from './name-validation.js'
import type { ObjectReader, PlainMap } from './object-reader.js'
import type { Labels } from './types.js'

export interface ObjectMeta {
  /** Empty when missing (already reported). */
  readonly name: string
  /** As written; undefined when the object does not set one. */
  readonly namespace?: string
  readonly labels: Labels
}

export type NameRule = 'subdomain' | 'label'

export function readObjectMeta(r: ObjectReader, obj: PlainMap, nameRule: NameRule, path: FieldPath = ['metadata']): ObjectMeta {
  const meta = r.map(obj.metadata, path) ?? {}
  const namePath = [...path, 'name']
  const name = r.string(meta.name, namePath) ?? ''
  if (name === '') {
    if (meta.generateName !== undefined) {
      r.invalid(namePath, '', 'generateName cannot be used offline: give the object a name')
    } else {
      r.required(namePath, 'name or generateName is required')
    }
  } else {
    const errs = nameRule === 'label' ? dns1123LabelErrors(name) : dns1123SubdomainErrors(name)
    for (const msg of errs) r.invalid(namePath, name, msg)
  }
  const nsPath = [...path, 'namespace']
  const namespace = r.string(meta.namespace, nsPath)
  if (namespace !== undefined && namespace !== '') {
    for (const msg of dns1123LabelErrors(namespace)) r.invalid(nsPath, namespace, msg)
  }
  const labels = readLabels(r, meta.labels, [...path, 'labels'])
  return { name, ...(namespace ? { namespace } : {}), labels }
}

/** The labels of a pod template (`spec.template.metadata.labels`); its name and namespace are ignored as the API server ignores them. */
export function readTemplateLabels(r: ObjectReader, template: PlainMap, path: FieldPath): Labels {
  const meta = r.map(template.metadata, [...path, 'metadata']) ?? {}
  return readLabels(r, meta.labels, [...path, 'metadata', 'labels'])
}
