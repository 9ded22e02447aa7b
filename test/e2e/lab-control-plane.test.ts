/**
 * `netpol lab up --control-plane`, as the README's kubectl walkthrough says: its commands are read
 * from README.md and run as written (bash, from the repository, kubectl of the pinned release
 * first on PATH), each with the exit code its comment names ("exit N", else 0). A `lab exec` is
 * retried until it gives that code: the agents apply a change asynchronously, like a network
 * plugin. Then what the walkthrough leaves out: `kubectl run` and `kubectl delete pod` reach the
 * lab's namespaces and status.podIPs, an invalid manifest is refused by the API server and by
 * `netpol check` alike, `lab apply` is refused; and `lab down` leaves nothing (no namespace, no
 * process: etcd, kube-apiserver, agents, kubelet, pod servers).
 *
 * Needs root and kube-apiserver, etcd and kubectl (skipped without them, with one line from the
 * global setup, test/control-plane/global-setup.ts).
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { expectNothingLeft } from './lab-leftovers.js'
import { killWhenRetrying } from './kill-when.js'
import { runBuiltCli } from './run-built-cli.js'
import { findLabProcesses } from '../../src/lab/lab-processes.js'
import { uniqueLabName } from '../lab/fixtures.js'
import { listLabNetns } from '../../src/lab/netns.js'
import { podHash, podNetnsName } from '../../src/lab/lab-names.js'

const ROOT = resolve(import.meta.dirname, '../..')
const bin = inject('controlPlaneBin')
const isRoot = process.getuid?.() === 0

/** The walkthrough's commands: one per line, a here-document with its command. */
export function walkthroughCommands(readme: string): string[] {
  const lines = readme.split('\n')
  const start = lines.findIndex((l) => l.startsWith('<!-- kubectl walkthrough:'))
  if (start < 0 || lines[start + 1] !== '```sh') throw new Error('README.md: no kubectl walkthrough block')
  const commands: string[] = []
  for (let i = start + 2; i < lines.length && lines[i] !== '```'; i++) {
    let command = lines[i]!
    const heredoc = /<<'(\w+)'/.exec(command)
    if (heredoc) {
      while (lines[++i] !== heredoc[1]) {
        if (i >= lines.length) throw new Error(`README.md: here-document ${heredoc[1]} not closed`)
        command += `\n${lines[i]}`
      }
      command += `\n${heredoc[1]}`
    }
    if (command.trim() !== '') commands.push(command)
  }
  return commands
}

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

