/**
 * @module What the agent accepts from the API server before anything else touches it: one watch
 * line, or one LIST page, checked for the envelope every later step relies on (event type, an
 * object with metadata, a name, a namespace when the resource has one, a resourceVersion, a kind
 * that matches the resource, a bounded size and nesting depth). Pure; never throws.
 *
 * Content (spec, status, labels) is validated later by the model's readers (src/cluster/live-*.ts),
 * which handle invalid objects fail-closed. What fails here cannot even be filed under a name, so
 * the caller keeps its last good view and starts over (relist) instead of guessing.
 */
import { nestsDeeperThan, type RawObject } from '../cluster/live-api.js'

export { nestsDeeperThan }

/** Why a line, an event or an item was refused: the `reason` label of netpol_agent_rejected_objects_total. */
export type RejectReason =
  | 'not-json'
  | 'too-large'
  | 'too-deep'
  | 'bad-event-type'
  | 'no-object'
  | 'no-metadata'
  | 'bad-name'
  | 'bad-namespace'
  | 'bad-resource-version'
  | 'wrong-kind'
  | 'bad-status'
  | 'bad-list'
  | 'duplicate'

export const REJECT_REASONS: readonly RejectReason[] = [
  'not-json',
  'too-large',
  'too-deep',
  'bad-event-type',
  'no-object',
  'no-metadata',
  'bad-name',
  'bad-namespace',
  'bad-resource-version',
  'wrong-kind',
  'bad-status',
  'bad-list',
  'duplicate',
]

export interface ResourceKind {
  /** `Pod`, `Namespace`, `NetworkPolicy`. */
  readonly kind: string
  readonly namespaced: boolean
}

export interface EnvelopeLimits {
  /** Deepest nesting of arrays and objects accepted in one object. @default 100 */
  readonly maxDepth?: number
}

export type ObjectEventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export type WatchEvent =
  | { readonly type: ObjectEventType; readonly object: RawObject; readonly key: string; readonly resourceVersion: string }
  | { readonly type: 'BOOKMARK'; readonly resourceVersion: string }
  | { readonly type: 'ERROR'; readonly code: number | undefined; readonly message: string }

export interface Rejection {
  readonly ok: false
  readonly reason: RejectReason
  /** One line for the log: what was wrong, never the (possibly huge) value itself. */
  readonly detail: string
}

export type Checked<T> = { readonly ok: true; readonly value: T } | Rejection

export interface ListPage {
  readonly items: readonly { readonly key: string; readonly object: RawObject }[]
  readonly resourceVersion: string
  readonly continue?: string
}

const DEFAULT_MAX_DEPTH = 100
const MAX_NAME = 253
const MAX_NAMESPACE = 63
const MAX_RESOURCE_VERSION = 128
const MAX_CONTINUE = 4096
/** C0 and C1 controls, DEL, and `/` (a path separator: never part of a name the API serves). */
const FORBIDDEN_IN_NAME = /[\u0000-\u001f\u007f-\u009f/]/

function reject(reason: RejectReason, detail: string): Rejection {
  return { ok: false, reason, detail }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v
}

