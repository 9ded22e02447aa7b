/**
 * @module `netpol lint`: find the mistakes people make with NetworkPolicy (see docs/lint.md).
 */
import { Option } from 'commander'
import type { RegisterCommand } from '../main.js'
import { useColour } from '../io.js'
import { UsageError } from '../../model/errors.js'
import { EXIT_NO } from '../errors.js'
import { addLiveClusterOptions, addPodCidrOption, liveClusterHelp, loadStateSource, type StateSourceFlags } from '../state-source.js'
import { LINT_RULES, lint, severityAtLeast, type LintSeverity } from '../../analyze/lint.js'
import { renderLintJson, renderLintSarif, renderLintText } from '../../render/lint-output.js'
import { VERSION } from '../version.js'
import { DEFAULT_SERVICE_CIDR, parseServiceCidrs } from '../../model/service-cidr.js'

const FORMATS = ['text', 'json', 'sarif'] as const
type LintFormat = (typeof FORMATS)[number]

interface LintFlags {
  output: LintFormat
  failOn: LintSeverity
  disable: string[]
  serviceCidr: string
  namespace?: string
  verbose?: boolean
}

function parseDisable(value: string, previous: string[]): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  ]
}

export const register: RegisterCommand = (program, ctx) => {
  addPodCidrOption(addLiveClusterOptions(program.command('lint')))
    .summary('find common NetworkPolicy mistakes (DNS cut off, selectors that select nothing, ...)')
    .description(
      'Check policies (and the workloads and namespaces next to them) for the mistakes people make again and again. ' +
        'Each finding has a rule id, a severity, the file:line of the policy, rule or peer at fault, and a fix.',
    )
    .argument('[paths...]', 'manifest files or directories (recursive: .yaml, .yml, .json), or - for stdin; none: the live cluster')
    .addOption(new Option('-o, --output <format>', 'output format').choices(FORMATS).default('text'))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding has this severity or worse').choices(['info', 'warning', 'error']).default('error'))
    .option('--disable <ids>', 'rule ids to skip, comma-separated (repeatable)', parseDisable, [])
    .option(
      '--service-cidr <cidr>',
      "the cluster's Service address range (kube-apiserver --service-cluster-ip-range; two of different families for dual stack, comma-separated)",
      DEFAULT_SERVICE_CIDR,
    )
    .option('-n, --namespace <namespace>', 'namespace for objects that have none (default "default"); with no PATH: the namespace to read')
    .option('-v, --verbose', 'list the objects of kinds netpol does not use (skipped)')
    .addHelpText(
      'after',
      `
Rules (docs/lint.md has a bad and a good example of each):
${LINT_RULES.map((r) => `  ${r.id.padEnd(36)} ${r.severity.padEnd(8)} ${r.title}`).join('\n')}

Exit codes: 0 no finding at or above --fail-on; 1 some; 2 bad input or usage.

Examples:
  netpol lint manifests/
  netpol lint manifests/ --fail-on warning --disable namespace-without-default-deny
  netpol lint manifests/ -o sarif > netpol.sarif     # upload with github/codeql-action/upload-sarif
  netpol lint manifests/ --service-cidr 10.0.0.0/16  # a cluster whose Services are not in 10.96.0.0/12`,
    )
    .addHelpText('after', liveClusterHelp('lint'))
    .action(async (paths: string[], flags: LintFlags & StateSourceFlags) => {
      const unknown = flags.disable.filter((id) => !LINT_RULES.some((r) => r.id === id))
      if (unknown.length > 0) {
        throw new UsageError(`unknown rule id${unknown.length > 1 ? 's' : ''} in --disable: ${unknown.join(', ')} (see netpol lint --help)`)
      }
      const serviceCidrs = parseServiceCidrs(flags.serviceCidr)
      const { state } = await loadStateSource(paths, flags, ctx.io, ctx)
      const { findings, rules } = lint(state, { disable: flags.disable, serviceCidrs })
      const shown = findings.map((f) => ({ ...f, file: relativeFile(f.file, ctx.io.cwd) }))
      if (flags.output === 'json') ctx.io.stdout(renderLintJson(shown))
      else if (flags.output === 'sarif') ctx.io.stdout(renderLintSarif(findings, rules, { cwd: ctx.io.cwd, version: VERSION }))
      else ctx.io.stdout(renderLintText(shown, useColour(ctx.io)))
      if (findings.some((f) => severityAtLeast(f.severity, flags.failOn))) ctx.exitCode = EXIT_NO
    })
}

/** Findings name files the way the user wrote them, not as absolute paths. */
function relativeFile(file: string, cwd: string): string {
  const prefix = cwd.endsWith('/') ? cwd : `${cwd}/`
  return file.startsWith(prefix) ? file.slice(prefix.length) : file
}
