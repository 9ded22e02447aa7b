/**
 * Test helper: netpol's transcription of a CRD schema (crd-schema.ts) compared with the vendored
 * upstream CRD, field by field.
 */
import { readFileSync } from 'node:fs'
import { expect } from 'vitest'
import { parse } from 'yaml'
import type { CrdSchema } from '../../src/model/crd-schema.js'

/** The openAPIV3Schema of the one version of a vendored CRD. */
export function vendoredSchema(version: string, path: string): Record<string, unknown> {
  const crd = parse(readFileSync(new URL(`../../vendor/network-policy-api/${path}`, import.meta.url), 'utf8')) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: Record<string, unknown> } }[] }
  }
  expect(crd.spec.versions.map((v) => v.name)).toEqual([version])
  return crd.spec.versions[0].schema.openAPIV3Schema
}

export type Node = Record<string, unknown>

/**
 * Every difference between netpol's schema and the CRD's, as `path: what`. The subtree of
 * `status` (dropped on create) is not compared; `experimental` fields are expected only in the
 * experimental channel.
 */
export function differences(ours: CrdSchema, crd: Node, channel: 'standard' | 'experimental', path = ''): string[] {
  const out: string[] = []
  const same = (what: string, a: unknown, b: unknown): void => {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${path || '<root>'}: ${what}: netpol ${JSON.stringify(a)}, CRD ${JSON.stringify(b)}`)
  }
  // status is dropped on create: never validated, so never compared.
  if (path === 'status') return out
  same('type', ours.type, crd.type)
  same('required', [...(ours.required ?? [])].sort(), [...((crd.required as string[] | undefined) ?? [])].sort())
  same('enum', ours.enum, crd.enum)
  for (const key of ['default', 'minimum', 'maximum', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'maxLength', 'pattern', 'format'] as const) {
    same(key, ours[key], crd[key])
  }
  same('x-kubernetes-list-type', ours.listType, crd['x-kubernetes-list-type'])
  same('x-kubernetes-map-type', ours.mapType, crd['x-kubernetes-map-type'])
  same(
    'x-kubernetes-validations',
    (ours.validations ?? []).map((v) => ({ message: v.message, rule: v.rule })),
    ((crd['x-kubernetes-validations'] as { message: string; rule: string }[] | undefined) ?? []).map((v) => ({
      message: v.message,
      rule: v.rule.replace(/\s+/g, ' '),
    })),
  )
  if (path === 'status' || path === 'metadata') return out
  const crdProps = (crd.properties as Record<string, Node> | undefined) ?? {}
  const ourProps = Object.fromEntries(Object.entries(ours.properties ?? {}).filter(([, s]) => channel === 'experimental' || !s.experimental))
  same('properties', Object.keys(ourProps).sort(), Object.keys(crdProps).sort())
  for (const [key, sub] of Object.entries(ourProps)) {
    if (crdProps[key]) out.push(...differences(sub, crdProps[key], channel, path ? `${path}.${key}` : key))
  }
  if (ours.items || crd.items) {
    if (!ours.items || !crd.items) out.push(`${path}: items: netpol ${Boolean(ours.items)}, CRD ${Boolean(crd.items)}`)
    else out.push(...differences(ours.items, crd.items as Node, channel, `${path}[]`))
  }
  if (ours.additionalProperties || crd.additionalProperties) {
    if (!ours.additionalProperties || !crd.additionalProperties) out.push(`${path}: additionalProperties differ`)
    else out.push(...differences(ours.additionalProperties, crd.additionalProperties as Node, channel, `${path}{}`))
  }
  return out
}
