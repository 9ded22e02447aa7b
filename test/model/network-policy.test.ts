import { describe, expect, it } from 'vitest'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import type { Diagnostic } from '../../src/model/diagnostic.js'
import { inputDiagnostics } from './input-diagnostics.js'
import type { NetworkPolicy } from '../../src/model/types.js'
import { formatKubeVersion, NEWEST_KUBE_VERSION, parseKubeVersion, validationRules, type ValidationRules } from '../../src/model/kube-version.js'

/** A policy `np` in namespace `prod` with the given spec body (YAML, already indented by 2). */
function manifest(spec: string): string {
  return `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np\n  namespace: prod\nspec:\n${spec}`
}

function policyOf(spec: string): NetworkPolicy {
  const r = loadManifestText(manifest(spec), { file: 'np.yaml' })
  expect(r.state.policies).toHaveLength(1)
  return r.state.policies[0]
}

function problems(text: string): Diagnostic[] {
  return inputDiagnostics(() => loadManifestText(text, { file: 'np.yaml' }))
}

/** `field: message` of every error for a spec. */
function errorsOf(spec: string): string[] {
  return problems(manifest(spec)).map((d) => `${d.field}: ${d.message}`)
}

describe('NetworkPolicy defaulting', () => {
  it('policyTypes default to Ingress when there are no egress rules', () => {
    expect(policyOf('  podSelector: {}\n').policyTypes).toEqual(['Ingress'])
    expect(policyOf('  podSelector: {}\n  ingress: [{}]\n').policyTypes).toEqual(['Ingress'])
  })
  it('policyTypes default to Ingress and Egress when there are egress rules', () => {
    expect(policyOf('  podSelector: {}\n  egress: [{}]\n').policyTypes).toEqual(['Ingress', 'Egress'])
  })
  it('policyTypes as written are kept (Egress alone isolates egress only)', () => {
    expect(policyOf('  podSelector: {}\n  policyTypes: [Egress]\n  ingress: [{}]\n').policyTypes).toEqual(['Egress'])
  })
  it('an empty policyTypes list is defaulted like an absent one', () => {
    expect(policyOf('  podSelector: {}\n  policyTypes: []\n  egress: [{}]\n').policyTypes).toEqual(['Ingress', 'Egress'])
  })
  it('absent from/to/ports become empty lists (match everything)', () => {
    const p = policyOf('  podSelector: {}\n  ingress:\n    - {}\n  egress:\n    - ports: null\n')
    expect(p.ingress[0]).toMatchObject({ from: [], ports: [] })
    expect(p.egress[0]).toMatchObject({ to: [], ports: [] })
  })
  it('a port without protocol is TCP, and keeps named, numeric and ranged ports', () => {
    const p = policyOf(
      '  podSelector: {}\n  ingress:\n    - ports:\n        - port: 80\n        - port: http\n          protocol: UDP\n        - port: 8000\n ' +
        '         endPort: 8080\n          protocol: SCTP\n        - protocol: UDP\n',
    )
    expect(p.ingress[0].ports.map(({ protocol, port, endPort }) => ({ protocol, port, endPort }))).toEqual([
      { protocol: 'TCP', port: 80, endPort: undefined },
      { protocol: 'UDP', port: 'http', endPort: undefined },
      { protocol: 'SCTP', port: 8000, endPort: 8080 },
      { protocol: 'UDP', port: undefined, endPort: undefined },
    ])
  })
  it('an absent podSelector selects every pod, with a warning', () => {
    const r = loadManifestText(manifest('  ingress: [{}]\n'), { file: 'np.yaml' })
    expect(r.state.policies[0].podSelector).toEqual({ matchLabels: {}, matchExpressions: [] })
    expect(r.warnings).toEqual([expect.objectContaining({ severity: 'warning', field: 'spec.podSelector', line: 6 })])
  })
  it('selectors default their missing parts and keep peers shapes', () => {
    const p = policyOf(
      '  podSelector:\n    matchLabels: {app: db}\n  ingress:\n    - from:\n        - podSelector: {}\n        - namespaceSelector:\n ' +
        '           matchExpressions:\n              - {key: team, operator: Exists}\n          podSelector:\n            matchLabels: {app: ' +
        'web}\n        - ipBlock:\n            cidr: 10.0.0.0/8\n',
    )
    expect(p.podSelector).toEqual({ matchLabels: { app: 'db' }, matchExpressions: [] })
    const [a, b, c] = p.ingress[0].from
    expect(a.podSelector).toEqual({ matchLabels: {}, matchExpressions: [] })
    expect(a.namespaceSelector).toBeUndefined()
    expect(b.namespaceSelector).toEqual({ matchLabels: {}, matchExpressions: [{ key: 'team', operator: 'Exists', values: [] }] })
    expect(b.podSelector?.matchLabels).toEqual({ app: 'web' })
    expect(c.ipBlock).toEqual({ cidr: '10.0.0.0/8', except: [] })
  })
  it('every rule, peer and port knows its line', () => {
    const p = policyOf('  podSelector: {}\n  ingress:\n    - from:\n        - podSelector: {}\n      ports:\n        - port: 80\n')
    expect(p.source).toEqual({ file: 'np.yaml', line: 1 })
    expect(p.ingress[0].source.line).toBe(9)
    expect(p.ingress[0].from[0].source.line).toBe(10)
    expect(p.ingress[0].ports[0].source.line).toBe(12)
  })
  it('a repeated policy type is accepted as the API server does, with a warning', () => {
    const r = loadManifestText(manifest('  podSelector: {}\n  policyTypes: [Egress, Egress]\n'), { file: 'np.yaml' })
    expect(r.state.policies[0].policyTypes).toEqual(['Egress'])
    expect(r.warnings.map((w) => `${w.field}: ${w.message}`)).toEqual(['spec.policyTypes[1]: Duplicate value: "Egress"'])
  })
})

