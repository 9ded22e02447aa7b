import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { buildIpBlockIndex } from '../../src/engine/ip-index.js'
import { formatIp, ipBlockRanges, parseIp, rangesContainIp } from '../../src/model/cidr.js'

const v4Cidr = fc
  .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 8, max: 32 }))
  .map(([b, p]) => `${formatIp({ family: 4, value: (10n << 24n) | (BigInt(b) << 8n) })}/${p}`)

describe('ipBlock index', () => {
  it('lists exactly the blocks whose cidr minus except holds the address', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ cidr: v4Cidr, except: fc.array(v4Cidr, { maxLength: 2 }) }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 20 }),
        (blocks, hosts) => {
          const index = buildIpBlockIndex([...blocks, { cidr: 'fd00::/64', except: ['fd00::/120'] }])
          for (const h of hosts) {
            const text = formatIp({ family: 4, value: (10n << 24n) | BigInt(h) })
            const ip = parseIp(text)!
            const want = blocks.map((b, i) => (rangesContainIp(ipBlockRanges(b), ip) ? i : -1)).filter((i) => i >= 0)
            expect(index.blocksOf(text)).toEqual(want)
            expect(index.classBlocks(index.classOf(text))).toEqual(want)
          }
          expect(index.blocksOf('fd00::1')).toEqual([])
          expect(index.blocksOf('fd00::101')).toEqual([blocks.length])
          expect(index.blocksOf('not-an-ip')).toEqual([])
        },
      ),
    )
  })
})
