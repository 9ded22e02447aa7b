/**
 * Runs the CLI entry point in-process (no build needed), capturing what it prints, for tests of
 * commands end to end.
 */
import { Readable } from 'node:stream'
import type { CliIO } from '../../src/cli/io.js'
import { runCli } from '../../src/cli/main.js'

export interface CliRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export interface CliRunOptions {
  /** The directory relative paths are read from. */
  readonly cwd: string
  /** The whole environment the CLI sees (process.env is not merged in, so the host's cannot leak in). @default {} */
  readonly env?: NodeJS.ProcessEnv
  /** What `-` reads. @default '' */
  readonly stdin?: string
  /** stdout and stderr are terminals (colour decisions). @default false */
  readonly tty?: boolean
}

export async function runCliInProcess(args: readonly string[], options: CliRunOptions): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  const io: CliIO = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stdin: Readable.from([options.stdin ?? '']),
    stdoutIsTTY: options.tty ?? false,
    stderrIsTTY: options.tty ?? false,
    env: options.env ?? {},
    cwd: options.cwd,
  }
  const code = await runCli(args, io)
  return { code, stdout, stderr }
}
