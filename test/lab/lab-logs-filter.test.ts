/**
 * What `lab logs` shows (issue 17): filters by ends (--from/--to/--pod, the forms of `list --from`)
 * and time (--since), and the lab's own probes told apart by what `lab probe` recorded, left out
 * unless --probes, held back by `-f` while a probe run is under way. The probe records are read as
 * untrusted input.
 */
import { mkdtemp, readdir, readFile, rm, writeFile, chmod } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { DeniedConnection } from '../../src/dataplane/deny-log.js'
import { denyFilter, matchesDenyFilter, NO_FILTER, parseSince, selectDenied } from '../../src/lab/lab-logs.js'
import { classifyDenied, parseProbeRun, probeRunsOf, readProbeRuns, recordProbeRun, type ProbeRuns } from '../../src/lab/probe-records.js'
import type { LabState } from '../../src/lab/lab-state.js'
import { UsageError } from '../../src/model/errors.js'
import type { Pod } from '../../src/model/types.js'

const pod = (namespace: string, name: string, ip: string, labels: Record<string, string> = {}): Pod => ({
  namespace,
  name,
  labels,
  ips: [ip],
  containerPorts: [],
  hostNetwork: false,
  source: { file: 'x.yaml', line: 1 },
})

const pods = [pod('shop', 'web-0', '10.244.0.2'), pod('shop', 'db-0', '10.244.0.3'), pod('ops', 'tool', '10.244.1.9')]
const state = {
  cluster: {
    namespaces: [
      { name: 'shop', labels: {} },
      { name: 'ops', labels: {} },
    ],
    pods,
    policies: [],
  },
} as unknown as LabState

const T0 = Date.parse('2026-12-05T12:00:00.000Z')

function denied(from: Pod | string, to: Pod | string, port: number, sourcePort: number, atMs: number): DeniedConnection {
  const end = (e: Pod | string) => (typeof e === 'string' ? { name: e, ip: e } : { name: `${e.namespace}/${e.name}`, ip: e.ips[0] })
  return {
    time: new Date(atMs).toISOString(),
    node: 'node-0',
    side: 'egress',
    source: end(from).name,
    sourceIp: end(from).ip,
    sourcePort,
    destination: end(to).name,
    destinationIp: end(to).ip,
    port,
    protocol: 'TCP',
    policies: [],
    packets: 1,
  }
}

describe('lab logs --since', () => {
  it('takes durations like kubectl: 30s, 5m, 2h, 1h30m, 500ms', () => {
    expect(parseSince('30s')).toBe(30_000)
    expect(parseSince('5m')).toBe(300_000)
    expect(parseSince('1h30m')).toBe(5_400_000)
    expect(parseSince('1.5h')).toBe(5_400_000)
    expect(parseSince('500ms')).toBe(500)
  })
  it('refuses anything else with a usage error (exit 2) that says what a duration looks like', () => {
    for (const bad of ['', '5', '5x', '10 minutes', '-5m', '1d', 'm', '0s', '5m ago']) {
      expect(() => parseSince(bad), bad).toThrow(UsageError)
    }
    expect(() => parseSince('5x')).toThrow('--since: "5x" is not a duration: give a number with a unit, e.g. 30s, 5m, 2h or 1h30m')
    expect(() => parseSince('0s')).toThrow('--since: "0s" is not a positive duration')
  })
})

describe('lab logs --from/--to/--pod', () => {
  const records = [denied(pods[0], pods[1], 5432, 40000, T0), denied(pods[2], pods[0], 80, 40001, T0 + 1), denied(pods[1], '192.0.2.7', 443, 40002, T0 + 2)]
  const keep = (flags: Parameters<typeof denyFilter>[1]) =>
    records.filter((r) => matchesDenyFilter(r, denyFilter(state, flags, T0 + 10))).map((r) => `${r.source}>${r.destination}`)

  it('--from and --to take a pod, a namespace, an IP or a CIDR; repeated, any of them', () => {
    expect(keep({ from: ['shop/web-0'] })).toEqual(['shop/web-0>shop/db-0'])
    expect(keep({ from: ['shop'] })).toEqual(['shop/web-0>shop/db-0', 'shop/db-0>192.0.2.7'])
    expect(keep({ to: ['192.0.2.0/24'] })).toEqual(['shop/db-0>192.0.2.7'])
    expect(keep({ to: ['10.244.0.2'] })).toEqual(['ops/tool>shop/web-0'])
    expect(keep({ from: ['ops', 'shop/web-0'] })).toEqual(['shop/web-0>shop/db-0', 'ops/tool>shop/web-0'])
  })
  it('--pod matches either end; flags combine with AND', () => {
    expect(keep({ pod: ['shop/web-0'] })).toEqual(['shop/web-0>shop/db-0', 'ops/tool>shop/web-0'])
    expect(keep({ pod: ['shop/web-0'], to: ['shop/db-0'] })).toEqual(['shop/web-0>shop/db-0'])
  })
  it('--since keeps what was first denied within the duration', () => {
    expect(keep({ sinceMs: 9 })).toEqual(['ops/tool>shop/web-0', 'shop/db-0>192.0.2.7'])
  })
  it('an unknown pod or namespace is a usage error naming the closest names', () => {
    expect(() => denyFilter(state, { from: ['shop/web'] })).toThrow(UsageError)
    expect(() => denyFilter(state, { pod: ['nope'] })).toThrow(/namespace "nope" not found; namespaces: ops, shop/)
  })
})

