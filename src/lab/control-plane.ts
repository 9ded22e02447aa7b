/**
 * @module A real Kubernetes control plane on loopback: etcd and kube-apiserver with a directory of
 * their own (data, certificates, keys, logs, kubeconfig), a static admin token (group
 * system:masters), a ServiceAccount signing key, RBAC authorization and the API server's
 * self-signed serving certificate. Used by `lab up --control-plane` (detached processes that
 * outlive the command) and by the control-plane tests (testing/control-plane.ts: children of the
 * test process). Every wait has a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { constants, closeSync, existsSync, openSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { request } from 'node:https'
import { createServer } from 'node:net'
import { join } from 'node:path'

/** The lab's service range (kubeadm's default, the one lab-services.ts allocates from). */
export const CONTROL_PLANE_SERVICE_CIDR = '10.96.0.0/12'

/** Where the files of one control plane live inside its directory. */
export function controlPlanePaths(dir: string): {
  readonly etcdData: string
  readonly certs: string
  readonly ca: string
  readonly tokens: string
  readonly saKey: string
  readonly saPub: string
  readonly kubeconfig: string
} {
  return {
    etcdData: join(dir, 'etcd'),
    certs: join(dir, 'certs'),
    // kube-apiserver writes its self-signed certificate (with its CA) here on first start.
    ca: join(dir, 'certs', 'apiserver.crt'),
    tokens: join(dir, 'tokens.csv'),
    saKey: join(dir, 'sa.key'),
    saPub: join(dir, 'sa.pub'),
    kubeconfig: join(dir, 'kubeconfig'),
  }
}

/** A free TCP port on 127.0.0.1 (the kernel's pick). */
export async function freeLoopbackPort(): Promise<number> {
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

/** Polls `probe` until it resolves true or the deadline passes (then throws, naming `what`); `gone` ends it early with its reason. */
export async function waitUntil(what: string, timeoutMs: number, probe: () => Promise<boolean>, gone?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const reason = gone?.()
    if (reason) throw new Error(`${what}: ${reason}`)
    if (await probe().catch(() => false)) return
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`${what}: not ready after ${Math.round(timeoutMs / 1000)} s`)
}

/** The admin token, the ServiceAccount key pair and the certificate directory (all 0600/0700). */
export async function writeControlPlaneCredentials(dir: string, adminToken: string): Promise<void> {
  if (!/^[0-9a-f]{16,128}$/.test(adminToken)) throw new Error('the admin token must be hexadecimal')
  const p = controlPlanePaths(dir)
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  await writeFile(p.saKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
  await writeFile(p.saPub, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o600 })
  await writeFile(p.tokens, `${adminToken},admin,admin-uid,"system:masters"\n`, { mode: 0o600 })
  await mkdir(p.certs, { mode: 0o700 })
}

export interface EtcdPorts {
  readonly client: number
  readonly peer: number
}

export function etcdUrl(ports: EtcdPorts): string {
  return `http://127.0.0.1:${ports.client}`
}

export function etcdArgs(dir: string, ports: EtcdPorts): string[] {
  const client = etcdUrl(ports)
  const peer = `http://127.0.0.1:${ports.peer}`
  return [
    '--name=default',
    `--data-dir=${controlPlanePaths(dir).etcdData}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    // A lab's or a test's data: durability does not matter, a busy disk does.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ]
}

export function apiServerArgs(dir: string, etcd: EtcdPorts, port: number, serviceCidr = CONTROL_PLANE_SERVICE_CIDR): string[] {
  const p = controlPlanePaths(dir)
  return [
    `--etcd-servers=${etcdUrl(etcd)}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    // The "kubernetes" Service's endpoints may not be a loopback address; nothing here needs them.
    '--endpoint-reconciler-type=none',
    `--secure-port=${port}`,
    `--cert-dir=${p.certs}`,
    `--token-auth-file=${p.tokens}`,
    '--authorization-mode=RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${p.saPub}`,
    `--service-account-signing-key-file=${p.saKey}`,
    `--service-cluster-ip-range=${serviceCidr}`,
    // No controller-manager creates the "default" ServiceAccount of each namespace, which the
    // admission plugin would require of every pod.
    '--disable-admission-plugins=ServiceAccount',
    '--profiling=false',
    '--v=1',
  ]
}

/** A kubeconfig for a bearer token, trusting the API server's own certificate. */
export function kubeconfigYaml(o: { server: string; ca: string; token: string; user: string; cluster: string; namespace?: string }): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${JSON.stringify(o.cluster)}`,
    '  cluster:',
    `    server: ${JSON.stringify(o.server)}`,
    `    certificate-authority: ${JSON.stringify(o.ca)}`,
    'users:',
    `- name: ${JSON.stringify(o.user)}`,
    '  user:',
    `    token: ${JSON.stringify(o.token)}`,
    'contexts:',
    `- name: ${JSON.stringify(o.cluster)}`,
    '  context:',
    `    cluster: ${JSON.stringify(o.cluster)}`,
    `    user: ${JSON.stringify(o.user)}`,
    `    namespace: ${JSON.stringify(o.namespace ?? 'default')}`,
    `current-context: ${JSON.stringify(o.cluster)}`,
    '',
  ].join('\n')
}

/** etcd's /health answers 200. */
export async function etcdHealthy(ports: EtcdPorts, timeoutMs = 2000): Promise<boolean> {
  const res = await fetch(`${etcdUrl(ports)}/health`, { signal: AbortSignal.timeout(timeoutMs) })
  await res.text()
  return res.ok
}

/** GET /readyz with the admin token answers 200, trusting the server's own certificate. */
export async function apiServerReady(dir: string, port: number, adminToken: string): Promise<boolean> {
  const ca = controlPlanePaths(dir).ca
  if (!existsSync(ca)) return false
  const caPem = await readFile(ca)
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/readyz', method: 'GET', ca: caPem, headers: { authorization: `Bearer ${adminToken}` }, timeout: 5000 },
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

export interface SpawnControlPlaneOptions {
  readonly binDir: string
  readonly name: 'etcd' | 'kube-apiserver'
  readonly args: readonly string[]
  /** Appended to (opened without following a symbolic link). */
  readonly logFile: string
  /** HOME of the process (its own directory). */
  readonly home: string
  /** Not a child of ours: it outlives this process (the lab's; found again by its command line). */
  readonly detached: boolean
}

/** Starts etcd or kube-apiserver with its output in `logFile`; the arguments never go through a shell. */
export function spawnControlPlaneProcess(o: SpawnControlPlaneOptions): ChildProcess {
  const log = openSync(o.logFile, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600)
  try {
    const child = spawn(join(o.binDir, o.name), [...o.args], {
      stdio: ['ignore', log, log],
      detached: o.detached,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: o.home },
    })
    if (o.detached) child.unref()
    return child
  } finally {
    closeSync(log)
  }
}

/** Why a child is gone (for a failed wait), or undefined while it runs. */
export function exitedText(child: ChildProcess | undefined): string | undefined {
  if (!child) return undefined
  if (child.exitCode !== null) return `exited with status ${child.exitCode}`
  if (child.signalCode !== null) return `killed by ${child.signalCode}`
  return undefined
}

/** The last lines of the control plane's logs, for a failure message. */
export async function controlPlaneLogTail(dir: string, lines = 20): Promise<string> {
  const parts: string[] = []
  for (const name of ['etcd', 'kube-apiserver']) {
    const text = await readFile(join(dir, `${name}.log`), 'utf8').catch(() => '')
    if (text) parts.push(`--- ${name}.log (last ${lines} lines)\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`)
  }
  return parts.join('\n')
}
