/**
 * A real Kubernetes control plane for tests: etcd and kube-apiserver on free loopback ports, with
 * a temporary directory of their own, a static admin token (group system:masters), a
 * ServiceAccount signing key, RBAC authorization and the API server's self-signed serving
 * certificate. Started per test file; `stop()` kills both processes and removes the directory,
 * and an exit hook kills them even when the test process dies first.
 *
 * The binaries come from scripts/control-plane-binaries.sh (see docs/control-plane-tests.md).
 * Every wait has a deadline: a control plane that does not come up fails the test, never hangs.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { createWriteStream, existsSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:https'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

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

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls `probe` until it returns true or the deadline passes (then throws, naming `what`). */
async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>, exited?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const gone = exited?.()
    if (gone) throw new Error(`${what}: ${gone}`)
    if (await probe().catch(() => false)) return
    await sleep(200)
  }
  throw new Error(`${what}: not ready after ${timeoutMs / 1000} s`)
}

async function httpOk(url: string, timeoutMs = 2000): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  await res.text()
  return res.ok
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
  private etcdPort = 0
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
      await cp.writeCredentials()
      await cp.startEtcd()
      cp.apiPort = await freePort()
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
    return join(this.dir, 'kubeconfig')
  }

  get server(): string {
    return `https://127.0.0.1:${this.apiPort}`
  }

  /** The API server's self-signed serving certificate (with its CA), as clients must trust it. */
  get caPath(): string {
    return join(this.dir, 'certs', 'apiserver.crt')
  }

  get etcdUrl(): string {
    return `http://127.0.0.1:${this.etcdPort}`
  }

  /** A kubeconfig for a bearer token (e.g. a ServiceAccount's), trusting the server's certificate. */
  kubeconfigYaml(token: string, user: string, namespace = 'default'): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: netpol-test',
      '  cluster:',
      `    server: ${JSON.stringify(this.server)}`,
      `    certificate-authority: ${JSON.stringify(this.caPath)}`,
      'users:',
      `- name: ${JSON.stringify(user)}`,
      '  user:',
      `    token: ${JSON.stringify(token)}`,
      'contexts:',
      '- name: netpol-test',
      '  context:',
      '    cluster: netpol-test',
      `    user: ${JSON.stringify(user)}`,
      `    namespace: ${JSON.stringify(namespace)}`,
      'current-context: netpol-test',
      '',
    ].join('\n')
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
    const d = this.dir
    this.apiserver = this.spawnLogged('kube-apiserver', [
      `--etcd-servers=${this.etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // The "kubernetes" Service's endpoints may not be a loopback address; nothing here needs them.
      '--endpoint-reconciler-type=none',
      `--secure-port=${this.apiPort}`,
      `--cert-dir=${join(d, 'certs')}`,
      `--token-auth-file=${join(d, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(d, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(d, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      // No controller-manager creates the "default" ServiceAccount of each namespace, which the
      // admission plugin would require of every pod.
      '--disable-admission-plugins=ServiceAccount',
      '--profiling=false',
      '--v=1',
    ])
    const child = this.apiserver
    await until(
      'kube-apiserver',
      this.options.startTimeoutMs ?? 180_000,
      () => this.readyz(),
      () => exitedText(child),
    )
  }

  /** GET /readyz with the admin token, trusting the server's own certificate. */
  private async readyz(): Promise<boolean> {
    if (!existsSync(this.caPath)) return false
    const ca = await readFile(this.caPath)
    return new Promise((resolve) => {
      const req = request(
        { host: '127.0.0.1', port: this.apiPort, path: '/readyz', method: 'GET', ca, headers: { authorization: `Bearer ${this.adminToken}` }, timeout: 5000 },
        (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode === 200))
        },
      )
      req.on('timeout', () => req.destroy())
      req.on('error', () => resolve(false))
      req.end()
    })
  }

  private async writeCredentials(): Promise<void> {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    await writeFile(join(this.dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
    await writeFile(join(this.dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o600 })
    await writeFile(join(this.dir, 'tokens.csv'), `${this.adminToken},admin,admin-uid,"system:masters"\n`, { mode: 0o600 })
    await mkdir(join(this.dir, 'certs'), { mode: 0o700 })
  }

  private async startEtcd(): Promise<void> {
    this.etcdPort = await freePort()
    const peerPort = await freePort()
    const peer = `http://127.0.0.1:${peerPort}`
    this.etcd = this.spawnLogged('etcd', [
      '--name=default',
      `--data-dir=${join(this.dir, 'etcd')}`,
      `--listen-client-urls=${this.etcdUrl}`,
      `--advertise-client-urls=${this.etcdUrl}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=default=${peer}`,
      // Test data: durability does not matter, a busy disk does.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ])
    const child = this.etcd
    await until(
      'etcd',
      this.options.startTimeoutMs ?? 180_000,
      () => httpOk(`${this.etcdUrl}/health`),
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

  private spawnLogged(name: string, args: readonly string[]): ChildProcess {
    const log = createWriteStream(join(this.dir, `${name}.log`), { flags: 'a' })
    const child = spawn(join(this.options.binDir, name), args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.dir },
    })
    child.stdout?.pipe(log, { end: false })
    child.stderr?.pipe(log, { end: false })
    running.add(child)
    child.once('exit', () => running.delete(child))
    return child
  }

  /** The last lines of both logs, for a failure message. */
  async logTail(lines = 20): Promise<string> {
    const parts: string[] = []
    for (const name of ['etcd', 'kube-apiserver']) {
      const text = await readFile(join(this.dir, `${name}.log`), 'utf8').catch(() => '')
      if (text) parts.push(`--- ${name}.log (last ${lines} lines)\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`)
    }
    return parts.join('\n')
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

function exitedText(child: ChildProcess | undefined): string | undefined {
  if (!child) return undefined
  if (child.exitCode !== null) return `exited with status ${child.exitCode}`
  if (child.signalCode !== null) return `killed by ${child.signalCode}`
  return undefined
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
