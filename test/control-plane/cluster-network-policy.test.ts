/**
 * ClusterNetworkPolicy against a real kube-apiserver with the released (standard channel) CRD of
 * vendor/network-policy-api installed by kubectl:
 * - an agent started before the CRD exists says once that it is not served, and lists and
 *   watches ClusterNetworkPolicies once the CRD is established;
 * - the API server's validation of ClusterNetworkPolicies (`kubectl apply --dry-run=server`)
 *   and `netpol check` accept and refuse the same objects, naming the same field;
 * - the agent, authenticated as its ServiceAccount bound by exactly deploy/rbac.yaml, follows a
 *   ClusterNetworkPolicy created, given another priority and deleted, and may not write one;
 * - (as root) `netpol agent` processes on the nodes of a lab, fed by this API server with those
 *   rules, enforce ClusterNetworkPolicies created, reprioritised and deleted with kubectl: real
 *   probes between the lab's pods equal the matrix of what the API server holds;
 * - deleting the CRD deletes the objects, and the agent confirms it is no longer served.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ControlPlane } from '../../testing/control-plane.js'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { startAgent, type AgentHarness } from '../agent/agent-harness.js'
import { AgentLab, agentLabCluster, canRunAgentLab, podApiObject } from '../agent/agent-lab-fixture.js'
import { waitFor } from '../agent/api-objects.js'
import { controlPlaneBin, describeControlPlane, expectCheckAgreesWithServer, START_TIMEOUT_MS } from './control-plane-fixture.js'

const ROOT = join(import.meta.dirname, '..', '..')
const CRD = join(ROOT, 'vendor', 'network-policy-api', 'v1alpha2', 'crd', 'standard', 'policy.networking.k8s.io_clusternetworkpolicies.yaml')
const CRD_NAME = 'clusternetworkpolicies.policy.networking.k8s.io'

/** A ClusterNetworkPolicy named `name` with `spec` written as YAML flow text. */
function cnp(name: string, spec: string): string {
  return `apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: ${name}}\nspec: ${spec}\n`
}

// [case, manifest, the field path both must name (undefined: valid)]
const CASES: [string, string, string | undefined][] = [
  [
    'valid: Admin Deny from a namespace',
    cnp('ok-admin', '{tier: Admin, priority: 10, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {matchLabels: {team: a}}}]}]}'),
    undefined,
  ],
  [
    'valid: Baseline egress Accept to networks on a port range',
    cnp(
      'ok-baseline',
      '{tier: Baseline, priority: 0, subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: a}}}}, ' +
        'egress: [{name: out, action: Accept, to: [{networks: [10.0.0.0/8, "fd00::/8"]}], protocols: [{tcp: {destinationPort: {range: {start: 80, end: 90}}}}]}]}',
    ),
    undefined,
  ],
  ['priority 1001', cnp('prio', '{tier: Admin, priority: 1001, subject: {namespaces: {}}}'), 'spec.priority'],
  ['unknown tier', cnp('tier', '{tier: Middle, priority: 1, subject: {namespaces: {}}}'), 'spec.tier'],
  [
    'unknown action',
    cnp('action', '{tier: Admin, priority: 1, subject: {namespaces: {}}, ingress: [{action: Allow, from: [{namespaces: {}}]}]}'),
    'spec.ingress[0].action',
  ],
  [
    'a network that is not a CIDR',
    cnp('cidr', '{tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{networks: [10.0.0.0/33]}]}]}'),
    'spec.egress[0].to[0].networks[0]',
  ],
  [
    'port 0',
    cnp(
      'port',
      '{tier: Admin, priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 0}}}]}]}',
    ),
    'spec.ingress[0].protocols[0].tcp.destinationPort.number',
  ],
  ['no peer', cnp('nopeer', '{tier: Admin, priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: []}]}'), 'spec.ingress[0].from'],
  ['no subject', cnp('nosubject', '{tier: Admin, priority: 1}'), 'spec.subject'],
]

