/**
 * A real Kubernetes control plane for tests: etcd and kube-apiserver on free loopback ports, with
 * a temporary directory of their own, a static admin token (group system:masters), a
 * ServiceAccount signing key, RBAC authorization and the API server's self-signed serving
 * certificate. Started per test file; `stop()` kills both processes and removes the directory,
 * and an exit hook kills them even when the test process dies first.
 *
 * The binaries come from scripts/control-plane-binaries.sh (see docs/control-plane-tests.md); the
 * processes' arguments, credentials and readiness checks are the lab's (src/lab/control-plane.ts).
 * Every wait has a deadline: a control plane that does not come up fails the test, never hangs.
 */
import { execFile, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  apiServerArgs,
  apiServerReady,
  controlPlaneLogTail,
  controlPlanePaths,
  etcdArgs,
  etcdHealthy,
  etcdUrl,
  exitedText,
  freeLoopbackPort,
  kubeconfigYaml,
  spawnControlPlaneProcess,
  waitUntil,
  writeControlPlaneCredentials,
  type EtcdPorts,
} from '../src/lab/control-plane.js'

/** What a command run through `kubectl()` printed and how it ended. */
export interface CommandResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const running = new Set<ChildProcess>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL')
  })
}

export interface ControlPlaneOptions {
  /** Directory holding kube-apiserver, etcd and kubectl. */
  readonly binDir: string
  /** Deadline for etcd and kube-apiserver to become ready, each. @default 180 s */
  readonly startTimeoutMs?: number
}

export class ControlPlane {
  readonly adminToken = randomBytes(24).toString('hex')
  private etcd: ChildProcess | undefined
  private apiserver: ChildProcess | undefined
  private etcdPorts: EtcdPorts = { client: 0, peer: 0 }
  private apiPort = 0
  private stopped = false

  private constructor(
    private readonly options: ControlPlaneOptions,
    /** The temporary directory (0700) holding data, keys, logs and the kubeconfig. */
    readonly dir: string,
  ) {}

  static async start(options: ControlPlaneOptions): Promise<ControlPlane> {
    installExitHook()
    const dir = await mkdtemp(join(tmpdir(), 'netpol-control-plane-'))
    await chmod(dir, 0o700)
    const cp = new ControlPlane(options, dir)
    try {
      await writeControlPlaneCredentials(dir, cp.adminToken)
      await cp.startEtcd()
      cp.apiPort = await freeLoopbackPort()
      await cp.startApiServer()
      await writeFile(cp.kubeconfigPath, cp.kubeconfigYaml(cp.adminToken, 'admin'), { mode: 0o600 })
      return cp
    } catch (err) {
      const logs = await cp.logTail()
      await cp.stop()
      throw new Error(`${(err as Error).message}\n${logs}`)
    }
  }

  get kubeconfigPath(): string {
    return controlPlanePaths(this.dir).kubeconfig
  }

  get server(): string {
    return `https://127.0.0.1:${this.apiPort}`
  }

  /** The API server's self-signed serving certificate (with its CA), as clients must trust it. */
  get caPath(): string {
    return controlPlanePaths(this.dir).ca
  }

  get etcdUrl(): string {
    return etcdUrl(this.etcdPorts)
  }

  /** A kubeconfig for a bearer token (e.g. a ServiceAccount's), trusting the server's certificate. */
  kubeconfigYaml(token: string, user: string, namespace = 'default'): string {
    return kubeconfigYaml({ server: this.server, ca: this.caPath, token, user, cluster: 'netpol-test', namespace })
  }

  /**
   * Runs the real kubectl with the admin kubeconfig (or `kubeconfig`), `stdin` as its input,
   * a private HOME (its discovery cache) and a deadline. Never throws for a non-zero exit.
   */
  kubectl(args: readonly string[], opts: { stdin?: string; kubeconfig?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        join(this.options.binDir, 'kubectl'),
        ['--kubeconfig', opts.kubeconfig ?? this.kubeconfigPath, '--request-timeout=30s', ...args],
        { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.dir }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err && typeof err.code !== 'number') return reject(new Error(`kubectl ${args.join(' ')}: ${err.message}\n${stderr}`))
          resolve({ code: err ? Number(err.code) : 0, stdout, stderr })
        },
      )
      child.stdin?.end(opts.stdin ?? '')
    })
  }

  /** kubectl that must succeed: returns its stdout, throws with its stderr otherwise. */
  async kubectlOk(args: readonly string[], opts: { stdin?: string; kubeconfig?: string } = {}): Promise<string> {
    const r = await this.kubectl(args, opts)
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
    return r.stdout
  }

  /** Stops kube-apiserver (its port stays reserved for `startApiServer`). */
  async stopApiServer(): Promise<void> {
    await stopProcess(this.apiserver)
    this.apiserver = undefined
  }

  /** Starts kube-apiserver (again) on the same port and waits until it is ready. */
  async startApiServer(): Promise<void> {
    // 10.96.0.0/16: the range these tests were written against.
    this.apiserver = this.spawnLogged('kube-apiserver', apiServerArgs(this.dir, this.etcdPorts, this.apiPort, '10.96.0.0/16'))
    const child = this.apiserver
    await waitUntil(
      'kube-apiserver',
      this.options.startTimeoutMs ?? 180_000,
      () => apiServerReady(this.dir, this.apiPort, this.adminToken),
      () => exitedText(child),
    )
  }

  private async startEtcd(): Promise<void> {
    this.etcdPorts = { client: await freeLoopbackPort(), peer: await freeLoopbackPort() }
    this.etcd = this.spawnLogged('etcd', etcdArgs(this.dir, this.etcdPorts))
    const child = this.etcd
    await waitUntil(
      'etcd',
      this.options.startTimeoutMs ?? 180_000,
      () => etcdHealthy(this.etcdPorts),
      () => exitedText(child),
    )
  }

  /** etcd's current revision, through its JSON gateway. */
  async etcdRevision(): Promise<number> {
    const res = await fetch(`${this.etcdUrl}/v3/kv/range`, {
      method: 'POST',
      body: JSON.stringify({ key: Buffer.from('/').toString('base64') }),
      signal: AbortSignal.timeout(10_000),
    })
    const body = (await res.json()) as { header?: { revision?: string } }
    return Number(body.header?.revision ?? 0)
  }

  /** Compacts etcd's history up to its current revision: older resourceVersions become "410 Gone". */
  async compactEtcd(): Promise<void> {
    const revision = await this.etcdRevision()
    const res = await fetch(`${this.etcdUrl}/v3/kv/compaction`, {
      method: 'POST',
      body: JSON.stringify({ revision: String(revision), physical: true }),
      signal: AbortSignal.timeout(30_000),
    })
    if (!res.ok) throw new Error(`etcd compaction: HTTP ${res.status} ${await res.text()}`)
  }

  private spawnLogged(name: 'etcd' | 'kube-apiserver', args: readonly string[]): ChildProcess {
    const child = spawnControlPlaneProcess({ binDir: this.options.binDir, name, args, logFile: join(this.dir, `${name}.log`), home: this.dir, detached: false })
    running.add(child)
    child.once('exit', () => running.delete(child))
    return child
  }

  /** The last lines of both logs, for a failure message. */
  logTail(lines = 20): Promise<string> {
    return controlPlaneLogTail(this.dir, lines)
  }

  /** Kills both processes and removes the directory; safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await stopProcess(this.apiserver)
    await stopProcess(this.etcd)
    await rm(this.dir, { recursive: true, force: true })
  }
}

/** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. */
async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}
