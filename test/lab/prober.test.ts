import { createSocket, type RemoteInfo } from 'node:dgram'
import { createServer, type AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { probe } from '../../src/lab/prober.js'

describe('prober', () => {
  const seen: RemoteInfo[] = []
  const echo = createSocket('udp4')
  let port = 0
  beforeAll(async () => {
    echo.on('message', (msg, rinfo) => {
      seen.push(rinfo)
      echo.send(msg, rinfo.port, rinfo.address)
    })
    await new Promise<void>((resolve) => echo.bind(0, '127.0.0.1', resolve))
    port = (echo.address() as AddressInfo).port
  })
  afterAll(() => echo.close())

  it('UDP probes walk through source ports, so a new probe is never an old conntrack flow', async () => {
    const results = []
    for (let i = 0; i < 5; i++) results.push(await probe({ ip: '127.0.0.1', port, protocol: 'UDP' }, 1000))
    expect(results.map((r) => r.outcome)).toEqual(Array(5).fill('connected'))
    const sources = [...new Set(seen.map((r) => r.port))]
    expect(sources).toHaveLength(5)
    for (let i = 1; i < sources.length; i++) {
      // Consecutive, except where the walk wraps around or skips a port in use.
      const step = (sources[i] - sources[i - 1] + 28000) % 28000
      expect(step).toBeGreaterThan(0)
      expect(step).toBeLessThan(65)
    }
    for (const s of sources) {
      expect(s).toBeGreaterThanOrEqual(33000)
      expect(s).toBeLessThan(61000)
    }
  })

  it('probes report their source port (TCP binds its own from the walk), so lab logs can tell denied probes from other traffic', async () => {
    const remotePorts: number[] = []
    const server = createServer((c) => {
      remotePorts.push(c.remotePort!)
      c.destroy()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const tcpPort = (server.address() as AddressInfo).port
    try {
      const connected = await probe({ ip: '127.0.0.1', port: tcpPort, protocol: 'TCP' }, 1000)
      expect(connected.outcome).toBe('connected')
      await new Promise((r) => setTimeout(r, 50))
      expect(remotePorts).toEqual([connected.sourcePort])
      expect(connected.sourcePort).toBeGreaterThanOrEqual(33000)
      expect(connected.sourcePort).toBeLessThan(61000)
    } finally {
      server.close()
    }
    const refused = await probe({ ip: '127.0.0.1', port: tcpPort, protocol: 'TCP' }, 1000)
    expect(refused.outcome).toBe('refused')
    expect(refused.sourcePort).toBeGreaterThanOrEqual(33000)
    const udp = await probe({ ip: '127.0.0.1', port, protocol: 'UDP' }, 1000)
    expect(seen.at(-1)!.port).toBe(udp.sourcePort)
  })
})
