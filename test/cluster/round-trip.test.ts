/**
 * Property tests: any valid NetworkPolicy, written as YAML (by a writer that quotes for YAML 1.1)
 * or as JSON, loads back to the defaulted model the API would hold.
 */
import fc from 'fast-check'
import { stringify } from 'yaml'
import { describe, expect, it } from 'vitest'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import type { LabelSelector, NetworkPolicyPeer, NetworkPolicyPort, PolicyType } from '../../src/model/types.js'

// Values YAML 1.1 would read as booleans, numbers or dates unless quoted, plus ordinary ones.
const labelValue = fc.constantFrom('', 'web', 'yes', 'no', 'on', 'off', 'y', 'n', 'true', '1', '010', '1e3', '0x1f', '2024-01-01', 'a.b_c-D', 'v1.2')
const labelKey = fc.constantFrom('app', 'tier', 'y', 'on', 'example.com/team', 'kubernetes.io/metadata.name', 'A_b.c')
const labels = fc.dictionary(labelKey, labelValue, { maxKeys: 3 })

type Raw = Record<string, unknown>

const requirement = fc.oneof(
  fc.record({ key: labelKey, operator: fc.constantFrom('In', 'NotIn'), values: fc.array(labelValue, { minLength: 1, maxLength: 3 }) }),
  fc.record({ key: labelKey, operator: fc.constantFrom('Exists', 'DoesNotExist') }),
)

const selector: fc.Arbitrary<Raw> = fc.record({ matchLabels: labels, matchExpressions: fc.array(requirement, { maxLength: 2 }) }, { requiredKeys: [] })

const ipBlock: fc.Arbitrary<Raw> = fc
  .record({
    a: fc.integer({ min: 1, max: 223 }),
    b: fc.integer({ min: 0, max: 255 }),
    prefix: fc.integer({ min: 8, max: 16 }),
    holes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 3 }),
  })
  .map(({ a, b, prefix, holes }) => {
    const base = ((a << 24) | (b << 16)) >>> 0
    const masked = prefix === 0 ? 0 : (base & (~0 << (32 - prefix))) >>> 0
    const ip = (v: number): string => [24, 16, 8, 0].map((s) => (v >>> s) & 255).join('.')
    // Holes: /24s inside the block, distinct.
    const except = [...new Set(holes)].map((h) => `${ip(((masked | (h << 8)) >>> 0) & ~255)}/24`)
    return except.length ? { cidr: `${ip(masked)}/${prefix}`, except: [...new Set(except)] } : { cidr: `${ip(masked)}/${prefix}` }
  })

const peer: fc.Arbitrary<Raw> = fc.oneof(
  fc.record({ podSelector: selector }),
  fc.record({ namespaceSelector: selector }),
  fc.record({ podSelector: selector, namespaceSelector: selector }),
  fc.record({ ipBlock }),
)

const port: fc.Arbitrary<Raw> = fc.oneof(
  fc.record({ protocol: fc.constantFrom('TCP', 'UDP', 'SCTP') }, { requiredKeys: [] }),
  fc.record({ protocol: fc.constantFrom('TCP', 'UDP', 'SCTP'), port: fc.integer({ min: 1, max: 65535 }) }, { requiredKeys: ['port'] }),
  fc.record({ protocol: fc.constantFrom('TCP', 'UDP'), port: fc.constantFrom('http', 'dns-tcp', 'metrics', 'h2c') }, { requiredKeys: ['port'] }),
  fc.record({ port: fc.integer({ min: 1, max: 60000 }), span: fc.integer({ min: 0, max: 5000 }) }).map(({ port: p, span }) => ({ port: p, endPort: p + span })),
)

const ingressRule = fc.record({ from: fc.array(peer, { maxLength: 3 }), ports: fc.array(port, { maxLength: 3 }) }, { requiredKeys: [] })
const egressRule = fc.record({ to: fc.array(peer, { maxLength: 3 }), ports: fc.array(port, { maxLength: 3 }) }, { requiredKeys: [] })

