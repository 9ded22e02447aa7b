/**
 * @module `netpol lab`: a local cluster of network namespaces enforced by the real kernel. One
 * command with subcommands (up, apply, probe, exec, logs, status, export, kubeconfig, down, list); the work is in
 * src/lab/, this file parses flags and prints.
 */
import { isAbsolute, resolve } from 'node:path'
import { Option, type Command } from 'commander'
import type { CliContext, RegisterCommand } from '../main.js'
import { useColour } from '../io.js'
import { EnvironmentError, UsageError } from '../../model/errors.js'
import type { LoadResult } from '../../cluster/load-manifests.js'
import { isV1alpha1ConversionNotice, withConvertedV1alpha1 } from '../../cluster/v1alpha1-conversion.js'
import { DEFAULT_BASELINE_PRIORITY } from '../../model/admin-network-policy-v1alpha1.js'
import {
  checkPodCidr,
  inputLimits,
  KUBE_VERSION_DESCRIPTION,
  CONFIG_DESCRIPTION,
  CONFIG_FLAGS,
  KUBE_VERSION_FLAGS,
  MAX_FILE_SIZE_DESCRIPTION,
  POD_CIDR_DESCRIPTION,
  POD_CIDR_FLAGS,
  printInputDiagnostic,
  SKIP_INVALID_DESCRIPTION,
  SKIP_INVALID_FLAGS,
} from '../load-input.js'
import { loadPaths } from '../state-source.js'
import { parsePortSpec } from '../../analyze/matrix.js'
import { renderMatrixTable } from '../../render/table.js'
import { renderJson } from '../../render/json.js'
import { renderYaml } from '../../render/yaml.js'
import { printable } from '../../model/printable.js'
import { formatPort } from '../../model/describe.js'
import { clusterStateManifests } from '../../lab/export-manifests.js'
import { checkLabEnvironment } from '../../lab/environment.js'

import { DEFAULT_LAB_NAME, validateLabName } from '../../lab/lab-names.js'
import { labDir, labsDir } from '../../lab/state-store.js'
import { nftLabDataplane } from '../../lab/nft-lab-dataplane.js'
import { LabInterrupted, type LabContext } from '../../lab/lab-context.js'
import { labUp } from '../../lab/lab-up.js'
import { checkLabPodCount, DEFAULT_LAB_MAX_PODS, labApply } from '../../lab/lab-apply.js'
import { labDown, stopLabKubelet } from '../../lab/lab-down.js'
import { labKubeconfig, labUpControlPlane } from '../../lab/lab-control-plane.js'
import { CONTROL_PLANE_RELEASE, findControlPlaneBinaries } from '../../lab/control-plane-binaries.js'
import { labProbe, labProbeServices, type LabServiceProbeResult } from '../../lab/lab-probe.js'
import { describeServiceDisagreement } from '../../lab/service-probe.js'
import { execInPod, findPod } from '../../lab/lab-exec.js'
import { labList, labStatus, type LabStatus } from '../../lab/lab-status.js'
import { readLabCounters, type LabCounters } from '../../lab/lab-counters.js'
import { readLab, requireLab } from '../../lab/require-lab.js'
import { withLabLock } from '../../lab/lab-lock.js'
import { describeDisagreement } from '../../lab/probe-plan.js'
import { abortedWithin, denyFilter, labLogs, parseSince } from '../../lab/lab-logs.js'
import { renderDenyRecords } from '../../lab/deny-records.js'

const LAB_MAX_PODS_DESCRIPTION =
  `refuse a lab of more pods than this, counting the pods workloads make from spec.replicas (each is a network ` +
  `namespace and a server process of about 45 MB) (default ${DEFAULT_LAB_MAX_PODS})`

const collect = (v: string, prev: string[]): string[] => [...prev, v]

function labContext(ctx: CliContext): LabContext {
  return { root: labsDir(ctx.io.env), dataplane: nftLabDataplane, warn: (m) => ctx.io.stderr(`warning: ${printable(m)}\n`) }
}

/** Runs a lab change; one stopped by SIGINT/SIGTERM (LabInterrupted, the lab put back) is said and exits 130. */
async function interruptible<T>(ctx: CliContext, change: () => Promise<T>): Promise<T | undefined> {
  try {
    return await change()
  } catch (err) {
    if (!(err instanceof LabInterrupted)) throw err
    ctx.io.stderr(`error: ${printable(err.message)}\n`)
    ctx.exitCode = 130
    return undefined
  }
}