/** The store key of an object: `namespace/name` (neither can contain `/`). */
export function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`
}

function checkResourceVersion(rv: unknown, where: string): Rejection | undefined {
  if (typeof rv !== 'string' || rv === '')
    return reject(
      'bad-resource-version',
      `${where}: metadata.resourceVersion is ${rv === undefined ? 'missing' : typeName(rv) === 'string' ? 'empty' : `a ${typeName(rv)}`}`,
    )
  if (rv.length > MAX_RESOURCE_VERSION || FORBIDDEN_IN_NAME.test(rv))
    return reject('bad-resource-version', `${where}: metadata.resourceVersion is not a resourceVersion (${rv.length} characters)`)
  return undefined
}

/** Checks one object of `resource` (a watch event's object or a list item). */
export function checkObject(
  value: unknown,
  resource: ResourceKind,
  limits: EnvelopeLimits = {},
): Checked<{ key: string; object: RawObject; resourceVersion: string }> {
  if (!isMap(value)) return reject('no-object', `the object is ${value === undefined ? 'missing' : `a ${typeName(value)}, not an object`}`)
  if (value.kind !== undefined && value.kind !== resource.kind) {
    return reject(
      'wrong-kind',
      typeof value.kind === 'string'
        ? `kind ${JSON.stringify(value.kind.slice(0, 64))} where ${resource.kind} was expected`
        : `kind is a ${typeName(value.kind)}`,
    )
  }
  const meta = value.metadata
  if (!isMap(meta)) return reject('no-metadata', `metadata is ${meta === undefined ? 'missing' : `a ${typeName(meta)}, not an object`}`)
  const name = meta.name
  if (typeof name !== 'string' || name === '')
    return reject('bad-name', `metadata.name is ${name === undefined ? 'missing' : typeName(name) === 'string' ? 'empty' : `a ${typeName(name)}`}`)
  if (name.length > MAX_NAME || FORBIDDEN_IN_NAME.test(name))
    return reject('bad-name', `metadata.name is not a name (${name.length} characters, or a control character or "/")`)
  const namespace = meta.namespace
  if (resource.namespaced) {
    if (typeof namespace !== 'string' || namespace === '')
      return reject(
        'bad-namespace',
        `metadata.namespace of a ${resource.kind} is ` +
          `${namespace === undefined ? 'missing' : typeName(namespace) === 'string' ? 'empty' : `a ${typeName(namespace)}`}`,
      )
    if (namespace.length > MAX_NAMESPACE || FORBIDDEN_IN_NAME.test(namespace))
      return reject('bad-namespace', `metadata.namespace is not a namespace name (${namespace.length} characters, or a control character or "/")`)
  } else if (namespace !== undefined && namespace !== '') {
    return reject('bad-namespace', `a ${resource.kind} has no namespace, but metadata.namespace is set`)
  }
  const rvProblem = checkResourceVersion(meta.resourceVersion, `${resource.kind} ${resource.namespaced ? `${String(namespace)}/` : ''}${name}`)
  if (rvProblem) return rvProblem
  if (nestsDeeperThan(value, limits.maxDepth ?? DEFAULT_MAX_DEPTH))
    return reject('too-deep', `the object nests deeper than ${limits.maxDepth ?? DEFAULT_MAX_DEPTH} levels`)
  const ns = resource.namespaced ? (namespace as string) : undefined
  return { ok: true, value: { key: objectKey(ns, name), object: value as RawObject, resourceVersion: meta.resourceVersion as string } }
}

/** Parses and checks one line of a watch stream. */
export function parseWatchLine(line: string, resource: ResourceKind, limits: EnvelopeLimits = {}): Checked<WatchEvent> {
  let data: unknown
  try {
    data = JSON.parse(line)
  } catch {
    return reject('not-json', `a line of ${line.length} characters that is not JSON`)
  }
  if (!isMap(data)) return reject('not-json', `a line that is a JSON ${typeName(data)}, not an event object`)
  const type = data.type
  const object = data.object
  switch (type) {
    case 'ADDED':
    case 'MODIFIED':
    case 'DELETED': {
      const checked = checkObject(object, resource, limits)
      if (!checked.ok) return { ...checked, detail: `${type} event: ${checked.detail}` }
      return { ok: true, value: { type, ...checked.value } }
    }
    case 'BOOKMARK': {
      if (!isMap(object) || !isMap(object.metadata)) return reject('no-metadata', 'BOOKMARK event without object.metadata')
      const problem = checkResourceVersion(object.metadata.resourceVersion, 'BOOKMARK event')
      if (problem) return problem
      return { ok: true, value: { type, resourceVersion: object.metadata.resourceVersion as string } }
    }
    case 'ERROR': {
      // A Status: { code, reason, message }.
      if (!isMap(object)) return reject('bad-status', `ERROR event whose object is ${object === undefined ? 'missing' : `a ${typeName(object)}`}, not a Status`)
      const code = typeof object.code === 'number' && Number.isInteger(object.code) ? object.code : undefined
      const message =
        typeof object.message === 'string' ? object.message.slice(0, 300) : typeof object.reason === 'string' ? object.reason.slice(0, 100) : 'no message'
      return { ok: true, value: { type, code, message } }
    }
    default:
      return reject(
        'bad-event-type',
        typeof type === 'string'
          ? `unknown event type ${JSON.stringify(type.slice(0, 32))}`
          : `event type is ${type === undefined ? 'missing' : `a ${typeName(type)}`}`,
      )
  }
}

/**
 * Checks one LIST page. Any bad item rejects the whole page: a list with an object that cannot be
 * filed is not a complete view, and a complete view is what replaces the store.
 */
export function checkListPage(body: unknown, resource: ResourceKind, limits: EnvelopeLimits = {}): Checked<ListPage> {
  if (!isMap(body) || !Array.isArray(body.items)) return reject('bad-list', 'the LIST answer is not a list (no items array)')
  const meta = isMap(body.metadata) ? body.metadata : {}
  const rvProblem = checkResourceVersion(meta.resourceVersion, 'the list')
  if (rvProblem) return rvProblem
  const cont = meta.continue
  if (cont !== undefined && cont !== '' && (typeof cont !== 'string' || cont.length > MAX_CONTINUE))
    return reject('bad-list', "the list's metadata.continue is not a continue token")
  const items: { key: string; object: RawObject }[] = []
  const seen = new Set<string>()
  for (let i = 0; i < body.items.length; i++) {
    const checked = checkObject(body.items[i], resource, limits)
    if (!checked.ok) return { ...checked, detail: `list item ${i}: ${checked.detail}` }
    if (seen.has(checked.value.key)) return reject('duplicate', `list item ${i}: ${resource.kind} ${checked.value.key} is listed twice`)
    seen.add(checked.value.key)
    items.push({ key: checked.value.key, object: checked.value.object })
  }
  return { ok: true, value: { items, resourceVersion: meta.resourceVersion as string, ...(typeof cont === 'string' && cont !== '' ? { continue: cont } : {}) } }
}
