/**
 * `netpol lab` as a new user runs it (the README's walkthrough), through the built CLI:
 * up of the three-tier example, probe agreeing with the engine and with `matrix` of the lab's
 * exported state, exec with curl and exit codes, logs showing every denied probe, apply, status,
 * down leaving nothing. (Every example through real packets: test/lab/examples-through-packets.test.ts.)
 */
import { describe, it, expect } from 'vitest'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expectNothingLeft } from './lab-leftovers.js'
import { useCliLab } from './cli-lab.js'
import { runChecked } from '../../src/lab/run-command.js'

const cli = useCliLab('cli')
const netpol = cli.netpol

interface Cell {
  from: string
  to: string
  port: number
  protocol: string
  allowed: boolean
  outcome?: string
  expected?: boolean
}
const cellKey = (c: Cell): string => `${c.from} ${c.to} ${c.port}/${c.protocol}`

describe('netpol lab walkthrough (three-tier)', () => {
  it('up builds the lab and prints its nodes and pods', async () => {
    const up = await netpol(['lab', 'up', 'examples/three-tier'])
    expect(up.stderr).toBe('')
    expect(up.code).toBe(0)
    expect(up.stdout).toMatch(/lab ".*" is up/)
    expect(up.stdout).toMatch(/prod\/frontend-0 +10\.244\.\d+\.\d+ +node-\d/)
    const status = JSON.parse((await netpol(['lab', 'status', '-o', 'json'])).stdout)
    expect(status.nodes.map((n: { name: string }) => n.name)).toEqual(['node-0', 'node-1'])
    expect(status.pods).toHaveLength(6)
    expect(new Set(status.pods.map((p: { node: string }) => p.node)).size).toBe(2)
    expect(status.pods.every((p: { server: string }) => p.server === 'running')).toBe(true)
  })

  it('probe agrees with the engine and with `matrix` of the exported lab, and logs show every denied probe', async () => {
    const probe = await netpol(['lab', 'probe', '-o', 'json'])
    expect(probe.code).toBe(0)
    const observed = JSON.parse(probe.stdout) as { connections: Cell[]; disagreements: Cell[] }
    expect(observed.disagreements).toEqual([])
    expect(observed.connections).toHaveLength(6 * 6 * 5)
    expect(observed.connections.some((c) => !c.allowed)).toBe(true)

    const exported = await netpol(['lab', 'export'])
    expect(exported.code).toBe(0)
    await writeFile(join(cli.dir, 'lab.yaml'), exported.stdout)
    const matrix = JSON.parse((await netpol(['matrix', join(cli.dir, 'lab.yaml'), '-o', 'json'])).stdout) as { connections: Cell[] }
    expect(observed.connections.map((c) => `${cellKey(c)} ${c.allowed}`)).toEqual(matrix.connections.map((c) => `${cellKey(c)} ${c.allowed}`))

    // The probes' own denied connections are left out unless asked for.
    const quiet = await netpol(['lab', 'logs'])
    expect(quiet.code).toBe(0)
    expect(quiet.stdout).toBe('No denied connections recorded, besides those of `lab probe`.\n')
    expect(quiet.stderr).toMatch(/^left out \d+ denied connections of `lab probe` \(--probes shows them\)\n$/)
    const logs = await netpol(['lab', 'logs', '--probes', '-o', 'json'])
    expect(logs.code).toBe(0)
    const records = logs.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { source: string; destination: string; port: number; protocol: string; probe: boolean })
    expect(records.every((r) => r.probe)).toBe(true)
    const logged = new Set(records.map((r) => `${r.source} ${r.destination} ${r.port}/${r.protocol}`))
    for (const c of observed.connections.filter((x) => !x.allowed)) expect(logged, cellKey(c)).toContain(cellKey(c))
    // Per-policy counters: the probes the backend's ingress rule let in were counted.
    const counted = JSON.parse((await netpol(['lab', 'status', '--counters', '-o', 'json'])).stdout) as {
      counters: { policies: { policy: string; side: string; allowed: number }[] }
    }
    expect(counted.counters.policies.find((p) => p.policy === 'prod/backend-policy' && p.side === 'ingress')!.allowed).toBeGreaterThan(0)
    const text = await netpol(['lab', 'logs', '--probes'])
    expect(text.stdout).toMatch(
      /DENY prod\/frontend-\d:\d+ -> prod\/database-0:5432\/TCP +denied by egress of prod\/frontend-\d \(isolated by prod\/frontend-to-backend\) {2}\[lab probe\]\n/,
    )
  })

  it('exec runs commands inside a pod: curl reaches what the policies allow, exit codes pass through', async () => {
    const status = JSON.parse((await netpol(['lab', 'status', '-o', 'json'])).stdout) as { pods: { pod: string; ip: string }[] }
    const ip = (pod: string): string => status.pods.find((p) => p.pod === pod)!.ip
    const ok = await netpol(['lab', 'exec', 'prod/frontend-0', '--', 'curl', '-s', '-m', '2', `http://${ip('prod/backend-0')}:8080/`])
    expect(ok).toMatchObject({ code: 0, stdout: 'prod/backend-0 port 8080/TCP\n' })
    const denied = await netpol(['lab', 'exec', 'prod/frontend-0', '--', 'curl', '-s', '-m', '1', `http://${ip('prod/database-0')}:5432/`])
    expect(denied.code).toBe(28) // curl: operation timed out (dropped)
    // The user's own denied connection stands out: the only one `lab logs` shows without --probes.
    const logs = await netpol(['lab', 'logs', '-o', 'json'])
    const mine = logs.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { source: string; destination: string; port: number; probe: boolean })
    expect(mine.map((r) => `${r.source} ${r.destination} ${r.port} ${r.probe}`)).toEqual(['prod/frontend-0 prod/database-0 5432 false'])
    // Filters: by source, destination, either end, and time.
    expect((await netpol(['lab', 'logs', '--from', 'prod/deployment/frontend', '--since', '1m'])).stdout).toMatch(
      /^\S+ +node-\d +DENY prod\/frontend-0:\d+ -> /,
    )
    expect((await netpol(['lab', 'logs', '--to', 'prod/backend-0'])).stdout).toBe('No denied connections match, besides those of `lab probe`.\n')
    expect((await netpol(['lab', 'logs', '--pod', ip('prod/database-0'), '--pod', 'kube-system'])).stdout).toMatch(
      /DENY prod\/frontend-0:\d+ -> prod\/database-0/,
    )
    const fromDb = await netpol(['lab', 'logs', '--from', 'prod/database-0', '--probes', '-o', 'json'])
    const dbLines = fromDb.stdout.split('\n').filter((l) => l !== '')
    expect(dbLines.length).toBeGreaterThan(0)
    for (const l of dbLines) expect(JSON.parse(l)).toMatchObject({ source: 'prod/database-0', probe: true })
    const badSince = await netpol(['lab', 'logs', '--since', '10 minutes'])
    expect(badSince.code).toBe(2)
    expect(badSince.stderr).toMatch(/^error: --since: "10 minutes" is not a duration/)
    const badPod = await netpol(['lab', 'logs', '--from', 'prod/nope'])
    expect(badPod.code).toBe(2)
    expect(badPod.stderr).toMatch(/pod "prod\/nope" not found/)
    expect((await netpol(['lab', 'exec', '-n', 'prod', 'backend-1', '--', 'sh', '-c', 'exit 7'])).code).toBe(7)
    const unknown = await netpol(['lab', 'exec', 'prod/nope', '--', 'true'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/pod "prod\/nope" is not in lab/)
  })

  it('apply changes the running lab like kubectl apply', async () => {
    const denyAll = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: kube-system}
spec: {podSelector: {}, policyTypes: [Ingress]}
`
    const applied = await netpol(['lab', 'apply', '-'], denyAll)
    expect(applied.code).toBe(0)
    expect(applied.stdout).toMatch(/updated: 5 policies; 6 pods/)
    const probe = JSON.parse((await netpol(['lab', 'probe', '--port', '53/UDP', '-o', 'json'])).stdout) as { connections: Cell[]; disagreements: Cell[] }
    expect(probe.disagreements).toEqual([])
    expect(probe.connections.filter((c) => c.to === 'kube-system/kube-dns-0' && c.from !== c.to).every((c) => !c.allowed)).toBe(true)
  })

  it('SCTP ports are not served: apply warns and probe lists them as skipped', async () => {
    const sctpPod = `
apiVersion: v1
kind: Pod
metadata: {name: signalling, namespace: prod, labels: {app: sctp}}
spec:
  containers: [{name: s, image: x, ports: [{containerPort: 9999, protocol: SCTP}, {containerPort: 9998}]}]
`
    const applied = await netpol(['lab', 'apply', '-'], sctpPod)
    expect(applied.code).toBe(0)
    expect(applied.stderr).toMatch(/^warning: SCTP: .*Node\.js has no SCTP sockets/m)
    const probe = await netpol(['lab', 'probe', '--port', '9999/SCTP', '--port', '9998/TCP'])
    expect(probe.code).toBe(0)
    expect(probe.stdout).toMatch(/skipped 9999\/SCTP: /)
    expect(probe.stdout).toMatch(/all 49 probes agree with the engine/)
    expect(probe.stderr).toMatch(/warning: SCTP probes skipped/)
  })

  it('probe exits 1 and lists each cell where the kernel disagrees with the engine', async () => {
    const status = JSON.parse((await netpol(['lab', 'status', '-o', 'json'])).stdout) as {
      nodes: { name: string; netns: string }[]
      pods: { pod: string; ip: string; node: string }[]
    }
    const from = status.pods.find((p) => p.pod === 'prod/frontend-0')!
    const to = status.pods.find((p) => p.pod === 'prod/backend-0')!
    const node = status.nodes.find((n) => n.name === to.node)!
    // Sabotage outside netpol's table: the destination node drops what the policies allow.
    const sabotage = `table inet sabotage { chain f { type filter hook forward priority -10; ip saddr ${from.ip} ip daddr ${to.ip} tcp dport 8080 drop; }; }\n`
    await runChecked('ip', ['netns', 'exec', node.netns, 'nft', '-f', '-'], { input: sabotage })
    try {
      const probe = await netpol(['lab', 'probe', '--port', '8080/TCP', '--timeout', '500'])
      expect(probe.code).toBe(1)
      expect(probe.stdout).toMatch(
        /1 of \d+ probes disagree with the engine:\n {2}prod\/frontend-0 -> prod\/backend-0 8080\/TCP: the engine allows it, the probe timed out \(dropped\)\n/,
      )
    } finally {
      await runChecked('ip', ['netns', 'exec', node.netns, 'nft', 'delete', 'table', 'inet', 'sabotage'])
    }
  })

  it('down removes everything', async () => {
    const down = await netpol(['lab', 'down'])
    expect(down.code).toBe(0)
    await expectNothingLeft(cli.name, cli.dir)
  })

  it('commands on a lab that does not exist say so and exit 2', async () => {
    const probe = await netpol(['lab', 'probe'])
    expect(probe.code).toBe(2)
    expect(probe.stderr).toMatch(/lab ".*" does not exist/)
  })
})