function labName(flags: { name?: string }, ctx: CliContext): string {
  return validateLabName(flags.name ?? ctx.io.env.NETPOL_LAB ?? DEFAULT_LAB_NAME)
}

function absolutePaths(paths: readonly string[], cwd: string): string[] {
  return paths.filter((p) => p !== '-').map((p) => (isAbsolute(p) ? p : resolve(cwd, p)))
}

/**
 * The manifests `lab up` and `lab apply` run: v1alpha1 AdminNetworkPolicies and
 * BaselineAdminNetworkPolicies become the ClusterNetworkPolicies `netpol convert` prints (one that
 * cannot be converted is an error: the lab would not enforce it), each with its deprecation warning.
 */
async function loadLabInput(paths: readonly string[], flags: ManifestFlags, ctx: CliContext): Promise<LoadResult> {
  // The v1alpha1 notices are said below in the lab's words: the lab enforces what the analysis leaves out.
  const result = await loadPaths(paths, flags, ctx.io, ctx, { hideWarning: isV1alpha1ConversionNotice })
  const { state, warnings } = withConvertedV1alpha1(result.state, result.v1alpha1 ?? [], { baselinePriority: DEFAULT_BASELINE_PRIORITY })
  for (const w of warnings) printInputDiagnostic(ctx.io, w)
  return { ...result, state }
}

const nameOption = (): Option => new Option('--name <lab>', `lab name (default: $NETPOL_LAB or "${DEFAULT_LAB_NAME}")`)

/** The flags of the commands that read manifests into a lab (up, apply), after their own. */
function addManifestOptions(command: Command): Command {
  return command
    .option('-n, --namespace <namespace>', 'namespace for objects that have none (default "default")')
    .option(POD_CIDR_FLAGS, POD_CIDR_DESCRIPTION)
    .option('--max-pods <n>', LAB_MAX_PODS_DESCRIPTION)
    .option('--max-file-size <size>', MAX_FILE_SIZE_DESCRIPTION)
    .option(KUBE_VERSION_FLAGS, KUBE_VERSION_DESCRIPTION)
    .option(CONFIG_FLAGS, CONFIG_DESCRIPTION)
    .option(SKIP_INVALID_FLAGS, SKIP_INVALID_DESCRIPTION)
}

/** The flags addManifestOptions adds. */
interface ManifestFlags {
  readonly namespace?: string
  readonly podCidr?: string
  readonly maxPods?: string
  readonly maxFileSize?: string
  readonly kubeVersion?: string
  readonly config?: string
  readonly skipInvalid?: boolean | string
}

function renderStatus(s: LabStatus): string {
  // Each line escaped on its own (the phase and the reason come from the state file).
  const header = [
    `lab ${s.name} (${s.ready ? s.phase : `${s.phase}, NOT READY`}): ${s.nodes.length} nodes, ${s.pods.length} pods, ${s.policies} policies` +
      (s.clusterNetworkPolicies > 0 ? `, ${s.clusterNetworkPolicies} ClusterNetworkPolicies` : '') +
      (s.services.length > 0 ? `, ${s.services.length} services` : ''),
    ...(s.notReady ? [s.notReady] : []),
  ]
  const nodeRows = [
    ['NODE', 'NETNS', 'ADDRESS', 'POD CIDR', 'PODS'],
    ...s.nodes.map((n) => [n.name, n.present ? n.netns : `${n.netns} (missing!)`, n.address, n.podCidr, String(n.pods)]),
  ]
  const podRows = [['POD', 'IP', 'NODE', 'PORTS', 'SERVER'], ...s.pods.map((p) => [p.pod, p.ip, p.node, p.ports.join(',') || '-', p.server])]
  const serviceRows = [
    ['SERVICE', 'TYPE', 'CLUSTER-IP', 'PORTS', 'BACKENDS'],
    ...s.services.map((v) => [v.service, v.type, v.clusterIP ?? v.externalName ?? '-', v.ports.join(', ') || '-', String(v.backends)]),
  ]
  const services =
    s.services.length > 0 ? `\n${columns(serviceRows)}${s.clusterDns ? `cluster DNS: ${printable(s.clusterDns)} (kube-system/kube-dns)\n` : ''}` : ''
  const cp = s.controlPlane
  const controlPlane = cp
    ? `\n${printable(
        `control plane: ${cp.server}; ${Object.entries(cp.running)
          .map(([what, up]) => `${what} ${up ? 'running' : 'NOT RUNNING'}`)
          .join(', ')}`,
      )}\n`
    : ''
  return `${header.map((l) => printable(l)).join('\n')}\n\n${columns(nodeRows)}\n${columns(podRows)}${services}${controlPlane}`
}

