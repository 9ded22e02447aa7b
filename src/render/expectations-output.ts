/**
 * @module `netpol test` output: one line per expectation (PASS/FAIL and why), JSON, and JUnit XML
 * for CI test reports.
 */
import type { ExpectationResult } from '../analyze/expectations.js'
import { printable } from '../model/printable.js'
import { renderJson } from './json.js'
import { escapeXml } from './xml.js'

export function renderExpectationsText(results: readonly ExpectationResult[], colour: boolean): string {
  const paint = (code: string, t: string) => (colour ? `\u001b[${code}m${t}\u001b[0m` : t)
  const lines = results.map((r) => {
    const mark = r.passed ? paint('32', 'PASS') : paint('31', 'FAIL')
    const where = printable(`${r.expectation.source.file}:${r.expectation.source.line}`)
    const expected = r.expectation.allowed ? 'allowed' : 'denied'
    const got = r.passed ? '' : ` (expected ${expected}, got ${r.actual ? 'allowed' : 'denied'})`
    // The name is free text from the expectations file: a line break in it must not start a line of its own.
    return `${mark} ${printable(r.name)}${got}\n     ${where}: ${printable(r.reason)}`
  })
  const failed = results.filter((r) => !r.passed).length
  lines.push('')
  lines.push(`${results.length - failed} passed, ${failed} failed`)
  return `${lines.join('\n')}\n`
}

export function renderExpectationsJson(results: readonly ExpectationResult[]): string {
  return renderJson({
    passed: results.filter((r) => r.passed).length,
    failed: results.filter((r) => !r.passed).length,
    results: results.map((r) => ({
      name: r.name,
      from: r.expectation.from,
      to: r.expectation.to,
      port: r.expectation.port,
      expected: r.expectation.allowed,
      actual: r.actual,
      passed: r.passed,
      reason: r.reason,
      file: r.expectation.source.file,
      line: r.expectation.source.line,
    })),
  })
}


/** JUnit XML (the dialect Jenkins, GitLab and GitHub test reporters read): one testcase per expectation. */
export function renderJunit(results: readonly ExpectationResult[], suiteName: string): string {
  const failures = results.filter((r) => !r.passed).length
  const cases = results.map((r) => {
    const attrs = `name="${escapeXml(r.name)}" classname="${escapeXml(suiteName)}" file="${escapeXml(r.expectation.source.file)}" line="${r.expectation.source.line}" time="0"`
    if (r.passed) return `    <testcase ${attrs}>\n      <system-out>${escapeXml(r.reason)}</system-out>\n    </testcase>`
    const message = `expected ${r.expectation.allowed ? 'allowed' : 'denied'}, got ${r.actual ? 'allowed' : 'denied'}`
    return `    <testcase ${attrs}>\n      <failure message="${escapeXml(message)}" type="ExpectationFailed">${escapeXml(`${r.expectation.source.file}:${r.expectation.source.line}: ${r.reason}`)}</failure>\n    </testcase>`
  })
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="netpol" tests="${results.length}" failures="${failures}" errors="0" time="0">`,
    `  <testsuite name="${escapeXml(suiteName)}" tests="${results.length}" failures="${failures}" errors="0" skipped="0" time="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}
