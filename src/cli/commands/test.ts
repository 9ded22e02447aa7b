/**
 * @module `netpol test`: check expectations ("from may reach to on port") against the policies,
 * offline; for CI (JUnit XML) and for examples that carry their expected reachability.
 */
import { resolve } from 'node:path'
import { Option } from 'commander'
import type { RegisterCommand } from '../main.js'
import { useColour } from '../io.js'
import { EXIT_NO } from '../errors.js'
import { writeFileAtomically } from '../write-file-atomically.js'
import { addLiveClusterOptions, addPodCidrOption, liveClusterHelp, loadStateSource, type StateSourceFlags } from '../state-source.js'
import { readInputFile } from '../../cluster/load-manifests.js'
import { requireOptions } from '../required-options.js'
import { inputLimits } from '../load-input.js'
import { createEngine } from '../../engine/engine.js'
import { checkExpectations, parseExpectations } from '../../analyze/expectations.js'
import { renderExpectationsJson, renderExpectationsText, renderJunit } from '../../render/expectations-output.js'

interface TestFlags {
  expect: string
  junit?: string
  quiet?: boolean
  output: 'text' | 'json'
  namespace?: string
  verbose?: boolean
}

export const register: RegisterCommand = (program, ctx) => {
  addPodCidrOption(addLiveClusterOptions(program.command('test')))
    .summary('check expected reachability ("frontend may reach db on 5432/TCP") against the policies')
    .description(
      'Check a file of expectations against what the policies allow, offline. Each expectation names a source, ' +
        'a destination, a port and whether the connection must be allowed; each result line says PASS or FAIL and why.',
    )
    .argument('[paths...]', 'manifest files or directories (recursive: .yaml, .yml, .json), or - for stdin; none: the live cluster')
    // Required, checked in the action: unknown options (typos) are reported first.
    .option('-e, --expect <file>', 'expectations file (YAML; see docs/review.md)')
    .option('--junit <file>', 'also write the results as JUnit XML to this file')
    .option('-q, --quiet', 'print only the failing expectations and the count (text output)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('-n, --namespace <namespace>', 'namespace for objects that have none (default "default"); with no PATH: the namespace to read')
    .option('-v, --verbose', 'list the objects of kinds netpol does not use (skipped)')
    .addHelpText(
      'after',
      `
Expectations file (a list, or {expectations: [...]}):
  - name: frontend reaches the API        # optional
    description: the checkout page needs it  # optional, shown with a failure
    from: prod/frontend                   # ns/pod, ns/workload (all its pods), ns/deployment/name, or an IP
    to: prod/api
    port: 8080/TCP                        # 80, 80/TCP, 53/UDP, or a container port name
    allowed: true
  - from: 203.0.113.7
    to: prod/database
    ports: [5432/TCP, 22/TCP]             # one check per port
    allowed: false
    deniedBy: ingress                     # optional: the side that must deny (egress|ingress)

Exit codes: 0 every expectation holds; 1 some fail; 2 bad input (file:line of the bad expectation).

Examples:
  netpol test examples/three-tier --expect examples/three-tier/expected.yaml
  netpol test k8s/ --expect k8s/reachability.yaml --junit test-results/netpol.xml`,
    )
    .addHelpText('after', liveClusterHelp('test', '--expect reachability.yaml'))
    .action(async (paths: string[], flags: TestFlags & StateSourceFlags) => {
      requireOptions(flags, { expect: '-e, --expect <file>' })
      const file = resolve(ctx.io.cwd, flags.expect)
      // Read as manifests are: bounded, regular files and pipes only (not /dev/urandom), encodings checked.
      const text = await readInputFile(file, flags.expect, inputLimits(flags).maxFileBytes)
      const expectations = parseExpectations(text, flags.expect)
      const { state } = await loadStateSource(paths, flags, ctx.io, ctx)
      const results = checkExpectations(state, createEngine(state), expectations)
      ctx.io.stdout(flags.output === 'json' ? renderExpectationsJson(results) : renderExpectationsText(results, useColour(ctx.io), flags.quiet === true))
      if (flags.junit) await writeFileAtomically(resolve(ctx.io.cwd, flags.junit), renderJunit(results, `netpol test ${flags.expect}`))
      if (results.some((r) => !r.passed)) ctx.exitCode = EXIT_NO
    })
}
