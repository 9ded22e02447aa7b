/**
 * @module The `netpol` command line: registers every command and holds the one error boundary
 * that maps errors to messages and exit codes.
 */
import { Command, CommanderError } from 'commander'
import { InputError } from '../model/diagnostic.js'
import { printable } from '../model/printable.js'
import { EnvironmentError, UsageError } from '../model/errors.js'
import { EXIT_BAD_INPUT, EXIT_INTERNAL } from './errors.js'
import { processIO, type CliIO } from './io.js'
import { VERSION } from './version.js'
import { register as agentCommand } from './commands/agent.js'
import { register as registerLint } from './commands/lint.js'
import { register as registerDiff } from './commands/diff.js'
import { register as registerTest } from './commands/test.js'
import { register as registerReport } from './commands/report.js'
import { register as registerLab } from './commands/lab.js'
import { register as registerMatrix } from './commands/matrix.js'
import { register as registerExplain } from './commands/explain.js'
import { register as registerCheck } from './commands/check.js'
import { register as registerList } from './commands/list.js'
import { register as registerConvert } from './commands/convert.js'

/** Shared by every command: the IO to use, and the exit code the command decided on. */
export interface CliContext {
  readonly io: CliIO
  exitCode: number
  /** `--skip-invalid` left input out: the exit code is at least 2 (EXIT_BAD_INPUT) after the output. */
  invalidInput?: boolean
}

/** Each command lives in its own file under commands/ and exports one of these. */
export type RegisterCommand = (program: Command, ctx: CliContext) => void

const commands: RegisterCommand[] = [
  registerMatrix,
  registerList,
  registerExplain,
  registerCheck,
  registerConvert,
  agentCommand,
  registerLint,
  registerDiff,
  registerTest,
  registerReport,
  registerLab,
]

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('netpol')
    .description('Kubernetes NetworkPolicy, end to end: see what your policies allow, test them, enforce them.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => ctx.io.stdout(s),
      writeErr: (s) => ctx.io.stderr(s),
      outputError: (s, write) => write(commanderError(s)),
    })
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit codes: 0 success; 1 the answer is "no" (failed expectations, findings, disagreements);
            2 bad input or usage; 3 internal error.

Examples:
  netpol matrix examples/three-tier
  netpol list examples/three-tier --from prod
  netpol explain examples/three-tier --from prod/frontend-0 --to prod/database-0 --port 5432/TCP
  netpol check manifests/`,
    )
  for (const register of commands) register(program, ctx)
  for (const cmd of program.commands) cmd.exitOverride().configureOutput(program.configureOutput())
  return program
}

/** Runs the CLI with the given arguments (without `node netpol`); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const ctx: CliContext = { io, exitCode: 0 }
  const program = buildProgram(ctx)
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return ctx.invalidInput ? Math.max(ctx.exitCode, EXIT_BAD_INPUT) : ctx.exitCode
  } catch (err) {
    // `lab exec web-0 curl -s ...`: the command's own options are not netpol's; say where they go.
    if (err instanceof CommanderError && err.code === 'commander.unknownOption' && argv[0] === 'lab' && argv[1] === 'exec' && !argv.includes('--')) {
      io.stderr('hint: the command to run and its options go after --: netpol lab exec POD -- curl -s ...\n')
    }
    return reportError(err, io)
  }
}

/**
 * Commander's one-line errors quote the argument as typed (`unknown option '--x'`): escaped, but
 * for the line break commander itself puts before a suggestion.
 */
function commanderError(text: string): string {
  return `${printable(text.replace(/\n$/, '')).replace(/\\n(\(Did you mean [^\\]*\?\))$/, '\n$1')}\n`
}

/** An error's message for people: text from input escaped; `detail` lines (EnvironmentError) each on their own line. */
function errorLines(err: Error): string {
  const detail = err instanceof EnvironmentError ? err.detail.map((d) => `\n  - ${printable(d)}`).join('') : ''
  return `${printable(err.message)}${detail}`
}

function reportError(err: unknown, io: CliIO): number {
  if (err instanceof CommanderError) {
    // Help and version are "errors" to commander; they already printed.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0
    return EXIT_BAD_INPUT
  }
  if (err instanceof InputError) {
    io.stderr(`${err.message}\n`)
    const n = err.diagnostics.filter((d) => d.severity === 'error').length
    if (n > 1) io.stderr(`error: ${n} problems found\n`)
    return EXIT_BAD_INPUT
  }
  if (err instanceof UsageError || err instanceof EnvironmentError) {
    io.stderr(`error: ${errorLines(err)}\n`)
    return EXIT_BAD_INPUT
  }
  const message = err instanceof Error ? err.message : String(err)
  io.stderr(`internal error: ${printable(message)}\n`)
  // The stack's first lines repeat the message (already printed, escaped): only the frames, each escaped.
  if (io.env.NETPOL_DEBUG && err instanceof Error && err.stack)
    io.stderr(
      `${err.stack
        .split('\n')
        .filter((l) => /^\s+at /.test(l))
        .map(printable)
        .join('\n')}\n`,
    )
  else io.stderr('(set NETPOL_DEBUG=1 for a stack trace, and please report this as a bug)\n')
  return EXIT_INTERNAL
}

export async function main(argv: readonly string[]): Promise<void> {
  // A reader that stops early (`netpol matrix ... | head`) ends the output quietly, as with other CLI tools.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
    process.exit(process.exitCode ?? 0)
  })
  process.exitCode = await runCli(argv)
}
