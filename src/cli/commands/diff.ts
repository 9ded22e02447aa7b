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
import { allowsSomethingNew, diffConnectivity, withPossiblyAllowed, type DiffCause, type DiffResult } from '../../analyze/diff.js'
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
    .option('--fail-on-new', 'exit 1 when the change allows (or may allow: undefined or unknown) a connection that was not allowed before')
    .option('-n, --namespace <namespace>', 'namespace for objects that have none (default "default"); live: the namespace to read')
    .option('-v, --verbose', 'list the objects of kinds netpol does not use (skipped)')
    .addHelpText(
      'after',
      `
Lines: "+" newly allowed, "-" newly denied, "~" some ports of the pair changed; each with "because:"
naming the policies (file:line) whose rules or selection changed the answer, and with
ClusterNetworkPolicies the rule that decides (tier, policy, priority, rule, action, file:line).
"?" lines: connections denied before that may be allowed now (outcome undefined or unknown);
not counted as allowed, but --fail-on-new fails on them too.

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
      // A policy review loads the same pods twice: AFTER's engine reuses BEFORE's index (withState).
      const beforeEngine = createEngine(before.state)
      const sides = [
        { state: before.state, evaluator: beforeEngine },
        { state: after.state, evaluator: beforeEngine.withState(after.state) },
      ] as const
      // With ClusterNetworkPolicies, connections that become undefined or unknown are listed apart (and fail --fail-on-new).
      const result = withPossiblyAllowed(diffConnectivity(sides[0], sides[1], { groupBy: flags.groupBy }), sides[0], sides[1])
      ctx.io.stdout(renderDiff(relativeFiles(result, ctx.io.cwd), flags.output, useColour(ctx.io)))
      if (flags.failOnNew && allowsSomethingNew(result)) ctx.exitCode = EXIT_NO
    })
}

/** Causes name files the way the user wrote them, not as absolute paths. */
function relativeFiles(result: DiffResult, cwd: string): DiffResult {
  const prefix = cwd.endsWith('/') ? cwd : `${cwd}/`
  const rel = (f: string) => (f.startsWith(prefix) ? f.slice(prefix.length) : f)
  const cause = (c: DiffCause): DiffCause => ({
    ...c,
    policies: c.policies.map((p) => ({ ...p, file: rel(p.file) })),
    ...(c.clusterRules === undefined ? {} : { clusterRules: c.clusterRules.map((r) => ({ ...r, file: rel(r.file) })) }),
  })
  return {
    ...result,
    rows: result.rows.map((r) => ({ ...r, causes: r.causes.map(cause) })),
    ...(result.possiblyNewlyAllowed === undefined
      ? {}
      : { possiblyNewlyAllowed: result.possiblyNewlyAllowed.map((r) => ({ ...r, causes: r.causes.map(cause) })) }),
  }
}
