/**
 * @module Loading a cluster state from manifests: the IO shell (`loadManifests`: files,
 * directories, stdin) and its pure core (`loadManifestText`, `mergeLoadResults`).
 *
 * Every file is read and checked before anything is judged, and the state is assembled once over
 * all of them, so an InputError lists every problem of every file, duplicates across files are
 * found, and a namespace declared in one file is not implicit because another file uses it.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { InputError, type Diagnostic } from '../model/diagnostic.js'
import { dns1123LabelErrors } from '../model/name-validation.js'
import { NAMESPACE_NAME_LABEL, type ClusterState } from '../model/types.js'
import { readManifestDocuments } from '../model/yaml-documents.js'
import { assembleClusterState } from './cluster-state.js'
import { collectManifestObjects, emptyManifestObjects, type ManifestObjects, type SkippedObject } from './manifest-objects.js'

export type { SkippedObject } from './manifest-objects.js'

export interface LoadOptions {
  /** Like kubectl's `--namespace`: for objects that set none; an object setting another one is an error. */
  readonly namespace?: string
  /** Read for the path `-`; defaults to process.stdin. */
  readonly stdin?: NodeJS.ReadableStream
}

export interface LoadResult {
  readonly state: ClusterState
  /** Objects of kinds netpol does not model, in input order. */
  readonly skipped: readonly SkippedObject[]
  readonly warnings: readonly Diagnostic[]
}

/** The objects behind each result this module made, so merging can re-check them all together. */
const partsOf = new WeakMap<LoadResult, readonly ManifestObjects[]>()

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json']

/** Reads one text (a file's content) into the objects it holds, syntax errors included. */
function collectText(text: string, file: string, options: LoadOptions): ManifestObjects {
  const { documents, errors } = readManifestDocuments(text, file)
  const objects = emptyManifestObjects()
  objects.errors.push(...errors)
  return collectManifestObjects(documents, options.namespace !== undefined ? { namespace: options.namespace } : {}, objects)
}

/** `--namespace` must itself be a namespace name. */
function namespaceOptionErrors(options: LoadOptions): Diagnostic[] {
  if (options.namespace === undefined) return []
  const errs = options.namespace === '' ? ['must not be empty'] : dns1123LabelErrors(options.namespace)
  return errs.map((msg) => ({ severity: 'error', file: '--namespace', line: 0, message: `Invalid value: ${JSON.stringify(options.namespace)}: ${msg}` }))
}

/** Assembles parts into a result, or throws every error found in any of them. */
function finish(parts: readonly ManifestObjects[], extraErrors: readonly Diagnostic[] = []): LoadResult {
  const assembled = assembleClusterState(parts)
  const errors = [...extraErrors, ...parts.flatMap((p) => p.errors), ...assembled.errors]
  if (errors.length > 0) throw new InputError(sortDiagnostics(errors))
  const result: LoadResult = {
    state: assembled.state,
    skipped: parts.flatMap((p) => p.skipped),
    warnings: sortDiagnostics(parts.flatMap((p) => p.warnings)),
  }
  partsOf.set(result, parts)
  return result
}

/** In input order: files in the order they were read (their first diagnostic), then by line. */
function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  const fileOrder = new Map<string, number>()
  for (const d of ds) if (!fileOrder.has(d.file)) fileOrder.set(d.file, fileOrder.size)
  return [...ds].sort((a, b) => (fileOrder.get(a.file)! - fileOrder.get(b.file)!) || a.line - b.line)
}

/** Pure: one manifest text (multi-document YAML or JSON). `file` names it in messages (default `-`). */
export function loadManifestText(text: string, options: LoadOptions & { file?: string } = {}): LoadResult {
  return finish([collectText(text, options.file ?? '-', options)], namespaceOptionErrors(options))
}

/** Pure: one result for several, checked together (duplicates across them, implicit namespaces over all). */
export function mergeLoadResults(results: readonly LoadResult[]): LoadResult {
  return finish(results.flatMap((r) => partsOf.get(r) ?? [partsFromState(r)]))
}

