/**
 * The analyzer CLI end to end: `matrix -o json` and `explain` agree with the upstream Kubernetes
 * e2e model (namespaces x, y, z; pods a, b, c; ports 80/81 over TCP, UDP, SCTP — test/cases/xyz-cases.ts),
 * through the real binary (`./bin/netpol`, built by `npm test`) for a sample of scenarios and
 * through the same CLI entry point in-process for all of them; plus the CLI contract: help with
 * examples, bad input, --version, the kubectl plugin name.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { xyzCases } from '../cases/xyz-cases.js'
import type { Expectation, ReachabilityCase } from '../cases/case-types.js'
import { buildProgram } from '../../src/cli/main.js'
import { runCliInProcess, type CliRun } from '../cli/run-cli-in-process.js'

const root = resolve(import.meta.dirname, '../..')
const netpol = join(root, 'bin/netpol')
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version

interface Connection {
  from: string
  to: string
  port: number
  protocol: string
  allowed: boolean
}

function run(bin: string, args: readonly string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(bin, args, { cwd: root, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

function runInProcess(args: readonly string[], input = ''): Promise<CliRun> {
  return runCliInProcess(args, { cwd: root, stdin: input })
}

function portsOf(c: ReachabilityCase): string[] {
  return [...new Set(c.expect.map((e) => `${e.port}/${e.protocol}`))]
}

const isPod = (s: string) => /^[a-z]\/[a-z]$/.test(s)

/** Checks a matrix JSON document against a case: the full set of pairs, the order, every verdict. */
function checkMatrix(c: ReachabilityCase, json: string): void {
  const doc = JSON.parse(json) as { connections: Connection[] }
  expect(Object.keys(doc)).toEqual(['connections'])
  const ports = portsOf(c)
  expect(doc.connections).toHaveLength(81 * ports.length)
  for (const conn of doc.connections) expect(Object.keys(conn)).toEqual(['from', 'to', 'port', 'protocol', 'allowed'])
  const key = (x: { from: string; to: string; port: number; protocol: string }) => `${x.from} ${x.to} ${x.port}/${x.protocol}`
  const byKey = new Map(doc.connections.map((x) => [key(x), x.allowed]))
  const podPairs = c.expect.filter((e) => isPod(e.from) && isPod(e.to))
  expect(podPairs.length).toBeGreaterThan(0)
  for (const e of podPairs) expect(byKey.get(key(e)), `${c.name}: ${key(e)}`).toBe(e.allowed)
  // Stable order: from, to, then port and protocol.
  const order = doc.connections.map((x) => `${x.from} ${x.to}`)
  const sorted = [...order].sort()
  expect(order).toEqual(sorted)
}

describe('netpol matrix -o json agrees with the upstream x/y/z model', () => {
  it.each(xyzCases.map((c) => [c.name, c] as const))('%s (in-process CLI)', async (_name, c) => {
    const r = await runInProcess(['matrix', '-', ...portsOf(c).flatMap((p) => ['--port', p]), '-o', 'json'], c.manifests)
    expect(r.code, r.stderr).toBe(0)
    checkMatrix(c, r.stdout)
  })

  // The binary costs a process start each; a spread of scenarios covers the path through bin/.
  const sample = xyzCases.filter((_, i) => i % Math.ceil(xyzCases.length / 6) === 0)
  it.each(sample.map((c) => [c.name, c] as const))('%s (./bin/netpol)', (_name, c) => {
    const r = run(netpol, ['matrix', '-', ...portsOf(c).flatMap((p) => ['--port', p]), '-o', 'json'], c.manifests)
    expect(r.code, r.stderr).toBe(0)
    checkMatrix(c, r.stdout)
  })
})

