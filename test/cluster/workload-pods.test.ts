import { describe, expect, it } from 'vitest'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { requireInputError } from '../model/input-diagnostics.js'

const template = `  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: c
          ports: [{containerPort: 8080, name: http}]
`

function selectorFor(kind: string): string {
  if (kind === 'ReplicationController') return '  selector: {app: web}\n'
  if (kind === 'Job') return ''
  return '  selector:\n    matchLabels: {app: web}\n'
}

function workload(apiVersion: string, kind: string, extraSpec = ''): string {
  return (
    `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: web\n  namespace: prod\n  labels: {owner-label: ` +
    `only-on-workload}\nspec:\n${extraSpec}${selectorFor(kind)}${template}`
  )
}

describe('workloads become pods', () => {
  it.each([
    ['apps/v1', 'Deployment'],
    ['apps/v1', 'StatefulSet'],
    ['apps/v1', 'ReplicaSet'],
    ['v1', 'ReplicationController'],
  ])('%s %s: spec.replicas pods named <name>-<i>, default 1', (apiVersion, kind) => {
    const three = loadManifestText(workload(apiVersion, kind, '  replicas: 3\n'), { file: 'w.yaml' }).state.pods
    expect(three.map((p) => p.name)).toEqual(['web-0', 'web-1', 'web-2'])
    expect(three[0]).toMatchObject({
      namespace: 'prod',
      labels: { app: 'web' },
      containerPorts: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      owner: { kind, name: 'web' },
      source: { file: 'w.yaml', line: 1 },
      ips: [],
      hostNetwork: false,
    })
    const one = loadManifestText(workload(apiVersion, kind), { file: 'w.yaml' }).state.pods
    expect(one.map((p) => p.name)).toEqual(['web-0'])
  })
  it('replicas: 0 gives no pods, but the namespace is still used', () => {
    const r = loadManifestText(workload('apps/v1', 'Deployment', '  replicas: 0\n'))
    expect(r.state.pods).toEqual([])
    expect(r.state.namespaces.map((n) => n.name)).toEqual(['prod'])
  })
  it('DaemonSet and Job give one pod from spec.template', () => {
    for (const [apiVersion, kind] of [
      ['apps/v1', 'DaemonSet'],
      ['batch/v1', 'Job'],
    ]) {
      const pods = loadManifestText(workload(apiVersion, kind)).state.pods
      expect(pods.map((p) => [p.name, p.owner?.kind, p.labels.app])).toEqual([['web-0', kind, 'web']])
    }
  })
  it('CronJob gives one pod from spec.jobTemplate.spec.template', () => {
    const text =
      `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly, namespace: ops}\nspec:\n  schedule: "0 0 * * *"\n ` +
      ` jobTemplate:\n    spec:\n      template:\n        metadata:\n          labels: {job: nightly}\n        spec:\n          hostNetwork: ` +
      `true\n          containers: [{name: c, ports: [{containerPort: 9000, protocol: UDP}]}]\n`
    const pods = loadManifestText(text).state.pods
    expect(pods).toHaveLength(1)
    expect(pods[0]).toMatchObject({
      namespace: 'ops',
      name: 'nightly-0',
      labels: { job: 'nightly' },
      hostNetwork: true,
      containerPorts: [{ containerPort: 9000, protocol: 'UDP' }],
      owner: { kind: 'CronJob', name: 'nightly' },
    })
  })
  it('negative replicas are invalid like the API server says', () => {
    const errors = requireInputError(() => loadManifestText(workload('apps/v1', 'Deployment', '  replicas: -1\n'), { file: 'w.yaml' }))
    expect(errors.map((d) => `${d.line} ${d.object} ${d.field}: ${d.message}`)).toEqual([
      '8 Deployment "prod/web" spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    ])
  })
  it('template fields are validated with their full path', () => {
    const text = workload('apps/v1', 'StatefulSet')
      .replace('containerPort: 8080', 'containerPort: 0')
      .replace('      labels: {app: web}', '      labels: {app: "no way"}')
    expect(requireInputError(() => loadManifestText(text, { file: 'w.yaml' })).map((d) => `${d.line} ${d.field}`)).toEqual([
      '12 spec.template.metadata.labels',
      '16 spec.template.spec.containers[0].ports[0].containerPort',
    ])
  })
  it('the selector must select the template labels (apps/v1 requires a non-empty one; RC and extensions default it)', () => {
    const other = workload('apps/v1', 'Deployment').replace('matchLabels: {app: web}', 'matchLabels: {app: api}')
    expect(() => loadManifestText(other)).toThrow(
      /spec\.template\.metadata\.labels: Invalid value: map\[string\]string\{"app":"web"\}: `selector` does not match template `labels`/,
    )
    const none = workload('apps/v1', 'StatefulSet').replace('  selector:\n    matchLabels: {app: web}\n', '')
    expect(() => loadManifestText(none)).toThrow(/StatefulSet "prod\/web" is invalid: spec\.selector: Required value/)
    // As the API server: a missing selector selects nothing, so the template does not match it either.
    expect(requireInputError(() => loadManifestText(none, { file: 'w.yaml' })).map((d) => `${d.field}: ${d.message}`)).toEqual([
      'spec.selector: Required value',
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    ])
    const empty = workload('apps/v1', 'DaemonSet').replace('matchLabels: {app: web}', '{}')
    expect(() => loadManifestText(empty)).toThrow(/spec\.selector: Invalid value: \{\}: empty selector is invalid for daemonset/)
    const rc = workload('v1', 'ReplicationController').replace('selector: {app: web}', 'selector: {app: db}')
    expect(() => loadManifestText(rc)).toThrow(/`selector` does not match template `labels`/)
    const defaulted = workload('extensions/v1beta1', 'Deployment').replace('  selector:\n    matchLabels: {app: web}\n', '')
    expect(loadManifestText(defaulted).state.pods).toHaveLength(1)
    const expr = workload('apps/v1', 'ReplicaSet').replace('matchLabels: {app: web}', 'matchExpressions: [{key: app, operator: In, values: [web, api]}]')
    expect(loadManifestText(expr).state.pods).toHaveLength(1)
  })
  it('template metadata is checked like ValidatePodTemplateSpec and strict decoding: annotations, unknown fields, labels one level too high', () => {
    const annotated = workload('apps/v1', 'Deployment').replace(
      '      labels: {app: web}',
      '      labels: {app: web}\n      annotations: {"bad/key/x": z, ok: v}',
    )
    expect(requireInputError(() => loadManifestText(annotated, { file: 'w.yaml' })).map((d) => `${d.line} ${d.field} ${d.message}`)).toEqual([
      expect.stringMatching(/^13 spec\.template\.metadata\.annotations Invalid value: "bad\/key\/x": a qualified name must consist of/),
    ])
    const typo = workload('apps/v1', 'DaemonSet').replace('      labels: {app: web}', '      labels: {app: web}\n      label: {tier: db}')
    expect(() => loadManifestText(typo)).toThrow(
      /spec\.template\.metadata\.label: Unknown field: strict decoding error: unknown field "spec\.template\.metadata\.label" \(did you mean "labels"\?\)/,
    )
    // Labels under spec.template instead of spec.template.metadata would leave the pods unlabelled (and unselected).
    const high = workload('v1', 'ReplicationController')
      .replace('  selector: {app: web}\n', '')
      .replace('  template:\n', '  template:\n    labels: {app: web}\n')
    expect(requireInputError(() => loadManifestText(high, { file: 'w.yaml' })).map((d) => `${d.line} ${d.field} ${d.message}`)).toEqual([
      '9 spec.template.labels Unknown field: strict decoding error: unknown field "spec.template.labels" (did you mean "spec.template.metadata.labels"?)',
    ])
    const cron = `apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: prod}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: nightly}, annotations: {"-bad": x}}
        spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}
`
    expect(() => loadManifestText(cron)).toThrow(
      /CronJob "prod\/nightly" is invalid: spec\.jobTemplate\.spec\.template\.metadata\.annotations: Invalid value: "-bad"/,
    )
    // kubectl's own output: creationTimestamp: null in the template metadata is fine.
    const generated = workload('apps/v1', 'Deployment').replace('      labels: {app: web}', '      creationTimestamp: null\n      labels: {app: web}')
    expect(loadManifestText(generated).state.pods).toHaveLength(1)
  })
  it('a workload without a pod template is an error', () => {
    expect(() => loadManifestText('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {}\n')).toThrow(
      /Deployment "default\/x" is invalid: spec\.template: Required value/,
    )
  })
})