/** Parts for a result made elsewhere (e.g. a live cluster), recovered from its state. */
function partsFromState(result: LoadResult): ManifestObjects {
  const part = emptyManifestObjects()
  const { namespaces, pods, policies } = result.state
  for (const ns of namespaces) {
    if (ns.implicit) {
      part.referencedNamespaces.set(ns.name, ns.source ?? { file: 'api', line: 0 })
    } else {
      part.namespaces.push({ ...ns, labels: { ...ns.labels, [NAMESPACE_NAME_LABEL]: ns.name } })
      part.identities.push({ kind: 'Namespace', name: ns.name, source: ns.source ?? { file: 'api', line: 0 } })
    }
  }
  const owners = new Set<string>()
  for (const pod of pods) {
    part.pods.push(pod)
    if (!pod.owner) part.identities.push({ kind: 'Pod', namespace: pod.namespace, name: pod.name, source: pod.source })
    else if (!owners.has(`${pod.owner.kind}/${pod.namespace}/${pod.owner.name}`)) {
      owners.add(`${pod.owner.kind}/${pod.namespace}/${pod.owner.name}`)
      part.identities.push({ kind: pod.owner.kind, namespace: pod.namespace, name: pod.owner.name, source: pod.source })
    }
  }
  for (const p of policies) {
    part.policies.push(p)
    part.identities.push({ kind: 'NetworkPolicy', namespace: p.namespace, name: p.name, source: p.source })
  }
  part.skipped.push(...result.skipped)
  part.warnings.push(...result.warnings)
  return part
}

function inputError(file: string, message: string): Diagnostic {
  return { severity: 'error', file, line: 0, message }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Files under a directory with a manifest extension, recursively, in a fixed (code point) order.
 * Symbolic links are followed, each real directory once (a link back up the tree is no loop).
 */
async function manifestFilesUnder(dir: string, visited = new Set<string>()): Promise<string[]> {
  const real = await realpath(dir)
  if (visited.has(real)) return []
  visited.add(real)
  const entries = await readdir(dir, { withFileTypes: true })
  const names = entries.map((e) => e.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const out: string[] = []
  for (const name of names) {
    const full = join(dir, name)
    const s = await stat(full).catch(() => undefined)
    if (!s) continue
    if (s.isDirectory()) out.push(...(await manifestFilesUnder(full, visited)))
    else if (s.isFile() && MANIFEST_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext))) out.push(full)
  }
  return out
}

/**
 * IO: reads files (any extension when named), directories (recursively, `.yaml`/`.yml`/`.json`
 * only) and `-` (stdin, once), then loads them all together. Throws InputError listing every
 * problem, missing paths included.
 */
export async function loadManifests(paths: readonly string[], options: LoadOptions = {}): Promise<LoadResult> {
  const errors: Diagnostic[] = namespaceOptionErrors(options)
  const parts: ManifestObjects[] = []
  let stdinRead = false
  const seenFiles = new Set<string>()
  for (const path of paths) {
    if (path === '-') {
      if (stdinRead) {
        errors.push(inputError('-', 'error: stdin (-) can only be read once'))
        continue
      }
      stdinRead = true
      const text = await readStream(options.stdin ?? process.stdin)
      parts.push(collectText(text, '-', options))
      continue
    }
    const s = await stat(path).catch(() => undefined)
    if (!s) {
      errors.push(inputError(path, `error: the path ${JSON.stringify(path)} does not exist`))
      continue
    }
    const files = s.isDirectory() ? await manifestFilesUnder(path) : [path]
    if (s.isDirectory() && files.length === 0) {
      // Not an error (an empty set of manifests is valid), but a typo'd directory should not pass silently.
      const none = emptyManifestObjects()
      none.warnings.push({ severity: 'warning', file: path, line: 0, message: 'no .yaml, .yml or .json files in this directory: nothing read' })
      parts.push(none)
    }
    for (const file of files) {
      // A file named twice (directly and through its directory) is read once.
      const key = resolve(file)
      if (seenFiles.has(key)) continue
      seenFiles.add(key)
      let text: string
      try {
        text = await readFile(file, 'utf8')
      } catch (err) {
        errors.push(inputError(file, `error: cannot read ${JSON.stringify(file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`))
        continue
      }
      parts.push(collectText(text, file, options))
    }
  }
  return finish(parts, errors)
}