describeControlPlane('ClusterNetworkPolicy with its CRD installed in a real kube-apiserver', { timeout: 300_000 }, () => {
  let cp: ControlPlane
  let dir: string
  let agentKubeconfig: string
  let h: AgentHarness | undefined

  beforeAll(async () => {
    cp = await ControlPlane.start({ binDir: controlPlaneBin })
    dir = await mkdtemp(join(tmpdir(), 'netpol-cnp-control-plane-'))
    await cp.kubectlOk(['apply', '-f', join(ROOT, 'deploy', 'rbac.yaml')])
    const token = (await cp.kubectlOk(['create', 'token', 'netpol-agent', '-n', 'kube-system', '--duration=1h'])).trim()
    agentKubeconfig = join(cp.dir, 'agent-kubeconfig')
    await writeFile(agentKubeconfig, cp.kubeconfigYaml(token, 'netpol-agent'), { mode: 0o600 })
  }, START_TIMEOUT_MS)
  afterAll(async () => {
    await h?.agent.stop()
    await cp?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  const names = (): string[] => (h!.agent.currentState().clusterNetworkPolicies ?? []).map((p) => `${p.name}@${p.spec.priority}`)

  it('an agent started before the CRD is installed says once that it is not served, and lists and watches them once it is established', async () => {
    h = startAgent(undefined, {
      kubeconfigYaml: await readFile(agentKubeconfig, 'utf8'),
      crdRecheckIntervalMs: 500,
      watch: { backoffInitialMs: 100, backoffMaxMs: 1000 },
    })
    await waitFor(() => h!.logs.some((l) => l.event === 'crd-not-served'), 'not served', 60_000)
    await waitFor(() => h!.agent.status().ready, 'ready without the CRD', 60_000)
    expect(h.agent.status().notes).toEqual([
      `clusternetworkpolicies: not served (CRD ${CRD_NAME} not installed): no Admin or Baseline tier to enforce; checked again every 0.5 s`,
    ])
    await cp.kubectlOk(['apply', '-f', CRD])
    await cp.kubectlOk(['wait', '--for=condition=Established', `crd/${CRD_NAME}`, '--timeout=60s'])
    await waitFor(() => h!.logs.some((l) => l.event === 'crd-served') && h!.agent.status().connected.clusternetworkpolicies, 'listed and watched', 60_000)
    expect(h.agent.status().notes).toEqual([])
    expect(h.logs.filter((l) => l.event === 'crd-not-served')).toHaveLength(1)
    expect(h.logs.filter((l) => l.event === 'api-error' && l.resource === 'clusternetworkpolicies')).toEqual([])
  })

  it.each(CASES)('validation: %s', async (name, manifest, field) => {
    await expectCheckAgreesWithServer(cp, dir, name, manifest, field)
  })

  it('with the rules of deploy/rbac.yaml the agent follows a ClusterNetworkPolicy created, given another priority, and deleted; it may not write one', async () => {
    const write = await cp.kubectl(['apply', '-f', '-'], {
      kubeconfig: agentKubeconfig,
      stdin: cnp('by-agent', '{tier: Admin, priority: 1, subject: {namespaces: {}}}'),
    })
    expect(write.code).not.toBe(0)
    expect(write.stderr).toContain('forbidden')
    const guard = (priority: number) =>
      cnp('guard', `{tier: Admin, priority: ${priority}, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {matchLabels: {team: x}}}]}]}`)
    await cp.kubectlOk(['apply', '-f', '-'], { stdin: guard(20) })
    await waitFor(() => names().join() === 'guard@20', 'created', 30_000)
    await cp.kubectlOk(['apply', '-f', '-'], { stdin: guard(5) })
    await waitFor(() => names().join() === 'guard@5', 'priority changed', 30_000)
    await cp.kubectlOk(['delete', 'clusternetworkpolicy', 'guard'])
    await waitFor(() => names().join() === '', 'deleted', 30_000)
    expect(h!.logs.filter((l) => l.event === 'list' && l.resource === 'clusternetworkpolicies')).toHaveLength(1)
    expect(h!.logs.filter((l) => l.event === 'api-error')).toEqual([])
  })

  describe.skipIf(!canRunAgentLab)('netpol agent processes on a lab, fed by this API server', () => {
    let lab: AgentLab | undefined
    afterAll(async () => {
      await lab?.close()
    })

    it('enforce ClusterNetworkPolicies created, given another priority and deleted with kubectl, as matrix says', async () => {
      const initial = agentLabCluster()
      lab = await AgentLab.create('cpc', initial)
      const l = lab
      const objects = [
        ...l.expected.namespaces.map((n) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n.name, labels: n.labels } })),
        ...l.expected.pods.map((p) => ({ apiVersion: 'v1', kind: 'Pod', ...podApiObject(p) })),
      ]
      await cp.kubectlOk(['apply', '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) })
      // No kubelet: the pods' addresses are reported through the status subresource, as a kubelet does.
      for (const p of l.expected.pods) {
        const status = { phase: 'Running', podIP: p.ips[0], podIPs: p.ips.map((ip) => ({ ip })) }
        await cp.kubectlOk(['patch', 'pod', p.name, '-n', p.namespace, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })])
      }
      await l.startAgents(agentKubeconfig)
      const base = await l.probe()
      expect(base.disagreements).toEqual([])
      expect(base.denied).toBe(0)

      const apply = async (yaml: string, count: number, what: string): Promise<void> => {
        await l.converge(
          () => cp.kubectlOk(['apply', '-f', '-'], { stdin: yaml }),
          (line) => line.clusterPolicies === count,
          what,
        )
      }
      const tenant = cnp(
        'tenant-isolation',
        '{tier: Admin, priority: 20, subject: {namespaces: {matchLabels: {team: x}}}, ingress: [{name: deny-from-y, action: Deny, from: [{namespaces: {matchLabels: {team: "y"}}}]}]}',
      )
      const allowC = (priority: number) =>
        cnp(
          'allow-c',
          `{tier: Admin, priority: ${priority}, subject: {namespaces: {matchLabels: {team: x}}}, ingress: [{name: accept-c, action: Accept, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: c}}}}]}]}`,
        )
      const expectAll = (...yaml: string[]) => {
        l.expected = { ...l.expected, clusterNetworkPolicies: yaml.map((y) => loadManifestText(y, { file: 'test' }).state.clusterNetworkPolicies![0]) }
      }

      await apply(tenant, 1, 'tenant-isolation')
      expectAll(tenant)
      let r = await l.probe()
      expect(r.disagreements).toEqual([])
      expect(r.denied).toBe(4)
      await apply(allowC(30), 2, 'allow-c at 30')
      expectAll(tenant, allowC(30))
      r = await l.probe()
      expect(r.disagreements).toEqual([])
      expect(r.denied).toBe(4)
      await apply(allowC(10), 2, 'allow-c at 10')
      expectAll(tenant, allowC(10))
      r = await l.probe()
      expect(r.disagreements).toEqual([])
      expect(r.denied).toBe(2)
      expect(r.deniedPairs).toEqual(['y/d -> x/a', 'y/d -> x/b'])
      for (const a of l.agents) expect((await fetch(`${a.url}/readyz`)).status).toBe(200)

      await l.converge(
        () => cp.kubectlOk(['delete', 'clusternetworkpolicy', 'tenant-isolation', 'allow-c']),
        (line) => line.clusterPolicies === 0,
        'deleted',
      )
      expectAll()
      r = await l.probe()
      expect(r.disagreements).toEqual([])
      expect(r.denied).toBe(0)
      for (const a of l.agents) expect(a.logs.filter((line) => line.event === 'api-error' || line.stderr !== undefined)).toEqual([])
    })
  })

  it('deleting the CRD deletes its objects; the agent then confirms it is no longer served and stays ready', async () => {
    await cp.kubectlOk(['apply', '-f', '-'], {
      stdin: cnp('left', '{tier: Baseline, priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]}'),
    })
    await waitFor(() => names().join() === 'left@1', 'created', 30_000)
    await cp.kubectlOk(['delete', 'crd', CRD_NAME, '--wait=true', '--timeout=120s'])
    await waitFor(() => names().join() === '', 'its objects deleted', 60_000)
    await waitFor(() => h!.logs.filter((l) => l.event === 'crd-not-served').length === 2, 'not served, confirmed', 60_000)
    await waitFor(() => h!.agent.status().ready, 'ready', 30_000)
  })
})
