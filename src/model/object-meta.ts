/**
 * @module `metadata` of an object as `ValidateObjectMeta` checks it: the name (DNS-1123 subdomain,
 * or label for namespaces), the namespace (DNS-1123 label) and the labels.
 */
import { formatFieldPath, type FieldPath } from './field-path.js'
import { readLabels } from './labels.js'
import { dns1035LabelErrors, dns1123LabelErrors, dns1123SubdomainErrors, qualifiedNameErrors } from './name-validation.js'
import type { ObjectReader, PlainMap } from './object-reader.js'
import type { Labels } from './types.js'

export interface ObjectMeta {
  /** Empty when missing (already reported). */
  readonly name: string
  /** As written; undefined when the object does not set one. */
  readonly namespace?: string
  readonly labels: Labels
}

/** `dns1035`: Service names. */
export type NameRule = 'subdomain' | 'label' | 'dns1035'

/** ObjectMeta's fields: strict decoding rejects any other (`metadata.namspace` must not quietly mean `default`). */
const OBJECT_META_FIELDS = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]

/** apimachinery's TotalAnnotationSizeLimitB: keys and values together, in bytes. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024

/** Finalizers that need no domain prefix (core's standard finalizer names). */
const STANDARD_FINALIZERS = ['kubernetes', 'orphan', 'foregroundDeletion']

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
    const errs = nameRule === 'label' ? dns1123LabelErrors(name) : nameRule === 'dns1035' ? dns1035LabelErrors(name) : dns1123SubdomainErrors(name)
    for (const msg of errs) r.invalid(namePath, name, msg)
  }
  const nsPath = [...path, 'namespace']
  const namespace = r.string(meta.namespace, nsPath)
  if (namespace !== undefined && namespace !== '') {
    for (const msg of dns1123LabelErrors(namespace)) r.invalid(nsPath, namespace, msg)
  }
  const labels = readLabels(r, meta.labels, [...path, 'labels'])
  r.unknownFields(meta, path, OBJECT_META_FIELDS)
  checkAnnotations(r, meta.annotations, [...path, 'annotations'])
  checkFinalizers(r, meta.finalizers, [...path, 'finalizers'])
  return namespace ? { name, namespace, labels } : { name, labels }
}

/**
 * `ValidateAnnotations`: every key a qualified name (compared in lower case), reported at
 * `metadata.annotations` with the key as the value; keys and values together at most 256 KiB.
 */
function checkAnnotations(r: ObjectReader, value: unknown, path: FieldPath): void {
  const map = r.map(value, path)
  if (!map) return
  let bytes = 0
  for (const [key, raw] of Object.entries(map)) {
    const keyPath = [...path, key]
    // JSON null decodes to the empty string in a map[string]string.
    const v = raw === null ? '' : r.string(raw, keyPath)
    for (const msg of qualifiedNameErrors(key.toLowerCase())) r.invalid(path, key, msg, keyPath)
    bytes += Buffer.byteLength(key) + (v === undefined ? 0 : Buffer.byteLength(v))
  }
  if (bytes > MAX_ANNOTATIONS_BYTES) r.error(path, `Too long: may not be more than ${MAX_ANNOTATIONS_BYTES} bytes`)
}

/**
 * `ValidateFinalizers` and core's `validateKubeFinalizerName`: each name a qualified name
 * (reported at `metadata.finalizers`), one without a `/` only if standard (at its index), and not
 * both `orphan` and `foregroundDeletion`.
 */
function checkFinalizers(r: ObjectReader, value: unknown, path: FieldPath): void {
  const list = r.list(value, path)
  if (!list) return
  const names: string[] = []
  list.forEach((raw, i) => {
    const name = r.string(raw, [...path, i])
    if (name === undefined) return
    names.push(name)
    for (const msg of qualifiedNameErrors(name)) r.invalid(path, name, msg, [...path, i])
  })
  if (names.includes('orphan') && names.includes('foregroundDeletion')) {
    r.invalid(path, names, 'finalizer orphan and foregroundDeletion cannot be both set')
  }
  names.forEach((name, i) => {
    if (!name.includes('/') && !STANDARD_FINALIZERS.includes(name))
      r.invalid([...path, i], name, 'name is neither a standard finalizer name nor is it fully qualified')
  })
}

/** The labels of a pod template (`spec.template.metadata.labels`); its name and namespace are ignored as the API server ignores them. */
export function readTemplateLabels(r: ObjectReader, template: PlainMap, path: FieldPath): Labels {
  const meta = r.map(template.metadata, [...path, 'metadata']) ?? {}
  return readLabels(r, meta.labels, [...path, 'metadata', 'labels'])
}

/** PodTemplateSpec's fields. */
const POD_TEMPLATE_FIELDS = ['metadata', 'spec']

/**
 * The rest of a pod template's metadata, as `ValidatePodTemplateSpec` and strict decoding see it:
 * annotations (`ValidateAnnotations`), and no field a PodTemplateSpec or ObjectMeta does not
 * have. `template.labels` (labels one level too high) would otherwise give the pods no labels at
 * all, and no policy would select them.
 */
export function checkTemplateMeta(r: ObjectReader, template: PlainMap, path: FieldPath): void {
  // Metadata written one level too high: say where it goes.
  const misplaced = Object.keys(template).filter((k) => !POD_TEMPLATE_FIELDS.includes(k) && OBJECT_META_FIELDS.includes(k))
  for (const key of misplaced) {
    r.error(
      [...path, key],
      `Unknown field: strict decoding error: unknown field "${formatFieldPath([...path, key])}" (did you mean "${formatFieldPath([...path, 'metadata', key])}"?)`,
    )
  }
  r.unknownFields(Object.fromEntries(Object.entries(template).filter(([k]) => !misplaced.includes(k))), path, POD_TEMPLATE_FIELDS)
  const metaPath = [...path, 'metadata']
  const meta = r.map(template.metadata, metaPath)
  if (!meta) return
  r.unknownFields(meta, metaPath, OBJECT_META_FIELDS)
  checkAnnotations(r, meta.annotations, [...metaPath, 'annotations'])
}