describe('netpol explain agrees with the upstream x/y/z model', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netpol-cli-e2e-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('gives the same verdict as the case for every external-address expectation and a sample of pod pairs', async () => {
    for (const [i, c] of xyzCases.entries()) {
      const file = join(dir, `case-${i}.yaml`)
      writeFileSync(file, c.manifests)
      const pick: Expectation[] = [
        ...c.expect.filter((e) => !isPod(e.from) || !isPod(e.to)),
        ...c.expect.filter((e) => isPod(e.from) && isPod(e.to) && e.from !== e.to && !e.allowed).slice(0, 2),
        ...c.expect.filter((e) => isPod(e.from) && isPod(e.to) && e.from !== e.to && e.allowed).slice(0, 2),
      ]
      for (const e of pick) {
        const r = await runInProcess(['explain', file, '--from', e.from, '--to', e.to, '--port', `${e.port}/${e.protocol}`, '-o', 'json'])
        expect(r.code, r.stderr).toBe(0)
        const x = JSON.parse(r.stdout) as { allowed: boolean; egress: { allowed: boolean }; ingress: { allowed: boolean } }
        expect(x.allowed, `${c.name}: ${e.from} -> ${e.to} ${e.port}/${e.protocol}`).toBe(e.allowed)
        if (e.from !== e.to) expect(x.allowed).toBe(x.egress.allowed && x.ingress.allowed)
      }
    }
  })

  it('names the policy, rule and file:line behind a denial and an allowance (./bin/netpol)', () => {
    const c = xyzCases.find(
      (x) =>
        x.expect.some((e) => isPod(e.from) && isPod(e.to) && e.from !== e.to && !e.allowed) &&
        x.expect.some((e) => isPod(e.from) && isPod(e.to) && e.from !== e.to && e.allowed && e.to !== e.from && e.to.startsWith('x/')),
    )!
    expect(c).toBeDefined()
    const file = join(dir, 'explain.yaml')
    writeFileSync(file, c.manifests)
    const denied = c.expect.find((e) => isPod(e.from) && isPod(e.to) && e.from !== e.to && !e.allowed)!
    const r = run(netpol, ['explain', file, '--from', denied.from, '--to', denied.to, '--port', `${denied.port}/${denied.protocol}`])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain(`${denied.from} -> ${denied.to} on ${denied.port}/${denied.protocol}: DENIED`)
    expect(r.stdout).toMatch(/policy \S+\/\S+ \(.*explain\.yaml:\d+\): does not allow/)
    const json = run(netpol, ['explain', file, '--from', denied.from, '--to', denied.to, '--port', `${denied.port}/${denied.protocol}`, '-o', 'json'])
    const x = JSON.parse(json.stdout) as {
      allowed: boolean
      egress: { policies: { source: string; misses: unknown[] }[] }
      ingress: { policies: { source: string; misses: unknown[] }[] }
    }
    expect(x.allowed).toBe(false)
    const blocking = [...x.egress.policies, ...x.ingress.policies].filter((p) => p.misses.length > 0)
    expect(blocking.length).toBeGreaterThan(0)
    for (const p of blocking) expect(p.source).toMatch(/explain\.yaml:\d+$/)
    // An allowed pair whose destination is isolated names the rule that let it in.
    let shown = false
    for (const e of c.expect.filter((x) => isPod(x.from) && isPod(x.to) && x.from !== x.to && x.allowed)) {
      const args = ['explain', file, '--from', e.from, '--to', e.to, '--port', `${e.port}/${e.protocol}`]
      const j = JSON.parse(run(netpol, [...args, '-o', 'json']).stdout) as { allowed: boolean; ingress: { isolated: boolean } }
      expect(j.allowed).toBe(true)
      if (!j.ingress.isolated) continue
      const text = run(netpol, args).stdout
      expect(text).toContain(`${e.from} -> ${e.to} on ${e.port}/${e.protocol}: ALLOWED`)
      expect(text).toMatch(/\+ policy \S+ \(.*explain\.yaml:\d+\): allows\n\s+ingress\[\d+\] \(.*explain\.yaml:\d+\) matches: peer /)
      shown = true
      break
    }
    expect(shown).toBe(true)
  })
})

