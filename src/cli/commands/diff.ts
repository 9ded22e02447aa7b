/**
 * @module `netpol diff`: the connections a change newly allows or denies, and the policies behind
 * each change.
 */
import { Option } from 'commander'
import type { RegisterCommand } from '../main.js'
import { useColour } from '../io.js'
import { EXIT_NO } from '../errors.js'
import { addLiveClusterOptions, addPodCidrOption, loadPaths, loadStateSource, type StateSourceFlags } from '../state-source.js'
import { createEngine } from '../../engine/engine.js'
import { allowsSomethingNew, diffConnectivity, type DiffResult } from '../../analyze/diff.js'
import { GROUP_BY_VALUES, type GroupBy } from '../../analyze/group.js'
import { DIFF_FORMATS, renderDiff, type DiffFormat } from '../../render/diff-output.js'

interface DiffFlags {
  output: DiffFormat
  failOnNew?: boolean
  groupBy: GroupBy
  namespace?: string
  verbose?: boolean
}

export const register: RegisterCommand = (program, ctx) => {
  addPodCidrOption(addLiveClusterOptions(program.command('diff')))
    .summary('connections a change newly allows or denies, with the policies that cause each')
    .description(
      'Compare the connectivity of two sets of manifests (BEFORE and AFTER: files or directories) and list the ' +
        'connections that become allowed or denied, grouped by workload and port, with the policies that cause each change. ' +
        'Every port and every address outside the cluster is covered: ports are cut at every boundary a policy or ' +
        'pod uses, addresses at every ipBlock boundary (shown as ranges).',
    )
    .argument('<before>', 'manifests before the change (file or directory); alone: the change, compared with the live cluster')
    .argument('[after]', 'manifests after the change (file or directory)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(DIFF_FORMATS).default('text'))
    .addOption(new Option('--group-by <unit>', 'group pods by').choices(GROUP_BY_VALUES).default('workload'))
    .option('--fail-on-new', 'exit 1 when the change allows a connection that was not allowed before')
    .option('-n, --namespace <namespace>', 'namespace for objects that have none (default "default"); live: the namespace to read')
    .option('-v, --verbose', 'list the objects of kinds netpol does not use (skipped)')
    .addHelpText(
      'after',
      `
Lines: "+" newly allowed, "-" newly denied, "~" some ports of the pair changed; each with "because:"
naming the policies (file:line) whose rules or selection changed the answer.

Exit codes: 0 done (also when there are changes); 1 with --fail-on-new when something new is allowed;
2 bad input or usage.

Examples:
  netpol diff examples/three-tier examples/three-tier-v2
  git worktree add /tmp/base origin/main && netpol diff /tmp/base/k8s k8s -o md --fail-on-new
  netpol diff before/ after/ --group-by namespace -o json

Live cluster: with one PATH, the live state of your kubeconfig is BEFORE and PATH is AFTER
(read-only: get/list on Namespaces, Pods, NetworkPolicies, ClusterNetworkPolicies, and Nodes when a
nodes peer needs them; -n NAMESPACE or -A as with kubectl):
  netpol diff k8s/ -A --fail-on-new
  netpol diff k8s/ --kubeconfig ~/.kube/staging --context staging -n shop`,
    )
    .action(async (first: string, second: string | undefined, flags: DiffFlags & StateSourceFlags) => {
      // One PATH: the live cluster is BEFORE, the PATH is the change about to be applied.
      const before = second === undefined ? await loadStateSource([], flags, ctx.io, ctx) : await loadStateSource([first], flags, ctx.io, ctx)
      const after = await loadPaths([second ?? first], flags, ctx.io, ctx)
      if ((before.state.clusterNetworkPolicies?.length ?? 0) + (after.state.clusterNetworkPolicies?.length ?? 0) > 0) {
        // diff compares proven-allowed connections: one that becomes undefined or unknown may be allowed by the cluster.
        ctx.io.stderr(
          `warning: diff counts connections whose outcome is undefined or unknown (ClusterNetworkPolicies) as denied, so one that becomes ` +
            `undefined or unknown is not shown as newly allowed${flags.failOnNew ? ' and does not fail --fail-on-new' : ''}: check them with ` +
            `netpol matrix or netpol explain\n`,
        )
      }
      const result = diffConnectivity(
        { state: before.state, evaluator: createEngine(before.state) },
        { state: after.state, evaluator: createEngine(after.state) },
        { groupBy: flags.groupBy },
      )
      ctx.io.stdout(renderDiff(relativeFiles(result, ctx.io.cwd), flags.output, useColour(ctx.io)))
      if (flags.failOnNew && allowsSomethingNew(result)) ctx.exitCode = EXIT_NO
    })
}

/** Causes name files the way the user wrote them, not as absolute paths. */
function relativeFiles(result: DiffResult, cwd: string): DiffResult {
  const prefix = cwd.endsWith('/') ? cwd : `${cwd}/`
  const rel = (f: string) => (f.startsWith(prefix) ? f.slice(prefix.length) : f)
  return {
    ...result,
    rows: result.rows.map((r) => ({ ...r, causes: r.causes.map((c) => ({ ...c, policies: c.policies.map((p) => ({ ...p, file: rel(p.file) })) })) })),
  }
}
