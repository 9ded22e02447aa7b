/**
 * Pods read from manifests belong to their workloads by `ownerReferences`, exactly as pods read
 * from a live cluster: a `kubectl get pods -A -o yaml` dump reads as Deployments, StatefulSets and
 * DaemonSets, not as loose pods; a dump that also holds the workload objects does not double them.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { describe, expect, it } from 'vitest'
import { loadManifests, loadManifestText } from '../../src/cluster/load-manifests.js'
import { convertPod } from '../../src/cluster/live-objects.js'
import { InputError } from '../../src/model/diagnostic.js'
import { podGroup } from '../../src/analyze/group.js'
import { resolveEndpoint } from '../../src/analyze/explain.js'
import { parseEndpointFilter } from '../../src/analyze/endpoint-filter.js'
import { listConnections } from '../../src/analyze/list.js'
import { createEngine } from '../../src/engine/engine.js'
import { qualifiedName, type ClusterState, type Pod } from '../../src/model/types.js'

const DUMP = join(import.meta.dirname, '../fixtures/kubectl-dump/pods.yaml')

const owners = (s: ClusterState) => Object.fromEntries(s.pods.map((p) => [qualifiedName(p), p.owner ? `${p.owner.kind}/${p.owner.name}` : '-']))

function inputErrors(fn: () => unknown): string[] {
  try {
    fn()
  } catch (err) {
    if (err instanceof InputError) return err.diagnostics.map((d) => `${d.line}: ${d.field ?? ''}: ${d.message}`)
    throw err
  }
  throw new Error('expected an InputError')
}

describe('a kubectl get pods -o yaml dump', () => {
  it('reads each pod as part of its workload: a ReplicaSet with the pod-template-hash under its Deployment', async () => {
    const { state } = await loadManifests([DUMP])
    expect(owners(state)).toEqual({
      'kube-system/coredns-5d78c9869d-8xk2p': 'Deployment/coredns',
      'kube-system/coredns-5d78c9869d-q7w4m': 'Deployment/coredns',
      'kube-system/kube-proxy-h2r8t': 'DaemonSet/kube-proxy',
      'shop/web-6d4cf56db6-4xk2p': 'Deployment/web',
      'shop/web-6d4cf56db6-r8m7n': 'Deployment/web',
      'shop/db-0': 'StatefulSet/db',
      'shop/db-1': 'StatefulSet/db',
      // The completed Job pod (phase Succeeded) gave its IP back: left out, as a live cluster leaves it out.
      'shop/debug': '-',
    })
    expect(state.pods.every((p) => p.template === undefined)).toBe(true)
  })

  it('reads the same from kubectl get pods -o json', async () => {
    const yaml = (await loadManifests([DUMP])).state
    const json = (await loadManifests([DUMP.replace(/\.yaml$/, '.json')])).state
    expect(owners(json)).toEqual(owners(yaml))
  })

  it('groups by workload in list, and names workloads in explain and the filters', async () => {
    const { state } = await loadManifests([DUMP])
    const groups = new Set(state.pods.map((p) => podGroup(p, 'workload').key))
    expect([...groups].sort()).toEqual([
      'kube-system/coredns[Deployment]',
      'kube-system/kube-proxy[DaemonSet]',
      'shop/db[StatefulSet]',
      'shop/debug[Pod]',
      'shop/web[Deployment]',
    ])
    const end = resolveEndpoint(state, 'shop/deployment/web')
    expect(end.kind === 'pod' && end.pod.name).toBe('web-6d4cf56db6-4xk2p')
    expect(parseEndpointFilter(state, 'shop/deploy/web').pods.size).toBe(2)
    expect(parseEndpointFilter(state, 'kube-system/coredns').pods.size).toBe(2)
    const rows = listConnections(state, createEngine(state), {
      groupBy: 'workload',
      from: [parseEndpointFilter(state, 'shop/web')],
      to: [parseEndpointFilter(state, 'kube-system')],
    })
    expect(rows.connections.map((c) => `${c.from.label} => ${c.to.label} : ${c.ports}`)).toEqual([
      'shop/web[Deployment] => kube-system/coredns[Deployment] : all ports',
      'shop/web[Deployment] => kube-system/kube-proxy[DaemonSet] : all ports',
    ])
  })

  it('gives every pod the owner the live reader gives the same object (one rule for both)', async () => {
    const { state } = await loadManifests([DUMP])
    const items = (parse(readFileSync(DUMP, 'utf8')) as { items: Record<string, unknown>[] }).items
    for (const item of items) {
      const live = convertPod(item)
      if (!live.ok) throw new Error('live conversion failed')
      const fromFile = state.pods.find((p) => qualifiedName(p) === qualifiedName(live.value ?? { namespace: '', name: '' }))
      expect(fromFile?.owner, JSON.stringify((item.metadata as { name: string }).name)).toEqual(live.value?.owner)
      expect(fromFile === undefined).toBe(live.value === undefined)
    }
  })
})

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, uid: 11111111-2222-4333-8444-555555555555}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: main, image: web:1, ports: [{containerPort: 8080}]}]}
`
const REPLICA_SET = (name: string, hash: string, replicas: number) => `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: ${name}
  namespace: shop
  labels: {app: web, pod-template-hash: "${hash}"}
  ownerReferences:
  - {apiVersion: apps/v1, kind: Deployment, name: web, uid: 11111111-2222-4333-8444-555555555555, controller: true, blockOwnerDeletion: true}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web, pod-template-hash: "${hash}"}}
  template:
    metadata: {labels: {app: web, pod-template-hash: "${hash}"}}
    spec: {containers: [{name: main, image: web:1, ports: [{containerPort: 8080}]}]}
`
const POD = (name: string, ownerKind: string, ownerName: string, labels: string, apiVersion = 'apps/v1') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: shop
  labels: {${labels}}
  ownerReferences:
  - {apiVersion: ${apiVersion}, kind: ${ownerKind}, name: ${ownerName}, uid: 66666666-7777-4888-9999-000000000000, controller: true}
spec: {containers: [{name: main, image: web:1, ports: [{containerPort: 8080}]}]}
status: {phase: Running, podIP: 10.244.1.${name.length}}
`
const names = (s: ClusterState) => s.pods.map((p: Pod) => `${p.name} ${p.owner?.kind}/${p.owner?.name}`).sort()

describe('a dump with the workload objects too (kubectl get deploy,rs,cronjob,job,pods -o yaml)', () => {
  it('keeps the running pods and makes none from the Deployment or its ReplicaSets', () => {
    const s = loadManifestText(
      [
        DEPLOYMENT,
        REPLICA_SET('web-6d4cf56db6', '6d4cf56db6', 2),
        REPLICA_SET('web-5b7f9c8d4', '5b7f9c8d4', 0),
        POD('web-6d4cf56db6-4xk2p', 'ReplicaSet', 'web-6d4cf56db6', 'app: web, pod-template-hash: 6d4cf56db6'),
        POD('web-6d4cf56db6-r8m7n', 'ReplicaSet', 'web-6d4cf56db6', 'app: web, pod-template-hash: 6d4cf56db6'),
      ].join('---\n'),
    ).state
    expect(names(s)).toEqual(['web-6d4cf56db6-4xk2p Deployment/web', 'web-6d4cf56db6-r8m7n Deployment/web'])
  })

  it('without pods, the Deployment makes them and its ReplicaSet does not add more', () => {
    const s = loadManifestText([DEPLOYMENT, REPLICA_SET('web-6d4cf56db6', '6d4cf56db6', 3)].join('---\n')).state
    expect(names(s)).toEqual(['web-0 Deployment/web', 'web-1 Deployment/web', 'web-2 Deployment/web'])
  })

  it('a ReplicaSet alone still makes its pods, which belong to its Deployment', () => {
    const s = loadManifestText(REPLICA_SET('web-6d4cf56db6', '6d4cf56db6', 1)).state
    expect(names(s)).toEqual(['web-6d4cf56db6-0 Deployment/web'])
  })

  it("a Job's pod belongs to the CronJob when the Job object says so", () => {
    const cronJob = `apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: shop}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: backup}}
        spec: {restartPolicy: OnFailure, containers: [{name: main, image: backup:1}]}
`
    const job = `apiVersion: batch/v1
kind: Job
metadata:
  name: backup-29391840
  namespace: shop
  ownerReferences:
  - {apiVersion: batch/v1, kind: CronJob, name: backup, uid: 12121212-3434-4565-8787-909090909090, controller: true}
spec:
  template:
    metadata: {labels: {app: backup, job-name: backup-29391840}}
    spec: {restartPolicy: OnFailure, containers: [{name: main, image: backup:1}]}
`
    const running = POD('backup-29391840-7xq2k', 'Job', 'backup-29391840', 'app: backup, job-name: backup-29391840', 'batch/v1')
    expect(names(loadManifestText([cronJob, job, running].join('---\n')).state)).toEqual(['backup-29391840-7xq2k CronJob/backup'])
    expect(names(loadManifestText([job, running].join('---\n')).state)).toEqual(['backup-29391840-7xq2k CronJob/backup'])
    expect(names(loadManifestText(running).state)).toEqual(['backup-29391840-7xq2k Job/backup-29391840'])
  })
})

describe('ownerReferences that name no workload', () => {
  it('leave the pod its own workload: not the controller, another API group, a ReplicaSet without the hash', () => {
    const s = loadManifestText(
      [
        POD('a', 'ReplicaSet', 'web-6d4cf56db6', 'app: a').replace('controller: true', 'controller: false'),
        POD('b', 'Rollout', 'web', 'app: b', 'argoproj.io/v1alpha1'),
        POD('c', 'Deployment', 'web', 'app: c', 'apps.openshift.io/v1'),
        POD('d', 'ReplicaSet', 'web-6d4cf56db6', 'app: d'),
      ].join('---\n'),
    ).state
    expect(owners(s)).toEqual({ 'shop/a': '-', 'shop/b': '-', 'shop/c': '-', 'shop/d': 'ReplicaSet/web-6d4cf56db6' })
  })

  it('a live owner name that is no object name (control characters) is not used', () => {
    const live = convertPod({
      metadata: {
        name: 'x',
        namespace: 'shop',
        labels: {},
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'evil\u001b[2J', uid: 'u', controller: true }],
      },
      spec: { containers: [{ name: 'main', image: 'i' }] },
      status: { phase: 'Running', podIP: '10.0.0.1' },
    })
    expect(live.ok && live.value?.owner).toBeUndefined()
  })
})

describe('ownerReferences are validated like the API server does', () => {
  it('every reference needs apiVersion, kind, name and uid; one controller at most; no unknown fields', () => {
    const errors = inputErrors(() =>
      loadManifestText(
        `apiVersion: v1
kind: Pod
metadata:
  name: x
  namespace: shop
  ownerReferences:
  - apiVersion: apps/v1
    kind: ReplicaSet
    name: web-1
    controller: true
  - {apiVersion: apps/v1, kind: StatefulSet, name: db, uid: u2, controller: true, blockOwnerDeletion: "yes"}
  - {apiVersion: apps/v1, kind: Deployment, nmae: web, uid: u3}
spec: {containers: [{name: main, image: i}]}
`,
        { file: 'dump.yaml' },
      ),
    )
    expect(errors).toEqual([
      '6: metadata.ownerReferences: Invalid value: Only one reference can have Controller set to true. Found "true" in references for ' +
        'ReplicaSet/web-1 and StatefulSet/db',
      '7: metadata.ownerReferences[0].uid: Invalid value: "": uid must not be empty',
      '11: metadata.ownerReferences[1].blockOwnerDeletion: Invalid type: cannot unmarshal string into a field of type bool',
      '12: metadata.ownerReferences[2].nmae: Unknown field: strict decoding error: unknown field "metadata.ownerReferences[2].nmae" (did you mean "name"?)',
      '12: metadata.ownerReferences[2].name: Invalid value: "": name must not be empty',
    ])
  })
})
