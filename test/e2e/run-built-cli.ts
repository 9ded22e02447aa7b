/**
 * Runs the built CLI (`bin/netpol`, built by `npm test`) as a child process, the way a user runs
 * it from the shell, capturing what it prints.
 */
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'

export const NETPOL_BIN = resolve(import.meta.dirname, '../../bin/netpol')

export interface BuiltCliRun {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface BuiltCliOptions {
  /** Added to the test process's environment. */
  readonly env?: NodeJS.ProcessEnv
  /** Written to stdin, which is then closed. @default '' */
  readonly input?: string
  /** Called with the child's pid as soon as it runs (tests that signal it). */
  readonly onSpawn?: (pid: number) => void
}

export function runBuiltCli(args: readonly string[], options: BuiltCliOptions = {}): Promise<BuiltCliRun> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [NETPOL_BIN, ...args], { env: { ...process.env, ...options.env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }))
    // A child killed before it reads its input must not fail the test with EPIPE.
    child.stdin.on('error', () => {})
    child.stdin.end(options.input ?? '')
    if (options.onSpawn && child.pid !== undefined) options.onSpawn(child.pid)
  })
}
