import { describe, expect, it } from 'vitest'
import {
  DuplicateNftNameError,
  HashMemo,
  isNftName,
  NFT_NAME_MAX,
  NftDeclarations,
  NftNameAllocator,
  nftString,
  preferredNftName,
} from '../../src/dataplane/nft-names.js'

describe('NftNameAllocator', () => {
  it('never hands out a name twice, even when the first choices are equal', () => {
    const names = new NftNameAllocator()
    // The same object twice is the worst case of a hash collision: identical first choices.
    const got = [1, 2, 3].map(() => names.allocate('pol_in', 'default_web', 'default/web'))
    expect(got[0]).toBe(preferredNftName('pol_in', 'default_web', 'default/web'))
    expect(got.slice(1)).toEqual([`${got[0]}_2`, `${got[0]}_3`])
  })

  it('skips reserved names and names already taken by a suffix', () => {
    const first = preferredNftName('in', 'x', 'x')
    const names = new NftNameAllocator([first, `${first}_2`])
    expect(names.allocate('in', 'x', 'x')).toBe(`${first}_3`)
  })

  it('is deterministic: the same calls give the same names', () => {
    const run = (): string[] => {
      const names = new NftNameAllocator(['ingress'])
      return ['a/b', 'a/b', 'c/d'].map((n) => names.allocate('in', n, n))
    }
    expect(run()).toEqual(run())
  })

  it('names an object (allocateFor) as allocate names its texts, asks for the texts once per object and prefix across rulesets, and still never hands out a name twice', () => {
    const memo = new HashMemo()
    const pod = { namespace: 'ns', name: 'a' }
    let asked = 0
    const texts = (): [string, string] => {
      asked++
      return ['ns_a', 'ns/a']
    }
    const plain = new NftNameAllocator()
    const expected = [plain.allocate('in', 'ns_a', 'ns/a'), plain.allocate('in', 'ns_a', 'ns/a'), plain.allocate('eg', 'ns_a', 'ns/a')]
    for (let round = 0; round < 3; round++) {
      memo.nextRound()
      const names = new NftNameAllocator([], memo)
      // The same object twice under one prefix (broken input): the second gets `_2`, as with allocate.
      expect([names.allocateFor(pod, 'in', texts), names.allocateFor(pod, 'in', texts), names.allocateFor(pod, 'eg', texts)]).toEqual(expected)
    }
    expect(expected[1]).toBe(`${expected[0]}_2`)
    expect(asked).toBe(2)
    // Without a memo the texts are asked every time.
    const once = new NftNameAllocator()
    expect(once.allocateFor(pod, 'in', texts)).toBe(expected[0])
    expect(asked).toBe(3)
  })

  it('first choices are plain nft words of at most 64 characters, whatever the input', () => {
    for (const readable of ['', 'ns.with.dots/and-dashes', 'x'.repeat(400), '"; flush ruleset\n', '___', 'ÄÖÜ\u0000']) {
      const name = preferredNftName('allow_in', readable, readable)
      expect(isNftName(name), name).toBe(true)
      expect(name.length).toBeLessThanOrEqual(64)
    }
  })
})

describe('NftDeclarations', () => {
  it('refuses a second declaration of a name, naming both owners', () => {
    const d = new NftDeclarations()
    d.declare('chain', 'pol_in_x_0123456789', 'ingress rules of NetworkPolicy "ns/a"')
    expect(() => d.declare('chain', 'pol_in_x_0123456789', 'ingress rules of NetworkPolicy "ns/b"')).toThrow(
      new DuplicateNftNameError(
        'refusing to emit the ruleset: the nft name pol_in_x_0123456789 would be declared twice, as the chain for ingress rules of NetworkPolicy "ns/a" ' +
          'and as the chain for ingress rules of NetworkPolicy "ns/b"; nft would merge the two and apply one object\'s rules to the other\'s traffic',
      ),
    )
  })

  it('refuses a name across kinds too (stricter than nft), and anything that is not a plain name of at most 255 bytes', () => {
    const d = new NftDeclarations()
    d.declare('set', 'x', 'a set')
    expect(() => d.declare('counter', 'x', 'a counter')).toThrow(DuplicateNftNameError)
    for (const bad of ['', 'a b', 'a;b', 'A', '1a', 'a.b', 'a\nb', 'a'.repeat(NFT_NAME_MAX + 1)]) {
      expect(() => d.declare('chain', bad, 'test'), bad).toThrow(DuplicateNftNameError)
    }
    expect(d.declare('chain', 'a'.repeat(NFT_NAME_MAX), 'test')).toHaveLength(NFT_NAME_MAX)
  })
})

describe('nftString', () => {
  it('keeps only printable ASCII without quotes or backslashes, bounded', () => {
    expect(nftString('a"b\\c\nd\u001b[0m\u2028é', 100)).toBe('"a?b?c?d?[0m??"')
    expect(nftString('x'.repeat(300), 120)).toBe(`"${'x'.repeat(120)}"`)
  })
})
