import { describe } from 'vitest'
import { semanticsCases } from '../cases/semantics-cases.js'
import { runCases } from './run-cases.js'

describe('NetworkPolicy semantics (shared case tables, reference and fast engine)', () => {
  runCases(semanticsCases)
})
