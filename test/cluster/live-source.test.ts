import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadLiveCluster } from '../../src/cluster/live-source.js'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { InputError } from '../../src/model/diagnostic.js'
import { namespaceObject, podObject, policyObject } from '../agent/api-objects.js'
import { TestApiServer } from '../../testing/test-api-server.js'

describe('loadLiveCluster reads a live cluster like kubectl', () => {
  let api: TestApiServer
  let dir: string
  let kubeconfig: string

  beforeAll(async () => {
    api = await TestApiServer.start()
    api.create('namespaces', namespaceObject('prod', { env: 'prod' }))
    api.create('namespaces', namespaceObject('dev'))
    for (let i = 0; i < 7; i++)
      api.create(
        'pods',
        podObject('prod', `web-${i}`, { ip: `10.0.0.${i + 1}`, node: 'n1', labels: { app: 'web' }, ports: [{ containerPort: 8080, name: 'http' }] }),
      )
    api.create('pods', podObject('dev', 'tool', { ip: '10.0.1.1', node: 'n2' }))
    api.create('pods', podObject('dev', 'finished', { ip: '10.0.1.2', node: 'n2', phase: 'Succeeded' }))
    api.create('networkpolicies', policyObject('prod', 'web', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 'http' }] }] }))
    api.create('networkpolicies', policyObject('dev', 'from-prod', { ingress: [{ from: [{ namespaceSelector: { matchLabels: { env: 'prod' } } }] }] }))
    dir = await mkdtemp(join(tmpdir(), 'netpol-live-'))
    kubeconfig = join(dir, 'config')
    await writeFile(kubeconfig, api.kubeconfigYaml('dev'))
  })
  afterAll(async () => {
    await api.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('-A reads every namespace, pod and policy (all pages), leaving out pods that have finished', async () => {
    const r = await loadLiveCluster({ kubeconfig, allNamespaces: true, pageSize: 3 })
    expect(api.requests.filter((q) => q.path === '/api/v1/pods').length).toBe(3)
    expect(r.state.namespaces.map((n) => n.name)).toEqual(['dev', 'prod'])
    expect(r.state.pods.map((p) => `${p.namespace}/${p.name}`)).toEqual(['dev/tool', ...Array.from({ length: 7 }, (_, i) => `prod/web-${i}`)])
    expect(r.state.policies.map((p) => `${p.namespace}/${p.name}`)).toEqual(['dev/from-prod', 'prod/web'])
    expect(r.namespace).toBeUndefined()
    expect(r.server).toBe(api.url)
  })

  it('reads Services and EndpointSlices (-A and one namespace), validated like manifests', async () => {
    api.create('services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'prod' },
      spec: {
        clusterIP: '10.96.0.7',
        clusterIPs: ['10.96.0.7'],
        selector: { app: 'web' },
        ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
      },
    })
    api.create('endpointslices', {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'legacy-1', namespace: 'dev', labels: { 'kubernetes.io/service-name': 'legacy' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['192.0.2.1'] }],
      ports: [{ name: '', port: 5432, protocol: 'TCP' }],
    })
    try {
      const all = await loadLiveCluster({ kubeconfig, allNamespaces: true })
      expect(all.state.services?.map((s) => [`${s.namespace}/${s.name}`, s.clusterIPs, s.ports[0].targetPort])).toEqual([['prod/web', ['10.96.0.7'], 'http']])
      expect(all.state.endpointSlices?.map((s) => [s.serviceName, s.endpoints[0].addresses])).toEqual([['legacy', ['192.0.2.1']]])
      const dev = await loadLiveCluster({ kubeconfig })
      expect([dev.state.services, dev.state.endpointSlices?.length]).toEqual([undefined, 1])
      api.update('services', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'prod' },
        spec: { ports: [{ port: 80, targetPort: 'not_a_name' }] },
      })
      await expect(loadLiveCluster({ kubeconfig, allNamespaces: true })).rejects.toThrow(/Service "prod\/web" is invalid: spec\.ports\[0\]\.targetPort/)
    } finally {
      api.delete('services', 'web', 'prod')
      api.delete('endpointslices', 'legacy-1', 'dev')
    }
  })

  it('means the same as the same objects in a manifest file (validation and defaulting of the loader)', async () => {
    const live = await loadLiveCluster({ kubeconfig, allNamespaces: true })
    const file = loadManifestText(
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - ports: [{port: http}]
`,
      { file: 'x.yaml' },
    ).state.policies[0]
    const livePolicy = live.state.policies.find((p) => p.name === 'web')!
    const strip = (o: unknown): unknown => JSON.parse(JSON.stringify(o, (k, v) => (k === 'source' ? undefined : v)))
    expect(strip(livePolicy)).toEqual(strip(file))
    expect(livePolicy.source.file).toBe('api')
    const pod = live.state.pods.find((p) => p.name === 'web-0')!
    expect(pod).toMatchObject({
      ips: ['10.0.0.1'],
      nodeName: 'n1',
      hostNetwork: false,
      containerPorts: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    })
    expect(live.state.namespaces.find((n) => n.name === 'prod')!.labels).toEqual({ 'kubernetes.io/metadata.name': 'prod', env: 'prod' })
  })

  it("without -A reads the context's namespace, -n another one; namespaceSelectors get a warning", async () => {
    const dev = await loadLiveCluster({ kubeconfig })
    expect(dev.namespace).toBe('dev')
    expect(dev.state.pods.map((p) => p.name)).toEqual(['tool'])
    expect(dev.state.namespaces.map((n) => n.name)).toEqual(['dev'])
    expect(dev.warnings.map((w) => w.message).join()).toMatch(/only namespace "dev" was read.*-A/)
    const prod = await loadLiveCluster({ kubeconfig, namespace: 'prod' })
    expect(prod.state.pods).toHaveLength(7)
    expect(prod.state.policies.map((p) => p.name)).toEqual(['web'])
    expect(prod.warnings).toEqual([])
    expect(api.requests.some((r) => r.path === '/api/v1/namespaces/prod/pods')).toBe(true)
  })

  it('an unknown namespace, a missing context and an API error are clear errors', async () => {
    await expect(loadLiveCluster({ kubeconfig, namespace: 'nope' })).rejects.toThrow(/namespaces "nope" not found/)
    await expect(loadLiveCluster({ kubeconfig, context: 'other' })).rejects.toThrow(/context "other" does not exist \(contexts: test\)/)
    api.failNext(1, 403, (r) => r.path === '/api/v1/pods')
    await expect(loadLiveCluster({ kubeconfig, allNamespaces: true })).rejects.toThrow(/403.*forbidden: listing across all namespaces/s)
  })

  it('an object nested deeper than any manifest may be is a clear input error, not a stack overflow', async () => {
    const metadata = '"metadata":{"name":"deep","namespace":"prod","resourceVersion":"9"}'
    const deep = `{${metadata},"spec":{"podSelector":{},"ingress":${'['.repeat(5000)}${']'.repeat(5000)}}}`
    // Several: a LIST still in flight from the test before may take one.
    api.injectRawListItem('networkpolicies', deep, 5)
    const err = await loadLiveCluster({ kubeconfig, namespace: 'prod' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InputError)
    expect(String((err as Error).message)).toMatch(/api: NetworkPolicy "prod\/deep" is invalid: nests deeper than 256 levels/)
    api.clearFailures()
  })

  it('an object the loader rejects fails the read with every problem, as a file would', async () => {
    api.create('networkpolicies', policyObject('prod', 'bad', { ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['192.168.0.0/16'] } }] }] }))
    try {
      await expect(loadLiveCluster({ kubeconfig, namespace: 'prod' })).rejects.toThrow(InputError)
      await expect(loadLiveCluster({ kubeconfig, namespace: 'prod' })).rejects.toThrow(
        /api: NetworkPolicy "prod\/bad" is invalid: spec\.ingress\[0\]\.from\[0\]\.ipBlock\.except\[0\]/,
      )
    } finally {
      api.delete('networkpolicies', 'bad', 'prod')
    }
  })
})

describe('loadLiveCluster reads ClusterNetworkPolicies', () => {
  const cnp = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: 'policy.networking.k8s.io/v1alpha2',
    kind: 'ClusterNetworkPolicy',
    metadata: { name },
    spec,
  })
  async function withApi<T>(
    options: { clusterNetworkPolicies?: boolean },
    seed: (api: TestApiServer) => void,
    run: (kubeconfig: string, api: TestApiServer) => Promise<T>,
  ): Promise<T> {
    const api = await TestApiServer.start(options)
    const dir = await mkdtemp(join(tmpdir(), 'netpol-live-cnp-'))
    try {
      api.create('namespaces', namespaceObject('prod'))
      seed(api)
      const kubeconfig = join(dir, 'config')
      await writeFile(kubeconfig, api.kubeconfigYaml('prod'))
      return await run(kubeconfig, api)
    } finally {
      await api.close()
      await rm(dir, { recursive: true, force: true })
    }
  }

  it('-A and one namespace both read them (cluster-scoped), validated like a manifest', async () => {
    await withApi(
      {},
      (api) =>
        api.create(
          'clusternetworkpolicies',
          cnp('guard', { tier: 'Admin', priority: 5, subject: { namespaces: {} }, egress: [{ action: 'Deny', to: [{ networks: ['10.0.0.0/8'] }] }] }),
        ),
      async (kubeconfig, api) => {
        for (const scope of [{ allNamespaces: true }, { namespace: 'prod' }]) {
          const r = await loadLiveCluster({ kubeconfig, ...scope })
          expect(r.state.clusterNetworkPolicies?.map((p) => [p.name, p.spec.tier, p.spec.priority, p.source.file])).toEqual([['guard', 'Admin', 5, 'api']])
          expect(r.warnings).toEqual([])
        }
        expect(api.requests.filter((q) => q.path === '/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies').length).toBe(2)
      },
    )
  })
  it('an invalid one fails the read with its errors (leaving it out would open what it denies)', async () => {
    await withApi(
      {},
      (api) => api.create('clusternetworkpolicies', cnp('bad', { tier: 'Admin', priority: 5000, subject: { namespaces: {} } })),
      async (kubeconfig) => {
        const err = await loadLiveCluster({ kubeconfig, allNamespaces: true }).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(InputError)
        expect((err as InputError).diagnostics.map((d) => `${d.object} ${d.field}: ${d.message}`)).toEqual([
          'ClusterNetworkPolicy "bad" spec.priority: Invalid value: 5000: spec.priority in body should be less than or equal to 1000',
        ])
      },
    )
  })
  it('a cluster without the CRD: said once, and the read goes on', async () => {
    await withApi(
      { clusterNetworkPolicies: false },
      () => undefined,
      async (kubeconfig) => {
        const r = await loadLiveCluster({ kubeconfig, allNamespaces: true })
        expect(r.state.clusterNetworkPolicies).toBeUndefined()
        expect(r.state.namespaces.map((n) => n.name)).toEqual(['prod'])
        expect(r.warnings.map((w) => w.message)).toEqual([
          'the cluster does not serve ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2; its CRD is not installed): NetworkPolicies only',
        ])
      },
    )
  })
  it('forbidden to list them: a warning that the tiers are not analysed', async () => {
    await withApi(
      {},
      (api) => api.failNext(1, 403, (r) => r.path.endsWith('/clusternetworkpolicies')),
      async (kubeconfig) => {
        const r = await loadLiveCluster({ kubeconfig, allNamespaces: true })
        expect(r.warnings.map((w) => w.message)).toEqual([
          expect.stringMatching(/^cannot list clusternetworkpolicies\.policy\.networking\.k8s\.io \(forbidden\)/),
        ])
      },
    )
  })
})

describe('loadLiveCluster reads nodes for the nodes peers of ClusterNetworkPolicies', () => {
  const nodeObject = (name: string, labels: Record<string, string>, addresses: { type: string; address: string }[]) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels },
    status: { addresses },
  })
  const withNodesPeer = {
    tier: 'Admin',
    priority: 1,
    subject: { namespaces: {} },
    egress: [{ action: 'Deny', to: [{ nodes: { matchLabels: { role: 'cp' } } }] }],
  }

  async function run(seed: (api: TestApiServer) => void, check: (r: Awaited<ReturnType<typeof loadLiveCluster>>, api: TestApiServer) => void): Promise<void> {
    const api = await TestApiServer.start()
    const dir = await mkdtemp(join(tmpdir(), 'netpol-live-nodes-'))
    try {
      api.create('namespaces', namespaceObject('prod'))
      api.create(
        'nodes',
        nodeObject('cp-1', { role: 'cp' }, [
          { type: 'InternalIP', address: '192.168.1.10' },
          { type: 'Hostname', address: 'cp-1' },
          { type: 'InternalIP', address: 'fd00::0010' },
        ]),
      )
      seed(api)
      const kubeconfig = join(dir, 'config')
      await writeFile(kubeconfig, api.kubeconfigYaml('prod'))
      check(await loadLiveCluster({ kubeconfig, allNamespaces: true }), api)
    } finally {
      await api.close()
      await rm(dir, { recursive: true, force: true })
    }
  }

  it('with a nodes peer: every node with its labels and IP addresses (canonical; hostnames left out)', async () => {
    await run(
      (api) =>
        api.create('clusternetworkpolicies', {
          apiVersion: 'policy.networking.k8s.io/v1alpha2',
          kind: 'ClusterNetworkPolicy',
          metadata: { name: 'n' },
          spec: withNodesPeer,
        }),
      (r) => expect(r.state.nodes?.map((n) => [n.name, n.labels, n.addresses])).toEqual([['cp-1', { role: 'cp' }, ['192.168.1.10', 'fd00::10']]]),
    )
  })
  it('without one: nodes are not read (unknown)', async () => {
    await run(
      () => undefined,
      (r, api) => {
        expect(r.state.nodes).toBeUndefined()
        expect(api.requests.some((q) => q.path === '/api/v1/nodes')).toBe(false)
      },
    )
  })
  it('forbidden to list them: unknown, with a warning', async () => {
    await run(
      (api) => {
        api.create('clusternetworkpolicies', {
          apiVersion: 'policy.networking.k8s.io/v1alpha2',
          kind: 'ClusterNetworkPolicy',
          metadata: { name: 'n' },
          spec: withNodesPeer,
        })
        api.failNext(1, 403, (q) => q.path === '/api/v1/nodes')
      },
      (r) => {
        expect(r.state.nodes).toBeUndefined()
        expect(r.warnings.map((w) => w.message)).toEqual(['cannot list nodes (forbidden): the nodes peers of ClusterNetworkPolicies cannot be resolved'])
      },
    )
  })
})

describe('loadLiveCluster and deprecated v1alpha1 policies', () => {
  it('a cluster still holding them: a warning with their number and the convert command; none: silent', async () => {
    for (const [served, expected] of [
      [
        true,
        [
          expect.stringMatching(
            new RegExp(
              String.raw`^the cluster holds 2 AdminNetworkPolicies \(policy\.networking\.k8s\.io\/v1alpha1, deprecated\): ` +
                'netpol does not analyse them; `kubectl get adminnetworkpolicies -o yaml \\| netpol convert -`',
            ),
          ),
        ],
      ],
      [false, []],
    ] as const) {
      const api = await TestApiServer.start({ v1alpha1Policies: served })
      const dir = await mkdtemp(join(tmpdir(), 'netpol-live-v1a1-'))
      try {
        api.create('namespaces', namespaceObject('prod'))
        if (served)
          for (const name of ['a', 'b'])
            api.create('adminnetworkpolicies', { apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'AdminNetworkPolicy', metadata: { name }, spec: {} })
        const kubeconfig = join(dir, 'config')
        await writeFile(kubeconfig, api.kubeconfigYaml('prod'))
        const r = await loadLiveCluster({ kubeconfig, allNamespaces: true })
        expect(r.warnings.map((w) => w.message)).toEqual(expected)
      } finally {
        await api.close()
        await rm(dir, { recursive: true, force: true })
      }
    }
  })
})
