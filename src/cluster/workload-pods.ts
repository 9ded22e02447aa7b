/**
 * @module Workloads become the pods their pod template describes: `<workload>-<i>` for each
 * replica (Deployment, StatefulSet, ReplicaSet, ReplicationController: `spec.replicas`, default
 * 1), one pod for a DaemonSet, Job or CronJob. Pods carry the template's labels and container
 * ports, name the object they were made from (`template`) and belong to its workload (`owner`:
 * the object itself, or its controller, e.g. the Deployment of a ReplicaSet).
 */
import { matchesSelector } from '../model/label-selector.js'
import type { FieldPath } from '../model/field-path.js'
import { readLabels, readLabelSelector } from '../model/labels.js'
import { checkTemplateMeta, readTemplateLabels } from '../model/object-meta.js'
import { isPlainMap, type ObjectReader, type PlainMap } from '../model/object-reader.js'
import { readPodSpec } from '../model/pod-spec.js'
import type { LabelSelector, Labels, OwnerRef, Pod, SourceRef } from '../model/types.js'
import { readControllerRef, workloadOfController } from './workload-owner.js'

export const WORKLOAD_KINDS: readonly OwnerRef['kind'][] = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob']

const REPLICATED: readonly OwnerRef['kind'][] = ['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']

/** Where each kind keeps its pod template. */
function templatePath(kind: OwnerRef['kind']): FieldPath {
  return kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'template'] : ['spec', 'template']
}

/** Go's `%#v` of a label map, as the API server prints it in this error. */
function goMap(labels: Labels): string {
  const body = Object.keys(labels)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(labels[k])}`)
    .join(', ')
  return `map[string]string{${body}}`
}

/**
 * The workload's selector must select its own template (apps/v1 requires a non-empty one; a
 * ReplicationController's defaults to the template labels; Jobs and CronJobs generate theirs).
 */
function checkSelector(r: ObjectReader, spec: PlainMap, kind: OwnerRef['kind'], apiVersion: string, labels: Labels, path: FieldPath): void {
  const selPath: FieldPath = ['spec', 'selector']
  let selector: LabelSelector | undefined
  if (kind === 'ReplicationController') {
    if (spec.selector === undefined || spec.selector === null) return
    selector = { matchLabels: readLabels(r, spec.selector, selPath), matchExpressions: [] }
  } else if (kind === 'Job' || kind === 'CronJob') {
    return
  } else {
    if (spec.selector === undefined || spec.selector === null) {
      // Older groups defaulted the selector from the template labels.
      if (apiVersion !== 'apps/v1') return
      // apps/v1 requires one; the API server also checks the template against the missing
      // selector, which selects nothing, so it names the template labels too.
      r.required(selPath)
      r.error([...path, 'metadata', 'labels'], `Invalid value: ${goMap(labels)}: \`selector\` does not match template \`labels\``)
      return
    }
    const before = r.errors.length
    selector = readLabelSelector(r, spec.selector, selPath)
    if (r.errors.length > before) return
    if (Object.keys(selector.matchLabels).length === 0 && selector.matchExpressions.length === 0) {
      r.invalid(selPath, spec.selector, `empty selector is invalid for ${kind.toLowerCase()}`)
      return
    }
  }
  if (!matchesSelector(selector, labels)) {
    r.error([...path, 'metadata', 'labels'], `Invalid value: ${goMap(labels)}: \`selector\` does not match template \`labels\``)
  }
}

export function readWorkloadPods(
  r: ObjectReader,
  obj: PlainMap,
  kind: OwnerRef['kind'],
  name: string,
  namespace: string,
  source: SourceRef,
  /** Asked for the replica count before any pod is made; false: make none (the limit is reported there). */
  admit: (replicas: number, path: FieldPath) => boolean = () => true,
): Pod[] {
  const spec = r.map(obj.spec, ['spec']) ?? {}
  let replicas = 1
  if (REPLICATED.includes(kind)) {
    const n = r.integer(spec.replicas, ['spec', 'replicas'])
    if (n !== undefined) {
      if (n < 0) r.invalid(['spec', 'replicas'], n, 'must be greater than or equal to 0')
      else replicas = n
    }
  }
  // Walk to the template, reporting a wrong type at the level where it occurs.
  const path = templatePath(kind)
  let template: PlainMap | undefined = spec
  for (let i = 1; i < path.length && template; i++) template = r.map(template[path[i] as string], path.slice(0, i + 1))
  if (!template) {
    r.required(path, 'a workload needs a pod template')
    return []
  }
  const before = r.errors.length
  const labels = readTemplateLabels(r, template, path)
  if (r.errors.length === before) checkSelector(r, spec, kind, typeof obj.apiVersion === 'string' ? obj.apiVersion : '', labels, path)
  checkTemplateMeta(r, template, path)
  const podSpec = readPodSpec(r, template.spec, [...path, 'spec'])
  if (!admit(replicas, REPLICATED.includes(kind) ? ['spec', 'replicas'] : [])) return []
  const madeFrom: OwnerRef = { kind, name }
  // A ReplicaSet a Deployment made, a Job a CronJob made: the pods belong to the controller.
  const metadata = isPlainMap(obj.metadata) ? obj.metadata : {}
  const owner = workloadOfController(readControllerRef(r, metadata), labels) ?? madeFrom
  const pods: Pod[] = []
  for (let i = 0; i < replicas; i++) {
    pods.push({
      namespace,
      name: `${name}-${i}`,
      labels,
      ips: [],
      containerPorts: podSpec.containerPorts,
      hostNetwork: podSpec.hostNetwork,
      ...(podSpec.nodeName ? { nodeName: podSpec.nodeName } : {}),
      owner,
      template: madeFrom,
      source,
    })
  }
  return pods
}
