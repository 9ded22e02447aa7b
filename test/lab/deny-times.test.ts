import { describe, it, expect } from 'vitest'
import { stabilizeTimes, TOLERANCE_MS } from '../../src/lab/deny-times.js'
import type { DeniedConnection } from '../../src/dataplane/deny-log.js'

const record = (time: string, sourcePort = 40000): DeniedConnection => ({
  time,
  node: 'node-0',
  side: 'ingress',
  source: 'x/a',
  sourceIp: '10.244.0.2',
  sourcePort,
  destination: 'x/b',
  destinationIp: '10.244.1.2',
  port: 80,
  protocol: 'TCP',
  policies: ['x/deny'],
  packets: 1,
})

describe('stable deny-record times', () => {
  it('shows a record at the time first estimated for it, whatever later reads estimate', () => {
    const t0 = Date.parse('2026-12-05T10:00:00.000Z')
    const first = stabilizeTimes([record('2026-12-05T10:00:00.000Z')], {}, t0)
    expect(first.changed).toBe(true)
    let kept = first.kept
    for (const jitter of ['2026-12-05T10:00:00.003Z', '2026-12-05T09:59:59.990Z', '2026-12-05T10:00:00.250Z']) {
      const again = stabilizeTimes([record(jitter)], kept, t0 + 60_000)
      expect(again.records.map((r) => r.time)).toEqual(['2026-12-05T10:00:00.000Z'])
      expect(again.changed).toBe(false)
      kept = again.kept
    }
  })

  it('keeps records of other connections apart, and a record that comes back after it expired is new', () => {
    const t0 = Date.parse('2026-12-05T10:00:00.000Z')
    const { kept } = stabilizeTimes([record('2026-12-05T10:00:00.000Z', 1), record('2026-12-05T10:00:00.100Z', 2)], {}, t0)
    const other = stabilizeTimes([record('2026-12-05T10:00:00.004Z', 2)], kept, t0)
    expect(other.records[0].time).toBe('2026-12-05T10:00:00.100Z')
    const later = new Date(t0 + 3_600_000 + TOLERANCE_MS + 1).toISOString()
    const back = stabilizeTimes([record(later, 1)], kept, t0 + 3_600_000)
    expect(back.records[0].time).toBe(later)
    // Kept times far older than any record can live are dropped.
    expect(Object.keys(stabilizeTimes([], kept, t0 + 4 * 3_600_000).kept)).toEqual([])
  })
})