describe('NetworkPolicy validation (the API server rules)', () => {
  it('metadata.name must be a DNS-1123 subdomain and is required', () => {
    const bad = problems(manifest('  podSelector: {}\n').replace('name: np', 'name: Bad_Name'))
    expect(bad.map((d) => d.field)).toEqual(['metadata.name'])
    expect(bad[0].message).toMatch(/^Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/)
    expect(bad[0].object).toBe('NetworkPolicy "prod/Bad_Name"')
    const missing = problems(manifest('  podSelector: {}\n').replace('  name: np\n', ''))
    expect(missing.map((d) => `${d.field}: ${d.message}`)).toEqual(['metadata.name: Required value: name or generateName is required'])
  })
  it('metadata.namespace must be a DNS-1123 label', () => {
    const bad = problems(manifest('  podSelector: {}\n').replace('namespace: prod', 'namespace: prod.eu'))
    expect(bad.map((d) => d.field)).toEqual(['metadata.namespace'])
    expect(bad[0].message).toMatch(/^Invalid value: "prod.eu": a lowercase RFC 1123 label/)
  })
  it('ports must be 1-65535', () => {
    expect(errorsOf('  ingress:\n    - ports:\n        - port: 0\n        - port: 65536\n')).toEqual([
      'spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.ingress[0].ports[1].port: Invalid value: 65536: must be between 1 and 65535, inclusive',
    ])
  })
  it('protocol must be TCP, UDP or SCTP (case-sensitive)', () => {
    expect(errorsOf('  egress:\n    - ports:\n        - protocol: ICMP\n        - protocol: tcp\n')).toEqual([
      'spec.egress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
      'spec.egress[0].ports[1].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"',
    ])
  })
  it('named ports must be IANA service names; a quoted number is a (bad) name', () => {
    expect(errorsOf('  ingress:\n    - ports:\n        - port: "80"\n        - port: web--x\n        - port: averyveryverylongname\n')).toEqual([
      'spec.ingress[0].ports[0].port: Invalid value: "80": must contain at least one letter (a-z); a quoted number is a port name: remove the ' +
        'quotes (port: 80)',
      'spec.ingress[0].ports[1].port: Invalid value: "web--x": must not contain consecutive hyphens',
      'spec.ingress[0].ports[2].port: Invalid value: "averyveryverylongname": must be no more than 15 characters',
    ])
  })
  it('endPort needs a numeric port and must be >= port and <= 65535', () => {
    expect(
      errorsOf(
        '  ingress:\n    - ports:\n        - port: 100\n          endPort: 99\n        - port: http\n          endPort: 90\n        - endPort: ' +
          '90\n        - port: 100\n          endPort: 70000\n        - port: null\n          endPort: 90\n',
      ),
    ).toEqual([
      'spec.ingress[0].ports[0].endPort: Invalid value: 99: must be greater than or equal to `port`',
      'spec.ingress[0].ports[1].endPort: Invalid value: 90: may not be specified when `port` is non-numeric',
      'spec.ingress[0].ports[2].endPort: Invalid value: 90: may not be specified when `port` is not specified',
      'spec.ingress[0].ports[3].endPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.ingress[0].ports[4].endPort: Invalid value: 90: may not be specified when `port` is not specified',
    ])
  })
  it('endPort equal to port is a one-port range', () => {
    expect(policyOf('  ingress:\n    - ports:\n        - port: 80\n          endPort: 80\n').ingress[0].ports[0]).toMatchObject({ port: 80, endPort: 80 })
  })
  it('a peer must not be empty', () => {
    expect(errorsOf('  ingress:\n    - from:\n        - {}\n        - podSelector: null\n')).toEqual([
      'spec.ingress[0].from[0]: Required value: must specify a peer',
      'spec.ingress[0].from[1]: Required value: must specify a peer',
    ])
  })
  it('ipBlock must stand alone in its peer; podSelector with namespaceSelector is fine', () => {
    expect(
      errorsOf(
        '  egress:\n    - to:\n        - ipBlock: {cidr: 10.0.0.0/8}\n          namespaceSelector: {}\n        - podSelector: {}\n ' +
          '         namespaceSelector: {}\n',
      ),
    ).toEqual(['spec.egress[0].to[0]: Forbidden: may not specify both ipBlock and another peer'])
  })
  it('cidr is required and must be a valid IPv4 or IPv6 CIDR', () => {
    expect(
      errorsOf(
        '  egress:\n    - to:\n        - ipBlock: {cidr: ""}\n        - ipBlock: {cidr: 10.0.0.0}\n        - ipBlock: {cidr: 10.0.0.0/33}\n ' +
          '       - ipBlock: {cidr: "fd00::/129"}\n        - ipBlock: {cidr: 300.0.0.0/8}\n        - ipBlock: {except: [10.0.0.0/8]}\n',
      ),
    ).toEqual([
      'spec.egress[0].to[0].ipBlock.cidr: Required value',
      'spec.egress[0].to[1].ipBlock.cidr: Invalid value: "10.0.0.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      'spec.egress[0].to[2].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      'spec.egress[0].to[3].ipBlock.cidr: Invalid value: "fd00::/129": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      'spec.egress[0].to[4].ipBlock.cidr: Invalid value: "300.0.0.0/8": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      'spec.egress[0].to[5].ipBlock.cidr: Required value',
    ])
  })
  it('leading zeros and IPv4-mapped IPv6 are rejected as with strict IP validation', () => {
    expect(
      errorsOf(
        '  egress:\n    - to:\n        - ipBlock: {cidr: 010.0.0.0/8}\n        - ipBlock: {cidr: 10.0.0.0/08}\n        - ipBlock: {cidr: ' +
          '"::ffff:10.0.0.0/104"}\n',
      ),
    ).toEqual([
      'spec.egress[0].to[0].ipBlock.cidr: Invalid value: "010.0.0.0/8": must not have leading 0s in IP or prefix length',
      'spec.egress[0].to[1].ipBlock.cidr: Invalid value: "10.0.0.0/08": must not have leading 0s in IP or prefix length',
      'spec.egress[0].to[2].ipBlock.cidr: Invalid value: "::ffff:10.0.0.0/104": must not have an IPv4-mapped IPv6 address',
    ])
  })
  it('host bits beyond the prefix are an error (strict validation, Kubernetes 1.36+), and the excepts are still checked', () => {
    expect(errorsOf('  egress:\n    - to:\n        - ipBlock: {cidr: 10.0.0.1/8, except: [11.0.0.0/16, 10.1.0.1/16]}\n')).toEqual([
      'spec.egress[0].to[0].ipBlock.cidr: Invalid value: "10.0.0.1/8": must not have bits set beyond the prefix length',
      'spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "11.0.0.0/16": must be a strict subset of `cidr`',
      'spec.egress[0].to[0].ipBlock.except[1]: Invalid value: "10.1.0.1/16": must not have bits set beyond the prefix length',
    ])
  })
  it('each except must be a valid CIDR strictly inside cidr, of the same family', () => {
    expect(
      errorsOf(
        '  ingress:\n    - from:\n        - ipBlock:\n            cidr: 10.0.0.0/8\n            except: [10.1.0.0/16, 10.0.0.0/8, 11.0.0.0/16, ' +
          '8.0.0.0/7, "fd00::/16", bad]\n        - ipBlock:\n            cidr: "2001:db8::/32"\n            except: ["2001:db8:1::/48", ' +
          '"2001:db9::/48", 10.0.0.0/8]\n',
      ),
    ).toEqual([
      'spec.ingress[0].from[0].ipBlock.except[1]: Invalid value: "10.0.0.0/8": must be a strict subset of `cidr`',
      'spec.ingress[0].from[0].ipBlock.except[2]: Invalid value: "11.0.0.0/16": must be a strict subset of `cidr`',
      'spec.ingress[0].from[0].ipBlock.except[3]: Invalid value: "8.0.0.0/7": must be a strict subset of `cidr`',
      'spec.ingress[0].from[0].ipBlock.except[4]: Invalid value: "fd00::/16": must be a strict subset of `cidr`',
      'spec.ingress[0].from[0].ipBlock.except[5]: Invalid value: "bad": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      'spec.ingress[0].from[1].ipBlock.except[1]: Invalid value: "2001:db9::/48": must be a strict subset of `cidr`',
      'spec.ingress[0].from[1].ipBlock.except[2]: Invalid value: "10.0.0.0/8": must be a strict subset of `cidr`',
    ])
  })
  it('an error in a deep field names the line of that node', () => {
    const text = manifest(
      '  ingress:\n    - from:\n        - podSelector: {}\n        - ipBlock:\n            cidr: 10.0.0.0/8\n            except:\n ' +
        '             - 10.1.0.0/16\n              - 12.0.0.0/16\n',
    )
    const [d] = problems(text)
    expect(d).toMatchObject({ file: 'np.yaml', line: 14, field: 'spec.ingress[0].from[1].ipBlock.except[1]', object: 'NetworkPolicy "prod/np"' })
  })
  it('policyTypes only Ingress/Egress, and at most two', () => {
    expect(errorsOf('  policyTypes: [Ingress, ingress]\n')).toEqual([
      'spec.policyTypes[1]: Unsupported value: "ingress": supported values: "Egress", "Ingress"',
    ])
    expect(errorsOf('  policyTypes: [Ingress, Egress, Ingress]\n')).toEqual([
      'spec.policyTypes: Invalid value: ["Ingress","Egress","Ingress"]: may not specify more than two policyTypes',
    ])
  })
  it('unknown fields are rejected as strict decoding does (a typo would silently allow everything)', () => {
    expect(errorsOf('  podSelector: {}\n  ingress:\n    - form:\n        - podSelector: {}\n')).toEqual([
      'spec.ingress[0].form: Unknown field: strict decoding error: unknown field "spec.ingress[0].form" (did you mean "from"?)',
    ])
    expect(problems(manifest('  podSelector: {}\n').replace('spec:', 'specs:')).map((d) => `${d.line} ${d.field}: ${d.message}`)).toEqual([
      '6 specs: Unknown field: strict decoding error: unknown field "specs" (did you mean "spec"?)',
    ])
    expect(errorsOf('  podSelector:\n    matchLabel: {a: b}\n')).toEqual([
      'spec.podSelector.matchLabel: Unknown field: strict decoding error: unknown field "spec.podSelector.matchLabel" (did you mean "matchLabels"?)',
    ])
  })
  it('wrong types are decoding errors naming the field', () => {
    expect(errorsOf('  podSelector: []\n  ingress: {}\n  egress:\n    - ports:\n        - port: 1.5\n')).toEqual([
      'spec.podSelector: Invalid type: cannot unmarshal array into a field of type object',
      'spec.ingress: Invalid type: cannot unmarshal object into a field of type array',
      'spec.egress[0].ports[0].port: Invalid type: cannot unmarshal number into a field of type int32 or string',
    ])
  })
  it('collects every error of a policy, not only the first', () => {
    expect(errorsOf('  ingress:\n    - from: [{}]\n      ports: [{port: 0}]\n  egress:\n    - to: [{}]\n')).toHaveLength(3)
  })
})