describe.skipIf(bin === '' || !isRoot)('lab up --control-plane: the README kubectl walkthrough', () => {
  const lab = uniqueLabName('kc')
  let dir = ''
  let env: NodeJS.ProcessEnv = {}

  /** A command line through bash, from the repository, with a deadline. */
  const sh = (command: string, timeoutMs = 120_000): Promise<Run> =>
    new Promise((done) => {
      const child = spawn('bash', ['-c', command], { cwd: ROOT, env })
      let stdout = ''
      let stderr = ''
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
      child.on('close', (code) => {
        clearTimeout(timer)
        done({ code, stdout, stderr })
      })
      child.stdin.end()
    })
  const kubectl = (args: string): Promise<Run> => sh(`kubectl --kubeconfig "$(./bin/netpol lab kubeconfig)" ${args}`)
  /** Runs `command` until it exits with `code` (the agents converge within seconds). */
  const eventually = async (command: string, code: number, timeoutMs = 60_000): Promise<Run> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const r = await sh(command)
      if (r.code === code || Date.now() > deadline) return r
      await new Promise((res) => setTimeout(res, 1000))
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netpol-labs-'))
    env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, NETPOL_LAB_DIR: dir, NETPOL_LAB: lab, NO_COLOR: '1', HOME: dir }
  })
  afterAll(async () => {
    if (dir === '') return
    await sh('./bin/netpol lab down')
    await rm(dir, { recursive: true, force: true })
  })

  it('runs as written, and lab down leaves nothing', { timeout: 1_200_000 }, async () => {
    const commands = walkthroughCommands(readFileSync(join(ROOT, 'README.md'), 'utf8'))
    expect(commands[0]).toMatch(/lab up --control-plane/)
    expect(commands.at(-1)).toMatch(/lab down/)
    for (const command of commands.slice(0, -1)) {
      const want = Number(/#.*\bexit (\d+)\b/.exec(command.split('\n')[0]!)?.[1] ?? 0)
      const r = command.includes('lab exec') ? await eventually(command, want) : await sh(command, command.includes('lab up') ? 900_000 : 120_000)
      expect(r.code, `${command}\n${r.stdout}\n${r.stderr}`).toBe(want)
      if (command.includes('lab up')) {
        expect(r.stdout).toMatch(/API server: https:\/\/127\.0\.0\.1:\d+/)
        // The control plane's pieces run, and lab status says so.
        const status = JSON.parse((await sh('./bin/netpol lab status -o json')).stdout) as { controlPlane?: { running: Record<string, boolean> } }
        expect(status.controlPlane?.running).toEqual({ etcd: true, 'kube-apiserver': true, kubelet: true, 'agent node-0': true, 'agent node-1': true })
      }
      if (/get pods/.test(command)) for (const pod of ['client', 'web']) expect(r.stdout).toMatch(new RegExp(`\\b${pod}\\s+1/1\\s+Running\\b`))
      if (command.includes('lab exec') && want === 0) expect(r.stdout).toBe('shop/web port 80/TCP\n')
      if (command.includes('lab probe')) {
        expect(r.stdout).toMatch(/default\/client\s+\.\s+\.\s+X/)
        expect(r.stdout).toMatch(/all \d+ probes agree with the engine/)
      }
      if (command.includes('lab logs')) expect(r.stdout).toMatch(/DENY default\/client:\d+ -> shop\/web:80\/TCP +denied by ingress of shop\/web/)
      if (command.includes('--dry-run=server')) expect(r.stdout).toContain('(server dry run)')
    }

    // kubectl run: the lab binds the pod, runs it and reports its address.
    expect((await kubectl('run debug -n shop --image=busybox --port=8080 -l app=debug')).code).toBe(0)
    const ip = await eventually(`kubectl --kubeconfig "$(./bin/netpol lab kubeconfig)" get pod -n shop debug -o jsonpath='{.status.podIP}' | grep .`, 0)
    const status = JSON.parse((await sh('./bin/netpol lab status -o json')).stdout) as { pods: { pod: string; ip: string; node: string }[] }
    expect(status.pods.find((p) => p.pod === 'shop/debug')).toMatchObject({ ip: ip.stdout.trim(), node: expect.stringMatching(/^node-[01]$/) })
    expect((await eventually('./bin/netpol lab exec shop/debug -- curl -s -m 2 http://web.shop/', 0)).stdout).toBe('shop/web port 80/TCP\n')
    // kubectl delete pod returns once the lab has stopped the pod: its namespace is gone.
    expect(await listLabNetns(lab)).toContain(podNetnsName(lab, podHash('shop', 'debug')))
    expect((await kubectl('delete pod -n shop debug --timeout=60s')).code).toBe(0)
    expect(await listLabNetns(lab)).not.toContain(podNetnsName(lab, podHash('shop', 'debug')))

    // The API server and netpol check refuse the same manifest, naming the same field.
    const bad = join(dir, 'bad.yaml')
    await writeFile(
      bad,
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: bad\n  namespace: shop\nspec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 0\n',
    )
    const server = await kubectl(`apply --dry-run=server -f ${bad}`)
    const check = await sh(`./bin/netpol check ${bad}`)
    expect(server.code).not.toBe(0)
    expect(check.code).toBe(2)
    for (const r of [server, check]) expect(r.stderr).toContain('spec.ingress[0].ports[0].port')

    // The API server holds the truth: lab apply is refused.
    const apply = await sh('./bin/netpol lab apply examples/kubectl-lab')
    expect(apply.code).toBe(2)
    expect(apply.stderr).toContain('kubectl')

    const down = await sh(commands.at(-1)!)
    expect(down.code, down.stderr).toBe(0)
    await expectNothingLeft(lab, dir)
    expect((await sh('./bin/netpol lab kubeconfig')).stderr).toContain('does not exist')
  })
})

