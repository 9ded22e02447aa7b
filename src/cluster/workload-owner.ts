/**
 * @module The workload a pod (or a workload object) belongs to, from `metadata.ownerReferences`:
 * one rule for pods read from manifests (a `kubectl get pods -o yaml` dump), pods read from a live
 * cluster, and workload objects that a controller made (a ReplicaSet of a Deployment, a Job of a
 * CronJob).
 *
 * Only the controller reference counts (`controller: true`; other references only tie an object's
 * lifetime to another for garbage collection). A ReplicaSet named `<name>-<pod-template-hash>`
 * whose pods carry that `pod-template-hash` label was made by the Deployment `<name>`, so its
 * pods belong to the Deployment, as `kubectl get pods` readers expect; the API offers no other
 * link from a pod to its Deployment.
 */
import type { FieldPath } from '../model/field-path.js'
import { dns1123SubdomainErrors } from '../model/name-validation.js'
import type { ObjectReader, PlainMap } from '../model/object-reader.js'
import type { Labels, OwnerRef, Pod } from '../model/types.js'

/** The controller reference as written: any kind (most are not workloads netpol models). */
export interface ControllerRef {
  readonly apiVersion: string
  readonly kind: string
  readonly name: string
}

const OWNER_REFERENCE_FIELDS = ['apiVersion', 'kind', 'name', 'uid', 'controller', 'blockOwnerDeletion']

/** API groups each workload kind is served from (`''` is the core group). */
const WORKLOAD_GROUPS: Readonly<Record<OwnerRef['kind'], readonly string[]>> = {
  Deployment: ['apps', 'extensions'],
  StatefulSet: ['apps'],
  DaemonSet: ['apps', 'extensions'],
  ReplicaSet: ['apps', 'extensions'],
  ReplicationController: [''],
  Job: ['batch'],
  CronJob: ['batch'],
}

/**
 * Reads `metadata.ownerReferences` as the API server validates it (every reference has
 * apiVersion, kind, name and uid; at most one is the controller; strict fields) and returns the
 * controller reference, if any. Errors go to the reader.
 */
export function readControllerRef(r: ObjectReader, metadata: PlainMap, path: FieldPath = ['metadata']): ControllerRef | undefined {
  const listPath = [...path, 'ownerReferences']
  const refs = r.list(metadata.ownerReferences, listPath) ?? []
  const controllers: { ref: ControllerRef; index: number }[] = []
  refs.forEach((raw, i) => {
    const p: FieldPath = [...listPath, i]
    const ref = r.map(raw, p)
    if (!ref) {
      if (raw === null || raw === undefined) r.wrongType(p, raw, 'object')
      return
    }
    r.unknownFields(ref, p, OWNER_REFERENCE_FIELDS)
    const text = (field: string, what: string): string => {
      const v = r.string(ref[field], [...p, field]) ?? ''
      if (v === '' && (ref[field] === undefined || ref[field] === null || ref[field] === '')) r.invalid([...p, field], '', `${what} must not be empty`, p)
      return v
    }
    const apiVersion = text('apiVersion', 'version')
    const kind = text('kind', 'kind')
    const name = text('name', 'name')
    text('uid', 'uid')
    r.boolean(ref.blockOwnerDeletion, [...p, 'blockOwnerDeletion'])
    if (r.boolean(ref.controller, [...p, 'controller']) === true) controllers.push({ ref: { apiVersion, kind, name }, index: i })
  })
  if (controllers.length > 1) {
    const [a, b] = controllers.map((c) => `${c.ref.kind}/${c.ref.name}`)
    r.error(listPath, `Invalid value: Only one reference can have Controller set to true. Found "true" in references for ${a} and ${b}`)
    return undefined
  }
  return controllers[0]?.ref
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/')
  return slash < 0 ? '' : apiVersion.slice(0, slash)
}

/**
 * The workload a controller reference names: one of the kinds netpol models, in its API group,
 * with a valid object name; a Deployment's ReplicaSet (see the module comment) names the
 * Deployment. Undefined for anything else (the pod is then its own workload).
 */
export function workloadOfController(ref: ControllerRef | undefined, podLabels: Labels): OwnerRef | undefined {
  if (!ref) return undefined
  const kind = (Object.keys(WORKLOAD_GROUPS) as OwnerRef['kind'][]).find((k) => k === ref.kind)
  if (!kind || !WORKLOAD_GROUPS[kind].includes(groupOf(ref.apiVersion))) return undefined
  if (ref.name === '' || dns1123SubdomainErrors(ref.name).length > 0) return undefined
  const hash = podLabels['pod-template-hash']
  if (kind === 'ReplicaSet' && hash && ref.name.length > hash.length + 1 && ref.name.endsWith(`-${hash}`)) {
    return { kind: 'Deployment', name: ref.name.slice(0, -hash.length - 1) }
  }
  return { kind, name: ref.name }
}

function key(namespace: string, o: OwnerRef): string {
  return `${namespace}/${o.kind}/${o.name}`
}

/**
 * One cluster out of an input that holds both workload objects and the pods their controllers
 * made (`kubectl get deploy,rs,pods -o yaml`): the pods read as Pods are what runs, so
 * - a Pod owned by a workload object of the input that itself has a controller (a Job of a
 *   CronJob, a ReplicaSet of a Deployment) belongs to that controller;
 * - a workload with Pods in the input makes no pods from its template;
 * - a workload object whose controller is in the input makes none either (the controller makes
 *   them: a Deployment's ReplicaSet would double its pods).
 * `objects` holds `ns/Kind/name` of every object in the input.
 */
export function settleWorkloadPods(pods: readonly Pod[], objects: ReadonlySet<string>): Pod[] {
  // What each workload object of the input belongs to, from the pods made from it.
  const controllerOf = new Map<string, OwnerRef>()
  for (const p of pods)
    if (p.template && p.owner && key(p.namespace, p.owner) !== key(p.namespace, p.template)) controllerOf.set(key(p.namespace, p.template), p.owner)
  const running = new Set<string>()
  const out: Pod[] = []
  for (const p of pods) {
    if (p.template || !p.owner) continue
    running.add(key(p.namespace, controllerOf.get(key(p.namespace, p.owner)) ?? p.owner))
  }
  for (const p of pods) {
    if (!p.template) {
      const up = p.owner && controllerOf.get(key(p.namespace, p.owner))
      out.push(up ? { ...p, owner: up } : p)
      continue
    }
    const owner = p.owner ?? p.template
    if (running.has(key(p.namespace, owner))) continue
    if (key(p.namespace, owner) !== key(p.namespace, p.template) && objects.has(key(p.namespace, owner))) continue
    out.push(p)
  }
  return out
}
