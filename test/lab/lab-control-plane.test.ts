/**
 * The parts of `lab up --control-plane` that need no root and no binaries: the state file's
 * `controlPlane` record read back as untrusted input, which command lines count as the lab's own
 * processes (what `lab down` may stop), `lab kubeconfig` for a lab without a control plane, and
 * the binaries lookup refusing directories that do not hold the pinned release.
 */
import { mkdtemp, rm, writeFile, chmod, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isLabCommandLine } from '../../src/lab/lab-processes.js'
import { LAB_STATE_VERSION, type LabState } from '../../src/lab/lab-state.js'
import { planTopology } from '../../src/lab/topology.js'
import { validateLabState, LabStateError } from '../../src/lab/state-validation.js'
import { labKubeconfig } from '../../src/lab/lab-control-plane.js'
import { binariesCandidates, findControlPlaneBinaries } from '../../src/lab/control-plane-binaries.js'
import { apiServerArgs, etcdArgs, kubeconfigYaml } from '../../src/lab/control-plane.js'

function state(controlPlane?: unknown): LabState {
  const plan = planTopology({ namespaces: [], pods: [], policies: [] }, { lab: 'cp1', nodeCount: 2 })
  return {
    version: LAB_STATE_VERSION,
    name: 'cp1',
    phase: 'ready',
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    manifests: [],
    cluster: plan.state,
    topology: plan.topology,
    servers: {},
    collectors: {},
    warnings: [],
    sctp: { supported: false, reason: 'test' },
    ...(controlPlane !== undefined ? { controlPlane: controlPlane as LabState['controlPlane'] } : {}),
  }
}

const read = (s: unknown): LabState => validateLabState(JSON.parse(JSON.stringify(s)), '/s/state.json', 'cp1')
const good = {
  apiServerPort: 6443,
  etcdClientPort: 2379,
  etcdPeerPort: 2380,
  etcd: 100,
  apiServer: 101,
  kubelet: 102,
  agents: { 'node-0': 103, 'node-1': 104 },
}

describe('the controlPlane record of a lab state', () => {
  it('reads back what was written', () => {
    expect(read(state(good)).controlPlane).toEqual(good)
    expect(read(state({ ...good, etcd: undefined, apiServer: undefined, kubelet: undefined, agents: {} })).controlPlane).toEqual({
      apiServerPort: 6443,
      etcdClientPort: 2379,
      etcdPeerPort: 2380,
      agents: {},
    })
  })

  it.each([
    [{ ...good, etcd: 1 }, 'controlPlane.etcd: expected an integer from 2 to 4194304, got 1'],
    [{ ...good, kubelet: -5 }, 'controlPlane.kubelet: expected an integer from 2'],
    [{ ...good, apiServer: '101' }, 'controlPlane.apiServer: expected an integer'],
    [{ ...good, apiServerPort: 70000 }, 'controlPlane.apiServerPort: expected an integer from 1 to 65535'],
    [{ ...good, agents: { 'node-7': 5 } }, 'controlPlane.agents: "node-7" is not a pod or node of this lab'],
    [{ ...good, shell: 'rm -rf /' }, 'controlPlane: unknown field "shell"'],
    ['yes', 'controlPlane: expected an object'],
  ])('refuses %j', (cp, message) => {
    expect(() => read(state(cp))).toThrow(LabStateError)
    expect(() => read(state(cp))).toThrow(message)
  })
})

