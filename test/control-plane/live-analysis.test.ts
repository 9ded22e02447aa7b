/**
 * Live analysis against a real kube-apiserver: the objects of an example applied with the real
 * kubectl (pods' addresses set through the status subresource, as a kubelet would) are analysed
 * by `netpol ... -A --kubeconfig` exactly as the same files are.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { ControlPlane } from '../../testing/control-plane.js'
import { runCliInProcess } from '../cli/run-cli-in-process.js'
import { controlPlaneBin, describeControlPlane, START_TIMEOUT_MS } from './control-plane-fixture.js'

const ROOT = join(import.meta.dirname, '..', '..')
const EXAMPLE = join(ROOT, 'examples', 'upstream-xyz')
const FILES = [join(EXAMPLE, 'model.yaml'), join(EXAMPLE, 'policies.yaml')]

/** The one difference: a cluster without the ClusterNetworkPolicy CRD says so (docs/agent.md). */
const NO_CNP =
  'api: warning: the cluster does not serve ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2; its CRD is not installed): NetworkPolicies only\n'

interface PodDoc {
  kind?: string
  metadata?: { name?: string; namespace?: string }
  status?: { podIP?: string; podIPs?: { ip: string }[] }
}

describeControlPlane('live analysis equals the analysis of the applied files (real kube-apiserver)', { timeout: 300_000 }, () => {
  let cp: ControlPlane

  beforeAll(async () => {
    cp = await ControlPlane.start({ binDir: controlPlaneBin })
    for (const file of FILES) await cp.kubectlOk(['apply', '-f', file])
    // No kubelet: report each pod's addresses the way a kubelet does, through the status subresource.
    for (const file of FILES) {
      for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
        const pod = doc.toJS() as PodDoc | null
        if (pod?.kind !== 'Pod' || !pod.status?.podIP || !pod.metadata?.name) continue
        const status = { phase: 'Running', podIP: pod.status.podIP, podIPs: pod.status.podIPs ?? [{ ip: pod.status.podIP }] }
        await cp.kubectlOk([
          'patch',
          'pod',
          pod.metadata.name,
          '-n',
          pod.metadata.namespace ?? 'default',
          '--subresource=status',
          '--type=merge',
          '-p',
          JSON.stringify({ status }),
        ])
      }
    }
  }, START_TIMEOUT_MS)
  afterAll(async () => {
    await cp?.stop()
  })

  const cli = (args: string[]) => runCliInProcess(args, { cwd: ROOT, env: { HOME: cp.dir } })

  it.each([
    ['matrix', ['matrix']],
    ['matrix -p 80/TCP -o json', ['matrix', '-p', '80/TCP', '-o', 'json']],
    ['list', ['list']],
  ])('%s', async (_name, args) => {
    const fromFiles = await cli([...args, ...FILES])
    const live = await cli([...args, '-A', '--kubeconfig', cp.kubeconfigPath])
    expect(live.stderr).toBe(fromFiles.stderr + NO_CNP)
    expect(live.code).toBe(fromFiles.code)
    expect(live.stdout).toBe(fromFiles.stdout)
    expect(live.stdout.length).toBeGreaterThan(0)
  })

  it('lint -o json: the same findings (the files name file and line, the live objects do not)', async () => {
    const withoutPlace = (stdout: string): unknown =>
      (JSON.parse(stdout) as { findings: Record<string, unknown>[] }).findings.map(({ file: _f, line: _l, ...rest }) => rest)
    const fromFiles = await cli(['lint', '-o', 'json', ...FILES])
    const live = await cli(['lint', '-o', 'json', '-A', '--kubeconfig', cp.kubeconfigPath])
    expect(live.stderr).toBe(NO_CNP)
    expect(live.code).toBe(fromFiles.code)
    expect(withoutPlace(live.stdout)).toEqual(withoutPlace(fromFiles.stdout))
  })

  it('list -n x reads one namespace: the rows between its pods are those of the files', async () => {
    // Pods of other namespaces are not read with -n: they count as addresses outside the
    // cluster (0.0.0.0/0), so only the rows between x's own pods are compared.
    const insideX = (stdout: string): string[] => stdout.split('\n').filter((l) => /^x\/\S+ => x\//.test(l))
    const fromFiles = await cli(['list', ...FILES])
    const live = await cli(['list', '-n', 'x', '--kubeconfig', cp.kubeconfigPath])
    expect(live.stderr).toBe(NO_CNP)
    expect(live.code).toBe(0)
    expect(insideX(fromFiles.stdout).length).toBeGreaterThan(0)
    expect(insideX(live.stdout)).toEqual(insideX(fromFiles.stdout))
  })
})
