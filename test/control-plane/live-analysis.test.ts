/**
 * Live analysis against a real kube-apiserver: the objects of an example applied with the real
 * kubectl (pods' addresses set through the status subresource, as a kubelet would) are analysed
 * by `netpol ... -A --kubeconfig` exactly as the same files are.
 */
import { execFile } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { ControlPlane } from '../../testing/control-plane.js'
import { runCliInProcess } from '../cli/run-cli-in-process.js'
import { controlPlaneBin, describeControlPlane, START_TIMEOUT_MS } from './control-plane-fixture.js'

const ROOT = join(import.meta.dirname, '..', '..')
const EXAMPLE = join(ROOT, 'examples', 'upstream-xyz')
const FILES = [join(EXAMPLE, 'model.yaml'), join(EXAMPLE, 'policies.yaml')]
const GUARDRAILS = join(ROOT, 'examples', 'cluster-guardrails')
const GUARDRAIL_FILES = ['namespaces.yaml', 'workloads.yaml', 'policies.yaml', 'cluster-policies.yaml'].map((f) => join(GUARDRAILS, f))
const CRD = join(ROOT, 'vendor', 'network-policy-api', 'v1alpha2', 'crd', 'standard', 'policy.networking.k8s.io_clusternetworkpolicies.yaml')
const CRD_NAME = 'clusternetworkpolicies.policy.networking.k8s.io'

/** The one difference: a cluster without the ClusterNetworkPolicy CRD says so (docs/agent.md). */
const NO_CNP =
  'api: warning: the cluster does not serve ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2; its CRD is not installed): NetworkPolicies only\n'

/** Live objects have no file: their source is shown as `api` (docs/agent.md), where files show file:line. */
const asLive = (stdout: string): string => stdout.replaceAll(new RegExp(`${ROOT.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/[^\\s"():]+\\.yaml:\\d+`, 'g'), 'api')

/** The cells of `matrix` text output between pods of `ns`: `port src dst` -> `.` or `X`. */
function cellsWithin(stdout: string, ns: string): Map<string, string> {
  const cells = new Map<string, string>()
  let port = ''
  let columns: string[] = []
  for (const line of stdout.split('\n')) {
    const portLine = /^(\S+): \d+ of \d+ connections allowed$/.exec(line)
    if (portLine) {
      port = portLine[1]!
      continue
    }
    if (/^\s+\S/.test(line)) {
      columns = line.trim().split(/\s+/)
      continue
    }
    const [src, ...marks] = line.trim().split(/\s+/)
    if (!src?.startsWith(`${ns}/`) || marks.length !== columns.length) continue
    marks.forEach((mark, i) => {
      if (columns[i]!.startsWith(`${ns}/`)) cells.set(`${port} ${src} ${columns[i]}`, mark)
    })
  }
  return cells
}

const NS_SELECTOR_WARNING = (ns: string): string =>
  `api: warning: only namespace "${ns}" was read, but some of its policies have namespaceSelectors: pods of other namespaces are not part of this analysis (use -A/--all-namespaces)\n`

interface PodDoc {
  kind?: string
  metadata?: { name?: string; namespace?: string }
  status?: { podIP?: string; podIPs?: { ip: string }[] }
}

/** `kubectl apply` of the files, then each pod's addresses reported as a kubelet does, through the status subresource. */
async function applyAsKubelet(cp: ControlPlane, files: readonly string[]): Promise<void> {
  for (const file of files) await cp.kubectlOk(['apply', '-f', file])
  for (const file of files) {
    for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
      const pod = doc.toJS() as PodDoc | null
      if (pod?.kind !== 'Pod' || !pod.status?.podIP || !pod.metadata?.name) continue
      const status = { phase: 'Running', podIP: pod.status.podIP, podIPs: pod.status.podIPs ?? [{ ip: pod.status.podIP }] }
      const ns = pod.metadata.namespace ?? 'default'
      await cp.kubectlOk(['patch', 'pod', pod.metadata.name, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })])
    }
  }
}

