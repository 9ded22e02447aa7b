/**
 * @module `netpol test` output: one line per expectation (PASS/FAIL and why), JSON, and JUnit XML
 * for CI test reports.
 */
import type { ExpectationResult } from '../analyze/expectations.js'
import { printable } from '../model/printable.js'
import { renderJson } from './json.js'
import { escapeXml } from './xml.js'

/** `denied`, or `denied by egress` when the expectation names the side (and `got` the sides that denied). */
function expectedText(r: ExpectationResult): string {
  return r.expectation.allowed ? 'allowed' : r.expectation.deniedBy ? `denied by ${r.expectation.deniedBy}` : 'denied'
}
function actualText(r: ExpectationResult): string {
  if (r.unproven !== undefined) return r.unproven
  if (r.actual) return 'allowed'
  return r.expectation.deniedBy && r.deniedBy.length > 0 ? `denied by ${r.deniedBy.join(' and ')}` : 'denied'
}

/** `quiet` (`test -q`): only the failures, and the count. */
export function renderExpectationsText(results: readonly ExpectationResult[], colour: boolean, quiet = false): string {
  const paint = (code: string, t: string) => (colour ? `\u001b[${code}m${t}\u001b[0m` : t)
  const lines = results
    .filter((r) => !quiet || !r.passed)
    .map((r) => {
      const mark = r.passed ? paint('32', 'PASS') : paint('31', 'FAIL')
      const where = printable(`${r.expectation.source.file}:${r.expectation.source.line}`)
      const got = r.passed ? '' : ` (expected ${expectedText(r)}, got ${actualText(r)})`
      // Free text from the expectations file: a line break in it must not start a line of its own.
      const description = !r.passed && r.expectation.description ? `\n     ${printable(r.expectation.description)}` : ''
      const via = r.service
        ? `\n     ${printable(`${r.service.name}${r.service.port ? ` port ${r.service.port}` : ''}: ${r.service.allowed} of ${r.service.connections} backend connections allowed (${r.service.answer})`)}`
        : ''
      return `${mark} ${printable(r.name)}${got}${description}${via}\n     ${where}: ${printable(r.reason)}`
    })
  const failed = results.filter((r) => !r.passed).length
  if (lines.length > 0) lines.push('')
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
      ...(r.expectation.description !== undefined ? { description: r.expectation.description } : {}),
      expected: r.expectation.allowed,
      ...(r.expectation.deniedBy !== undefined ? { expectedDeniedBy: r.expectation.deniedBy } : {}),
      actual: r.actual,
      ...(r.unproven !== undefined ? { outcome: r.unproven } : {}),
      deniedBy: r.deniedBy,
      passed: r.passed,
      reason: r.reason,
      ...(r.service !== undefined ? { service: r.service } : {}),
      file: r.expectation.source.file,
      line: r.expectation.source.line,
    })),
  })
}

/** JUnit XML (the dialect Jenkins, GitLab and GitHub test reporters read): one testcase per expectation. */
export function renderJunit(results: readonly ExpectationResult[], suiteName: string): string {
  const failures = results.filter((r) => !r.passed).length
  const cases = results.map((r) => {
    const attrs =
      `name="${escapeXml(r.name)}" classname="${escapeXml(suiteName)}" file="${escapeXml(r.expectation.source.file)}" ` +
      `line="${r.expectation.source.line}" time="0"`
    const text = r.expectation.description ? `${r.expectation.description}\n${r.reason}` : r.reason
    if (r.passed) return `    <testcase ${attrs}>\n      <system-out>${escapeXml(text)}</system-out>\n    </testcase>`
    const message = `expected ${expectedText(r)}, got ${actualText(r)}`
    return (
      `    <testcase ${attrs}>\n      <failure message="${escapeXml(message)}" ` +
      `type="ExpectationFailed">${escapeXml(`${r.expectation.source.file}:${r.expectation.source.line}: ${r.reason}`)}</failure>\n    </testcase>`
    )
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
