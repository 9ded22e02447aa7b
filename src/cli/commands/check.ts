/**
 * @module `netpol check`: validation only, the way the API server would validate the manifests.
 */
import type { RegisterCommand } from '../main.js'
import { addLiveClusterOptions, liveClusterHelp, loadStateSource, type StateSourceFlags } from '../state-source.js'

interface CheckFlags {
  namespace?: string
  verbose?: boolean
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

export const register: RegisterCommand = (program, ctx) => {
  addLiveClusterOptions(program.command('check'))
    .summary('validate manifests like the API server would (exit 0 valid, 2 invalid)')
    .description(
      "Read and validate the manifests (NetworkPolicy with the API server's rules; ClusterNetworkPolicy " +
        '(policy.networking.k8s.io/v1alpha2) as the API server does with its released CRD: schema and CEL rules; Namespaces, Pods and workloads) ' +
        'and print a summary. Every error is listed with file:line, object and field path.',
    )
    .argument('[paths...]', 'manifest files or directories (recursive: .yaml, .yml, .json), or - for stdin; none: the live cluster')
    .option('-n, --namespace <namespace>', 'namespace for objects that have none (default "default"); with no PATH: the namespace to read')
    .option('-v, --verbose', 'list the objects of kinds netpol does not use (skipped)')
    .addHelpText(
      'after',
      `
Exit codes: 0 everything is valid; 2 at least one error (all of them are printed to stderr).

Examples:
  netpol check examples/three-tier
  netpol check k8s/ --verbose
  netpol check guardrails/cluster-network-policies.yaml
  cat policy.yaml | netpol check -`,
    )
    .addHelpText('after', liveClusterHelp('check'))
    .action(async (paths: string[], flags: CheckFlags & StateSourceFlags) => {
      // Validation only: no addresses to assume.
      const { state, skipped } = await loadStateSource(paths, { ...flags, podCidr: 'none' }, ctx.io, ctx)
      const parts = [
        count(state.namespaces.length, 'namespace', 'namespaces'),
        count(state.pods.length, 'pod', 'pods'),
        count(state.policies.length, 'policy', 'policies'),
      ]
      const cnps = state.clusterNetworkPolicies?.length ?? 0
      if (cnps > 0) parts.push(count(cnps, 'ClusterNetworkPolicy', 'ClusterNetworkPolicies'))
      if (state.nodes && state.nodes.length > 0) parts.push(count(state.nodes.length, 'node', 'nodes'))
      let line = `${parts.join(', ')} valid`
      if (skipped.length > 0) line += ` (${count(skipped.length, 'object', 'objects')} of other kinds skipped${flags.verbose ? '' : '; --verbose lists them'})`
      ctx.io.stdout(`${line}\n`)
    })
}
