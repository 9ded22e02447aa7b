/**
 * Validation verdicts of many objects at once, from the API server and from `netpol check`, and
 * their comparison (check-vs-api-server.test.ts).
 *
 * Server side: what `kubectl apply --dry-run=server` sends for an object that does not exist yet,
 * a create with `dryRun=All&fieldValidation=Strict` (kubectl's default `--validate=strict`), sent
 * directly with the admin token: one HTTP request per object instead of one kubectl process, and a
 * Status with one cause per field instead of text to take apart. netpol side: one `netpol check`
 * of a whole file, its errors grouped by the object they name.
 */
import { readFile } from 'node:fs/promises'
import { request } from 'node:https'
import type { ControlPlane } from '../../testing/control-plane.js'
import { runCliInProcess } from '../cli/run-cli-in-process.js'

/** What one side said of one object. */
export interface Verdict {
  readonly refused: boolean
  /** Field paths of the errors, sorted, without duplicates. */
  readonly fields: string[]
  /** The server's message (empty when accepted). */
  readonly message: string
  /** The server stopped at decoding (HTTP 400: unknown field, wrong type): it names the first problem(s) only. */
  readonly decodeOnly?: boolean
  /** The server's causes (422), one per error. */
  readonly causes?: readonly { readonly field: string; readonly message: string }[]
}

/** The REST collection of each kind the comparison covers; namespaced kinds take the namespace. */
const COLLECTIONS: Record<string, { apiVersion: string; path: (ns: string) => string }> = {
  Namespace: { apiVersion: 'v1', path: () => '/api/v1/namespaces' },
  Pod: { apiVersion: 'v1', path: (ns) => `/api/v1/namespaces/${ns}/pods` },
  Service: { apiVersion: 'v1', path: (ns) => `/api/v1/namespaces/${ns}/services` },
  NetworkPolicy: { apiVersion: 'networking.k8s.io/v1', path: (ns) => `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies` },
  ClusterNetworkPolicy: { apiVersion: 'policy.networking.k8s.io/v1alpha2', path: () => '/apis/policy.networking.k8s.io/v1alpha2/clusternetworkpolicies' },
  AdminNetworkPolicy: { apiVersion: 'policy.networking.k8s.io/v1alpha1', path: () => '/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies' },
  BaselineAdminNetworkPolicy: {
    apiVersion: 'policy.networking.k8s.io/v1alpha1',
    path: () => '/apis/policy.networking.k8s.io/v1alpha1/baselineadminnetworkpolicies',
  },
  Deployment: { apiVersion: 'apps/v1', path: (ns) => `/apis/apps/v1/namespaces/${ns}/deployments` },
  StatefulSet: { apiVersion: 'apps/v1', path: (ns) => `/apis/apps/v1/namespaces/${ns}/statefulsets` },
  DaemonSet: { apiVersion: 'apps/v1', path: (ns) => `/apis/apps/v1/namespaces/${ns}/daemonsets` },
  ReplicaSet: { apiVersion: 'apps/v1', path: (ns) => `/apis/apps/v1/namespaces/${ns}/replicasets` },
  Job: { apiVersion: 'batch/v1', path: (ns) => `/apis/batch/v1/namespaces/${ns}/jobs` },
  CronJob: { apiVersion: 'batch/v1', path: (ns) => `/apis/batch/v1/namespaces/${ns}/cronjobs` },
}
/** What a CRD's validation says (field `<nil>`; netpol says it too, without a field) when it skipped its CEL rules because of other errors. */
const NOT_CHECKED = 'some validation rules were not checked'

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterNetworkPolicy', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy'])

/** The kinds compared, when their apiVersion is the one served. */
export function comparedKind(obj: Record<string, unknown>): boolean {
  const c = COLLECTIONS[String(obj.kind)]
  return c !== undefined && obj.apiVersion === c.apiVersion
}

/** `Kind "ns/name"` or `Kind "name"`, as netpol's errors name an object (namespace `default` when unset, as `netpol check` and kubectl assume). */
export function identity(obj: Record<string, unknown>): string {
  const kind = String(obj.kind)
  const meta = (obj.metadata ?? {}) as Record<string, unknown>
  const name = String(meta.name ?? '')
  return CLUSTER_SCOPED.has(kind) ? `${kind} ${JSON.stringify(name)}` : `${kind} ${JSON.stringify(`${String(meta.namespace ?? 'default')}/${name}`)}`
}

export function namespaceOf(obj: Record<string, unknown>): string | undefined {
  if (CLUSTER_SCOPED.has(String(obj.kind))) return undefined
  const ns = ((obj.metadata ?? {}) as Record<string, unknown>).namespace
  return typeof ns === 'string' ? ns : 'default'
}