describe('the lab probe records', () => {
  const run = { started: T0, pid: 4242, finished: T0 + 2000, probes: [['10.244.0.2', 40000, '10.244.0.3', 5432, 'TCP']] }
  const runs = (): ProbeRuns => probeRunsOf([parseProbeRun(JSON.stringify(run))!], T0 + 5000, () => false)

  it('a denied connection is a probe only with the recorded source port, addresses, port, protocol and within the run', () => {
    expect(classifyDenied(denied(pods[0], pods[1], 5432, 40000, T0 + 100), runs())).toBe('probe')
    expect(classifyDenied(denied(pods[0], pods[1], 5432, 40001, T0 + 100), runs())).toBe('other') // the pod's own connection
    expect(classifyDenied(denied(pods[0], pods[1], 5433, 40000, T0 + 100), runs())).toBe('other')
    expect(classifyDenied(denied(pods[0], pods[1], 5432, 40000, T0 + 3_600_000), runs())).toBe('other') // the port reused much later
  })

  it('probes are left out and counted unless --probes, which marks them', () => {
    const records = [denied(pods[0], pods[1], 5432, 40000, T0 + 100), denied(pods[0], pods[1], 5432, 40001, T0 + 200)]
    const quiet = selectDenied(records, { ...NO_FILTER, probes: false }, runs())
    expect(quiet.shown.map((r) => [r.sourcePort, r.probe])).toEqual([[40001, false]])
    expect(quiet.hidden).toBe(1)
    const all = selectDenied(records, NO_FILTER, runs())
    expect(all.shown.map((r) => [r.sourcePort, r.probe])).toEqual([
      [40000, true],
      [40001, false],
    ])
  })

  it('while a run is under way (its process alive), pod-to-pod records after its start are held, not guessed', () => {
    const underWay = probeRunsOf([parseProbeRun(JSON.stringify({ started: T0, pid: 4242 }))!], T0 + 5000, () => true)
    expect(classifyDenied(denied(pods[0], pods[1], 5432, 40000, T0 + 100), underWay)).toBe('pending')
    expect(classifyDenied(denied(pods[1], '192.0.2.7', 443, 40002, T0 + 100), underWay)).toBe('other') // probes go between pods only
    expect(classifyDenied(denied(pods[0], pods[1], 5432, 40000, T0 - 60_000), underWay)).toBe('other')
    // A killed run (process gone) holds nothing back.
    const killed = probeRunsOf([parseProbeRun(JSON.stringify({ started: T0, pid: 4242 }))!], T0 + 5000, () => false)
    expect(classifyDenied(denied(pods[0], pods[1], 5432, 40000, T0 + 100), killed)).toBe('other')
  })

  it('a record file that is not what lab probe writes is ignored', () => {
    const bad = [
      'not json',
      '[]',
      JSON.stringify({ started: 'x', pid: 1 }),
      JSON.stringify({ ...run, probes: [['10.244.0.2', 70000, '10.244.0.3', 5432, 'TCP']] }),
      JSON.stringify({ ...run, probes: [['10.244.0.2; rm -rf /', 40000, '10.244.0.3', 5432, 'TCP']] }),
      JSON.stringify({ ...run, probes: [['10.244.0.2', 40000, '10.244.0.3', 5432, 'ICMP']] }),
      JSON.stringify({ ...run, finished: -1 }),
    ]
    for (const text of bad) expect(parseProbeRun(text), text).toBeUndefined()
    expect(parseProbeRun(JSON.stringify(run))).toEqual(run)
  })

  it('recordProbeRun writes the run atomically; readProbeRuns reads it back and ignores files others could write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netpol-probe-records-'))
    try {
      const recorder = await recordProbeRun(dir)
      const names = (await readdir(dir)).filter((n) => n.startsWith('probes-'))
      expect(names).toHaveLength(1)
      expect((await readProbeRuns(dir)).running).toHaveLength(1) // this process is alive
      await recorder.finish([['10.244.0.2', 40000, '10.244.0.3', 5432, 'TCP']])
      const read = await readProbeRuns(dir)
      expect(read.running).toEqual([])
      expect([...read.known.keys()]).toEqual(['10.244.0.2|40000|10.244.0.3|5432|TCP'])
      expect(await readdir(dir)).toEqual(names) // no temporary file left
      await chmod(join(dir, names[0]), 0o666)
      expect((await readProbeRuns(dir)).known.size).toBe(0)
      await writeFile(join(dir, 'probes-1-1.json'), await readFile(join(dir, names[0]), 'utf8'), { mode: 0o644 })
      const old = await recordProbeRun(dir)
      await old.finish([])
      // Runs older than the deny records' lifetime are removed when a run starts.
      expect((await readdir(dir)).includes('probes-1-1.json')).toBe(false)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
