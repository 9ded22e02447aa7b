/**
 * @module `netpol explain`: the verdict for one connection, with the policy, rule, peer and port
 * behind each side (or why nothing matched).
 */
import { InvalidArgumentError, Option } from 'commander'
import type { RegisterCommand } from '../main.js'
import { useColour } from '../io.js'
import { requireOptions } from '../required-options.js'
import { addLiveClusterOptions, addPodCidrOption, liveClusterHelp, loadStateSource, type StateSourceFlags } from '../state-source.js'
import { createEngine } from '../../engine/engine.js'
import { explainVerdict, resolveEndpoint, resolveExplainPort } from '../../analyze/explain.js'
import { renderExplainText, renderServiceExplainText } from '../../render/explain-text.js'
import { explainByService, namesService } from '../../analyze/explain-service.js'
import { renderJson } from '../../render/json.js'

interface ExplainFlags {
  from: string
  to: string
  port: string
  output: 'text' | 'json'
  namespace?: string
  verbose?: boolean
}

/**
 * A mandatory option given at most once: explain answers for one connection, so a second value is
 * a mistake, not an override. Mandatory is checked in the action (requireOptions), after
 * commander's check of unknown options: `--form` must be reported as a typo of `--from`, not as
 * a missing `--from`.
 */
function once(option: Option): Option {
  return option.argParser((value: string, previous: string | undefined) => {
    if (previous !== undefined)
      throw new InvalidArgumentError(`given twice (${previous}, ${value}); explain answers for one connection (matrix takes several ports)`)
    return value
  })
}

export const register: RegisterCommand = (program, ctx) => {
  addPodCidrOption(addLiveClusterOptions(program.command('explain')))
    .summary('why one connection is allowed or denied, down to the policy, rule and line')
    .description(
      'Explain whether a new connection from SRC to DST on a port is allowed: for the egress of the source ' +
        'and the ingress of the destination, whether the side is enforced and isolated, by which policies ' +
        '(file:line), which rule, peer and port allowed it, or why none of the rules of each selecting policy matched.',
    )
    .argument('[paths...]', 'manifest files or directories (recursive: .yaml, .yml, .json), or - for stdin; none: the live cluster')
    .addOption(
      once(
        new Option(
          '--from <src>',
          "source: ns/pod, ns/<kind>/name or ns/workload (a workload's first pod, e.g. prod/deployment/web), a pod name in -n, an IP address, " +
            'or ns/service/name (each pod behind the Service)',
        ),
      ),
    )
    .addOption(once(new Option('--to <dst>', 'destination, in the same forms as --from; ns/service/name (or ns/svc/name): every backend of the Service port')))
    .addOption(
      once(
        new Option(
          '-p, --port <port>',
          'destination PORT[/PROTOCOL] (e.g. 80, 53/UDP), or a container port name of the destination pod; to a Service: its port or port name',
        ),
      ),
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option(
      '-n, --namespace <namespace>',
      'namespace for objects that have none, and for bare pod names (default "default"); with no PATH: the namespace to read (default: the context\'s, which bare pod names then use)',
    )
    .option('-v, --verbose', 'list the objects of kinds netpol does not use (skipped)')
    .addHelpText(
      'after',
      `
The exit code is 0 whether the connection is allowed or denied (the verdict is printed); it is 2
for bad input, an unknown pod or a bad port. An IP address that belongs to a pod names that pod;
any other address is an external endpoint, which no policy isolates.

To a Service (--to prod/service/backend --port 80, or the port's name): the node sends the
connection to one backend pod and its targetPort before any policy sees it, so explain answers
for each backend (all, some or none allowed) and prints the translation, e.g.
"prod/service/backend:80 -> prod/backend-0:8080". From a Service: each pod behind it.

Examples:
  netpol explain examples/three-tier --from prod/frontend-0 --to prod/backend-0 --port 8080/TCP
  netpol explain examples/three-tier --from prod/deployment/frontend --to prod/deployment/database --port 5432
  netpol explain examples/egress-except-metadata --from apps/web --to 169.254.169.254 --port 80 -o json
  netpol explain examples/three-tier --from prod/deployment/frontend --to prod/service/backend --port 80`,
    )
    .addHelpText('after', liveClusterHelp('explain', '--from shop/web-0 --to shop/db-0 --port 5432'))
    .action(async (paths: string[], flags: ExplainFlags & StateSourceFlags) => {
      requireOptions(flags, { from: '--from <src>', to: '--to <dst>', port: '-p, --port <port>' })
      const { state, namespace } = await loadStateSource(paths, flags, ctx.io, ctx)
      // Live without -n: bare pod names are in the namespace read (the context's), as for kubectl.
      const resolveOptions = { namespace: flags.namespace ?? namespace }
      if (namesService(flags.from, flags.to)) {
        const e = explainByService(state, createEngine(state), flags.from, flags.to, flags.port, resolveOptions)
        ctx.io.stdout(flags.output === 'json' ? renderJson(e) : renderServiceExplainText(e, { colour: useColour(ctx.io) }))
        return
      }
      const from = resolveEndpoint(state, flags.from, resolveOptions)
      const to = resolveEndpoint(state, flags.to, resolveOptions)
      const port = resolveExplainPort(flags.port, to)
      const verdict = createEngine(state).evaluate({ from, to, port: port.port, protocol: port.protocol })
      const explanation = explainVerdict(state, verdict)
      ctx.io.stdout(flags.output === 'json' ? renderJson(explanation) : renderExplainText(explanation, { colour: useColour(ctx.io) }))
    })
}
