/**
 * @module Loading a cluster state from manifests: the IO shell (`loadManifests`: files,
 * directories, stdin) and its pure core (`loadManifestText`, `mergeLoadResults`).
 *
 * Every file is read and checked before anything is judged, and the state is assembled once over
 * all of them, so an InputError lists every problem of every file, duplicates across files are
 * found, and a namespace declared in one file is not implicit because another file uses it.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs'
import { open, readdir, realpath, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { InputError, type Diagnostic } from '../model/diagnostic.js'
import { DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_PODS, formatBytes } from '../model/input-limits.js'
import { dns1123LabelErrors } from '../model/name-validation.js'
import { decodeManifestBytes } from '../model/text-encoding.js'
import type { ValidationRules } from '../model/kube-version.js'
import { NAMESPACE_NAME_LABEL, type ClusterState } from '../model/types.js'
import { readManifestDocuments } from '../model/yaml-documents.js'
import { assembleClusterState } from './cluster-state.js'
import {
  collectManifestObjects,
  emptyManifestObjects,
  podBudget,
  type ManifestObjects,
  type PodBudget,
  type SkippedObject,
  type V1alpha1Object,
} from './manifest-objects.js'

export type { SkippedObject, V1alpha1Object } from './manifest-objects.js'

export interface LoadOptions {
  /** Like kubectl's `--namespace`: for objects that set none; an object setting another one is an error. */
  readonly namespace?: string
  /** Read for the path `-`; defaults to process.stdin. */
  readonly stdin?: NodeJS.ReadableStream
  /** `--max-pods`: pods read or made from workloads over all inputs (default DEFAULT_MAX_PODS). */
  readonly maxPods?: number
  /** `--max-file-size`: bytes of one file or of stdin (default DEFAULT_MAX_FILE_BYTES). */
  readonly maxFileBytes?: number
  /** `--kube-version`: the release whose validation rules apply (default: the newest). */
  readonly rules?: ValidationRules
  /** `--skip-invalid`: leave invalid objects (and unreadable documents) out and read the rest; see LoadResult.invalid. */
  readonly skipInvalid?: boolean
}

export interface LoadResult {
  readonly state: ClusterState
  /** Objects of kinds netpol does not model, in input order. */
  readonly skipped: readonly SkippedObject[]
  readonly warnings: readonly Diagnostic[]
  /** Deprecated v1alpha1 AdminNetworkPolicies and BaselineAdminNetworkPolicies, converted (not in `state`); absent: none. */
  readonly v1alpha1?: readonly V1alpha1Object[]
  /** With `skipInvalid`: the errors of what was left out; absent when nothing was (without it, errors throw). */
  readonly invalid?: readonly Diagnostic[]
}

/** The objects behind each result this module made, so merging can re-check them all together. */
const partsOf = new WeakMap<LoadResult, readonly ManifestObjects[]>()

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json']

/** Reads one text (a file's content) into the objects it holds, syntax errors included; `documents`: how many non-empty ones it has. */
function collectText(text: string, file: string, options: LoadOptions, budget: PodBudget): { objects: ManifestObjects; documents: number } {
  const { documents, errors } = readManifestDocuments(text, file)
  const objects = emptyManifestObjects()
  ;(options.skipInvalid ? objects.invalid : objects.errors).push(...errors)
  collectManifestObjects(
    documents,
    {
      ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
      ...(options.rules ? { rules: options.rules } : {}),
      ...(options.skipInvalid ? { skipInvalid: true } : {}),
      podBudget: budget,
    },
    objects,
  )
  return { objects, documents: documents.length + errors.length }
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
  const v1alpha1 = parts.flatMap((p) => p.v1alpha1)
  const invalid = sortDiagnostics(parts.flatMap((p) => p.invalid))
  const result: LoadResult = {
    state: assembled.state,
    skipped: parts.flatMap((p) => p.skipped),
    warnings: sortDiagnostics(parts.flatMap((p) => p.warnings)),
    ...(v1alpha1.length > 0 ? { v1alpha1 } : {}),
    ...(invalid.length > 0 ? { invalid } : {}),
  }
  partsOf.set(result, parts)
  return result
}

