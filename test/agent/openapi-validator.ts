/**
 * @module A validator for the subset of OpenAPI v3 the Kubernetes API publishes for built-in kinds:
 * `type`, `format` (int32/int64 ranges, int-or-string), `properties` with unknown fields rejected
 * (strict decoding), `required`, `enum`, `additionalProperties`, `items`, `$ref`, `allOf`, `oneOf`,
 * and the list semantics `x-kubernetes-list-type: map|set` (duplicate keys are rejected, as the
 * API server does). The root schema is picked by `x-kubernetes-group-version-kind`.
 */

export interface Schema {
  readonly type?: string
  readonly format?: string
  readonly properties?: Readonly<Record<string, Schema>>
  readonly required?: readonly string[]
  readonly enum?: readonly unknown[]
  readonly additionalProperties?: Schema | boolean
  readonly items?: Schema
  readonly $ref?: string
  readonly allOf?: readonly Schema[]
  readonly oneOf?: readonly Schema[]
  readonly 'x-kubernetes-list-type'?: string
  readonly 'x-kubernetes-list-map-keys'?: readonly string[]
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean
  readonly 'x-kubernetes-group-version-kind'?: readonly { group: string; version: string; kind: string }[]
}

export interface OpenApiDocument {
  readonly components: { readonly schemas: Readonly<Record<string, Schema>> }
}

const REF_PREFIX = '#/components/schemas/'

export class OpenApiValidator {
  private readonly byGvk = new Map<string, string>()

  constructor(private readonly doc: OpenApiDocument) {
    for (const [name, s] of Object.entries(doc.components.schemas)) {
      for (const g of s['x-kubernetes-group-version-kind'] ?? []) {
        this.byGvk.set(`${g.group ? `${g.group}/` : ''}${g.version}/${g.kind}`, name)
      }
    }
  }

  /** Every problem with one manifest object, as `path: message` lines; empty when valid. */
  validateObject(obj: unknown): string[] {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return ['<root>: must be an object']
    const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown }
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') return ['<root>: apiVersion and kind are required']
    const name = this.byGvk.get(`${apiVersion}/${kind}`)
    if (!name) return [`<root>: no schema for ${apiVersion} ${kind} (known: ${[...this.byGvk.keys()].sort().join(', ')})`]
    const errors: string[] = []
    this.check(obj, { $ref: REF_PREFIX + name }, '', errors)
    return errors
  }

  private resolve(ref: string): Schema {
    if (!ref.startsWith(REF_PREFIX)) throw new Error(`unsupported $ref ${ref}`)
    const s = this.doc.components.schemas[ref.slice(REF_PREFIX.length)]
    if (!s) throw new Error(`dangling $ref ${ref}`)
    return s
  }

  private check(value: unknown, schema: Schema, path: string, errors: string[]): void {
    const where = path || '<root>'
    if (schema.$ref) return this.check(value, this.resolve(schema.$ref), path, errors)
    for (const part of schema.allOf ?? []) this.check(value, part, path, errors)
    // JSON null decodes to the zero value (an omitted field) in the API server.
    if (value === null || value === undefined) return

    if (schema.format === 'int-or-string') {
      if (!(typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value))))
        errors.push(`${where}: must be an integer or a string, got ${typeName(value)}`)
      return
    }
    if (schema.oneOf) {
      const ok = schema.oneOf.some((alt) => {
        const sub: string[] = []
        this.check(value, alt, path, sub)
        return sub.length === 0
      })
      if (!ok) errors.push(`${where}: matches none of ${schema.oneOf.map((a) => a.type ?? a.$ref ?? '?').join(', ')}`)
    }
    if (schema.enum && !schema.enum.includes(value))
      errors.push(`${where}: Unsupported value ${JSON.stringify(value)}: supported values: ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`)

    switch (schema.type) {
      case undefined:
        return
      case 'string':
        if (typeof value !== 'string') errors.push(`${where}: must be a string, got ${typeName(value)}`)
        return
      case 'boolean':
        if (typeof value !== 'boolean') errors.push(`${where}: must be a boolean, got ${typeName(value)}`)
        return
      case 'integer': {
        if (typeof value !== 'number' || !Number.isInteger(value)) {
          errors.push(`${where}: must be an integer, got ${typeName(value)}`)
          return
        }
        if (schema.format === 'int32' && (value < -(2 ** 31) || value > 2 ** 31 - 1)) errors.push(`${where}: ${value} is out of range for int32`)
        return
      }
      case 'number':
        if (typeof value !== 'number') errors.push(`${where}: must be a number, got ${typeName(value)}`)
        return
      case 'array': {
        if (!Array.isArray(value)) {
          errors.push(`${where}: must be an array, got ${typeName(value)}`)
          return
        }
        value.forEach((item, i) => schema.items && this.check(item, schema.items, `${path}[${i}]`, errors))
        this.checkListType(value, schema, where, errors)
        return
      }
      case 'object': {
        if (typeof value !== 'object' || Array.isArray(value)) {
          errors.push(`${where}: must be an object, got ${typeName(value)}`)
          return
        }
        const map = value as Record<string, unknown>
        for (const r of schema.required ?? []) if (map[r] === undefined || map[r] === null) errors.push(`${join(path, r)}: Required value`)
        if (schema.properties) {
          for (const [k, v] of Object.entries(map)) {
            const prop = schema.properties[k]
            if (prop) this.check(v, prop, join(path, k), errors)
            else if (!schema['x-kubernetes-preserve-unknown-fields']) errors.push(`${join(path, k)}: unknown field "${k}"`)
          }
        } else if (schema.additionalProperties !== undefined && typeof schema.additionalProperties === 'object') {
          for (const [k, v] of Object.entries(map)) this.check(v, schema.additionalProperties, join(path, k), errors)
        }
        return
      }
      default:
        throw new Error(`unsupported schema type ${schema.type} at ${where}`)
    }
  }

  private checkListType(list: readonly unknown[], schema: Schema, where: string, errors: string[]): void {
    const type = schema['x-kubernetes-list-type']
    if (type === 'set') {
      const seen = new Set<string>()
      for (const item of list) {
        const k = JSON.stringify(item)
        if (seen.has(k)) errors.push(`${where}: Duplicate value: ${k}`)
        seen.add(k)
      }
    } else if (type === 'map') {
      const keys = schema['x-kubernetes-list-map-keys'] ?? []
      const seen = new Set<string>()
      for (const item of list) {
        if (typeof item !== 'object' || item === null) continue
        const k = JSON.stringify(keys.map((key) => (item as Record<string, unknown>)[key] ?? null))
        if (seen.has(k))
          errors.push(`${where}: Duplicate value: ${keys.map((key) => `${key}=${JSON.stringify((item as Record<string, unknown>)[key])}`).join(', ')}`)
        seen.add(k)
      }
    }
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key
}

function typeName(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v
}