describe('the CLI contract', () => {
  it('every command (every subcommand of a command group) has --help with examples', async () => {
    const program = buildProgram({
      io: { stdout() {}, stderr() {}, stdin: Readable.from([]), stdoutIsTTY: false, stderrIsTTY: false, env: {}, cwd: root },
      exitCode: 0,
    })
    const leaves = program.commands.flatMap((c) => (c.commands.length > 0 ? c.commands.map((s) => [c.name(), s.name()]) : [[c.name()]]))
    expect(leaves.map((l) => l[0])).toEqual(expect.arrayContaining(['matrix', 'explain', 'check']))
    for (const path of leaves) {
      const r = await runInProcess([...path, '--help'])
      expect(r.code, path.join(' ')).toBe(0)
      expect(r.stdout, `${path.join(' ')} --help`).toMatch(/Examples?:\n\s+(sudo )?\S*netpol /)
    }
  })

  it('bad input exits 2 with every error at file:line and no stack trace (./bin/netpol)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpol-cli-bad-'))
    try {
      const file = join(dir, 'bad.yaml')
      writeFileSync(
        file,
        [
          'apiVersion: networking.k8s.io/v1',
          'kind: NetworkPolicy',
          'metadata:',
          '  name: bad',
          'spec:',
          '  podSelector: {}',
          '  ingress:',
          '  - ports:',
          '    - port: 70000',
          '    - protocol: ICMP',
          '',
        ].join('\n'),
      )
      for (const cmd of [['check'], ['matrix', '--port', '80'], ['explain', '--from', 'default/a', '--to', 'default/b', '--port', '80']]) {
        const r = run(netpol, [cmd[0], file, ...cmd.slice(1)])
        expect(r.code, cmd[0]).toBe(2)
        expect(r.stdout).toBe('')
        expect(r.stderr).toMatch(/bad\.yaml:9: .*spec\.ingress\[0\]\.ports\[0\]\.port/)
        expect(r.stderr).toMatch(/bad\.yaml:10: .*spec\.ingress\[0\]\.ports\[1\]\.protocol/)
        expect(r.stderr).not.toMatch(/\n\s+at /)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('an unknown pod is a usage error that lists close names', async () => {
    const r = await runInProcess(['explain', 'examples/three-tier', '--from', 'prod/frontend-9', '--to', 'prod/backend-0', '--port', '8080'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/pod "prod\/frontend-9" not found; did you mean .*prod\/frontend-0/)
  })

  it('a bad --port is a usage error', async () => {
    const r = await runInProcess(['matrix', 'examples/three-tier', '--port', '80/ICMP'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/invalid port "80\/ICMP"/)
  })

  it('--version prints package.json version', () => {
    const r = run(netpol, ['--version'])
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe(version)
  })

  it('works as the kubectl plugin kubectl-netpol', () => {
    const plugin = run(join(root, 'bin/kubectl-netpol'), ['matrix', 'examples/three-tier', '-o', 'json'])
    expect(plugin.code, plugin.stderr).toBe(0)
    const direct = run(netpol, ['matrix', 'examples/three-tier', '-o', 'json'])
    expect(plugin.stdout).toBe(direct.stdout)
    expect((JSON.parse(plugin.stdout) as { connections: unknown[] }).connections.length).toBeGreaterThan(0)
  })

  it("the README's Analyse examples print what the README shows", async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const blocks = [...readme.matchAll(/```console\n\$ \.\/bin\/netpol ((?:matrix|list|explain|check) [^\n]*)\n([\s\S]*?)```/g)]
    expect(blocks.length).toBeGreaterThanOrEqual(4)
    expect(blocks.map((b) => b[1].split(' ')[0])).toContain('list')
    for (const [, command, shown] of blocks) {
      const r = await runInProcess(command.split(' '))
      expect(r.code, command).toBe(0)
      expect(r.stdout, command).toBe(shown)
    }
  })

  it("docs/cli.md's list and grouped matrix examples print what the page shows", async () => {
    const page = readFileSync(join(root, 'docs/cli.md'), 'utf8')
    const blocks = [...page.matchAll(/```console\n( *)\$ netpol ((?:list|matrix) [^\n]*)\n([\s\S]*?)\1```/g)]
    expect(blocks.map((b) => b[2]!.split(' ')[0])).toEqual(expect.arrayContaining(['list', 'matrix']))
    for (const [, indent, command, block] of blocks) {
      // A block in a list item is indented; the output is not.
      const shown = block!.replaceAll(new RegExp(`^${indent}`, 'gm'), '')
      const r = await runInProcess(command!.split(' '))
      expect(r.code, command).toBe(0)
      expect(r.stdout, command).toBe(shown)
      if (command!.startsWith('matrix')) {
        // The real binary writes the grouped matrix's JSON as bytes, not through the text path above.
        const bin = run(netpol, command!.split(' '))
        expect(bin.stdout, command).toBe(shown)
      }
    }
  })

  it('the README quick start prints the three-tier matrix', () => {
    const r = run(netpol, ['matrix', 'examples/three-tier'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^8080\/TCP: \d+ of 36 connections allowed$/m)
    expect(r.stdout).toContain('prod/frontend-0')
  })
})
