import { describe, expect, it } from 'vitest'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { inputDiagnostics } from './input-diagnostics.js'

function policy(selector: string): string {
  return `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: prod}\nspec:\n  podSelector:\n${selector}`
}

function errorsOf(text: string): string[] {
  return inputDiagnostics(() => loadManifestText(text, { file: 'l.yaml' })).map((d) => `${d.line} ${d.field}: ${d.message}`)
}

describe('label selectors', () => {
  it('reads matchLabels and matchExpressions with every operator', () => {
    const r = loadManifestText(
      policy(
        '    matchLabels: {app: web, example.com/tier: front}\n    matchExpressions:\n      - {key: env, operator: In, values: [prod, ' +
          'staging]}\n      - {key: env, operator: NotIn, values: [dev]}\n      - {key: team, operator: Exists}\n      - {key: legacy, ' +
          'operator: DoesNotExist, values: []}\n',
      ),
    )
    expect(r.state.policies[0].podSelector).toEqual({
      matchLabels: { app: 'web', 'example.com/tier': 'front' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'staging'] },
        { key: 'env', operator: 'NotIn', values: ['dev'] },
        { key: 'team', operator: 'Exists', values: [] },
        { key: 'legacy', operator: 'DoesNotExist', values: [] },
      ],
    })
  })
  it('In and NotIn need values; Exists and DoesNotExist must have none', () => {
    expect(
      errorsOf(
        policy(
          '    matchExpressions:\n      - {key: a, operator: In}\n      - {key: a, operator: NotIn, values: []}\n      - {key: a, operator: ' +
            'Exists, values: [x]}\n      - {key: a, operator: DoesNotExist, values: [x]}\n',
        ),
      ),
    ).toEqual([
      "7 spec.podSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "8 spec.podSelector.matchExpressions[1].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "9 spec.podSelector.matchExpressions[2].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      "10 spec.podSelector.matchExpressions[3].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    ])
  })
  it('an unknown or missing operator is invalid (operators are case-sensitive)', () => {
    expect(errorsOf(policy('    matchExpressions:\n      - {key: a, operator: in, values: [x]}\n      - {key: a}\n'))).toEqual([
      '7 spec.podSelector.matchExpressions[0].operator: Invalid value: "in": not a valid selector operator',
      '8 spec.podSelector.matchExpressions[1].operator: Invalid value: "": not a valid selector operator',
    ])
  })
  it('keys must be qualified names and values valid label values, in matchLabels and expressions', () => {
    const errs = errorsOf(
      policy(
        '    matchLabels:\n      "bad key": x\n      ok: "bad value"\n    matchExpressions:\n      - {key: "", operator: Exists}\n      - {key: ' +
          'a, operator: In, values: ["-x"]}\n',
      ),
    )
    expect(errs.map((e) => e.slice(0, e.indexOf(':', e.indexOf(':') + 1)))).toEqual([
      '7 spec.podSelector.matchLabels: Invalid value',
      '8 spec.podSelector.matchLabels: Invalid value',
      '10 spec.podSelector.matchExpressions[0].key: Invalid value',
      '10 spec.podSelector.matchExpressions[0].key: Invalid value',
      '11 spec.podSelector.matchExpressions[1].values[0]: Invalid value',
    ])
    expect(errs[0]).toContain('Invalid value: "bad key": name part must consist of alphanumeric characters')
    expect(errs[1]).toContain('Invalid value: "bad value": a valid label must be an empty string')
  })
  it('non-string label values after YAML 1.1 parsing are decoding errors naming the field and the fix', () => {
    expect(
      errorsOf(
        policy(
          '    matchLabels:\n      enabled: yes\n      on-call: on\n      version: 1\n      ratio: 1.5\n    matchExpressions:\n      - {key: a, ' +
            'operator: In, values: [true]}\n',
        ),
      ),
    ).toEqual([
      '7 spec.podSelector.matchLabels.enabled: Invalid type: cannot unmarshal bool into a field of type string; YAML 1.1 reads an unquoted yes ' +
        'as a boolean, quote it: "yes"',
      '8 spec.podSelector.matchLabels.on-call: Invalid type: cannot unmarshal bool into a field of type string; YAML 1.1 reads an unquoted on ' +
        'as a boolean, quote it: "on"',
      '9 spec.podSelector.matchLabels.version: Invalid type: cannot unmarshal number into a field of type string; YAML 1.1 reads an unquoted 1 ' +
        'as a number, quote it: "1"',
      '10 spec.podSelector.matchLabels.ratio: Invalid type: cannot unmarshal number into a field of type string; YAML 1.1 reads an unquoted 1.5 ' +
        'as a number, quote it: "1.5"',
      '12 spec.podSelector.matchExpressions[0].values[0]: Invalid type: cannot unmarshal bool into a field of type string; YAML 1.1 reads an ' +
        'unquoted true as a boolean, quote it: "true"',
    ])
  })
  it('a null label value is the empty string, as Go decodes it', () => {
    const r = loadManifestText(policy('    matchLabels:\n      flag:\n'))
    expect(r.state.policies[0].podSelector.matchLabels).toEqual({ flag: '' })
  })
})
