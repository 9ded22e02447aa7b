import { describe, it, expect } from 'vitest'
import { xyzCases } from '../cases/xyz-cases.js'
import { runCases } from './run-cases.js'

describe('upstream e2e model x/y/z × a/b/c (truth tables from the upstream statements)', () => {
  it('every case is a full 9x9 truth table per probed port', () => {
    for (const c of xyzCases) expect(c.expect.length % 81, c.name).toBe(0)
  })
  runCases(xyzCases)
})
