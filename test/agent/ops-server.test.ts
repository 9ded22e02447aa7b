import { afterEach, describe, expect, it } from 'vitest'
import type { AgentStatus } from '../../src/agent/agent.js'
import { createAgentMetrics } from '../../src/agent/agent-metrics.js'
import { parseListen, startOpsServer, type OpsServer } from '../../src/agent/ops-server.js'
import { rulesetStats } from '../../src/agent/ruleset-stats.js'

const status = (ready: boolean, live = true): AgentStatus => ({
  ready,
  notReady: ready ? [] : ['no ruleset applied yet'],
  live,
  synced: { namespaces: true, pods: true, networkpolicies: ready, clusternetworkpolicies: true, nodes: true },
  connected: { namespaces: true, pods: true, networkpolicies: true, clusternetworkpolicies: true, nodes: true },
  applies: ready ? 1 : 0,
  applyErrors: 0,
  rulesetBytes: 0,
  rejected: 0,
  notes: [],
})

describe('ops server', () => {
  let ops: OpsServer | undefined
  afterEach(async () => {
    await ops?.close()
    ops = undefined
  })

  it('/healthz answers while /readyz waits for the first apply; /metrics is Prometheus text, refreshed before each scrape', async () => {
    let ready = false
    let scrapes = 0
    const metrics = createAgentMetrics({ defaultMetrics: false })
    ops = await startOpsServer({ listen: '127.0.0.1:0', status: () => status(ready), registry: metrics.registry, beforeScrape: async () => void scrapes++ })
    expect((await fetch(`${ops.url}/healthz`)).status).toBe(200)
    const notReady = await fetch(`${ops.url}/readyz`)
    expect(notReady.status).toBe(503)
    expect(await notReady.json()).toMatchObject({ status: 'not ready', synced: { networkpolicies: false } })
    ready = true
    expect((await fetch(`${ops.url}/readyz`)).status).toBe(200)

    metrics.syncLatency.observe({ result: 'applied' }, 0.042)
    metrics.deniedConnections.inc({ direction: 'ingress', namespace: 'prod' })
    const res = await fetch(`${ops.url}/metrics`)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    expect(text).toContain('netpol_agent_sync_latency_seconds_bucket{le="0.05",result="applied"} 1')
    expect(text).toContain('netpol_agent_denied_connections_total{direction="ingress",namespace="prod"} 1')
    expect(scrapes).toBe(1)
    expect((await fetch(`${ops.url}/nope`)).status).toBe(404)
  })

  it('/healthz fails (503, with the status) only when the agent reports its sync loop stuck; /readyz says why it is not ready', async () => {
    let live = true
    const metrics = createAgentMetrics({ defaultMetrics: false })
    ops = await startOpsServer({ listen: '127.0.0.1:0', status: () => status(false, live), registry: metrics.registry })
    expect((await fetch(`${ops.url}/healthz`)).status).toBe(200)
    expect(await (await fetch(`${ops.url}/readyz`)).json()).toMatchObject({ notReady: ['no ruleset applied yet'] })
    live = false
    const stuck = await fetch(`${ops.url}/healthz`)
    expect(stuck.status).toBe(503)
    expect(await stuck.json()).toMatchObject({ status: 'stuck', live: false })
  })

  it('parses --listen like Go: :PORT, HOST:PORT, [IPv6]:PORT', () => {
    expect(parseListen(':9101')).toEqual({ port: 9101 })
    expect(parseListen('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 })
    expect(parseListen('[::1]:9101')).toEqual({ host: '::1', port: 9101 })
    expect(() => parseListen('localhost')).toThrow(/expected \[HOST\]:PORT/)
    expect(() => parseListen(':70000')).toThrow(/0-65535/)
  })
})

describe('rulesetStats', () => {
  it('counts rules inside chains (not chain headers or comments), sets and maps, and bytes', () => {
    const script = [
      'add table inet netpol',
      'delete table inet netpol',
      'table inet netpol {',
      '\tcounter c1 {',
      '\t\tcomment "x"',
      '\t}',
      '\tset s1 {',
      '\t\ttype ipv4_addr',
      '\t}',
      '\tmap in_v4 {',
      '\t\ttype ipv4_addr : verdict',
      '\t}',
      '\tchain ingress {',
      '\t\ttype filter hook forward priority filter; policy accept;',
      '\t\tct state established,related accept',
      '\t\tip daddr vmap @in_v4',
      '\t}',
      '\tchain pod_x {',
      '\t\tcomment "ingress of a/b"',
      '\t\tjump pol_y',
      '\t\tcounter name "d" drop',
      '\t}',
      '}',
      '',
    ].join('\n')
    expect(rulesetStats(script)).toEqual({ bytes: Buffer.byteLength(script), rules: 4, sets: 2 })
  })
})