function httpJson(cp: ControlPlane, ca: Buffer, method: string, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(cp.server)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method,
        ca,
        timeout: 30_000,
        headers: { authorization: `Bearer ${cp.adminToken}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => (text += d))
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} })
          } catch {
            reject(new Error(`${method} ${path}: HTTP ${res.statusCode}: not JSON: ${text.slice(0, 200)}`))
          }
        })
      },
    )
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)))
    req.on('error', reject)
    req.end(JSON.stringify(body))
  })
}

/**
 * The fields a decoding error (HTTP 400) names: `unknown field "spec.x"` (strict field
 * validation, every one) or Go's `json: cannot unmarshal X into Go struct field T.spec.x of type Y`
 * (the first only).
 */
export function decodeErrorFields(message: string): string[] {
  const fields = [...message.matchAll(/unknown field "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1])
  const typed = /Go struct field \w+\.(\S+) of type/.exec(message)
  if (typed) fields.push(typed[1])
  return fields
}

/** Creates the namespaces (for real) so that objects in them can be created with dryRun; existing ones are fine. */
export async function createNamespaces(cp: ControlPlane, names: Iterable<string>): Promise<void> {
  const ca = await readFile(cp.caPath)
  for (const name of names) {
    const r = await httpJson(cp, ca, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } })
    if (r.status !== 201 && r.status !== 409) throw new Error(`namespace ${name}: HTTP ${r.status}: ${String(r.body.message)}`)
  }
}

/**
 * The server's verdict on creating each object (dry run), `concurrency` requests at a time. A
 * Namespace that exists already (409 AlreadyExists) passed validation: the registry validates an
 * object before it tries to store it.
 */
export async function serverVerdicts(cp: ControlPlane, objects: readonly Record<string, unknown>[], concurrency = 4): Promise<Verdict[]> {
  const ca = await readFile(cp.caPath)
  const out: Verdict[] = new Array<Verdict>(objects.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < objects.length) {
      const i = next++
      const obj = objects[i]
      const ns = namespaceOf(obj)
      const path = `${COLLECTIONS[String(obj.kind)].path(encodeURIComponent(ns ?? ''))}?dryRun=All&fieldValidation=Strict`
      const r = await httpJson(cp, ca, 'POST', path, obj)
      const message = typeof r.body.message === 'string' ? r.body.message : ''
      if (r.status === 201 || r.status === 200 || (r.status === 409 && r.body.reason === 'AlreadyExists')) {
        out[i] = { refused: false, fields: [], message: '' }
      } else if (r.status === 400) {
        out[i] = { refused: true, fields: uniqueSorted(decodeErrorFields(message)), message, decodeOnly: true }
      } else {
        const details = (r.body.details ?? {}) as { causes?: { field?: string; message?: string }[] }
        // A CRD's validation adds a cause without a field when it skipped its CEL rules because of
        // other errors: not an error of its own.
        const causes = (details.causes ?? [])
          .map((c) => ({ field: c.field ?? '', message: c.message ?? '' }))
          .filter((c) => !(['', '<nil>'].includes(c.field) && c.message.includes(NOT_CHECKED)))
        // Other causes without a field (a CRD's format check repeating a type error) have no path to compare.
        const fields = causes.map((c) => c.field).filter((f) => f !== '' && f !== '<nil>')
        out[i] = { refused: true, fields: uniqueSorted(fields), message: message || `HTTP ${r.status}`, causes }
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return out
}

/** netpol's errors of a `netpol check` run, by the object they name (`Kind "ns/name"`); `''` for errors that name none. */
export interface NetpolVerdicts {
  readonly code: number
  readonly byObject: Map<string, string[]>
  readonly stderr: string
}

const ERROR_LINE = /^.*?:\d+: (\w+ "(?:[^"\\]|\\.)*") is invalid: (?:([^\s:]+): )?/

/** One `netpol check FILE...` (in-process), its error lines grouped by object. */
export async function netpolVerdicts(files: readonly string[], cwd: string): Promise<NetpolVerdicts> {
  const r = await runCliInProcess(['check', ...files], { cwd, env: { HOME: cwd } })
  const byObject = new Map<string, string[]>()
  for (const line of r.stderr.split('\n')) {
    if (line === '' || / warning: /.test(line) || /^error: \d+ problems? found$/.test(line) || line.includes(NOT_CHECKED)) continue
    const m = ERROR_LINE.exec(line)
    const key = m ? m[1] : ''
    const list = byObject.get(key) ?? []
    list.push(m ? (m[2] ?? '') : line)
    byObject.set(key, list)
  }
  return { code: r.code, byObject, stderr: r.stderr }
}

export function netpolVerdict(all: NetpolVerdicts, id: string): Verdict {
  const fields = all.byObject.get(id)
  return fields ? { refused: true, fields: uniqueSorted(fields), message: '' } : { refused: false, fields: [], message: '' }
}

export function uniqueSorted(list: readonly string[]): string[] {
  return [...new Set(list)].sort()
}

/** `field` is `prefix` or lies below it (`prefix.x`, `prefix[0]`). */
function within(field: string, prefix: string): boolean {
  return field === prefix || field.startsWith(`${prefix}.`) || field.startsWith(`${prefix}[`)
}

/**
 * Whether the two verdicts agree: both accept; or both refuse naming the same fields. When the
 * server stopped at decoding (it names only the first problem, and Go names the map, not the key,
 * of a value of the wrong type), each field it names must be one netpol names or a parent of one.
 * Returns undefined when they agree, else why not.
 */
export function disagreement(server: Verdict, netpol: Verdict): string | undefined {
  if (!server.refused && !netpol.refused) return undefined
  if (server.refused !== netpol.refused) {
    return server.refused
      ? `the server refuses it (${server.fields.join(', ') || server.message}), netpol accepts it`
      : `netpol refuses it (${netpol.fields.join(', ')}), the server accepts it`
  }
  if (server.decodeOnly) {
    // Go's decoder names a field without list indices: spec.ingress.ports.port.
    const missing = server.fields.filter((f) => !netpol.fields.some((n) => within(n, f) || within(n.replace(/\[\d+\]/g, ''), f)))
    return missing.length === 0 && server.fields.length > 0
      ? undefined
      : `server (decoding) names ${server.fields.join(', ') || server.message}; netpol ${netpol.fields.join(', ')}`
  }
  if (server.fields.join('\n') === netpol.fields.join('\n')) return undefined
  return `server names ${server.fields.join(', ')} (${server.message.slice(0, 400)}); netpol ${netpol.fields.join(', ')}`
}
