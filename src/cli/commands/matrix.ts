/**
 * @module `netpol matrix`: reachability of every ordered pair of pods, per port, in the formats of
 * render/matrix-output.ts.
 */
import { Option } from 'commander'
import type { RegisterCommand } from '../main.js'
import type { CliIO } from '../io.js'
import { useColour } from '../io.js'
import { UsageError } from '../../model/errors.js'
import { addLiveClusterOptions, addPodCidrOption, liveClusterHelp, loadStateSource, type StateSourceFlags } from '../state-source.js'
import { createEngine } from '../../engine/engine.js'
import { computeMatrix, defaultPorts, parsePortSpec, type PortSpec } from '../../analyze/matrix.js'
import { MATRIX_FORMATS, renderMatrixChunks, type MatrixFormat } from '../../render/matrix-output.js'
import { startProgress } from '../progress.js'
import { GROUP_BY_VALUES, type GroupBy } from '../../analyze/group.js'
import { computeGroupedMatrix } from '../../analyze/grouped-matrix.js'
import { groupedMatrixBytes, renderGroupedMatrixChunks } from '../../render/grouped-matrix.js'

interface MatrixFlags {
  port: string[]
  output: MatrixFormat
  namespace?: string
  width?: string
  verbose?: boolean
  groupBy: GroupBy
}

/** Above this many cells a progress line is worth showing (on a TTY). */
const PROGRESS_THRESHOLD = 250_000

export const register: RegisterCommand = (program, ctx) => {
  addPodCidrOption(addLiveClusterOptions(program.command('matrix')))
    .summary('who may connect to whom: every ordered pair of pods, per port')
    .description(
      'Print the reachability of every ordered pair of pods (a pod to itself included) on each probed port: ' +
        'a new connection is allowed when the egress of the source and the ingress of the destination both allow it.',
    )
    .argument('[paths...]', 'manifest files or directories (recursive: .yaml, .yml, .json), or - for stdin; none: the live cluster')
    .option(
      '-p, --port <port>',
      'probe PORT[/PROTOCOL], e.g. 80, 80/TCP, 53/UDP (repeatable; default: every containerPort any pod declares)',
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(MATRIX_FORMATS).default('table'))
    .option('-n, --namespace <namespace>', 'namespace for objects that have none (default "default"); with no PATH: the namespace to read')
    .option(
      '--width <columns>',
      'split the table into blocks of columns that fit this width (default: the terminal width on a TTY, else no limit; 0: no limit)',
    )
    .option('-v, --verbose', 'list the objects of kinds netpol does not use (skipped)')
    .addOption(
      new Option('--group-by <unit>', 'fold pods into workloads or namespaces (a cell: allowed for every pod pair, ~ for some)')
        .choices(GROUP_BY_VALUES)
        .default('pod'),
    )
    .addHelpText(
      'after',
      `
Table legend: rows are sources (from), columns destinations (to); "." allowed, "X" denied
(colours on a terminal). With ClusterNetworkPolicies also "U" undefined (two policies of one
tier and priority match with different actions) and "?" unknown (depends on DNS names or node
addresses); neither counts as allowed, and JSON/YAML/CSV add "decision" to every cell. Large matrices number the pods and write the numbers vertically above the
columns; with a width, wide grids are split into blocks of columns. Markdown uses ✓ and ✗.

JSON (stable): {"connections":[{"from":"ns/pod","to":"ns/pod","port":80,"protocol":"TCP","allowed":true},...]}
ordered by source, destination (pods by namespace, then name), port, protocol.

With --group-by workload|namespace, JSON, YAML and CSV list only the cells in which some pod pair
is allowed (a cell not listed is denied for every pair); JSON and YAML also give the groups, their
sizes and the ports: {"groupBy":..,"groups":[..],"groupSizes":[..],"ports":[..],"connections":[..]}
(docs/cli.md). The table and Markdown show every cell.

Examples:
  netpol matrix examples/three-tier
  netpol matrix examples/three-tier --port 5432/TCP --port 53/UDP
  netpol matrix k8s/ -o json > matrix.json
  netpol matrix k8s/ --group-by workload -o json > allowed-between-workloads.json
  kubectl get ns,pods,netpol -A -o yaml | netpol matrix - -o csv`,
    )
    .addHelpText('after', liveClusterHelp('matrix'))
    .action(async (paths: string[], flags: MatrixFlags & StateSourceFlags) => {
      const explicit = flags.port.map(parsePortSpec)
      const width = parseWidth(flags.width, ctx.io)
      const { state } = await loadStateSource(paths, flags, ctx.io, ctx)
      const ports: PortSpec[] = explicit.length > 0 ? explicit : defaultPorts(state)
      if (ports.length === 0 && state.pods.length > 0) {
        throw new UsageError('no pod declares a containerPort, so there is no default port to probe: name the ports with --port, e.g. --port 80/TCP')
      }
      const engine = createEngine(state)
      if (flags.groupBy !== 'pod') {
        // On identities: no pod-by-pod table (analyze/grouped-matrix.ts).
        if ((state.clusterNetworkPolicies?.length ?? 0) > 0) {
          ctx.io.stderr(
            `warning: with --group-by, connections whose outcome is undefined or unknown (ClusterNetworkPolicies) are shown as denied; use ` +
              `--group-by pod to see them\n`,
          )
        }
        const grouped = computeGroupedMatrix(engine, state, ports, flags.groupBy)
        const { stdoutBytes } = ctx.io
        if (stdoutBytes && (flags.output === 'json' || flags.output === 'yaml' || flags.output === 'csv')) {
          // Only the allowed cells, but still hundreds of MB on a big cluster: written as bytes.
          const chunks = groupedMatrixBytes(grouped, flags.output)
          for (let c = chunks.next(); !c.done;) {
            const written = stdoutBytes(c.value)
            await ctx.io.drain?.()
            c = chunks.next(written)
          }
          return
        }
        for (const chunk of renderGroupedMatrixChunks(grouped, flags.output, { colour: useColour(ctx.io) })) {
          ctx.io.stdout(chunk)
          await ctx.io.drain?.()
        }
        return
      }
      const total = state.pods.length * state.pods.length * ports.length
      const progress = total >= PROGRESS_THRESHOLD && ctx.io.stderrIsTTY ? startProgress(ctx.io, 'computing matrix') : undefined
      try {
        const matrix = computeMatrix(engine, state, ports, { onProgress: progress?.update })
        progress?.done()
        // In pieces: a large matrix never becomes one giant string.
        for (const chunk of renderMatrixChunks(matrix, flags.output, { colour: useColour(ctx.io), width })) {
          ctx.io.stdout(chunk)
          await ctx.io.drain?.()
        }
      } finally {
        progress?.done()
      }
    })
}

function parseWidth(text: string | undefined, io: CliIO): number | undefined {
  if (text !== undefined) {
    const n = Number(text)
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`invalid --width "${text}": expected a number of columns (0 for no limit)`)
    return n
  }
  const fromEnv = Number(io.env.COLUMNS)
  if (io.stdoutIsTTY) return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : (process.stdout.columns ?? 80)
  return undefined
}