/** In input order: files in the order they were read (their first diagnostic), then by line. */
function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  const fileOrder = new Map<string, number>()
  for (const d of ds) if (!fileOrder.has(d.file)) fileOrder.set(d.file, fileOrder.size)
  return [...ds].sort((a, b) => fileOrder.get(a.file)! - fileOrder.get(b.file)! || a.line - b.line)
}

/** Pure: one manifest text (multi-document YAML or JSON). `file` names it in messages (default `-`). */
export function loadManifestText(text: string, options: LoadOptions & { file?: string } = {}): LoadResult {
  return finish([collectText(text, options.file ?? '-', options, podBudget(options.maxPods ?? DEFAULT_MAX_PODS)).objects], namespaceOptionErrors(options))
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
    if (!pod.template) part.identities.push({ kind: 'Pod', namespace: pod.namespace, name: pod.name, source: pod.source })
    else if (!owners.has(`${pod.template.kind}/${pod.namespace}/${pod.template.name}`)) {
      owners.add(`${pod.template.kind}/${pod.namespace}/${pod.template.name}`)
      part.identities.push({ kind: pod.template.kind, namespace: pod.namespace, name: pod.template.name, source: pod.source })
    }
  }
  for (const p of policies) {
    part.policies.push(p)
    part.identities.push({ kind: 'NetworkPolicy', namespace: p.namespace, name: p.name, source: p.source })
  }
  for (const p of result.state.clusterNetworkPolicies ?? []) {
    part.clusterNetworkPolicies.push(p)
    part.identities.push({ kind: 'ClusterNetworkPolicy', name: p.name, source: p.source })
  }
  for (const n of result.state.nodes ?? []) {
    part.nodes.push(n)
    part.identities.push({ kind: 'Node', name: n.name, source: n.source })
  }
  for (const svc of result.state.services ?? []) {
    part.services.push(svc)
    part.identities.push({ kind: 'Service', namespace: svc.namespace, name: svc.name, source: svc.source })
  }
  for (const slice of result.state.endpointSlices ?? []) {
    part.endpointSlices.push(slice)
    part.identities.push({ kind: 'EndpointSlice', namespace: slice.namespace, name: slice.name, source: slice.source })
  }
  part.v1alpha1.push(...(result.v1alpha1 ?? []))
  part.skipped.push(...result.skipped)
  part.warnings.push(...result.warnings)
  part.invalid.push(...(result.invalid ?? []))
  return part
}

function inputError(file: string, message: string, line = 0): Diagnostic {
  return { severity: 'error', file, line, message }
}

/** What kind of file a stat describes, for messages. */
function fileType(s: Stats): string {
  if (s.isCharacterDevice()) return 'a character device'
  if (s.isBlockDevice()) return 'a block device'
  if (s.isSocket()) return 'a socket'
  if (s.isDirectory()) return 'a directory'
  return 'not a regular file'
}

/** Why a file system call failed, in words (the errno code for the rest). */
function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'ENOENT':
      return 'no such file or directory (a broken symbolic link?)'
    case 'ELOOP':
      return 'too many levels of symbolic links'
    case 'EISDIR':
      return 'is a directory'
    case 'ENOTDIR':
      return 'not a directory'
    default:
      return code ?? (err instanceof Error ? err.message : String(err))
  }
}

/** Bytes of one input, at most `max`; undefined (with `tooBig`) when there is more. */
async function readBounded(chunks: AsyncIterable<Buffer | string>, max: number): Promise<Buffer | undefined> {
  const parts: Buffer[] = []
  let size = 0
  for await (const chunk of chunks) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    size += b.length
    if (size > max) return undefined
    parts.push(b)
  }
  return Buffer.concat(parts)
}

function tooBig(file: string, max: number): Diagnostic {
  return inputError(file, `error: larger than ${formatBytes(max)} (--max-file-size): netpol does not read it`)
}

/** Text from bytes, or a diagnostic naming the file (and line) when the encoding is not one netpol reads. */
function decode(bytes: Uint8Array, file: string): string | Diagnostic {
  const r = decodeManifestBytes(bytes)
  return 'text' in r ? r.text : inputError(file, `error: ${r.error}`, r.line)
}

async function readStdin(stream: NodeJS.ReadableStream, max: number): Promise<string | Diagnostic> {
  const bytes = await readBounded(stream as AsyncIterable<Buffer | string>, max)
  return bytes ? decode(bytes, '-') : tooBig('-', max)
}

