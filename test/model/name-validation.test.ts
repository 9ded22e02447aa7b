import { describe, expect, it } from 'vitest'
import {
  dns1123LabelErrors,
  dns1123SubdomainErrors,
  labelValueErrors,
  portNameErrors,
  portNumberErrors,
  qualifiedNameErrors,
} from '../../src/model/name-validation.js'

describe('DNS-1123 names', () => {
  it('a label is lowercase alphanumerics and inner dashes, at most 63 characters', () => {
    for (const ok of ['a', 'my-name', '123-abc', 'x'.repeat(63)]) expect(dns1123LabelErrors(ok)).toEqual([])
    expect(dns1123LabelErrors('x'.repeat(64))).toEqual(['must be no more than 63 characters'])
    for (const bad of ['My-name', '-a', 'a-', 'a.b', 'a_b', '']) expect(dns1123LabelErrors(bad)).toHaveLength(1)
    expect(dns1123LabelErrors('A')[0]).toBe(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric " +
        "character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    )
  })
  it('a subdomain allows dots between labels, at most 253 characters', () => {
    for (const ok of ['example.com', 'a.b-c.d', 'web']) expect(dns1123SubdomainErrors(ok)).toEqual([])
    for (const bad of ['.a', 'a..b', 'a.', 'Bad_Name']) expect(dns1123SubdomainErrors(bad)).toHaveLength(1)
    expect(dns1123SubdomainErrors(`${'a'.repeat(250)}.com`)).toEqual(['must be no more than 253 characters'])
    expect(dns1123SubdomainErrors('A')[0]).toContain("(e.g. 'example.com', regex used for validation is")
  })
})

describe('qualified names (label keys)', () => {
  it('accepts a name with an optional DNS subdomain prefix', () => {
    for (const ok of ['app', 'App_1.x-y', 'kubernetes.io/metadata.name', 'example.com/MyName', 'a'.repeat(63)]) {
      expect(qualifiedNameErrors(ok)).toEqual([])
    }
  })
  it('rejects an empty name part with both of apimachinery messages', () => {
    expect(qualifiedNameErrors('')).toEqual([
      'name part must be non-empty',
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. " +
        "'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ])
  })
  it('rejects a name part over 63 characters, an empty or invalid prefix, and two slashes', () => {
    expect(qualifiedNameErrors('a'.repeat(64))).toEqual(['name part must be no more than 63 characters'])
    expect(qualifiedNameErrors('/app')).toEqual(['prefix part must be non-empty'])
    expect(qualifiedNameErrors('Example.com/app')[0]).toMatch(/^prefix part a lowercase RFC 1123 subdomain/)
    expect(qualifiedNameErrors('a/b/c')[0]).toMatch(
      /^a qualified name must consist of .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/,
    )
    expect(qualifiedNameErrors('-app')).toHaveLength(1)
  })
})

describe('label values', () => {
  it('may be empty, or up to 63 characters starting and ending alphanumeric', () => {
    for (const ok of ['', 'v1', 'My_value.x-y', '1'.repeat(63)]) expect(labelValueErrors(ok)).toEqual([])
    expect(labelValueErrors('1'.repeat(64))).toEqual(['must be no more than 63 characters'])
    expect(labelValueErrors('-bad-')[0]).toMatch(/^a valid label must be an empty string or consist of alphanumeric characters/)
    expect(labelValueErrors('a b')).toHaveLength(1)
  })
})

describe('port names (IANA service names) and numbers', () => {
  it('accepts lowercase alphanumerics and single inner hyphens with at least one letter, at most 15', () => {
    for (const ok of ['http', 'h2c', 'metrics-9090', 'a'.repeat(15)]) expect(portNameErrors(ok)).toEqual([])
  })
  it('reports each broken rule with the API server message', () => {
    expect(portNameErrors('a'.repeat(16))).toEqual(['must be no more than 15 characters'])
    expect(portNameErrors('HTTP')).toEqual(['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)'])
    expect(portNameErrors('8080')).toEqual(['must contain at least one letter (a-z)'])
    expect(portNameErrors('a--b')).toEqual(['must not contain consecutive hyphens'])
    expect(portNameErrors('-web')).toEqual(['must not begin or end with a hyphen'])
    expect(portNameErrors('web-')).toEqual(['must not begin or end with a hyphen'])
  })
  it('port numbers are 1-65535', () => {
    expect(portNumberErrors(1)).toEqual([])
    expect(portNumberErrors(65535)).toEqual([])
    for (const bad of [0, -1, 65536, 1.5]) expect(portNumberErrors(bad)).toEqual(['must be between 1 and 65535, inclusive'])
  })
})
