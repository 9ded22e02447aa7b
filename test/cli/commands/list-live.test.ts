/**
 * `netpol list` on a live cluster: pods of a Deployment (owned by its ReplicaSet, as the API
 * serves them) list as the Deployment, like the same pods read from a `kubectl get -o yaml` dump.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { namespaceObject, podObject, policyObject } from '../../agent/api-objects.js'
import { TestApiServer } from '../../../testing/test-api-server.js'
import { runCliInProcess } from '../run-cli-in-process.js'

function ownedBy(pod: ReturnType<typeof podObject>, kind: string, name: string): ReturnType<typeof podObject> {
  return {
    ...pod,
    metadata: { ...pod.metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind, name, uid: `uid-${name}`, controller: true, blockOwnerDeletion: true }] },
  }
}

describe('list against a live cluster, by workload', () => {
  let api: TestApiServer
  let dir: string
  let kubeconfig: string

  beforeAll(async () => {
    api = await TestApiServer.start()
    api.create('namespaces', namespaceObject('shop'))
    for (const [name, ip] of [
      ['web-7d9f8c6b5-x2x9q', '10.0.0.1'],
      ['web-7d9f8c6b5-k8m4z', '10.0.0.2'],
    ]) {
      api.create(
        'pods',
        ownedBy(
          podObject('shop', name, { ip, labels: { app: 'web', 'pod-template-hash': '7d9f8c6b5' }, ports: [{ containerPort: 8080 }] }),
          'ReplicaSet',
          'web-7d9f8c6b5',
        ),
      )
    }
    api.create('pods', ownedBy(podObject('shop', 'db-0', { ip: '10.0.0.3', labels: { app: 'db' }, ports: [{ containerPort: 5432 }] }), 'StatefulSet', 'db'))
    api.create(
      'networkpolicies',
      policyObject('shop', 'db', {
        podSelector: { matchLabels: { app: 'db' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 5432 }] }],
      }),
    )
    dir = await mkdtemp(join(tmpdir(), 'netpol-list-live-'))
    kubeconfig = join(dir, 'kubeconfig')
    await writeFile(kubeconfig, api.kubeconfigYaml('shop'))
  })
  afterAll(async () => {
    await api.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('groups the ReplicaSet pods under their Deployment and names it in the filters', async () => {
    const r = await runCliInProcess(['list', '--kubeconfig', kubeconfig, '--from', 'shop/deployment/web', '--to', 'shop'], { cwd: dir, env: { HOME: dir } })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('shop/web[Deployment] => shop/db[StatefulSet] : TCP 5432\nshop/web[Deployment] => shop/web[Deployment] : all ports\n')
  })
})