/**
 * A file's text: regular files and pipes only (a device such as /dev/urandom never ends, and
 * reading some has effects), at most `max` bytes.
 */
async function readManifestFile(file: string, max: number, inDirectory = false): Promise<string | Diagnostic> {
  const refuse = (s: Stats): Diagnostic =>
    inputError(file, `error: cannot read ${JSON.stringify(file)}: ${fileType(s)}; netpol reads regular files, pipes and stdin (-)`)
  try {
    const before = statSync(file)
    // A pipe named as a PATH is the user's (`<(kubectl get ...)`); one found in a directory is
    // not, and opening it would wait for a writer forever.
    if (before.isFIFO() && inDirectory)
      return inputError(
        file,
        `error: cannot read ${JSON.stringify(file)}: a named pipe inside a directory; netpol reads a pipe only when it is named as a PATH`,
      )
    if (before.isFIFO()) return await readPipe(file, max, refuse)
    if (!before.isFile()) return refuse(before)
    // Regular files are read synchronously: for hundreds of small files that is several times
    // faster than going through the thread pool, and nothing else runs meanwhile.
    const fd = openSync(file, constants.O_RDONLY | constants.O_NOCTTY)
    try {
      const s = fstatSync(fd)
      if (!s.isFile()) return refuse(s)
      if (s.size > max) return tooBig(file, max)
      const bytes = readBoundedSync(fd, s.size, max)
      return bytes ? decode(bytes, file) : tooBig(file, max)
    } finally {
      closeSync(fd)
    }
  } catch (err) {
    return inputError(file, `error: cannot read ${JSON.stringify(file)}: ${reason(err)}`)
  }
}

/**
 * One file that is not a manifest set (the expectations of `netpol test --expect`), read as
 * manifest files are: regular files and pipes only, at most `maxFileBytes`, UTF-8 or UTF-16/32
 * with a byte order mark. `name` names it in messages. Throws InputError.
 */
export async function readInputFile(path: string, name: string, maxFileBytes = DEFAULT_MAX_FILE_BYTES): Promise<string> {
  let s: Stats
  try {
    s = statSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new InputError([
      inputError(
        name,
        code === 'ENOENT' || code === 'ENOTDIR'
          ? `error: the path ${JSON.stringify(name)} does not exist`
          : `error: cannot read ${JSON.stringify(name)}: ${reason(err)}`,
      ),
    ])
  }
  if (s.isDirectory()) throw new InputError([inputError(name, `error: cannot read ${JSON.stringify(name)}: is a directory; give one file`)])
  const text = await readManifestFile(path, maxFileBytes)
  if (typeof text === 'string') return text
  throw new InputError([{ ...text, file: name, message: text.message.replaceAll(JSON.stringify(path), JSON.stringify(name)) }])
}

/** A regular file's bytes (its size as stat saw it, but to its real end: files can grow), at most `max`. */
function readBoundedSync(fd: number, size: number, max: number): Buffer | undefined {
  let buf = Buffer.allocUnsafe(Math.min(size, max) + 1)
  let length = 0
  for (;;) {
    if (length === buf.length) {
      if (length > max) return undefined
      const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, max + 1))
      buf.copy(bigger, 0, 0, length)
      buf = bigger
    }
    const n = readSync(fd, buf, length, buf.length - length, null)
    if (n === 0) break
    length += n
  }
  return length > max ? undefined : buf.subarray(0, length)
}

/** A named pipe: opened and read asynchronously (the writer may be this very process). */
async function readPipe(file: string, max: number, refuse: (s: Stats) => Diagnostic): Promise<string | Diagnostic> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOCTTY)
  try {
    const s = await handle.stat()
    if (!s.isFIFO()) return refuse(s)
    const bytes = await readBounded(handle.createReadStream({ autoClose: false }), max)
    return bytes ? decode(bytes, file) : tooBig(file, max)
  } finally {
    await handle.close().catch(() => undefined)
  }
}

/**
 * Files under a directory with a manifest extension, recursively, in a fixed (code point) order.
 * Symbolic links are followed, each real directory once (a link back up the tree is no loop).
 * A directory that cannot be listed, or an entry that cannot be examined, is an error: a
 * manifest silently left out could be a deny-all policy.
 */