describe('NetworkPolicy CIDR warnings', () => {
  it('a non-canonical IPv6 CIDR is accepted with the API server warning', () => {
    const text = manifest('  podSelector: {}\n  egress:\n    - to:\n        - ipBlock: {cidr: "FD00:0:0::/8", except: ["fd00::/16"]}\n')
    const r = loadManifestText(text, { file: 'np.yaml' })
    expect(r.state.policies[0].egress[0].to[0].ipBlock).toEqual({ cidr: 'FD00:0:0::/8', except: ['fd00::/16'] })
    expect(r.warnings.map((w) => `${w.field}: ${w.message}`)).toEqual([
      'spec.egress[0].to[0].ipBlock.cidr: IPv6 CIDR value "FD00:0:0::/8" should be in RFC 5952 canonical format ("fd00::/8")',
    ])
  })
})

describe('CIDR rules by Kubernetes release (--kube-version)', () => {
  const rulesOf = (v: string): ValidationRules => {
    const parsed = parseKubeVersion(v)
    if (!parsed.ok) throw new Error(parsed.error)
    return validationRules(parsed.version)
  }
  const load = (cidr: string, kubeVersion: string) =>
    loadManifestText(manifest(`  podSelector: {}\n  egress:\n    - to:\n        - ipBlock: {cidr: "${cidr}"}\n`), {
      file: 'np.yaml',
      rules: rulesOf(kubeVersion),
    })
  const errorsAt = (cidr: string, kubeVersion: string): string[] => inputDiagnostics(() => load(cidr, kubeVersion)).map((d) => d.message)
  const cases: { cidr: string; strict: string; lenient: { cidr: string; warnings: string[] } }[] = [
    {
      cidr: '192.168.1.5/24',
      strict: 'Invalid value: "192.168.1.5/24": must not have bits set beyond the prefix length',
      lenient: {
        cidr: '192.168.1.5/24',
        warnings: ['CIDR value "192.168.1.5/24" is ambiguous in this context (should be "192.168.1.0/24" or "192.168.1.5/32"?)'],
      },
    },
    {
      cidr: '010.000.0.0/8',
      strict: 'Invalid value: "010.000.0.0/8": must not have leading 0s in IP or prefix length',
      lenient: {
        cidr: '10.0.0.0/8',
        warnings: ['non-standard CIDR value "010.000.0.0/8" will be considered invalid in a future Kubernetes release: use "10.0.0.0/8"'],
      },
    },
    {
      cidr: '10.0.0.0/08',
      strict: 'Invalid value: "10.0.0.0/08": must not have leading 0s in IP or prefix length',
      lenient: {
        cidr: '10.0.0.0/8',
        warnings: ['non-standard CIDR value "10.0.0.0/08" will be considered invalid in a future Kubernetes release: use "10.0.0.0/8"'],
      },
    },
    {
      cidr: '::ffff:10.0.0.0/104',
      strict: 'Invalid value: "::ffff:10.0.0.0/104": must not have an IPv4-mapped IPv6 address',
      lenient: {
        cidr: '10.0.0.0/8',
        warnings: ['non-standard CIDR value "::ffff:10.0.0.0/104" will be considered invalid in a future Kubernetes release: use "10.0.0.0/8"'],
      },
    },
  ]
  for (const c of cases) {
    it(`${c.cidr}: an error from 1.36 (the default, ${formatKubeVersion(NEWEST_KUBE_VERSION)}), accepted with the API server's warning before`, () => {
      expect(errorsAt(c.cidr, formatKubeVersion(NEWEST_KUBE_VERSION))).toEqual([c.strict])
      expect(errorsAt(c.cidr, '1.36')).toEqual([c.strict])
      expect(
        inputDiagnostics(() =>
          loadManifestText(manifest(`  podSelector: {}\n  egress:\n    - to:\n        - ipBlock: {cidr: "${c.cidr}"}\n`), { file: 'np.yaml' }),
        ).map((d) => d.message),
      ).toEqual([c.strict])
      for (const old of ['1.35', '1.33', '1.20']) {
        const r = load(c.cidr, old)
        expect(r.state.policies[0].egress[0].to[0].ipBlock?.cidr).toBe(c.lenient.cidr)
        expect(r.warnings.map((w) => w.message)).toEqual(c.lenient.warnings)
      }
    })
  }
  it('a canonical CIDR is valid in every release', () => {
    for (const v of ['1.20', '1.35', '1.36', '1.37']) expect(load('10.0.0.0/8', v).warnings).toEqual([])
  })
  it('kube versions are MAJOR.MINOR, optionally with v and a patch level, within what netpol knows', () => {
    expect(parseKubeVersion('v1.35.2')).toEqual({ ok: true, version: { major: 1, minor: 35 } })
    expect(parseKubeVersion('1.40')).toEqual({ ok: true, version: { major: 1, minor: 40 } })
    expect(parseKubeVersion('1.x').ok).toBe(false)
    expect(parseKubeVersion('2.0').ok).toBe(false)
    expect(parseKubeVersion('1.5').ok).toBe(false)
    expect(parseKubeVersion('').ok).toBe(false)
  })
})
