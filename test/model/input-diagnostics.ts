/**
 * Test helper: the diagnostics carried by the InputError a load throws. Any other error is
 * rethrown, so a crash never passes for a reported problem.
 */
import { InputError, type Diagnostic } from '../../src/model/diagnostic.js'

function diagnosticsOf(err: unknown): Diagnostic[] {
  if (err instanceof InputError) return [...err.diagnostics]
  throw err
}

/** The diagnostics of the InputError `run` throws; [] when it throws none. */
export function inputDiagnostics(run: () => unknown): Diagnostic[] {
  try {
    run()
  } catch (err) {
    return diagnosticsOf(err)
  }
  return []
}

/** The diagnostics of the InputError `run` throws; fails when it throws none. */
export function requireInputError(run: () => unknown): Diagnostic[] {
  try {
    run()
  } catch (err) {
    return diagnosticsOf(err)
  }
  throw new Error('expected an InputError')
}

/** The diagnostics of the InputError `p` rejects with; fails when it resolves. */
export async function requireInputErrorAsync(p: Promise<unknown>): Promise<Diagnostic[]> {
  try {
    await p
  } catch (err) {
    return diagnosticsOf(err)
  }
  throw new Error('expected an InputError')
}