async function manifestFilesUnder(dir: string, errors: Diagnostic[], visited = new Set<string>()): Promise<string[]> {
  let entries
  try {
    const real = await realpath(dir)
    if (visited.has(real)) return []
    visited.add(real)
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    errors.push(inputError(dir, `error: cannot read directory ${JSON.stringify(dir)}: ${reason(err)}`))
    return []
  }
  const byName = new Map(entries.map((e) => [e.name, e]))
  const names = [...byName.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const out: string[] = []
  for (const name of names) {
    const full = join(dir, name)
    const isManifest = MANIFEST_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext))
    const entry = byName.get(name)!
    let isDirectory = entry.isDirectory()
    // Links (and file systems that do not tell the type) need a stat to know what they point at.
    if (!isDirectory && !entry.isFile()) {
      try {
        isDirectory = (await stat(full)).isDirectory()
      } catch (err) {
        // A dangling link that is not named like a manifest (a stale README link) cannot hide a policy.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !isManifest) continue
        errors.push(inputError(full, `error: cannot read ${JSON.stringify(full)}: ${reason(err)}`))
        continue
      }
    }
    if (isDirectory) out.push(...(await manifestFilesUnder(full, errors, visited)))
    else if (isManifest) out.push(full)
  }
  return out
}

/**
 * IO: reads files (any extension when named), directories (recursively, `.yaml`/`.yml`/`.json`
 * only) and `-` (stdin, once), then loads them all together. Throws InputError listing every
 * problem, missing paths included. Every PATH must hold at least one object (an empty
 * `kind: List` counts): an empty stdin or directory is an error, never a valid empty cluster,
 * so a CI job that lost its input fails.
 */
export async function loadManifests(paths: readonly string[], options: LoadOptions = {}): Promise<LoadResult> {
  const errors: Diagnostic[] = namespaceOptionErrors(options)
  const parts: ManifestObjects[] = []
  const budget = podBudget(options.maxPods ?? DEFAULT_MAX_PODS)
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES
  let stdinRead = false
  const seenFiles = new Set<string>()
  const readText = (text: string, file: string): number => {
    const { objects, documents } = collectText(text, file, options, budget)
    parts.push(objects)
    return documents
  }
  for (const path of paths) {
    if (path === '-') {
      if (stdinRead) {
        errors.push(inputError('-', 'error: stdin (-) can only be read once'))
        continue
      }
      stdinRead = true
      const text = await readStdin(options.stdin ?? process.stdin, maxBytes)
      if (typeof text !== 'string') errors.push(text)
      else if (readText(text, '-') === 0) errors.push(inputError('-', 'error: no objects read from stdin (-): the input is empty or holds only comments'))
      continue
    }
    let s: Stats
    try {
      s = await stat(path)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      errors.push(
        inputError(
          path,
          code === 'ENOENT' || code === 'ENOTDIR'
            ? `error: the path ${JSON.stringify(path)} does not exist`
            : `error: cannot read ${JSON.stringify(path)}: ${reason(err)}`,
        ),
      )
      continue
    }
    const errorsBefore = errors.length
    const files = s.isDirectory() ? await manifestFilesUnder(path, errors) : [path]
    let documents = 0
    let unreadable = errors.length > errorsBefore
    for (const file of files) {
      // A file named twice (directly and through its directory) is read once.
      const key = resolve(file)
      if (seenFiles.has(key)) {
        documents++
        continue
      }
      seenFiles.add(key)
      const text = await readManifestFile(file, maxBytes, s.isDirectory())
      if (typeof text !== 'string') {
        errors.push(text)
        unreadable = true
        continue
      }
      documents += readText(text, file)
    }
    if (documents > 0 || unreadable) continue
    if (!s.isDirectory()) errors.push(inputError(path, `error: no objects read from ${JSON.stringify(path)}: the file is empty or holds only comments`))
    else if (files.length === 0)
      errors.push(inputError(path, `error: no objects read from directory ${JSON.stringify(path)}: it has no .yaml, .yml or .json files`))
    else
      errors.push(
        inputError(
          path,
          `error: no objects read from directory ${JSON.stringify(path)}: its ` +
            `${files.length === 1 ? 'one manifest file is' : `${files.length} manifest files are`} empty`,
        ),
      )
  }
  return finish(parts, errors)
}
