/**
 * @module Workloads become the pods their pod template describes: `<workload>-<i>` for each
 * replica (Deployment, StatefulSet, ReplicaSet, ReplicationController: `spec.replicas`, default
 * 1), one pod for a DaemonSet, Job or CronJob. Pods carry the template's labels and container
 * ports and name their owner.
 */
import type { FieldPath } from '../model/field-path.js'
import { readTemplateLabels } from '../model/object-meta.js'
import type { ObjectReader, PlainMap } from '../model/object-reader.js'
import { readPodSpec } from '../model/pod-spec.js'
import type { OwnerRef, Pod, SourceRef } from '../model/types.js'

export const WORKLOAD_KINDS: readonly OwnerRef['kind'][] = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
  'CronJob',
]

const REPLICATED: readonly OwnerRef['kind'][] = ['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']

/** Where each kind keeps its pod template. */
function templatePath(kind: OwnerRef['kind']): FieldPath {
  return kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'template'] : ['spec', 'template']
}

export function readWorkloadPods(
  r: ObjectReader,
  obj: PlainMap,
  kind: OwnerRef['kind'],
  name: string,
  namespace: string,
  source: SourceRef,
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
  const labels = readTemplateLabels(r, template, path)
  if (Object.keys(labels).length === 0 && kind !== 'Job' && kind !== 'CronJob') {
    r.required([...path, 'metadata', 'labels'], 'the pod template needs labels for the workload selector to match')
  }
  const podSpec = readPodSpec(r, template.spec, [...path, 'spec'])
  const owner: OwnerRef = { kind, name }
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
      source,
    })
  }
  return pods
}
