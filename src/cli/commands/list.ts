/**
 * @module `netpol list`: every allowed connection, grouped by workload (or pod, or namespace),
 * with all its ports, including addresses outside the cluster; filters by source, destination
 * and port.
 */
import { Option } from 'commander'
import type { RegisterCommand } from '../main.js'
import { addLiveClusterOptions, addPodCidrOption, liveClusterHelp, loadStateSource, type StateSourceFlags } from '../state-source.js'
import { createEngine } from '../../engine/engine.js'
import { GROUP_BY_VALUES, type GroupBy } from '../../analyze/group.js'
import { UsageError } from '../../model/errors.js'
import { parseEndpointFilter } from '../../analyze/endpoint-filter.js'
import { listConnections, parsePortFilter } from '../../analyze/list.js'
import { LIST_FORMATS, renderListChunks, renderServiceReach, type ListFormat } from '../../render/list-output.js'
import { listServiceReach } from '../../analyze/service-reach.js'

interface ListFlags {
  from?: string[]
  to?: string[]
  port?: string[]
  output: ListFormat
  groupBy: GroupBy | 'service'
  namespace?: string
  verbose?: boolean
}

/** A repeatable option (no default, so --help shows none). */
const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v]

export const register: RegisterCommand = (program, ctx) => {
  addPodCidrOption(addLiveClusterOptions(program.command('list')))
    .summary('every allowed connection, by workload, with all its ports and the addresses outside the cluster')
    .description(
      'List every allowed connection between workloads (or pods, or namespaces) and address ranges outside the cluster, ' +
        'each with the exact set of ports and protocols it may use, merged into ranges (TCP 80,443,8000-8080; UDP 53). ' +
        'Exact: ports are cut at every boundary a policy or pod uses, addresses at every ipBlock boundary; ' +
        'ipBlocks match pods by their IPs; IPv6 included. A pod to itself is left out (always allowed).',
    )
    .argument('[paths...]', 'manifest files or directories (recursive: .yaml, .yml, .json), or - for stdin; none: the live cluster')
    .option(
      '--from <src>',
      'only connections from SRC: ns, ns/pod, ns/name (a workload), ns/<kind>/name, ns/service/name (the pods behind it), an IP address or a CIDR ' +
        '(repeatable: any of them)',
      collect,
    )
    .option('--to <dst>', 'only connections to DST, in the same forms as --from (repeatable)', collect)
    .option(
      '-p, --port <port>',
      'only these ports: PORT[/PROTOCOL], PORT-END[/PROTOCOL] or a container port name of the destination, e.g. 80, 53/UDP, 8000-8080, http (repeatable)',
      collect,
    )
    .addOption(
      new Option('--group-by <unit>', 'group pods by; service: who reaches each Service port (all or some of its backends)')
        .choices([...GROUP_BY_VALUES, 'service'])
        .default('workload'),
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(LIST_FORMATS).default('text'))
    .option('-n, --namespace <namespace>', 'namespace for objects that have none (default "default"); with no PATH: the namespace to read')
    .option('-v, --verbose', 'list the objects of kinds netpol does not use (skipped)')
    .addHelpText(
      'after',
      `
Lines read "FROM => TO : PORTS"; "all ports" is every port of TCP, UDP and SCTP. Groups are named
ns/name[Kind] (workloads), ns/name[Pod] or ns (namespaces); addresses outside the cluster are
ranges cut at every ipBlock boundary (10.0.0.0/8, 0.0.0.0-9.255.255.255; :: ranges with IPv6).
A filter naming a pod keeps the group that holds it (use --group-by pod for the pod alone); an IP
or CIDR keeps the pods with an address in it and the part of the outside it covers.

JSON (stable): {"groupBy":"workload","connections":[{"from":END,"to":END,"ports":"TCP 80",
"portRanges":[{"protocol":"TCP","start":80,"end":80}],"allPorts":false},...]}, where END is
{"kind":"Deployment","namespace":"prod","name":"web","label":"prod/web[Deployment]"} or
{"kind":"External","first":"0.0.0.0","last":"9.255.255.255","cidrs":["0.0.0.0/5","8.0.0.0/7"],"label":"0.0.0.0-9.255.255.255"}.

--group-by service lists, per Service port, the translation to each backend and its targetPort and
the workloads that reach it: "all" when every connection from the workload's pods to the backends
is allowed, "some" otherwise. JSON (stable): {"groupBy":"service","services":[{"service":
"prod/service/backend","namespace":"prod","name":"backend","port":{"name":"http","port":80,
"protocol":"TCP","targetPort":"api"},"label":"http 80/TCP -> api","translations":[...],
"clients":[{"kind":"Deployment","namespace":"prod","name":"frontend","label":
"prod/frontend[Deployment]","answer":"all","allowed":2,"connections":2}]}]}.

Exit codes: 0 done (also when nothing is allowed); 2 bad input or usage (an unknown name lists the
closest ones).

Examples:
  netpol list examples/three-tier
  netpol list examples/three-tier --from prod/deployment/frontend
  netpol list examples/three-tier --to 0.0.0.0/0 --port 443
  netpol list examples/three-tier --group-by service
  netpol list k8s/ --group-by namespace -o md
  kubectl get ns,pods,netpol -A -o yaml | netpol list - -o json`,
    )
    .addHelpText('after', liveClusterHelp('list', '--to kube-system'))
    .action(async (paths: string[], flags: ListFlags & StateSourceFlags) => {
      const ports = (flags.port ?? []).map(parsePortFilter)
      const { state } = await loadStateSource(paths, flags, ctx.io, ctx)
      const from = (flags.from ?? []).map((t) => parseEndpointFilter(state, t))
      const to = (flags.to ?? []).map((t) => parseEndpointFilter(state, t))
      if ((state.clusterNetworkPolicies?.length ?? 0) > 0) {
        // Fail closed, but say so: a connection the cluster may allow is not silently absent.
        ctx.io.stderr(
          `warning: list shows only connections proven allowed; those whose outcome is undefined or unknown (ClusterNetworkPolicies) are left ` +
            `out: see them with netpol matrix or netpol explain\n`,
        )
      }
      if (flags.groupBy === 'service') {
        if (ports.length > 0) throw new UsageError('--port does not apply with --group-by service: every Service port is listed')
        ctx.io.stdout(renderServiceReach(listServiceReach(state, createEngine(state), { from, to }), flags.output))
        return
      }
      const result = listConnections(state, createEngine(state), { groupBy: flags.groupBy, from, to, ports })
      for (const chunk of renderListChunks(result, flags.output)) {
        ctx.io.stdout(chunk)
        await ctx.io.drain?.()
      }
    })
}
