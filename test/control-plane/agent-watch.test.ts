/**
 * The agent's list/watch against a real kube-apiserver, authenticated as the agent's
 * ServiceAccount with exactly the RBAC rules of deploy/rbac.yaml: those rules suffice to list
 * and watch, a write is refused, events arrive, the server's bookmarks arrive, a restart of the
 * API server mid-watch keeps the store and the watch resumes, and history compacted in etcd
 * makes the server answer 410 so the watcher relists.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { ResourceWatcher } from '../../src/agent/resource-watcher.js'
import { nodeFieldsRead } from '../../src/cluster/live-objects.js'
import { ControlPlane } from '../../testing/control-plane.js'
import { waitFor } from '../agent/api-objects.js'
import { controlPlaneBin, describeControlPlane, START_TIMEOUT_MS } from './control-plane-fixture.js'

const ROOT = join(import.meta.dirname, '..', '..')

function policyYaml(name: string, namespace = 'default'): string {
  return (
    `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec: {podSelector: ` +
    `{matchLabels: {app: ${name}}}}\n`
  )
}

function names(w: ResourceWatcher): string[] {
  return [...w.objects()].map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`).sort()
}

describeControlPlane('the agent watcher against a real kube-apiserver, with the agent RBAC', { timeout: 300_000 }, () => {
  let cp: ControlPlane
  let agentKubeconfig: string
  let watcher: ResourceWatcher | undefined
  const events: string[] = []
  const lists: string[] = []
  const errors: unknown[] = []

  beforeAll(async () => {
    cp = await ControlPlane.start({ binDir: controlPlaneBin })
    await cp.kubectlOk(['apply', '-f', join(ROOT, 'deploy', 'rbac.yaml')])
    const token = (await cp.kubectlOk(['create', 'token', 'netpol-agent', '-n', 'kube-system', '--duration=1h'])).trim()
    agentKubeconfig = join(cp.dir, 'agent-kubeconfig')
    await writeFile(agentKubeconfig, cp.kubeconfigYaml(token, 'netpol-agent'), { mode: 0o600 })
  }, START_TIMEOUT_MS)
  afterEach(async () => {
    await watcher?.stop()
    watcher = undefined
  })
  afterAll(async () => {
    await cp?.stop()
  })

  const startWatcher = (watchTimeoutSeconds = 300): ResourceWatcher => {
    const kubeConfig = new KubeConfig()
    kubeConfig.loadFromFile(agentKubeconfig)
    events.length = 0
    lists.length = 0
    errors.length = 0
    watcher = new ResourceWatcher({
      kubeConfig,
      path: '/apis/networking.k8s.io/v1/networkpolicies',
      name: 'networkpolicies',
      resource: { kind: 'NetworkPolicy', namespaced: true },
      onChange: () => {},
      onError: (e) => errors.push(e),
      onList: (_items, rv) => lists.push(rv),
      onWatchEvent: (type) => events.push(type),
      backoffInitialMs: 100,
      backoffMaxMs: 1000,
      pageSize: 2,
      watchTimeoutSeconds,
    })
    watcher.start()
    return watcher
  }

  it('the rules of deploy/rbac.yaml allow list and watch and refuse a write', async () => {
    const read = await cp.kubectl(['get', 'pods,namespaces,networkpolicies,nodes', '-A'], { kubeconfig: agentKubeconfig })
    expect(read.stderr).toBe('')
    expect(read.code).toBe(0)
    const write = await cp.kubectl(['apply', '-f', '-'], { kubeconfig: agentKubeconfig, stdin: policyYaml('written-by-agent') })
    expect(write.code).not.toBe(0)
    expect(write.stderr).toContain('forbidden')
    expect(write.stderr).toContain('system:serviceaccount:kube-system:netpol-agent')
  })

  it('Nodes: keeps only name, labels and addresses; a status heartbeat is no change, a label is', async () => {
    await cp.kubectlOk(['apply', '-f', '-'], { stdin: 'apiVersion: v1\nkind: Node\nmetadata: {name: worker-1, labels: {role: worker}}\n' })
    const patchStatus = async (heartbeat: string): Promise<void> => {
      const status = {
        status: {
          addresses: [{ type: 'InternalIP', address: '10.0.0.7' }],
          conditions: [{ type: 'Ready', status: 'True', reason: 'Test', lastHeartbeatTime: heartbeat }],
        },
      }
      await cp.kubectlOk(['patch', 'node', 'worker-1', '--subresource=status', '--type=merge', '-p', JSON.stringify(status)])
    }
    await patchStatus('2026-12-06T00:00:00Z')
    const kubeConfig = new KubeConfig()
    kubeConfig.loadFromFile(agentKubeconfig)
    let changes = 0
    watcher = new ResourceWatcher({
      kubeConfig,
      path: '/api/v1/nodes',
      name: 'nodes',
      resource: { kind: 'Node', namespaced: false },
      keep: nodeFieldsRead,
      onChange: () => changes++,
      onError: (e) => errors.push(e),
    })
    watcher.start()
    const w = watcher
    await waitFor(() => w.synced && w.connected, 'list and watch', 60_000)
    expect([...w.objects()]).toEqual([
      {
        metadata: { name: 'worker-1', labels: { role: 'worker' }, resourceVersion: expect.any(String) },
        status: { addresses: [{ type: 'InternalIP', address: '10.0.0.7' }] },
      },
    ])
    const listed = changes
    await patchStatus('2026-12-06T00:05:00Z')
    await cp.kubectlOk(['label', 'node', 'worker-1', 'role=infra', '--overwrite'])
    await waitFor(() => [...w.objects()].some((o) => o.metadata?.labels?.role === 'infra'), 'MODIFIED label', 30_000)
    expect(changes).toBe(listed + 1)
    await cp.kubectlOk(['delete', 'node', 'worker-1'])
  })

  it('lists page by page, then follows creates, updates and deletes', async () => {
    for (const n of ['a', 'b', 'c']) await cp.kubectlOk(['apply', '-f', '-'], { stdin: policyYaml(n) })
    const w = startWatcher()
    await waitFor(() => w.synced && w.connected, 'list and watch', 60_000)
    expect(names(w)).toEqual(['default/a', 'default/b', 'default/c'])
    expect(lists).toHaveLength(1)
    expect(Number(lists[0])).toBeGreaterThan(0)

    await cp.kubectlOk(['apply', '-f', '-'], { stdin: policyYaml('d') })
    await waitFor(() => names(w).includes('default/d'), 'ADDED d', 30_000)
    await cp.kubectlOk(['label', 'networkpolicy', 'a', 'changed=yes'])
    await waitFor(() => [...w.objects()].some((o) => o.metadata?.name === 'a' && o.metadata.labels?.changed === 'yes'), 'MODIFIED a', 30_000)
    await cp.kubectlOk(['delete', 'networkpolicy', 'b'])
    await waitFor(() => !names(w).includes('default/b'), 'DELETED b', 30_000)
    expect(names(w)).toEqual(['default/a', 'default/c', 'default/d'])
    expect(events.filter((e) => e !== 'BOOKMARK')).toEqual(['ADDED', 'MODIFIED', 'DELETED'])
    expect(lists).toHaveLength(1)
  })

  it('receives the server’s bookmarks before a watch times out, and resumes without a relist', async () => {
    const w = startWatcher(5)
    await waitFor(() => w.synced && w.connected, 'list and watch', 60_000)
    // A write elsewhere moves etcd's revision; a consistent LIST makes the API server's watch
    // cache of NetworkPolicies catch up with it (a progress request to etcd). The watch cache
    // then has news for the watcher, and sends it as a BOOKMARK shortly before the watch's
    // timeoutSeconds run out.
    await cp.kubectlOk(['create', 'namespace', 'elsewhere'])
    await cp.kubectlOk(['get', 'networkpolicies', '-A'])
    await waitFor(() => events.includes('BOOKMARK'), 'a BOOKMARK event', 30_000)
    await cp.kubectlOk(['apply', '-f', '-'], { stdin: policyYaml('after-bookmark') })
    await waitFor(() => names(w).includes('default/after-bookmark'), 'ADDED after-bookmark', 30_000)
    expect(lists).toHaveLength(1)
  })

  it('keeps its store while the API server is down and resumes the watch when it is back', async () => {
    const w = startWatcher()
    await waitFor(() => w.synced && w.connected, 'list and watch', 60_000)
    const before = names(w)
    await cp.stopApiServer()
    await waitFor(() => !w.connected, 'watch dropped', 30_000)
    expect(names(w)).toEqual(before)
    await cp.startApiServer()
    await waitFor(() => w.connected, 'watch reopened', 120_000)
    await cp.kubectlOk(['apply', '-f', '-'], { stdin: policyYaml('after-restart') })
    await waitFor(() => names(w).includes('default/after-restart'), 'ADDED after-restart', 30_000)
    expect(errors.length).toBeGreaterThan(0)
  })

  it('relists when etcd has compacted the history it would resume from (410 Gone)', async () => {
    const w = startWatcher()
    await waitFor(() => w.synced && w.connected, 'list and watch', 60_000)
    // Stop watching, change things, compact: the resourceVersion the watcher kept is gone from
    // etcd; the API server is restarted so that its watch cache does not still hold it.
    await w.stop()
    await cp.kubectlOk(['delete', 'networkpolicy', 'c'])
    await cp.kubectlOk(['apply', '-f', '-'], { stdin: policyYaml('while-away') })
    await cp.compactEtcd()
    await cp.stopApiServer()
    await cp.startApiServer()
    w.start()
    await waitFor(() => names(w).includes('default/while-away') && !names(w).includes('default/c'), 'relisted store', 120_000)
    expect(lists).toHaveLength(2)
  })
})