const spec: fc.Arbitrary<Raw> = fc.record(
  {
    podSelector: selector,
    ingress: fc.array(ingressRule, { maxLength: 3 }),
    egress: fc.array(egressRule, { maxLength: 3 }),
    policyTypes: fc.subarray(['Ingress', 'Egress']),
  },
  { requiredKeys: ['podSelector'] },
)

/** The defaulted model the API server would hold for a raw spec (the rules of types.ts, written out). */
function expected(raw: Raw): unknown {
  const sel = (s: unknown): LabelSelector => {
    const m = (s ?? {}) as Raw
    return {
      matchLabels: (m.matchLabels ?? {}) as Record<string, string>,
      matchExpressions: ((m.matchExpressions ?? []) as Raw[]).map((r) => ({
        key: r.key as string,
        operator: r.operator as 'In',
        values: (r.values ?? []) as string[],
      })),
    }
  }
  const peerOf = (p: Raw): Omit<NetworkPolicyPeer, 'source'> => ({
    ...(p.podSelector ? { podSelector: sel(p.podSelector) } : {}),
    ...(p.namespaceSelector ? { namespaceSelector: sel(p.namespaceSelector) } : {}),
    ...(p.ipBlock ? { ipBlock: { cidr: (p.ipBlock as Raw).cidr as string, except: ((p.ipBlock as Raw).except ?? []) as string[] } } : {}),
  })
  const portOf = (p: Raw): Omit<NetworkPolicyPort, 'source'> => ({
    protocol: (p.protocol ?? 'TCP') as 'TCP',
    ...(p.port !== undefined ? { port: p.port as number } : {}),
    ...(p.endPort !== undefined ? { endPort: p.endPort as number } : {}),
  })
  const egress = ((raw.egress ?? []) as Raw[]).map((r) => ({ to: ((r.to ?? []) as Raw[]).map(peerOf), ports: ((r.ports ?? []) as Raw[]).map(portOf) }))
  const written = (raw.policyTypes ?? []) as PolicyType[]
  const policyTypes: PolicyType[] =
    written.length > 0 ? (['Ingress', 'Egress'] as const).filter((t) => written.includes(t)) : egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress']
  return {
    namespace: 'prod',
    name: 'np',
    podSelector: sel(raw.podSelector),
    policyTypes,
    ingress: ((raw.ingress ?? []) as Raw[]).map((r) => ({ from: ((r.from ?? []) as Raw[]).map(peerOf), ports: ((r.ports ?? []) as Raw[]).map(portOf) })),
    egress,
  }
}

/** The model without its source positions. */
function withoutSources(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSources)
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'source')
        .map(([k, v]) => [k, withoutSources(v)]),
    )
  }
  return value
}

const manifest = (s: Raw): Raw => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np', namespace: 'prod' }, spec: s })

describe('NetworkPolicy round trip', () => {
  it('a valid policy written as YAML 1.1 loads to its defaulted model', () => {
    fc.assert(
      fc.property(spec, (s) => {
        const r = loadManifestText(stringify(manifest(s), { version: '1.1' }), { file: 'g.yaml' })
        expect(withoutSources(r.state.policies[0])).toEqual(expected(s))
      }),
      { numRuns: 300 },
    )
  })
  it('the same policy as JSON loads to the same model, and its rules keep their lines', () => {
    fc.assert(
      fc.property(spec, (s) => {
        const fromYaml = loadManifestText(stringify(manifest(s), { version: '1.1' }), { file: 'g.yaml' }).state.policies[0]
        const fromJson = loadManifestText(JSON.stringify(manifest(s), null, 2), { file: 'g.json' }).state.policies[0]
        expect(withoutSources(fromJson)).toEqual(withoutSources(fromYaml))
        for (const rule of [...fromJson.ingress, ...fromJson.egress]) expect(rule.source.line).toBeGreaterThan(1)
      }),
      { numRuns: 100 },
    )
  })
  it('a YAML 1.2 writer that leaves yes/on unquoted is caught, never silently misread', () => {
    const text = stringify(manifest({ podSelector: { matchLabels: { enabled: 'yes' } } }))
    expect(text).toContain('enabled: yes')
    expect(() => loadManifestText(text)).toThrow(/quote it: "yes"/)
  })
})
