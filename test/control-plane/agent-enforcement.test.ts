/**
 * The agent's whole loop against a real kube-apiserver: `netpol agent` processes, one per node of
 * a lab, authenticated as the `netpol-agent` ServiceAccount bound by exactly deploy/rbac.yaml,
 * enforce in the nodes' network namespaces what the API server holds.
 * - NetworkPolicies, Pods (their addresses reported through the status subresource, as a kubelet
 *   does) and namespace labels created, changed and deleted with kubectl reach every node's
 *   ruleset: real connections between the lab's pods equal the matrix of the objects applied, and
 *   `netpol matrix -A` of the live cluster equals `netpol matrix` of those objects' file;
 * - history compacted in etcd while the agents are paused (and the API server's watch cache
 *   restarted): the server answers 410 Gone, the agents relist and enforce the changes made
 *   while they were away;
 * - kube-apiserver stopped mid-watch: the agents keep the last ruleset (connections are allowed
 *   and denied as before), report not ready on /readyz while staying live on /healthz, recover
 *   when it is back and apply a change made after the restart.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { controlSocketPath } from '../../src/lab/lab-build.js'
import { outcomeAllowed } from '../../src/lab/prober.js'
import { runProbes } from '../../src/lab/run-probes.js'
import type { ClusterState } from '../../src/model/types.js'
import { ControlPlane } from '../../testing/control-plane.js'
import { AgentLab, agentLabCluster, canRunAgentLab, podApiObject, type ProbeResult } from '../agent/agent-lab-fixture.js'
import { waitFor } from '../agent/api-objects.js'
import { runCliInProcess } from '../cli/run-cli-in-process.js'
import { controlPlaneBin, describeControlPlane, START_TIMEOUT_MS } from './control-plane-fixture.js'

const ROOT = join(import.meta.dirname, '..', '..')

type Obj = Record<string, unknown>

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls an asynchronous condition until it holds or the deadline passes. */
async function eventually(what: string, timeoutMs: number, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`)
    await sleep(250)
  }
}

async function httpStatus(url: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) })
  await res.text()
  return res.status
}

/** Each agent's process state (R, S, T = stopped, ...) and /readyz answer: what a timeout's message needs. */
async function agentStates(l: AgentLab): Promise<string> {
  const lines: string[] = []
  for (const a of l.agents) {
    const stat = await readFile(`/proc/${a.child.pid}/stat`, 'utf8').catch((e: Error) => e.message)
    const state = /\) (\S)/.exec(stat)?.[1] ?? stat
    const ready = await fetch(`${a.url}/readyz`, { signal: AbortSignal.timeout(5000) })
      .then((res) => res.text())
      .catch((e: Error) => e.message)
    lines.push(`agent ${a.node} (pid ${a.child.pid}, state ${state}): /readyz ${ready.trim()}`)
  }
  return lines.join('\n')
}

function networkPolicy(name: string, spec: Obj): Obj {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: 'x' }, spec }
}

describeControlPlane('netpol agent enforcing a lab node from a real kube-apiserver', { timeout: 600_000 }, () => {
  let cp: ControlPlane
  let dir: string
  let agentKubeconfig: string

  beforeAll(async () => {
    cp = await ControlPlane.start({ binDir: controlPlaneBin })
    dir = await mkdtemp(join(tmpdir(), 'netpol-agent-enforcement-'))
    await cp.kubectlOk(['apply', '-f', join(ROOT, 'deploy', 'rbac.yaml')])
    const token = (await cp.kubectlOk(['create', 'token', 'netpol-agent', '-n', 'kube-system', '--duration=2h'])).trim()
    agentKubeconfig = join(cp.dir, 'agent-kubeconfig')
    await writeFile(agentKubeconfig, cp.kubeconfigYaml(token, 'netpol-agent'), { mode: 0o600 })
  }, START_TIMEOUT_MS)
  afterAll(async () => {
    await cp?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  describe.skipIf(!canRunAgentLab)('(as root, in a lab)', () => {
    let lab: AgentLab | undefined
    /** What the API server holds, by `kind/namespace/name`: the objects the expectation is computed from. */
    const applied = new Map<string, Obj>()
    let fullPods: AgentLab['plan']['topology']['pods'] = []

    afterAll(async () => {
      for (const a of lab?.agents ?? []) a.child.kill('SIGCONT')
      await lab?.close()
    })

    const keyOf = (o: Obj): string => {
      const meta = o.metadata as Obj
      return `${String(o.kind)}/${String(meta.namespace ?? '')}/${String(meta.name)}`
    }

    /** kubectl apply of `o` (a Pod's addresses then through the status subresource); the expectation follows. */
    async function write(o: Obj): Promise<void> {
      applied.set(keyOf(o), o)
      const { status, ...rest } = o
      await cp.kubectlOk(['apply', '-f', '-'], { stdin: JSON.stringify(rest) })
      if (o.kind === 'Pod') {
        const meta = o.metadata as Obj
        await cp.kubectlOk([
          'patch',
          'pod',
          String(meta.name),
          '-n',
          String(meta.namespace),
          '--subresource=status',
          '--type=merge',
          '-p',
          JSON.stringify({ status }),
        ])
      }
    }

    /** kubectl delete (a Pod at once, as a kubelet confirms it; there is none here). */
    async function remove(kind: string, namespace: string, name: string): Promise<void> {
      applied.delete(`${kind}/${namespace}/${name}`)
      const args = ['delete', kind.toLowerCase(), name, ...(namespace ? ['-n', namespace] : [])]
      await cp.kubectlOk(kind === 'Pod' ? [...args, '--grace-period=0', '--force'] : args)
    }

    /** kubectl label (`--overwrite`) of a Namespace or Pod; the expectation follows. */
    async function label(kind: 'Namespace' | 'Pod', namespace: string, name: string, labels: Record<string, string>): Promise<void> {
      const o = applied.get(`${kind}/${kind === 'Pod' ? namespace : ''}/${name}`)!
      ;(o.metadata as Obj).labels = { ...((o.metadata as Obj).labels as Record<string, string>), ...labels }
      const args = kind === 'Pod' ? ['label', 'pod', name, '-n', namespace] : ['label', 'namespace', name]
      await cp.kubectlOk([...args, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`), '--overwrite'])
    }

    function appliedFile(): string {
      return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [...applied.values()] })
    }

    function expectedState(): ClusterState {
      return loadManifestText(appliedFile(), { file: 'applied' }).state
    }

    /**
     * After a change has converged: the expectation is the matrix of the applied objects (their
     * file through `netpol matrix` equals `netpol matrix -A` of the live cluster), and real
     * connections between the lab pods the API server knows must agree with it.
     */
    async function probeAgainstApplied(): Promise<ProbeResult> {
      const l = lab!
      l.expected = expectedState()
      const known = new Set(l.expected.pods.map((p) => `${p.namespace}/${p.name}`))
      l.plan = { ...l.plan, topology: { ...l.plan.topology, pods: fullPods.filter((p) => known.has(`${p.namespace}/${p.name}`)) } }
      const file = join(dir, 'applied.json')
      await writeFile(file, appliedFile())
      const fromFile = await runCliInProcess(['matrix', file, '-o', 'json'], { cwd: dir, env: { HOME: dir } })
      const live = await runCliInProcess(['matrix', '-A', '--kubeconfig', cp.kubeconfigPath, '-o', 'json'], { cwd: dir, env: { HOME: dir } })
      expect(fromFile.code, fromFile.stderr).toBe(0)
      expect(live.code, live.stderr).toBe(0)
      expect(live.stdout).toBe(fromFile.stdout)
      const r = await l.probe()
      expect(r.disagreements).toEqual([])
      return r
    }

    /** Each agent logged an apply or sync (after the change) for which `done` holds. */
    const converge = (what: string, change: () => Promise<unknown>, done: (line: Obj) => boolean = () => true): Promise<void> =>
      lab!.converge(change, done, what, 60_000)

    const onlyFromD = networkPolicy('only-from-d', {
      podSelector: {},
      ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'd' } } }] }],
    })
    const fromTrusted = networkPolicy('only-from-d', {
      podSelector: {},
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'trusted' } } }] }],
    })

    it('creates, updates and deletes of NetworkPolicies, pods and namespace labels reach every node: packets agree with the matrix of the applied objects', async () => {
      const initial = agentLabCluster()
      lab = await AgentLab.create('cpe', initial)
      const l = lab
      fullPods = l.plan.topology.pods
      expect(new Set(l.plan.state.pods.map((p) => p.nodeName)).size).toBe(2)
      const labPod = (name: string) => l.plan.state.pods.find((p) => p.name === name)!
      const podObj = (name: string): Obj => ({ apiVersion: 'v1', kind: 'Pod', ...podApiObject(labPod(name)) })
      for (const n of l.plan.state.namespaces) await write({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n.name, labels: { ...n.labels } } })
      // y/d runs in the lab but is not in the API server yet.
      for (const name of ['a', 'b', 'c']) await write(podObj(name))
      await l.startAgents(agentKubeconfig)
      // deploy/rbac.yaml lets the agent read, not write.
      const byAgent = await cp.kubectl(['apply', '-f', '-'], {
        kubeconfig: agentKubeconfig,
        stdin: JSON.stringify(networkPolicy('by-agent', { podSelector: {} })),
      })
      expect(byAgent.code).not.toBe(0)
      expect(byAgent.stderr).toContain('forbidden')
      let r = await probeAgainstApplied()
      expect(r.denied).toBe(0)
      expect(r.allowed).toBe(9)

      // A NetworkPolicy created: x's pods only accept pods labelled app=d, and there is none yet.
      await converge(
        'policy created',
        () => write(onlyFromD),
        (line) => line.policies === 1,
      )
      r = await probeAgainstApplied()
      expect(r.deniedPairs).toEqual(['x/a -> x/b', 'x/b -> x/a', 'y/c -> x/a', 'y/c -> x/b'])

      // A pod created, then its address reported: its address joins the peers of the policy.
      await converge(
        'pod d created',
        () => write({ ...podObj('d'), status: {} }),
        (line) => line.pods === 4,
      )
      await converge('pod d has its address', () => write(podObj('d')))
      r = await probeAgainstApplied()
      expect(r.deniedPairs).toEqual(['x/a -> x/b', 'x/b -> x/a', 'y/c -> x/a', 'y/c -> x/b'])
      expect(r.allowed).toBe(12)

      // A pod's labels changed: it is no longer a peer.
      await converge('pod d relabelled', () => label('Pod', 'y', 'd', { app: 'other' }))
      r = await probeAgainstApplied()
      expect(r.deniedPairs).toEqual(['x/a -> x/b', 'x/b -> x/a', 'y/c -> x/a', 'y/c -> x/b', 'y/d -> x/a', 'y/d -> x/b'])

      // The policy changed to a namespaceSelector, then a namespace's labels changed to match it.
      await converge('policy updated', () => write(fromTrusted))
      r = await probeAgainstApplied()
      expect(r.deniedPairs).toEqual(['x/a -> x/b', 'x/b -> x/a', 'y/c -> x/a', 'y/c -> x/b', 'y/d -> x/a', 'y/d -> x/b'])
      await converge('namespace y labelled trusted', () => label('Namespace', '', 'y', { team: 'trusted' }))
      r = await probeAgainstApplied()
      expect(r.deniedPairs).toEqual(['x/a -> x/b', 'x/b -> x/a'])

      // A pod deleted: its address leaves the peers; from its network namespace x is closed again.
      await converge(
        'pod d deleted',
        () => remove('Pod', 'y', 'd'),
        (line) => line.pods === 3,
      )
      r = await probeAgainstApplied()
      expect(r.deniedPairs).toEqual(['x/a -> x/b', 'x/b -> x/a'])
      const d = fullPods.find((p) => p.name === 'd')!
      const targets = fullPods.filter((p) => p.namespace === 'x').map((p) => ({ to: `x/${p.name}`, ip: p.ip, port: 80, protocol: 'TCP' as const }))
      const socket = controlSocketPath(l.labDirPath, d)
      const fromGone = await runProbes([{ from: 'y/d', netns: d.netns, targets }], {
        lab: l.lab,
        timeoutMs: 1000,
        controlSockets: new Map(socket ? [['y/d', socket]] : []),
      })
      expect(fromGone.get('y/d')!.map((p) => outcomeAllowed(p.outcome))).toEqual([false, false])

      // The policy deleted: everything open again.
      await converge(
        'policy deleted',
        () => remove('NetworkPolicy', 'x', 'only-from-d'),
        (line) => line.policies === 0,
      )
      r = await probeAgainstApplied()
      expect(r.denied).toBe(0)
      for (const a of l.agents)
        expect(a.logs.filter((line) => line.event === 'api-error' || line.event === 'rejected' || line.stderr !== undefined)).toEqual([])
      for (const a of l.agents) expect(await httpStatus(`${a.url}/readyz`)).toBe(200)
    })

    it('history compacted while the agents were away: the server answers 410, the agents relist and enforce what changed meanwhile', async () => {
      const l = lab!
      await converge(
        'deny-all created',
        () => write(networkPolicy('deny-all', { podSelector: {}, policyTypes: ['Ingress'] })),
        (line) => line.policies === 1,
      )
      let r = await probeAgainstApplied()
      expect(r.deniedPairs).toEqual(['x/a -> x/b', 'x/b -> x/a', 'y/c -> x/a', 'y/c -> x/b'])

      const marks = l.agents.map((a) => a.logs.length)
      for (const a of l.agents) a.child.kill('SIGSTOP')
      // A restart closes their watches while they are stopped, so that no event of what follows
      // can wait for them in a socket: they can only learn it from a new LIST.
      await cp.stopApiServer()
      await cp.startApiServer()
      // Meanwhile one policy goes, another comes; etcd forgets the history, and the API server is
      // restarted again so that its watch cache does not hold it either.
      await remove('NetworkPolicy', 'x', 'deny-all')
      await write(networkPolicy('from-x', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'x' } } }] }] }))
      await cp.compactEtcd()
      await cp.stopApiServer()
      await cp.startApiServer()
      for (const a of l.agents) a.child.kill('SIGCONT')

      // A watcher relists only after a 410 (or a stream silent past the server's own timeout,
      // minutes away), so a LIST after the pause is the 410's answer.
      const since = (i: number) => l.agents[i].logs.slice(marks[i])
      await waitFor(
        () =>
          l.agents.every((_, i) => {
            const after = since(i)
            const relisted = after.findIndex((line) => line.event === 'list' && line.resource === 'networkpolicies')
            return relisted >= 0 && after.slice(relisted).some((line) => line.event === 'apply' && line.policies === 1)
          }),
        'every agent relisted networkpolicies and applied what changed',
        180_000,
      ).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${l.logTail(20)}\n${await agentStates(l)}\n${await cp.logTail()}`)
      })
      r = await probeAgainstApplied()
      expect(r.deniedPairs).toEqual(['y/c -> x/a', 'y/c -> x/b'])
      for (let i = 0; i < l.agents.length; i++) {
        const relists = since(i).filter((line) => line.event === 'list' && line.resource === 'networkpolicies')
        expect(relists.length).toBeGreaterThanOrEqual(1)
        expect(relists.at(-1)!.items).toBe(1)
        // Nothing reached them but that LIST: no apply between the pause and it.
        const first = since(i).findIndex((line) => line.event === 'list' && line.resource === 'networkpolicies')
        expect(
          since(i)
            .slice(0, first)
            .filter((line) => line.event === 'apply'),
        ).toEqual([])
        expect(since(i).filter((line) => line.event === 'rejected' || line.stderr !== undefined)).toEqual([])
      }
    })

    it('kube-apiserver stopped mid-watch: the agents keep the ruleset and report not ready; once it is back they are ready and apply a change made after the restart', async () => {
      const l = lab!
      const before = await probeAgainstApplied()
      const marks = l.agents.map((a) => a.logs.length)
      await cp.stopApiServer()
      try {
        await eventually('every agent not ready', 60_000, async () => {
          for (const a of l.agents) if ((await httpStatus(`${a.url}/readyz`)) !== 503) return false
          return true
        })
        for (const a of l.agents) expect(await httpStatus(`${a.url}/healthz`)).toBe(200)
        // The last ruleset stays in force: the same connections are allowed and denied.
        const during = await l.probe()
        expect(during.disagreements).toEqual([])
        expect(during.deniedPairs).toEqual(before.deniedPairs)
        for (let i = 0; i < l.agents.length; i++) {
          const errors = l.agents[i].logs.slice(marks[i]).filter((line) => line.event === 'api-error')
          expect(errors.length).toBeGreaterThan(0)
          expect(errors.every((line) => line.rulesetKept === true)).toBe(true)
        }
      } finally {
        await cp.startApiServer()
      }
      await eventually('every agent ready again', 180_000, async () => {
        for (const a of l.agents) if ((await httpStatus(`${a.url}/readyz`)) !== 200) return false
        return true
      })
      await converge('namespace y labelled team=x after the restart', () => label('Namespace', '', 'y', { team: 'x' }))
      const after = await probeAgainstApplied()
      expect(after.denied).toBe(0)
      for (const a of l.agents) expect(a.logs.filter((line) => line.event === 'rejected' || line.stderr !== undefined)).toEqual([])
    })
  })
})
