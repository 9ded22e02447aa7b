/**
 * @module `netpol report`: one self-contained HTML page with the graph of allowed connections,
 * the matrix, lint findings and a section per policy. Opens offline.
 */
import { resolve } from 'node:path'
import { Option } from 'commander'
import type { RegisterCommand } from '../main.js'
import { printable } from '../../model/printable.js'
import { UsageError } from '../../model/errors.js'
import { writeFileAtomically } from '../write-file-atomically.js'
import { addLiveClusterOptions, addPodCidrOption, liveClusterHelp, loadStateSource, type StateSourceFlags } from '../state-source.js'
import { createEngine } from '../../engine/engine.js'
import { GROUP_BY_VALUES, type GroupBy } from '../../analyze/group.js'
import { buildReport, type ReportModel } from '../../analyze/report.js'
import { renderConnectivityDot } from '../../render/report-dot.js'
import { renderReportHtml } from '../../render/report-html.js'

interface ReportFlags {
  output?: string
  groupBy: GroupBy
  title?: string
  namespace?: string
  verbose?: boolean
}

/** Graphviz compiled to WebAssembly: the SVG is made here, so the page needs no script to show it. */
async function renderDotToSvg(dot: string): Promise<string> {
  const { instance } = await import('@viz-js/viz')
  const viz = await instance()
  const result = viz.render(dot, { format: 'svg', engine: 'dot' })
  if (result.status !== 'success') throw new Error(`graphviz failed: ${result.errors.map((e) => e.message).join('; ')}`)
  return result.output
}

async function renderReport(model: ReportModel): Promise<string> {
  return renderReportHtml(model, await renderDotToSvg(renderConnectivityDot(model.graph)))
}

export const register: RegisterCommand = (program, ctx) => {
  addPodCidrOption(addLiveClusterOptions(program.command('report')))
    .summary('one self-contained HTML page: graph, matrix, lint findings, every policy explained')
    .description(
      'Write an HTML report that opens offline: a graph of namespaces and workloads with the allowed connections ' +
        '(Graphviz, rendered to SVG now), the matrix, lint findings, and a section per policy saying what it selects, ' +
        'what it allows and where it comes from.',
    )
    .argument('[paths...]', 'manifest files or directories (recursive: .yaml, .yml, .json), or - for stdin; none: the live cluster')
    .option('-o, --output <file>', 'the HTML file to write (- for stdout)')
    .addOption(new Option('--group-by <unit>', 'group pods by').choices(GROUP_BY_VALUES).default('workload'))
    .option('--title <text>', 'page title')
    .option('-n, --namespace <namespace>', 'namespace for objects that have none (default "default"); with no PATH: the namespace to read')
    .option('-v, --verbose', 'list the objects of kinds netpol does not use (skipped)')
    .addHelpText(
      'after',
      `
Examples:
  netpol report examples/three-tier -o report.html
  netpol report k8s/ --group-by namespace -o netpol-report.html --title "Cluster policies"`,
    )
    .addHelpText('after', liveClusterHelp('report', '-o report.html'))
    .action(async (paths: string[], flags: ReportFlags & StateSourceFlags) => {
      if (!flags.output) throw new UsageError('name the HTML file to write with -o FILE (or -o - for stdout)')
      const { state } = await loadStateSource(paths, flags, ctx.io, ctx)
      if ((state.clusterNetworkPolicies?.length ?? 0) > 0) {
        // The page's graph and matrix show proven-allowed connections (its tier sections say what each ClusterNetworkPolicy decides).
        ctx.io.stderr(
          `warning: the report shows connections whose outcome is undefined or unknown (ClusterNetworkPolicies) as not allowed: see them ` +
            `with netpol matrix or netpol explain\n`,
        )
      }
      const engine = createEngine(state)
      const model = buildReport(state, engine, {
        groupBy: flags.groupBy,
        inputs: paths.length > 0 ? paths : ['the live cluster'],
        ...(flags.title ? { title: flags.title } : {}),
      })
      const html = await renderReport(model)
      if (flags.output === '-') {
        ctx.io.stdout(html)
        return
      }
      await writeFileAtomically(resolve(ctx.io.cwd, flags.output), html, flags.output)
      ctx.io.stderr(
        `wrote ${printable(flags.output)} (${model.connectivity.edges.length} connections, ${model.findings.length} findings, ` +
          `${model.policies.length} policies)\n`,
      )
    })
}