function renderServiceProbe(s: LabServiceProbeResult): string {
  const rows = [
    ['FROM', 'SERVICE', 'PORT', 'ENGINE', 'CONNECTED', 'REACHED', 'AGREES'],
    ...s.cells.map((c) => [
      c.from,
      `${c.service} (${c.clusterIP})`,
      `${c.port}/${c.protocol}`,
      `${c.expected} (${c.backends.filter((b) => b.allowed).length}/${c.backends.length} backends)`,
      `${c.connected}/${c.attempts}`,
      c.reached.join(',') || '-',
      c.agrees ? 'yes' : 'NO',
    ]),
  ]
  const n = s.cells.length
  const tail =
    s.disagreements.length === 0
      ? `\nall ${n} Service probes agree with the engine\n`
      : `\n${s.disagreements.length} of ${n} Service probes disagree with the engine:\n${s.disagreements.map((d) => `  ${printable(describeServiceDisagreement(d))}\n`).join('')}`
  const skipped = s.skipped.length > 0 ? `\n${s.skipped.length} cells not compared (hairpin or SCTP)\n` : ''
  return `${columns(rows)}${tail}${skipped}`
}

function renderCounters(c: LabCounters): string {
  const policyRows = [['POLICY', 'SIDE', 'ALLOWED NEW CONNECTIONS'], ...c.policies.map((p) => [p.policy, p.side, String(p.allowed)])]
  const podRows = [['POD', 'SIDE', 'DROPPED PACKETS'], ...c.pods.map((p) => [p.pod, p.side, String(p.denied)])]
  const ruleRows = [
    ['CLUSTER POLICY RULE', 'SIDE', 'ACTION', 'NEW CONNECTIONS'],
    ...(c.clusterRules ?? []).map((r) => [r.rule, r.side, r.action, String(r.connections)]),
  ]
  return `${columns(policyRows)}\n${c.clusterRules ? `${columns(ruleRows)}\n` : ''}${columns(podRows)}`
}

/** Cells come from the lab's state files (names, addresses, phases): escaped like all human output. */
function columns(raw: readonly (readonly string[])[]): string {
  const rows = raw.map((r) => r.map((c) => printable(c)))
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return `${rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('   ')).join('\n')}\n`
}