describe("the lab's own processes, by command line", () => {
  const root = '/run/netpol/labs'
  it.each([
    [['/bin/etcd', '--name=default', `--data-dir=${root}/cp1/control-plane/etcd`], true],
    [['/opt/kube-apiserver', '--secure-port=1', `--cert-dir=${root}/cp1/control-plane/certs`], true],
    [['/usr/bin/node', '/src/bin/netpol', 'agent', '--node=node-0', '--netns=netpol-cp1-node-0'], true],
    [['/usr/bin/node', '/d/src/lab/lab-kubelet-main.js', '--lab=cp1', `--root=${root}`], true],
    // Another lab's, or someone else's.
    [['/bin/etcd', `--data-dir=${root}/cp10/control-plane/etcd`], false],
    [['/bin/etcd', '--data-dir=/var/lib/etcd'], false],
    [['/opt/kube-apiserver', `--cert-dir=${root}/cp1-x/control-plane/certs`], false],
    [['/usr/bin/node', '/src/bin/netpol', 'agent', '--node=node-0', '--netns=netpol-cp10-node-0'], false],
    [['/usr/bin/node', '/src/bin/netpol', 'agent', '--netns=netpol-cp1-fabric'], false],
    [['/usr/bin/node', '/src/bin/netpol', 'agent', '--node=node-0'], false],
    [['/usr/bin/node', '/d/src/lab/lab-kubelet-main.js', '--lab=cp10'], false],
    [['/bin/sleep', '--lab=cp1'], false],
  ])('%j: %s', (args, mine) => {
    expect(isLabCommandLine('cp1', args)).toBe(mine)
  })

  it('etcd and kube-apiserver as the lab starts them are found again', () => {
    const dir = `${root}/cp1/control-plane`
    expect(isLabCommandLine('cp1', ['/b/etcd', ...etcdArgs(dir, { client: 1, peer: 2 })])).toBe(true)
    expect(isLabCommandLine('cp1', ['/b/kube-apiserver', ...apiServerArgs(dir, { client: 1, peer: 2 }, 3)])).toBe(true)
  })
})

describe('lab kubeconfig', () => {
  it('says how to get a control plane when the lab has none', () => {
    expect(() => labKubeconfig('/run/netpol/labs', state())).toThrow(
      'lab "cp1" has no control plane (it was started without --control-plane); start one with `netpol lab down --name cp1` and `netpol lab up --control-plane --name cp1 PATH...`',
    )
  })

  it('quotes every value of the kubeconfig it writes', () => {
    const yaml = kubeconfigYaml({ server: 'https://127.0.0.1:1', ca: '/a b/ca.crt', token: 'abc', user: 'admin', cluster: 'netpol-lab-x' })
    expect(yaml).toContain('certificate-authority: "/a b/ca.crt"')
    expect(yaml).toContain('current-context: "netpol-lab-x"')
  })
})

describe('finding kube-apiserver, etcd and kubectl', () => {
  it('looks in NETPOL_CONTROL_PLANE_BIN, KUBEBUILDER_ASSETS, PATH, then the cache, in that order', () => {
    expect(binariesCandidates({ NETPOL_CONTROL_PLANE_BIN: '/n', KUBEBUILDER_ASSETS: '/k', PATH: '/p1:relative:/p2', HOME: '/h' })).toEqual([
      '/n',
      '/k',
      '/p1',
      '/p2',
      '/h/.cache/netpol/control-plane/v1.37.2-etcd-v3.7.0',
    ])
  })

  it('refuses a directory without the binaries, or with ones of another release', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netpol-cpbin-'))
    try {
      expect(await findControlPlaneBinaries({ NETPOL_CONTROL_PLANE_BIN: dir, PATH: '', HOME: dir })).toEqual({ problems: [`${dir}: no kube-apiserver`] })
      // Scripts that answer --version with another release.
      await mkdir(join(dir, 'old'))
      for (const name of ['kube-apiserver', 'etcd', 'kubectl']) {
        const file = join(dir, 'old', name)
        await writeFile(file, `#!/bin/sh\necho "${name} v1.29.0"\n`)
        await chmod(file, 0o755)
      }
      expect(await findControlPlaneBinaries({ NETPOL_CONTROL_PLANE_BIN: join(dir, 'old'), PATH: '', HOME: dir })).toEqual({
        problems: [`${join(dir, 'old', 'kube-apiserver')}: version 1.29.0, need 1.37.x`],
      })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
