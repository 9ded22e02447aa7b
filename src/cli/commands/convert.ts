/**
 * @module `netpol convert`: the v1alpha2 ClusterNetworkPolicies equivalent to deprecated v1alpha1
 * AdminNetworkPolicies and BaselineAdminNetworkPolicies, as YAML or JSON on stdout. All or
 * nothing: any object that cannot be converted is an error (exit 2) and nothing is printed.
 */
import { Option } from 'commander'
import { loadManifestText } from '../../cluster/load-manifests.js'
import { convertedPolicies, isV1alpha1ConversionNotice, readConvertedPolicy } from '../../cluster/v1alpha1-conversion.js'
import { DEFAULT_BASELINE_PRIORITY } from '../../model/admin-network-policy-v1alpha1.js'
import { InputError, formatSource } from '../../model/diagnostic.js'
import { UsageError } from '../../model/errors.js'
import { printable } from '../../model/printable.js'
import { renderJson } from '../../render/json.js'
import { renderYaml } from '../../render/yaml.js'
import type { RegisterCommand } from '../main.js'
import { addInputLimitOptions, loadInput } from '../load-input.js'

interface ConvertFlags {
  output: 'yaml' | 'json'
  baselinePriority?: string
  maxPods?: string
  maxFileSize?: string
  kubeVersion?: string
  config?: string
}

function baselinePriority(value: string | undefined): number {
  if (value === undefined) return DEFAULT_BASELINE_PRIORITY
  if (!/^\d{1,4}$/.test(value) || Number(value) > 1000)
    throw new UsageError(`--baseline-priority: ${JSON.stringify(value)} is not a priority: give a whole number from 0 to 1000`)
  return Number(value)
}

export const register: RegisterCommand = (program, ctx) => {
  addInputLimitOptions(
    program
      .command('convert')
      .summary('print v1alpha1 AdminNetworkPolicy/BaselineAdminNetworkPolicy as v1alpha2 ClusterNetworkPolicy')
      .description(
        'Read manifests and print, for every deprecated policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy and ' +
          'BaselineAdminNetworkPolicy in them, the equivalent policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy ' +
          '(AdminNetworkPolicy: tier Admin, same priority; BaselineAdminNetworkPolicy: tier Baseline; Allow becomes Accept; ' +
          'ports become protocols). Other objects are read and checked, not printed. If any policy cannot be converted ' +
          '(sameLabels/notSameLabels, more than 25 rules in a direction, an unknown protocol, a port range whose start is ' +
          'after its end), every such problem is reported with file:line and field, and nothing is printed.',
      )
      .argument('<paths...>', 'manifest files or directories (recursive: .yaml, .yml, .json), or - for stdin')
      .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
      .option(
        '--baseline-priority <n>',
        `spec.priority (0-1000) of the policy made from a BaselineAdminNetworkPolicy (default ${DEFAULT_BASELINE_PRIORITY}: after every other Baseline policy)`,
      ),
  )
    .addHelpText(
      'after',
      `
Exit codes: 0 converted; 2 bad input or usage, or a policy that cannot be converted (nothing printed).

Examples:
  netpol convert anp.yaml banp.yaml > cluster-network-policies.yaml
  netpol convert policies/ -o json
  kubectl get adminnetworkpolicies,baselineadminnetworkpolicies -o yaml | netpol convert -
  netpol convert banp.yaml --baseline-priority 100`,
    )
    .action(async (paths: string[], flags: ConvertFlags) => {
      const priority = baselinePriority(flags.baselinePriority)
      const result = await loadInput(paths, ctx.io, {
        podCidr: 'none',
        maxPods: flags.maxPods,
        maxFileSize: flags.maxFileSize,
        kubeVersion: flags.kubeVersion,
        config: flags.config,
        hideWarning: isV1alpha1ConversionNotice,
      })
      const found = result.v1alpha1 ?? []
      if (found.length === 0) {
        throw new InputError([
          {
            severity: 'error',
            file: paths.join(' '),
            line: 0,
            message: 'error: no AdminNetworkPolicy or BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1) in the input: nothing to convert',
          },
        ])
      }
      const { policies, errors } = convertedPolicies(found, { baselinePriority: priority })
      const texts = policies.map(
        (p) =>
          `---\n# from ${p.from.kind} ${JSON.stringify(p.from.name)} at ` +
          `${printable(formatSource(p.from.source)).replace(/\n/g, ' ')}\n${renderYaml(p.object, { version: '1.1' })}`,
      )
      // The v1alpha1 CRDs took some values v1alpha2 refuses (a label selector no implementation can
      // evaluate, such as a label value with spaces): an error at the v1alpha1 object, not a bug.
      policies.forEach((p, i) => errors.push(...readConvertedPolicy(p, texts[i]!).errors))
      if (errors.length > 0) throw new InputError(errors)
      const yaml = texts.join('')
      // Every policy printed must be one the released CRD accepts: checked by reading it back.
      try {
        loadManifestText(yaml, { file: 'converted' })
      } catch (err) {
        throw new Error(`netpol convert made an invalid ClusterNetworkPolicy (a bug): ${err instanceof Error ? err.message : String(err)}`, { cause: err })
      }
      if (flags.output === 'json') {
        const objects = policies.map((p) => p.object)
        ctx.io.stdout(renderJson(objects.length === 1 ? objects[0] : { apiVersion: 'v1', kind: 'List', items: objects }))
      } else {
        ctx.io.stdout(yaml)
      }
    })
}