export const register: RegisterCommand = (program, ctx) => {
  const lab = program
    .command('lab')
    .summary('a local cluster of network namespaces that enforces your policies with nftables')
    .description(
      'Run your manifests for real: every node and pod is a Linux network namespace, every pod serves its ' +
        'containerPorts, and each node enforces the policies with the same nftables rulesets the agent uses. ' +
        "Needs root, iproute2 and nftables. Everything lives in namespaces named netpol-<lab>-...; the host's " +
        'own network namespace, routes and firewall are never touched.',
    )
    .addHelpText(
      'after',
      `
Workflow (like kubectl apply / kubectl exec ... curl):
  sudo ./bin/netpol lab up examples/three-tier
  sudo ./bin/netpol lab probe
  sudo ./bin/netpol lab exec prod/frontend-0 -- curl -s -m 2 http://backend.prod/   # by Service name
  sudo ./bin/netpol lab logs
  sudo ./bin/netpol lab down`,
    )

  addManifestOptions(
    lab
      .command('up')
      .description('build a lab from manifests (Namespaces, Pods, workloads, NetworkPolicies, ClusterNetworkPolicies) and start it')
      .argument('[paths...]', 'manifest files or directories (recursive: .yaml, .yml, .json), or - for stdin (none: an empty lab, only with --control-plane)')
      .addOption(nameOption())
      .option('--nodes <n>', 'number of nodes (2-16)', '2')
      .option(
        '--control-plane',
        'also start etcd and kube-apiserver for the lab, one `netpol agent` per node and a kubelet: the lab then runs what you kubectl apply ' +
          '(see `netpol lab kubeconfig`)',
      ),
  )
    .addHelpText(
      'after',
      `
Pods go to the node their spec.nodeName names (node-0, node-1, ...), else round-robin; addresses
come from the manifests' pod IPs, else from --pod-cidr, the very addresses \`netpol matrix\` assumes
(with --pod-cidr none: from 10.244.<node>.0/24). hostNetwork pods are not run.
SCTP ports are not served (Node.js has no SCTP sockets): a warning says so.
ClusterNetworkPolicies are enforced; v1alpha1 AdminNetworkPolicies and BaselineAdminNetworkPolicies
as the ClusterNetworkPolicies \`netpol convert\` prints (with a deprecation warning).

With --control-plane, the lab gets a real Kubernetes control plane on 127.0.0.1: etcd and
kube-apiserver ${CONTROL_PLANE_RELEASE.kubernetes} (found like scripts/control-plane-binaries.sh --no-build finds
them: $NETPOL_CONTROL_PLANE_BIN, $KUBEBUILDER_ASSETS, $PATH, its cache; exit 2 when absent), the
lab's nodes as Node objects, the manifests' objects created through the API, one \`netpol agent\`
per node enforcing what the API server holds, and a kubelet that binds pods without a node to
the emptiest one, creates the pods' namespaces and reports their addresses in status.podIPs.
Then \`kubectl apply\`, \`kubectl label ns\`, \`kubectl delete pod\`, \`kubectl run\` take effect;
\`lab apply\` is refused (use kubectl).

Examples:
  sudo ./bin/netpol lab up examples/three-tier
  sudo ./bin/netpol lab up manifests/ --name staging --nodes 3
  sudo ./bin/netpol lab up --control-plane examples/three-tier
  sudo ./bin/netpol lab up --control-plane --name empty       # no manifests: everything through kubectl
  kubectl --kubeconfig "$(sudo ./bin/netpol lab kubeconfig)" apply -f deny-all.yaml`,
    )
    .action(async (paths: string[], flags: ManifestFlags & { name?: string; nodes: string; controlPlane?: boolean }) => {
      const name = labName(flags, ctx)
      const nodeCount = Number(flags.nodes)
      if (!Number.isInteger(nodeCount)) throw new UsageError(`invalid --nodes "${flags.nodes}": expected a number from 2 to 16`)
      checkPodCidr(flags.podCidr)
      const { maxPods } = inputLimits({ ...flags, maxPods: flags.maxPods ?? String(DEFAULT_LAB_MAX_PODS) })
      // Without manifests only a lab with a control plane makes sense: its objects come through kubectl.
      if (paths.length === 0 && !flags.controlPlane) throw new UsageError("missing required argument 'paths' (manifest files or directories, or - for stdin)")
      await checkLabEnvironment()
      // --skip-invalid as on the analysis commands: the lab runs what `kubectl apply -f` would create, exit 2 after.
      const { state } =
        paths.length === 0 ? { state: { namespaces: [], pods: [], policies: [] } } : await loadLabInput(paths, { ...flags, maxPods: String(maxPods) }, ctx)
      checkLabPodCount(state, maxPods)
      const lc = labContext(ctx)
      const manifests = absolutePaths(paths, ctx.io.cwd)
      let binDir: string | undefined
      if (flags.controlPlane) {
        const found = await findControlPlaneBinaries(ctx.io.env)
        if (!('dir' in found))
          throw new EnvironmentError(
            `--control-plane needs kube-apiserver, etcd and kubectl ${CONTROL_PLANE_RELEASE.kubernetesMinor} (etcd ${CONTROL_PLANE_RELEASE.etcdMinor}), ` +
              'and none were found; get them with `bash scripts/control-plane-binaries.sh` (it builds them with Go, or finds them in ' +
              '$KUBEBUILDER_ASSETS) and pass the directory it prints as NETPOL_CONTROL_PLANE_BIN',
            { detail: found.problems },
          )
        binDir = found.dir
      }
      const running = await interruptible(ctx, () =>
        withLabLock(lc.root, name, 'up', () =>
          binDir !== undefined
            ? labUpControlPlane(lc, { name, nodeCount, manifests, state, binDir, cwd: ctx.io.cwd })
            : labUp(lc, { name, nodeCount, manifests, state }),
        ),
      )
      if (running === undefined) return
      ctx.io.stdout(`lab "${name}" is up\n\n${renderStatus(await labStatus(running))}`)
      const nameFlag = name === DEFAULT_LAB_NAME ? '' : ` --name ${name}`
      if (running.controlPlane !== undefined) {
        ctx.io.stdout(
          `\nAPI server: https://127.0.0.1:${running.controlPlane.apiServerPort} (kubeconfig: ${printable(labKubeconfig(lc.root, running))})\n` +
            `\nNext: kubectl --kubeconfig "$(netpol lab kubeconfig${nameFlag})" get pods -A -o wide\n      netpol lab probe${nameFlag}\n`,
        )
      } else ctx.io.stdout(`\nNext: netpol lab probe${nameFlag}\n`)
    })

  addManifestOptions(
    lab
      .command('apply')
      .description('change policies, labels and pods of a running lab, like kubectl apply')
      .argument('<paths...>', 'manifest files or directories, or - for stdin')
      .addOption(nameOption())
      .option('--prune', 'the manifests are the whole cluster: remove objects that are not in them'),
  )
    .addHelpText(
      'after',
      `
New pods without an IP get one from --pod-cidr, as \`netpol matrix\` assumes (the running pods'
addresses are never handed out twice). Objects replace the running ones with the same kind, namespace and name; others stay (with --prune
they are removed). A workload's pods are replaced together. New pods get namespaces before the new
rulesets are applied (each node's in one atomic transaction), and their servers start after.
An apply that fails puts the lab back as it was; one that was killed is repaired by the next apply.

Examples:
  sudo ./bin/netpol lab apply deny-all.yaml
  sudo ./bin/netpol lab apply examples/three-tier --prune`,
    )
    .action(async (paths: string[], flags: ManifestFlags & { name?: string; prune?: boolean }) => {
      const name = labName(flags, ctx)
      const podCidr = checkPodCidr(flags.podCidr)
      const { maxPods } = inputLimits({ ...flags, maxPods: flags.maxPods ?? String(DEFAULT_LAB_MAX_PODS) })
      await checkLabEnvironment()
      // Addresses are assumed after merging with the running lab (labApply), not here.
      const { state, invalid } = await loadLabInput(paths, { ...flags, podCidr: 'none', maxPods: String(maxPods) }, ctx)
      // An object left out is not "gone from the manifests": pruning it would remove the running
      // one (a deny policy with a typo would open the lab). kubectl apply --prune does not prune
      // after a failed object either.
      const prune = Boolean(flags.prune) && invalid === undefined
      if (flags.prune && !prune)
        ctx.io.stderr('warning: --prune: nothing pruned, because --skip-invalid left objects out (kubectl apply --prune does the same)\n')
      const lc = labContext(ctx)
      const r = await interruptible(ctx, () =>
        withLabLock(lc.root, name, 'apply', () =>
          labApply(lc, {
            name,
            manifests: absolutePaths(paths, ctx.io.cwd),
            state,
            prune,
            maxPods,
            ...(podCidr === undefined ? {} : { podCidr }),
          }),
        ),
      )
      if (r === undefined) return
      const parts = [
        `${r.state.cluster.policies.length} policies`,
        ...(r.state.cluster.clusterNetworkPolicies?.length ? [`${r.state.cluster.clusterNetworkPolicies.length} ClusterNetworkPolicies`] : []),
        `${r.state.topology.pods.length} pods`,
        ...(r.added.length ? [`added ${r.added.join(', ')}`] : []),
        ...(r.removed.length ? [`removed ${r.removed.join(', ')}`] : []),
        ...(r.restarted.length ? [`restarted ${r.restarted.join(', ')}`] : []),
      ]
      ctx.io.stdout(`lab "${name}" updated: ${printable(parts.join('; '))}\n`)
    })

  lab
    .command('probe')
    .description('connect from every pod to every pod for real and compare with the engine')
    .addOption(nameOption())
    .option('-p, --port <port>', 'probe PORT[/PROTOCOL] (repeatable; default: every containerPort any pod declares)', collect, [])
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--timeout <ms>', 'how long a connection may take before it counts as dropped', '1000')
    .option('--services', 'probe Service addresses (ClusterIP:port) instead of pods, and compare with the engine per backend')
    .addHelpText(
      'after',
      `
TCP: a completed handshake, or a refusal (the packet reached the pod, nobody listens there), counts as
allowed; a timeout as denied (the data plane drops). UDP: an echo (or ICMP port unreachable) is
allowed, silence is denied. SCTP is skipped (Node.js has no SCTP sockets).
Exit code 1 when any observed cell differs from the engine's verdict; each one is listed.

JSON: {"connections":[{"from","to","port","protocol","allowed","outcome","expected"},...],
       "disagreements":[...],"skipped":[{"port","protocol","reason"}]}  (the matrix shape, plus fields)

--services: from every pod to every Service port's ClusterIP, several connections per cell (the
node picks a backend at random, like kube-proxy), each asking which backend answered. A cell agrees
when every answer came from a backend the engine allows, something got through when the engine
allows some backend, nothing was dropped when it allows all, and nothing got through when it allows
none. Hairpin cells (a pod to its own Service) and ports without backends are not compared.
JSON: {"services":[{"from","service","clusterIP","port","protocol","backends":[{"pod","port","allowed"}],
       "expected","attempts","connected","dropped","errors","reached","agrees","problem"}],"disagreements":[...],"skipped":[...]}

Examples:
  sudo ./bin/netpol lab probe
  sudo ./bin/netpol lab probe --port 8080/TCP --port 53/UDP -o json
  sudo ./bin/netpol lab probe --services`,
    )
    .action(async (flags: { name?: string; port: string[]; output: 'table' | 'json'; timeout: string; services?: boolean }) => {
      const name = labName(flags, ctx)
      const timeoutMs = Number(flags.timeout)
      if (!Number.isInteger(timeoutMs) || timeoutMs < 50 || timeoutMs > 60_000)
        throw new UsageError(`invalid --timeout "${flags.timeout}": expected milliseconds from 50 to 60000`)
      const ports = flags.port.map(parsePortSpec)
      if (flags.services && ports.length > 0) throw new UsageError('--services probes the ports of the Services: leave out --port')
      await checkLabEnvironment()
      const state = await requireLab(labsDir(ctx.io.env), name)
      if (flags.services) {
        const s = await labProbeServices(labsDir(ctx.io.env), state, { timeoutMs })
        if (flags.output === 'json') ctx.io.stdout(renderJson({ services: s.cells, disagreements: s.disagreements, skipped: s.skipped }))
        else ctx.io.stdout(renderServiceProbe(s))
        if (s.disagreements.length > 0) ctx.exitCode = 1
        return
      }
      const r = await labProbe(labsDir(ctx.io.env), state, { ports, timeoutMs })
      if (flags.output === 'json') {
        ctx.io.stdout(renderJson({ connections: r.connections, disagreements: r.disagreements, skipped: r.skipped }))
      } else {
        ctx.io.stdout(renderMatrixTable(r.observed, { colour: useColour(ctx.io) }))
        for (const s of r.skipped) ctx.io.stdout(`\nskipped ${formatPort(s)}: ${printable(s.reason)}\n`)
        const n = r.connections.length
        if (r.disagreements.length === 0) ctx.io.stdout(`\nall ${n} probes agree with the engine\n`)
        else {
          ctx.io.stdout(`\n${r.disagreements.length} of ${n} probes disagree with the engine:\n`)
          for (const d of r.disagreements) ctx.io.stdout(`  ${printable(describeDisagreement(d))}\n`)
        }
      }
      if (r.skipped.length > 0) ctx.io.stderr(`warning: SCTP probes skipped: ${printable(state.sctp.reason)}\n`)
      if (r.disagreements.length > 0) ctx.exitCode = 1
    })

  lab
    .command('exec')
    .description('run a command inside a pod, like kubectl exec (its exit code is passed through)')
    .argument('<pod>', 'ns/name, name with -n, or a workload like kubectl takes it (deploy/web: its first pod)')
    .argument('<command...>', 'the command and its arguments, after --')
    .addOption(nameOption())
    .option('-n, --namespace <namespace>', 'namespace of the pod')
    .addHelpText(
      'after',
      `
The command runs in the pod's network namespace (with NETPOL_POD and NETPOL_POD_IP set); it sees
only the pod's address and its default route. \`lab status\` lists the pods' IPs and the Services'
ClusterIPs. When the lab has Services, the pod's resolv.conf points at cluster DNS (kube-system/kube-dns)
with the pod's search path, so Service names resolve as in a cluster.

Examples:
  sudo ./bin/netpol lab exec prod/frontend-0 -- curl -s -m 2 http://10.244.1.2:8080/
  sudo ./bin/netpol lab exec prod/frontend-0 -- curl -s -m 2 http://backend.prod/
  sudo ./bin/netpol lab exec prod/frontend-0 -- ip addr
  sudo ./bin/netpol lab exec -n prod frontend-0 -- bash
  sudo ./bin/netpol lab exec -n prod deploy/backend -- curl -s -m 2 http://10.244.1.3:5432/`,
    )
    .action(async (podRef: string, command: string[], flags: { name?: string; namespace?: string }) => {
      const name = labName(flags, ctx)
      await checkLabEnvironment()
      const state = await requireLab(labsDir(ctx.io.env), name)
      ctx.exitCode = await execInPod(findPod(state, podRef, flags.namespace), command, ctx.io)
    })

  lab
    .command('logs')
    .description('denied connections, as the nodes dropped them (the connections of `lab probe` left out unless --probes)')
    .addOption(nameOption())
    .option('-f, --follow', 'keep printing new denied connections until interrupted')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option(
      '--from <src>',
      'only connections from SRC: ns, ns/pod, ns/name (a workload), ns/<kind>/name, an IP address or a CIDR (repeatable: any of them)',
      collect,
      [],
    )
    .option('--to <dst>', 'only connections to DST, in the same forms as --from (repeatable)', collect, [])
    .option('--pod <pod>', 'only connections from or to POD, in the same forms as --from (repeatable)', collect, [])
    .option('--since <duration>', 'only connections first denied in the last DURATION, e.g. 30s, 5m, 1h30m')
    .option('--probes', 'also the connections `lab probe` made (marked [lab probe]; JSON: "probe": true)')
    .addHelpText(
      'after',
      `
One line per denied new connection: time, source pod (or IP), destination pod (or IP), port,
protocol, and the side that denied it (egress of the source, ingress of the destination), with the
node that dropped it; when a ClusterNetworkPolicy decided, its tier, name, rule and priority.
JSON: one object per line.

The connections \`lab probe\` made are left out (their number is said on stderr), so your own
denied connections (\`lab exec ... curl\`) stand out; --probes shows them too. Filters combine:
--from and --to and --pod and --since must all hold; a repeated flag accepts any of its values.

Examples:
  sudo ./bin/netpol lab logs
  sudo ./bin/netpol lab logs --from prod/frontend-0 --since 5m
  sudo ./bin/netpol lab logs --pod prod/deployment/backend --probes
  sudo ./bin/netpol lab logs -f -o json`,
    )
    .action(
      async (flags: {
        name?: string
        follow?: boolean
        output: 'text' | 'json'
        from: string[]
        to: string[]
        pod: string[]
        since?: string
        probes?: boolean
      }) => {
        const name = labName(flags, ctx)
        const sinceMs = flags.since !== undefined ? parseSince(flags.since) : undefined
        // Following ends with Ctrl-C, from the first instant: a Ctrl-C that lands while the
        // environment check or the first read runs (and kills their `nft`) is the end, not an error.
        const stop = new AbortController()
        const abort = (): void => stop.abort()
        if (flags.follow) {
          process.once('SIGINT', abort)
          process.once('SIGTERM', abort)
        }
        try {
          await checkLabEnvironment()
          const state = await requireLab(labsDir(ctx.io.env), name)
          const filter = denyFilter(state, { ...flags, ...(sinceMs !== undefined ? { sinceMs } : {}) })
          let probesLeftOut = 0
          const filtered = flags.from.length + flags.to.length + flags.pod.length > 0 || sinceMs !== undefined
          await labLogs(state, {
            follow: Boolean(flags.follow),
            dir: labDir(labsDir(ctx.io.env), name),
            signal: stop.signal,
            filter,
            note: (m) => ctx.io.stderr(`${printable(m)}\n`),
            hidden: (n) => {
              probesLeftOut = n
              ctx.io.stderr(`left out ${n} denied connection${n === 1 ? '' : 's'} of \`lab probe\` (--probes shows them)\n`)
            },
            print: (records) => {
              if (records.length === 0 && !flags.follow && flags.output === 'text')
                ctx.io.stdout(`No denied connections ${filtered ? 'match' : 'recorded'}${probesLeftOut > 0 ? ', besides those of `lab probe`' : ''}.\n`)
              else ctx.io.stdout(renderDenyRecords(records, flags.output))
            },
          })
        } catch (err) {
          // A usage error (no such lab, a bad state file, an unknown pod) is never the interrupt's doing.
          if (flags.follow && (stop.signal.aborted || (!(err instanceof UsageError) && (await abortedWithin(stop.signal, 1000))))) return
          throw err
        } finally {
          process.removeListener('SIGINT', abort)
          process.removeListener('SIGTERM', abort)
        }
      },
    )

  lab
    .command('status')
    .description('nodes, pods, their addresses and nodes, whether their servers run, and the Services with their ClusterIPs')
    .addOption(nameOption())
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .option(
      '--counters',
      "also the nodes' counters: new connections each policy allowed and each ClusterNetworkPolicy rule decided, packets dropped per pod (since the last apply)",
    )
    .addHelpText(
      'after',
      '\nA lab is ready unless its `lab up` or a `lab apply` did not finish: then the header says NOT READY and what to do\n' +
        '(JSON: "ready": false, "notReady": the reason).\n\nExamples:\n  sudo ./bin/netpol lab status\n  sudo ./bin/netpol lab status ' +
        '--counters\n  sudo ./bin/netpol lab status -o json',
    )
    .action(async (flags: { name?: string; output: 'table' | 'json'; counters?: boolean }) => {
      const name = labName(flags, ctx)
      // Any phase: status is how a user learns that a lab is not ready, and why.
      const state = await readLab(labsDir(ctx.io.env), name)
      const s = await labStatus(state)
      if (flags.counters) await checkLabEnvironment()
      const counters = flags.counters ? await readLabCounters(state) : undefined
      if (flags.output === 'json') ctx.io.stdout(renderJson(counters ? { ...s, counters } : s))
      else ctx.io.stdout(renderStatus(s) + (counters ? `\n${renderCounters(counters)}` : ''))
    })

  lab
    .command('export')
    .description("the lab's cluster as manifests: pods with their lab nodes and addresses, namespaces, policies")
    .addOption(nameOption())
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .addHelpText(
      'after',
      `
Pods carry the addresses the lab gave them (status.podIPs), so ipBlock peers match them as in a
real cluster; \`netpol matrix\` of the export is what \`lab probe\` compares with.

Examples:
  sudo ./bin/netpol lab export > lab.yaml && ./bin/netpol matrix lab.yaml
  sudo ./bin/netpol lab export -o json | ./bin/netpol explain - --from prod/frontend-0 --to prod/backend-0 --port 8080`,
    )
    .action(async (flags: { name?: string; output: 'yaml' | 'json' }) => {
      const state = await requireLab(labsDir(ctx.io.env), labName(flags, ctx))
      // YAML 1.1 quoting, so names like y, on or no read back as strings (netpol and kubectl read 1.1).
      const docs = clusterStateManifests(state.cluster)
      ctx.io.stdout(
        flags.output === 'json'
          ? renderJson({ apiVersion: 'v1', kind: 'List', items: docs })
          : docs.map((d) => `---\n${renderYaml(d, { version: '1.1' })}`).join(''),
      )
    })

  lab
    .command('kubeconfig')
    .description('print the path of the admin kubeconfig of a lab started with --control-plane')
    .addOption(nameOption())
    .addHelpText(
      'after',
      `
The file is the lab's (root's, mode 0600) and goes away with \`lab down\`. Use it with your own
kubectl (or the one scripts/control-plane-binaries.sh provides).

Examples:
  sudo ./bin/netpol lab kubeconfig --name staging
  kubectl --kubeconfig "$(sudo ./bin/netpol lab kubeconfig)" get pods -A -o wide
  kubectl --kubeconfig "$(sudo ./bin/netpol lab kubeconfig)" apply --dry-run=server -f policy.yaml
  export KUBECONFIG="$(sudo ./bin/netpol lab kubeconfig --name staging)"`,
    )
    .action(async (flags: { name?: string }) => {
      const root = labsDir(ctx.io.env)
      const state = await readLab(root, labName(flags, ctx))
      ctx.io.stdout(`${labKubeconfig(root, state)}\n`)
    })

  lab
    .command('down')
    .description('remove every namespace, link, rule and process of a lab (idempotent; also after a killed `lab up`)')
    .addOption(nameOption())
    .addHelpText('after', '\nExamples:\n  sudo ./bin/netpol lab down\n  sudo ./bin/netpol lab down --name staging')
    .action(async (flags: { name?: string }) => {
      const name = labName(flags, ctx)
      await checkLabEnvironment()
      const lc = labContext(ctx)
      // A --control-plane lab's kubelet takes the lock every second: it goes first.
      await stopLabKubelet(name)
      const r = await withLabLock(lc.root, name, 'down', () => labDown(lc, name))
      ctx.io.stdout(
        r.existed
          ? `lab "${name}" removed: ${r.netns.length} network namespaces, ${r.processes} processes\n`
          : `lab "${name}" does not exist; nothing to remove\n`,
      )
    })

  lab
    .command('list')
    .description('labs on this machine (also leftovers of a killed `lab up`)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .addHelpText('after', '\nExamples:\n  sudo ./bin/netpol lab list')
    .action(async (flags: { output: 'table' | 'json' }) => {
      const labs = await labList(labsDir(ctx.io.env))
      if (flags.output === 'json') ctx.io.stdout(renderJson({ labs }))
      else if (labs.length === 0) ctx.io.stdout('No labs.\n')
      else {
        ctx.io.stdout(
          columns([['NAME', 'PHASE', 'NODES', 'PODS', 'NETNS'], ...labs.map((l) => [l.name, l.phase, String(l.nodes), String(l.pods), String(l.netns)])]),
        )
        for (const l of labs) if (l.problem !== undefined) ctx.io.stdout(`\n${printable(l.name)}: ${printable(l.problem)}\n`)
      }
    })

  for (const sub of lab.commands) sub.exitOverride().configureOutput(program.configureOutput())
  lab.exitOverride().configureOutput(program.configureOutput())
}
