import { describe, expect, it } from 'vitest'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { parseKubeVersion, validationRules } from '../../src/model/kube-version.js'
import { inputDiagnostics } from './input-diagnostics.js'

/** A policy with the given metadata body (YAML indented by 2) and top-level extras. */
function policy(metadata: string, extra = '', apiVersion = 'networking.k8s.io/v1'): string {
  return `apiVersion: ${apiVersion}\nkind: NetworkPolicy\nmetadata:\n  name: np\n  namespace: prod\n${metadata}spec:\n  podSelector: {}\n${extra}`
}

function errors(text: string, kubeVersion?: string): string[] {
  const parsed = kubeVersion ? parseKubeVersion(kubeVersion) : undefined
  const rules = parsed?.ok ? validationRules(parsed.version) : undefined
  return inputDiagnostics(() => loadManifestText(text, { file: 'np.yaml', ...(rules ? { rules } : {}) })).map((d) => `${d.line} ${d.field}: ${d.message}`)
}

const QUALIFIED =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', " +
  " or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"

describe('metadata.annotations (ValidateAnnotations)', () => {
  const cases: [string, string, string[]][] = [
    ['a plain key and a prefixed key are valid', '    app: x\n    example.com/owner: team-a\n', []],
    ['case does not matter (keys are checked in lower case)', '    Example.COM/Owner: x\n', []],
    ['a key with a space', '    "bad key": x\n', [`7 metadata.annotations: Invalid value: "bad key": ${QUALIFIED}`]],
    [
      'a name part over 63 characters',
      `    ${'a'.repeat(64)}: x\n`,
      [`7 metadata.annotations: Invalid value: "${'a'.repeat(64)}": name part must be no more than 63 characters`],
    ],
    [
      'a prefix that is no DNS subdomain',
      '    Exa_mple.com/x: z\n',
      [
        '7 metadata.annotations: Invalid value: "Exa_mple.com/x": prefix part a lowercase RFC 1123 subdomain must consist of lower case ' +
          "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for " +
          "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ],
    ],
    [
      'a prefix over 253 characters',
      `    ${'a'.repeat(254)}/x: z\n`,
      [`7 metadata.annotations: Invalid value: "${'a'.repeat(254)}/x": prefix part must be no more than 253 characters`],
    ],
    ['an empty prefix', '    /x: z\n', ['7 metadata.annotations: Invalid value: "/x": prefix part must be non-empty']],
    [
      'a value that is not a string',
      '    replicas: 3\n',
      [
        '7 metadata.annotations.replicas: Invalid type: cannot unmarshal number into a field of type string; YAML 1.1 reads an unquoted 3 as a ' +
          'number, quote it: "3"',
      ],
    ],
  ]
  for (const [name, body, expected] of cases) {
    it(name, () => expect(errors(policy(`  annotations:\n${body}`))).toEqual(expected))
  }
  it('keys and values together may be 256 KiB, not a byte more', () => {
    const exactly = `    k: "${'x'.repeat(256 * 1024 - 1)}"\n`
    expect(errors(policy(`  annotations:\n${exactly}`))).toEqual([])
    const over = `    k: "${'x'.repeat(256 * 1024)}"\n`
    expect(errors(policy(`  annotations:\n${over}`))).toEqual(['6 metadata.annotations: Too long: may not be more than 262144 bytes'])
  })
  it('counts bytes, not characters', () => {
    const over = `    k: "${'é'.repeat(128 * 1024)}"\n`
    expect(errors(policy(`  annotations:\n${over}`))).toEqual(['6 metadata.annotations: Too long: may not be more than 262144 bytes'])
  })
})

describe('metadata.finalizers (ValidateFinalizers)', () => {
  const cases: [string, string, string[]][] = [
    ['standard names and qualified names are valid', '[kubernetes, orphan, example.com/cleanup]', []],
    [
      'a name without a domain that is not standard',
      '[cleanup]',
      ['6 metadata.finalizers[0]: Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified'],
    ],
    ['a name that is no qualified name', '["example.com/bad name"]', [`6 metadata.finalizers: Invalid value: "example.com/bad name": ${QUALIFIED}`]],
    [
      'orphan and foregroundDeletion together',
      '[orphan, foregroundDeletion]',
      ['6 metadata.finalizers: Invalid value: ["orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set'],
    ],
  ]
  for (const [name, list, expected] of cases) {
    it(name, () => expect(errors(policy(`  finalizers: ${list}\n`))).toEqual(expected))
  }
})

describe('strict decoding outside spec', () => {
  const cases: [string, string, string, string[]][] = [
    [
      'metadata.namspace (typo) is not quietly the default namespace',
      '  namspace: prod\n',
      '',
      ['6 metadata.namspace: Unknown field: strict decoding error: unknown field "metadata.namspace" (did you mean "namespace"?)'],
    ],
    [
      'metadata.label',
      '  label: {app: web}\n',
      '',
      ['6 metadata.label: Unknown field: strict decoding error: unknown field "metadata.label" (did you mean "labels"?)'],
    ],
    ['a top-level status (NetworkPolicy has none since 1.27)', '', 'status: {}\n', ['8 status: Unknown field: strict decoding error: unknown field "status"']],
    ['a top-level typo', '', 'sepc: {}\n', ['8 sepc: Unknown field: strict decoding error: unknown field "sepc" (did you mean "spec"?)']],
    [
      'every ObjectMeta field a dump carries is known',
      '  uid: 0b3e\n  resourceVersion: "12"\n  generation: 1\n  creationTimestamp: "2026-01-01T00:00:00Z"\n  managedFields: []\n  ownerReferences: []\n',
      '',
      [],
    ],
  ]
  for (const [name, metadata, extra, expected] of cases) {
    it(name, () => expect(errors(policy(metadata, extra))).toEqual(expected))
  }
  it('status is a known field for the releases that had it (1.24 to 1.26)', () => {
    expect(errors(policy('', 'status: {}\n'), '1.26')).toEqual([])
    expect(errors(policy('', 'status: {}\n'), '1.27')).toEqual(['8 status: Unknown field: strict decoding error: unknown field "status"'])
  })
  it('other kinds: unknown metadata and top-level fields too', () => {
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namspace: prod\nspec: {containers: [{name: c, image: i}]}\nstats: {}\n'
    expect(errors(pod)).toEqual([
      '5 metadata.namspace: Unknown field: strict decoding error: unknown field "metadata.namspace" (did you mean "namespace"?)',
      '7 stats: Unknown field: strict decoding error: unknown field "stats" (did you mean "status"?)',
    ])
  })
})

describe('extensions/v1beta1 NetworkPolicy', () => {
  it('is read like networking.k8s.io/v1, with the deprecation warning', () => {
    const text = `${policy('', '', 'extensions/v1beta1')}  policyTypes: [Ingress]\n`
    const r = loadManifestText(text, { file: 'np.yaml' })
    const v1 = loadManifestText(`${policy('')}  policyTypes: [Ingress]\n`, { file: 'np.yaml' })
    expect(r.state.policies).toEqual(v1.state.policies)
    expect(r.warnings.map((w) => `${w.line} ${w.field}: ${w.message}`)).toEqual([
      '1 apiVersion: extensions/v1beta1 NetworkPolicy is deprecated in v1.9+, unavailable in v1.16+; use networking.k8s.io/v1 NetworkPolicy ' +
        '(read here as networking.k8s.io/v1: same fields, same meaning)',
    ])
  })
  it('is validated as networking.k8s.io/v1', () => {
    expect(errors(`${policy('', '', 'extensions/v1beta1')}  policyTypes: [ingress]\n`)).toEqual([
      '8 spec.policyTypes[0]: Unsupported value: "ingress": supported values: "Egress", "Ingress"',
    ])
  })
})
