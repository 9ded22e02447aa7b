/**
 * deploy/*.yaml against the Kubernetes API's published OpenAPI v3 schema (v1.34 subset vendored in
 * test/fixtures/openapi/), offline; plus the least-privilege and node-agent properties the agent
 * relies on.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { describe, expect, it } from 'vitest'
import { OpenApiValidator, type OpenApiDocument } from './openapi-validator.js'

const root = join(import.meta.dirname, '..', '..')
const schema = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'openapi', 'kubernetes-1.34-subset.json'), 'utf8')) as OpenApiDocument
const validator = new OpenApiValidator(schema)

// The manifests are walked freely by path; a wrong path fails the test it is in.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>

function readYaml(text: string): Obj[] {
  // YAML 1.1, as the API server's decoder reads it.
  return parseAllDocuments(text, { version: '1.1' })
    .map((d) => {
      if (d.errors.length > 0) throw new Error(d.errors.map((e) => e.message).join('\n'))
      return d.toJS() as Obj
    })
    .filter((o) => o !== null)
}

const files = readdirSync(join(root, 'deploy'))
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
const objects = files.flatMap((f) => readYaml(readFileSync(join(root, 'deploy', f), 'utf8')).map((o) => ({ file: f, o })))
const find = (kind: string): Obj => objects.find(({ o }) => o.kind === kind)!.o

describe('deploy/ manifests', () => {
  it('holds the DaemonSet, ServiceAccount, ClusterRole and ClusterRoleBinding', () => {
    expect(objects.map(({ o }) => o.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'DaemonSet', 'ServiceAccount'])
  })

  for (const { file, o } of objects) {
    it(`${file}: ${o.kind} "${o.metadata?.name}" is valid against the Kubernetes 1.34 OpenAPI schema`, () => {
      expect(validator.validateObject(o)).toEqual([])
    })
  }

  it("grants only get/list/watch on pods, namespaces and networkpolicies and list/watch on nodes and clusternetworkpolicies, bound to the agent's service account", () => {
    const role = find('ClusterRole')
    const grants = (role.rules as Obj[]).flatMap((r) =>
      (r.resources as string[]).map((res) => `${(r.apiGroups as string[]).join(',')}/${res}: ${[...r.verbs].sort().join(',')}`),
    )
    expect(grants.sort()).toEqual([
      '/namespaces: get,list,watch',
      '/nodes: list,watch',
      '/pods: get,list,watch',
      'networking.k8s.io/networkpolicies: get,list,watch',
      'policy.networking.k8s.io/clusternetworkpolicies: list,watch',
    ])
    const binding = find('ClusterRoleBinding')
    const sa = find('ServiceAccount')
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name })
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }])
    expect(find('DaemonSet').spec.template.spec.serviceAccountName).toBe(sa.metadata.name)
  })

  it('runs the agent on every node with host networking, NET_ADMIN only, the node name from the downward API, and health probes', () => {
    const ds = find('DaemonSet')
    const pod = ds.spec.template.spec
    expect(pod.hostNetwork).toBe(true)
    expect(pod.tolerations).toContainEqual({ operator: 'Exists' })
    const c = pod.containers[0]
    expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['NET_ADMIN'] })
    expect(c.env).toContainEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } })
    expect(c.args).toContain('--node=$(NODE_NAME)')
    expect(c.livenessProbe.httpGet.path).toBe('/healthz')
    expect(c.readinessProbe.httpGet.path).toBe('/readyz')
    const listen = (c.args as string[]).find((a) => a.startsWith('--listen='))!
    expect(c.readinessProbe.httpGet.port).toBe(Number(listen.split(':').pop()))
  })
})

describe('the OpenAPI validator', () => {
  const ds = (): Obj => structuredClone(find('DaemonSet'))

  it('rejects unknown fields (strict decoding), naming the path', () => {
    const o = ds()
    o.spec.template.spec.hostNetwrok = true
    expect(validator.validateObject(o)).toEqual(['spec.template.spec.hostNetwrok: unknown field "hostNetwrok"'])
  })

  it('rejects wrong types and missing required fields', () => {
    const o = ds()
    o.spec.template.spec.terminationGracePeriodSeconds = '10'
    delete o.spec.template.spec.containers[0].name
    delete o.spec.selector
    expect(validator.validateObject(o).sort()).toEqual([
      'spec.selector: Required value',
      'spec.template.spec.containers[0].name: Required value',
      'spec.template.spec.terminationGracePeriodSeconds: must be an integer, got string',
    ])
  })

  it('accepts int-or-string ports as a number or a name, nothing else', () => {
    const o = ds()
    o.spec.template.spec.containers[0].livenessProbe.httpGet.port = 'metrics'
    expect(validator.validateObject(o)).toEqual([])
    o.spec.template.spec.containers[0].livenessProbe.httpGet.port = true
    expect(validator.validateObject(o)).toEqual(['spec.template.spec.containers[0].livenessProbe.httpGet.port: must be an integer or a string, got boolean'])
  })

  it('rejects duplicate keys of map-type lists and unknown kinds', () => {
    const o = ds()
    o.spec.template.spec.containers[0].env.push({ name: 'NODE_NAME', value: 'x' })
    expect(validator.validateObject(o)).toEqual(['spec.template.spec.containers[0].env: Duplicate value: name="NODE_NAME"'])
    expect(validator.validateObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } })[0]).toMatch(/no schema for apps\/v1 Deployment/)
  })
})