describeControlPlane('live analysis equals the analysis of the applied files (real kube-apiserver)', { timeout: 300_000 }, () => {
  let cp: ControlPlane

  beforeAll(async () => {
    cp = await ControlPlane.start({ binDir: controlPlaneBin })
    await applyAsKubelet(cp, FILES)
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

  it.each([
    ['x/b -> x/a 80/TCP (allowed by a rule)', ['--from', 'x/b', '--to', 'x/a', '-p', '80/TCP']],
    ['x/c -> x/a 81/TCP (denied)', ['--from', 'x/c', '--to', 'x/a', '-p', '81/TCP']],
    ['z/a -> y/b 81/TCP -o json', ['--from', 'z/a', '--to', 'y/b', '-p', '81/TCP', '-o', 'json']],
    ['x/a -> y/c 80/UDP', ['--from', 'x/a', '--to', 'y/c', '-p', '80/UDP']],
  ])('explain %s', async (_name, args) => {
    const fromFiles = await cli(['explain', ...args, ...FILES])
    const live = await cli(['explain', ...args, '-A', '--kubeconfig', cp.kubeconfigPath])
    expect(live.stderr).toBe(fromFiles.stderr + NO_CNP)
    expect(live.code).toBe(fromFiles.code)
    expect(live.stdout).toContain('api')
    expect(live.stdout).toBe(asLive(fromFiles.stdout))
    expect(live.stdout.length).toBeGreaterThan(0)
  })

  it('diff of a changed file against the live cluster equals diff of the applied files and the changed one', async () => {
    const before = join(cp.dir, 'diff-before')
    const after = join(cp.dir, 'diff-after')
    await mkdir(before)
    await mkdir(after)
    const policies = await readFile(FILES[1]!, 'utf8')
    const model = await readFile(FILES[0]!, 'utf8')
    for (const dir of [before, after]) await writeFile(join(dir, 'model.yaml'), model)
    await writeFile(join(before, 'policies.yaml'), policies)
    const changed = policies.replace('    - port: 81\n', '    - port: 80\n')
    expect(changed).not.toBe(policies)
    await writeFile(join(after, 'policies.yaml'), changed)
    for (const output of ['text', 'json']) {
      const fromFiles = await cli(['diff', '-o', output, before, after])
      const live = await cli(['diff', '-o', output, after, '-A', '--kubeconfig', cp.kubeconfigPath])
      expect(live.stderr).toBe(fromFiles.stderr + NO_CNP)
      expect(live.code).toBe(fromFiles.code)
      expect(live.stdout).toBe(fromFiles.stdout)
      expect(live.stdout.length).toBeGreaterThan(0)
    }
  })

  it('matrix -n y and explain -n x (bare pod names)', async () => {
    const matrixFiles = await cli(['matrix', ...FILES])
    const matrixLive = await cli(['matrix', '-n', 'y', '--kubeconfig', cp.kubeconfigPath])
    // Pods of other namespaces are not read with -n (they count as addresses outside the cluster),
    // so the cells between y's own pods are compared; the policies of y use a namespaceSelector.
    expect(matrixLive.stderr).toBe(NO_CNP + NS_SELECTOR_WARNING('y'))
    expect(matrixLive.code).toBe(0)
    expect(cellsWithin(matrixFiles.stdout, 'y').size).toBe(6 * 3 * 3)
    expect(cellsWithin(matrixLive.stdout, 'y')).toEqual(cellsWithin(matrixFiles.stdout, 'y'))
    const explainFiles = await cli(['explain', '--from', 'x/b', '--to', 'x/a', '-p', '80', ...FILES])
    const explainLive = await cli(['explain', '-n', 'x', '--from', 'b', '--to', 'a', '-p', '80', '--kubeconfig', cp.kubeconfigPath])
    expect(explainLive.stderr).toBe(NO_CNP)
    expect(explainLive.code).toBe(explainFiles.code)
    expect(explainLive.stdout).toBe(asLive(explainFiles.stdout))
  })

  it('--context selects the context that reaches the server, not the current one that points elsewhere', async () => {
    const kubeconfig = join(cp.dir, 'two-contexts')
    await writeFile(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: elsewhere',
        '  cluster: {server: "https://127.0.0.1:1"}',
        '- name: real',
        `  cluster: {server: ${JSON.stringify(cp.server)}, certificate-authority: ${JSON.stringify(cp.caPath)}}`,
        'users:',
        '- name: nobody',
        '  user: {token: not-a-token}',
        '- name: admin',
        `  user: {token: ${JSON.stringify(cp.adminToken)}}`,
        'contexts:',
        '- name: broken',
        '  context: {cluster: elsewhere, user: nobody, namespace: x}',
        '- name: the-real-one',
        '  context: {cluster: real, user: admin, namespace: y}',
        'current-context: broken',
        '',
      ].join('\n'),
      { mode: 0o600 },
    )
    const current = await cli(['matrix', '-A', '--kubeconfig', kubeconfig])
    expect(current.code).toBe(2)
    const fromFiles = await cli(['matrix', ...FILES])
    const live = await cli(['matrix', '-A', '--kubeconfig', kubeconfig, '--context', 'the-real-one'])
    expect(live.stderr).toBe(fromFiles.stderr + NO_CNP)
    expect(live.code).toBe(fromFiles.code)
    expect(live.stdout).toBe(fromFiles.stdout)
    // The context's namespace (y) is the one read without -n: bare pod names are y's.
    const explainFiles = await cli(['explain', '--from', 'y/a', '--to', 'y/b', '-p', '80', ...FILES])
    const explainLive = await cli(['explain', '--from', 'y/a', '--to', 'b', '-p', '80', '--kubeconfig', kubeconfig, '--context', 'the-real-one'])
    expect(explainLive.stderr).toBe(NO_CNP + NS_SELECTOR_WARNING('y'))
    expect(explainLive.code).toBe(0)
    expect(explainLive.stdout).toBe(asLive(explainFiles.stdout))
  })

  it('kubectl netpol matrix -A: kubectl finds bin/kubectl-netpol on PATH and runs it as a plugin', async () => {
    const netpol = await cli(['matrix', '-A', '--kubeconfig', cp.kubeconfigPath])
    const plugin = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        join(controlPlaneBin, 'kubectl'),
        ['netpol', 'matrix', '-A'],
        {
          env: { PATH: `${join(ROOT, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`, KUBECONFIG: cp.kubeconfigPath, HOME: cp.dir },
          timeout: 120_000,
        },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? -1) : 0, stdout, stderr }),
      )
    })
    expect(plugin.stderr).toBe(netpol.stderr)
    expect(plugin.code).toBe(netpol.code)
    expect(plugin.stdout).toBe(netpol.stdout)
    expect(plugin.stdout.length).toBeGreaterThan(0)
  })

  // Last: installing the CRD changes what every live command reads.
  it('with the ClusterNetworkPolicy CRD installed and examples/cluster-guardrails applied, matrix -A equals the files', async () => {
    await cp.kubectlOk(['apply', '-f', CRD])
    await cp.kubectlOk(['wait', '--for=condition=Established', `crd/${CRD_NAME}`, '--timeout=60s'])
    await applyAsKubelet(cp, GUARDRAIL_FILES)
    const all = [...FILES, ...GUARDRAIL_FILES]
    for (const args of [['matrix'], ['matrix', '-o', 'json'], ['explain', '--from', 'tenant-a/web-0', '--to', 'tenant-b/web-0', '-p', '80']]) {
      const fromFiles = await cli([...args, ...all])
      const live = await cli([...args, '-A', '--kubeconfig', cp.kubeconfigPath])
      expect(live.stderr).toBe(fromFiles.stderr)
      expect(live.code).toBe(fromFiles.code)
      expect(live.stdout).toBe(asLive(fromFiles.stdout))
      expect(live.stdout.length).toBeGreaterThan(0)
    }
  })
})