describe('lab kubeconfig without a control plane', () => {
  it('names the lab that does not exist, exit 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netpol-labs-'))
    try {
      const r = await new Promise<Run>((done) => {
        const child = spawn(process.execPath, [join(ROOT, 'bin', 'netpol'), 'lab', 'kubeconfig', '--name', 'nothing-here'], {
          env: { ...process.env, NETPOL_LAB_DIR: dir },
        })
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
        child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
        child.on('close', (code) => done({ code, stdout, stderr }))
      })
      expect(r.code).toBe(2)
      expect(r.stderr).toBe('error: lab "nothing-here" does not exist; start one with `netpol lab up PATH...`\n')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

/** What each of the lab's processes is: etcd, kube-apiserver, agent, kubelet, pod-server. */
async function labProcessKinds(lab: string): Promise<string[]> {
  const kinds: string[] = []
  for (const pid of await findLabProcesses(lab)) {
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0')
    const exe = args[0]?.split('/').at(-1) ?? ''
    kinds.push(exe === 'etcd' || exe === 'kube-apiserver' ? exe : args.includes('agent') ? 'agent' : /kubelet/.test(args.join(' ')) ? 'kubelet' : 'other')
  }
  return kinds
}

describe.skipIf(bin === '' || !isRoot)('lab up --control-plane killed with SIGKILL', () => {
  for (const moment of ['kube-apiserver', 'agent'] as const) {
    it(`lab down stops everything it started (killed once ${moment === 'agent' ? 'an agent runs' : 'kube-apiserver runs'})`, { timeout: 900_000 }, async () => {
      const lab = uniqueLabName('kk')
      const dir = await mkdtemp(join(tmpdir(), 'netpol-labs-'))
      const env = { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, NETPOL_LAB_DIR: dir, NETPOL_LAB: lab, NO_COLOR: '1', HOME: dir }
      try {
        const run = await killWhenRetrying(
          (onSpawn) => runBuiltCli(['lab', 'up', '--control-plane', join(ROOT, 'examples', 'kubectl-lab')], { env, onSpawn }),
          async () => (await labProcessKinds(lab)).includes(moment),
          async () => void (await runBuiltCli(['lab', 'down'], { env })),
        )
        expect(run.signal).toBe('SIGKILL')
        expect(await labProcessKinds(lab)).toContain(moment)
        const down = await runBuiltCli(['lab', 'down'], { env })
        expect(down.code, down.stderr).toBe(0)
        await expectNothingLeft(lab, dir)
      } finally {
        await runBuiltCli(['lab', 'down'], { env })
        await rm(dir, { recursive: true, force: true })
      }
    })
  }
})

describe.skipIf(!isRoot)('lab up --control-plane without the binaries', () => {
  it('exits 2 saying how to get them, and builds nothing', async () => {
    const lab = uniqueLabName('kn')
    const dir = await mkdtemp(join(tmpdir(), 'netpol-labs-'))
    try {
      // Only the system directories on PATH, no cache, no KUBEBUILDER_ASSETS: nothing to find.
      const env = {
        PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: dir,
        NETPOL_LAB_DIR: dir,
        NETPOL_LAB: lab,
        KUBEBUILDER_ASSETS: '',
        NETPOL_CONTROL_PLANE_BIN: '',
      }
      const r = await runBuiltCli(['lab', 'up', '--control-plane', join(ROOT, 'examples', 'kubectl-lab')], { env })
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr).toMatch(
        /^error: --control-plane needs kube-apiserver, etcd and kubectl 1\.37 \(etcd 3\.7\), and none were found; get them with `bash scripts\/control-plane-binaries\.sh`/,
      )
      await expectNothingLeft(lab, dir)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe.skipIf(bin === '' || !isRoot)('lab up --control-plane without manifests', () => {
  it('starts an empty lab that kubectl fills: namespaces, policies validated by the server, pods scheduled by the lab', { timeout: 900_000 }, async () => {
    const lab = uniqueLabName('ke')
    const dir = await mkdtemp(join(tmpdir(), 'netpol-labs-'))
    const env = { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, NETPOL_LAB_DIR: dir, NETPOL_LAB: lab, NO_COLOR: '1', HOME: dir }
    try {
      const up = await runBuiltCli(['lab', 'up', '--control-plane'], { env })
      expect(up.code, up.stderr).toBe(0)
      expect(up.stdout).toMatch(/: 2 nodes, 0 pods, 0 policies/)
      const kubeconfig = (await runBuiltCli(['lab', 'kubeconfig'], { env })).stdout.trim()
      const kubectl = (args: readonly string[], input = ''): Promise<Run> =>
        new Promise((done) => {
          const child = spawn(join(bin, 'kubectl'), ['--kubeconfig', kubeconfig, ...args], { env })
          let stdout = ''
          let stderr = ''
          child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
          child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
          child.on('close', (code) => done({ code, stdout, stderr }))
          child.stdin.end(input)
        })
      expect((await kubectl(['create', 'namespace', 'team-a'])).code).toBe(0)
      const policy = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\n  namespace: team-a\nspec:\n  podSelector: {}\n'
      const dry = await kubectl(['apply', '--dry-run=server', '-f', '-'], policy)
      expect(dry.stdout).toBe('networkpolicy.networking.k8s.io/deny created (server dry run)\n')
      expect((await kubectl(['run', 'one', '-n', 'team-a', '--image=busybox', '--port=80'])).code).toBe(0)
      const deadline = Date.now() + 60_000
      let ip = ''
      while (ip === '' && Date.now() < deadline) {
        ip = (await kubectl(['get', 'pod', '-n', 'team-a', 'one', '-o', 'jsonpath={.status.podIP}'])).stdout.trim()
        if (ip === '') await new Promise((r) => setTimeout(r, 1000))
      }
      expect(ip).toMatch(/^10\.244\.\d+\.\d+$/)
      expect((await runBuiltCli(['lab', 'status'], { env })).stdout).toMatch(new RegExp(`team-a/one +${ip.replace(/\./g, '\\.')} +node-[01]`))
      expect((await runBuiltCli(['lab', 'down'], { env })).code).toBe(0)
      await expectNothingLeft(lab, dir)
    } finally {
      await runBuiltCli(['lab', 'down'], { env })
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('without --control-plane a lab needs manifests (exit 2)', async () => {
    const r = await runBuiltCli(['lab', 'up'], { env: { NETPOL_LAB_DIR: join(tmpdir(), 'netpol-labs-none') } })
    expect(r.code).toBe(2)
    expect(r.stderr).toBe("error: missing required argument 'paths' (manifest files or directories, or - for stdin)\n")
  })
})
