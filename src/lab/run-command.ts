/**
 * @module Running the lab's system tools (`ip`, `nft`, `node` in a namespace) and collecting output.
 */
import { spawn } from 'node:child_process'

export interface CommandResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export interface CommandOptions {
  readonly input?: string
  readonly timeoutMs?: number
}

/** Runs a program to completion; never throws for a non-zero exit (see `runChecked`). */
export function runCommand(command: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: options.timeoutMs })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (signal ? `(killed by ${signal})` : ''),
      })
    })
    // EPIPE when the program exits before reading its input is reported by 'close' anyway.
    child.stdin.on('error', () => {})
    child.stdin.end(options.input ?? '')
  })
}

export class CommandError extends Error {
  readonly result: CommandResult
  constructor(what: string, result: CommandResult) {
    const detail = (result.stderr || result.stdout).trim()
    super(`${what} failed (exit ${result.code})${detail ? `: ${detail}` : ''}`)
    this.name = 'CommandError'
    this.result = result
  }
}

export async function runChecked(command: string, args: readonly string[], options: CommandOptions = {}): Promise<string> {
  const result = await runCommand(command, args, options)
  if (result.code !== 0) throw new CommandError(`${command} ${args.join(' ')}`, result)
  return result.stdout
}
