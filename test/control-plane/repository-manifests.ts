/**
 * Every manifest fixture of the repository, as kubectl would send its objects: each YAML or JSON
 * file under examples/, deploy/, test/fixtures/ and the vendored network-policy-api conformance
 * manifests and v1alpha1 examples, read as kubectl reads YAML (YAML 1.1: `yes` is a boolean), `List`s opened.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { parseAllDocuments } from 'yaml'

const ROOT = join(import.meta.dirname, '..', '..')

/** Where the fixtures are: every YAML/JSON file below these directories. */
export const FIXTURE_ROOTS = [
  'examples',
  'deploy',
  'test/fixtures',
  'vendor/network-policy-api/v1alpha1/conformance',
  'vendor/network-policy-api/v1alpha1/examples',
  'vendor/network-policy-api/v1alpha2/conformance',
]

export interface ManifestFile {
  /** Relative to the repository root. */
  readonly file: string
  readonly path: string
  /** The objects of its documents (a List's items in its place); undefined when `skipped`. */
  readonly objects?: Record<string, unknown>[]
  /** YAML documents that do not parse (left out). */
  readonly unreadableDocuments?: number
  /** Why the file is not compared at all. */
  readonly skipped?: string
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await walk(path)))
    else if (/\.(ya?ml|json)$/.test(entry.name)) out.push(path)
  }
  return out.sort()
}

function flatten(value: unknown, out: Record<string, unknown>[]): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return
  const obj = value as Record<string, unknown>
  if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
    const itemKind = obj.kind === 'List' ? undefined : obj.kind.slice(0, -'List'.length)
    for (const item of obj.items as unknown[]) {
      const typed =
        itemKind && item && typeof item === 'object' && (item as Record<string, unknown>).kind === undefined
          ? { apiVersion: obj.apiVersion, kind: itemKind, ...item }
          : item
      flatten(typed, out)
    }
    return
  }
  out.push(obj)
}

export async function repositoryManifests(): Promise<ManifestFile[]> {
  const files: ManifestFile[] = []
  for (const root of FIXTURE_ROOTS) {
    for (const path of await walk(join(ROOT, root))) {
      const file = relative(ROOT, path)
      const text = await readFile(path, 'utf8')
      // The upstream conformance suite fills these in with Go templates before use: not manifests yet.
      if (text.includes('{{')) {
        files.push({ file, path, skipped: 'a Go template (upstream conformance manifest filled in at run time)' })
        continue
      }
      const objects: Record<string, unknown>[] = []
      let unreadable = 0
      if (file.endsWith('.json')) {
        try {
          flatten(JSON.parse(text), objects)
        } catch {
          files.push({ file, path, skipped: 'not JSON' })
          continue
        }
      } else {
        const docs = parseAllDocuments(text, { version: '1.1', uniqueKeys: false })
        const docList = Array.isArray(docs) ? docs : [docs]
        for (const d of docList) {
          // No object to send (kubectl stops there too); netpol check's own tests cover the message.
          if (d.errors.length > 0) unreadable++
          else flatten(d.toJS({ maxAliasCount: 100 }), objects)
        }
      }
      files.push({ file, path, objects, unreadableDocuments: unreadable })
    }
  }
  return files
}
