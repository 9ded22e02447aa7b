import { createSocket, type RemoteInfo } from 'node:dgram'
import type { AddressInfo } from 'node:net'
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
})
