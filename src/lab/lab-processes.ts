/**
 * @module The long-running processes a lab starts inside its namespaces (pod servers, deny-log
 * collectors): start them detached, find them again by their `--lab=<name>` argument, stop them.
 */
import { spawn } from 'node:child_process'
import { constants, openSync, closeSync, readFileSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { labScriptPath, type LabScript } from './lab-scripts.js'
import { basename } from 'node:path'
import { assertLabNetns } from './netns.js'
import { isLabNetns } from './lab-names.js'

export interface StartOptions {
  readonly lab: string
  /** The lab namespace to run in; absent: the host's (only the lab's kubelet, which talks to its API server on loopback). */
  readonly netns?: string
  readonly script: LabScript
  readonly args: readonly string[]
  /** stdout/stderr after `ready` go here. */
  readonly logFile: string
  readonly readyTimeoutMs?: number
}

/**
 * Starts `node <script> --lab=<lab> ...` inside `netns`, detached from us, and resolves with its PID
 * once it printed `ready` (rejects with its log when it exits or stays silent).
 */
export function startLabProcess(o: StartOptions): Promise<number> {
  if (o.netns !== undefined) assertLabNetns(o.netns)
  const script = labScriptPath(o.script)
  const where = o.netns ?? 'the host network namespace'
  // Never through a symbolic link: the file is in the lab's own directory, opened as root.
  const log = openSync(o.logFile, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644)
  return new Promise((resolve, reject) => {
    const command = [process.execPath, script, `--lab=${o.lab}`, ...o.args]
    const child =
      o.netns !== undefined
        ? spawn('ip', ['netns', 'exec', o.netns, ...command], { detached: true, stdio: ['ignore', 'pipe', log] })
        : spawn(command[0], command.slice(1), { detached: true, stdio: ['ignore', 'pipe', log] })
    closeSync(log)
    let settled = false
    let seen = ''
    const fail = (why: string): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
      let tail = ''
      try {
        tail = readFileSync(o.logFile, 'utf8').trim().split('\n').slice(-5).join('\n')
      } catch {
        // no log
      }
      reject(new Error(`${o.script} in ${where} ${why}${tail ? `:\n${tail}` : ''}`))
    }
    const timer = setTimeout(() => fail('did not get ready'), o.readyTimeoutMs ?? 15_000)
    child.on('error', (err) => fail(`could not start (${err.message})`))
    child.on('exit', (code, signal) => fail(`exited (${signal ?? `code ${code}`})`))
    child.stdout!.on('data', (b: Buffer) => {
      seen += b.toString('utf8')
      if (!settled && seen.includes('ready\n')) {
        settled = true
        clearTimeout(timer)
        child.removeAllListeners('exit')
        child.stdout!.destroy()
        child.unref()
        resolve(child.pid!)
      }
    })
  })
}

async function cmdline(pid: number): Promise<string[] | undefined> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')
  } catch {
    return undefined
  }
}

/**
 * True when a command line is one of the processes lab `lab` starts: its own scripts carry
 * `--lab=<lab>`; etcd and kube-apiserver keep their files in `<lab dir>/control-plane/`; a node's
 * `netpol agent` applies into one of the lab's namespaces (`--netns=netpol-<lab>-node-<i>`).
 */
export function isLabCommandLine(lab: string, args: readonly string[]): boolean {
  if (args.includes(`--lab=${lab}`) && args.some((a) => /(pod-server|prober|deny-log-collector|lab-kubelet)-main\.js$/.test(a))) return true
  const exe = basename(args[0] ?? '')
  const own = `/${lab}/control-plane/`
  if (exe === 'etcd') return args.some((a) => a.startsWith('--data-dir=') && a.endsWith(`${own}etcd`))
  if (exe === 'kube-apiserver') return args.some((a) => a.startsWith('--cert-dir=') && a.endsWith(`${own}certs`))
  const netns = args.find((a) => a.startsWith('--netns='))?.slice('--netns='.length)
  return args.includes('agent') && netns !== undefined && isLabNetns(lab, netns) && /-node-\d+$/.test(netns)
}

/** True when `pid` is a process this lab started (guards against PID reuse). */
export async function isLabProcess(lab: string, pid: number): Promise<boolean> {
  const args = await cmdline(pid)
  return args !== undefined && isLabCommandLine(lab, args)
}

/** True when `pid` is this lab's kubelet (stopped first: it would make pods while the lab goes away). */
export async function isLabKubelet(lab: string, pid: number): Promise<boolean> {
  const args = await cmdline(pid)
  return args !== undefined && args.includes(`--lab=${lab}`) && args.some((a) => /lab-kubelet-main\.js$/.test(a))
}

/** Every process of this lab, found by command line (also after `lab up` was killed). */
export async function findLabProcesses(lab: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number)
  const found: number[] = []
  for (const pid of pids) if (pid !== process.pid && (await isLabProcess(lab, pid))) found.push(pid)
  return found
}

function alive(pid: number): boolean {
  try {
    // A zombie (exited, not yet reaped by its parent) is gone for our purposes.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when all are gone. */
export async function stopProcesses(pids: readonly number[], graceMs = 2000): Promise<void> {
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig)
    } catch {
      // already gone
    }
  }
  for (const pid of pids) signal(pid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
  for (const pid of pids) if (alive(pid)) signal(pid, 'SIGKILL')
  while (pids.some(alive)) await new Promise((r) => setTimeout(r, 10))
}
