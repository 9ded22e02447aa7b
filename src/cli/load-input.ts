/**
 * @module The one way commands read their PATH arguments: load the manifests (relative to the
 * CLI's working directory, `-` for stdin), print warnings, and with --verbose list what was skipped.
 */
import { isAbsolute, resolve } from 'node:path'
import { formatDiagnostic } from '../model/diagnostic.js'
import { loadManifests, type LoadResult } from '../cluster/load-manifests.js'
import type { CliIO } from './io.js'

export interface LoadInputOptions {
  readonly namespace?: string
  readonly verbose?: boolean
}

export async function loadInput(paths: readonly string[], io: CliIO, options: LoadInputOptions = {}): Promise<LoadResult> {
  // Paths stay as written (so messages name files the user's way) unless the CLI runs for another directory.
  const sameDir = resolve(io.cwd) === process.cwd()
  const located = paths.map((p) => (p === '-' || isAbsolute(p) || sameDir ? p : resolve(io.cwd, p)))
  const result = await loadManifests(located, { namespace: options.namespace, stdin: io.stdin })
  for (const w of result.warnings) io.stderr(`${relativeTo(formatDiagnostic(w), io.cwd)}\n`)
  if (options.verbose) {
    for (const s of result.skipped) {
      io.stderr(`${relativeTo(s.file, io.cwd)}:${s.line}: skipped ${s.kind}${s.name ? ` "${s.name}"` : ''} (${s.apiVersion}): netpol does not use this kind\n`)
    }
  }
  return result
}

/** Messages name files the way the user wrote them, not as absolute paths. */
function relativeTo(text: string, cwd: string): string {
  const prefix = cwd.endsWith('/') ? cwd : `${cwd}/`
  return text.startsWith(prefix) ? text.slice(prefix.length) : text
}
