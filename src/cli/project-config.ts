/**
 * @module The project configuration file, `.netpol.yaml` (docs/cli.md, "Configuration file"): the
 * one named by --config, else the first found from the working directory upwards, stopping at the
 * git repository's root (the directory with `.git`) or the filesystem root. It is untrusted input:
 * read as manifests are (bounded, YAML 1.1), unknown fields and wrong types refused with file:line.
 */
import { existsSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { readInputFile } from '../cluster/load-manifests.js'
import { InputError, type Diagnostic } from '../model/diagnostic.js'
import { editDistance } from '../model/edit-distance.js'
import { parseKubeVersion, type KubeVersion } from '../model/kube-version.js'
import { readManifestDocuments } from '../model/yaml-documents.js'
import type { CliIO } from './io.js'

export const CONFIG_FILE_NAME = '.netpol.yaml'
/** A few fields: anything near this size is not a configuration file. */
const MAX_CONFIG_BYTES = 64 * 1024
const KNOWN_FIELDS = ['kubeVersion'] as const

export interface ProjectConfig {
  /** The file, as messages name it; absent when there is none. */
  readonly file?: string
  readonly kubeVersion?: KubeVersion
}

/** The nearest `.netpol.yaml` from `cwd` upwards, not above the git repository's root. */
export function findProjectConfig(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, CONFIG_FILE_NAME)
    if (existsSync(candidate)) return candidate
    if (existsSync(join(dir, '.git')) || dirname(dir) === dir) return undefined
  }
}

/** The configuration of `--config FILE` (relative to the working directory), else the one found; empty when there is none. Throws InputError. */
export async function readProjectConfig(io: CliIO, explicit?: string): Promise<ProjectConfig> {
  const path = explicit !== undefined ? resolve(io.cwd, explicit) : findProjectConfig(io.cwd)
  if (path === undefined) return {}
  const file = explicit ?? (relative(io.cwd, path) || CONFIG_FILE_NAME)
  const text = await readInputFile(path, file, MAX_CONFIG_BYTES)
  const { documents, errors } = readManifestDocuments(text, file)
  if (errors.length > 0) throw new InputError(errors)
  const error = (line: number, message: string, field?: string): Diagnostic => ({ severity: 'error', file, line, ...(field ? { field } : {}), message })
  if (documents.length > 1) throw new InputError([error(documents[1].lineAt([]), 'error: a configuration file holds one YAML document, not several')])
  const doc = documents[0]
  if (doc === undefined) return { file }
  const value = doc.value
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Date)
    throw new InputError([error(doc.lineAt([]), `error: the configuration must be a mapping of fields (${KNOWN_FIELDS.join(', ')}), e.g. kubeVersion: "1.35"`)])
  const fields = value as Record<string, unknown>
  const problems: Diagnostic[] = []
  for (const key of Object.keys(fields)) {
    if ((KNOWN_FIELDS as readonly string[]).includes(key)) continue
    const guess = KNOWN_FIELDS.find((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 3)
    problems.push(
      error(
        doc.lineAt([key]),
        `Unknown field: unknown field "${key}"${guess ? ` (did you mean "${guess}"?)` : ` (known fields: ${KNOWN_FIELDS.join(', ')})`}`,
        key,
      ),
    )
  }
  let kubeVersion: KubeVersion | undefined
  const raw = fields.kubeVersion
  if ('kubeVersion' in fields) {
    const line = doc.lineAt(['kubeVersion'])
    if (typeof raw !== 'string') {
      const shown = doc.textAt(['kubeVersion']) ?? JSON.stringify(raw)
      problems.push(
        error(
          line,
          `Invalid value: ${JSON.stringify(shown)}: must be a string: quote the version (kubeVersion: "1.35"), as YAML reads 1.30 as the number 1.3`,
          'kubeVersion',
        ),
      )
    } else {
      const parsed = parseKubeVersion(raw)
      if (parsed.ok) kubeVersion = parsed.version
      else problems.push(error(line, `Invalid value: ${parsed.error}`, 'kubeVersion'))
    }
  }
  if (problems.length > 0) throw new InputError(problems)
  return { file, ...(kubeVersion ? { kubeVersion } : {}) }
}
