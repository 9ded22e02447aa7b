/**
 * @module `netpol lint` output: text for people (compiler style, file:line first so editors jump
 * to it), JSON for scripts, SARIF 2.1.0 for code-scanning UIs.
 */
import { posix, relative, sep } from 'node:path'
import type { LintFinding, LintRule } from '../analyze/lint-rule.js'
import { formatSource } from '../model/diagnostic.js'
import { printable } from '../model/printable.js'
import { renderJson } from './json.js'

const RED = '\u001b[31m'
const YELLOW = '\u001b[33m'
const CYAN = '\u001b[36m'
const DIM = '\u001b[2m'
const BOLD = '\u001b[1m'
const RESET = '\u001b[0m'

export function renderLintText(findings: readonly LintFinding[], colour: boolean): string {
  const paint = (code: string, text: string) => (colour ? `${code}${text}${RESET}` : text)
  const lines: string[] = []
  for (const f of findings) {
    const where = printable(formatSource(f))
    const level = f.severity === 'error' ? paint(RED, 'error') : f.severity === 'warning' ? paint(YELLOW, 'warning') : paint(CYAN, 'info')
    lines.push(`${paint(BOLD, where)}: ${level} [${f.ruleId}] ${printable(`${f.object}${f.field ? ` ${f.field}` : ''}: ${f.message}`)}`)
    lines.push(paint(DIM, `  fix: ${printable(f.hint)}`))
  }
  const errors = findings.filter((f) => f.severity === 'error').length
  const infos = findings.filter((f) => f.severity === 'info').length
  const warnings = findings.length - errors - infos
  if (findings.length === 0) lines.push('no problems found')
  else
    lines.push(
      `${findings.length} problem${findings.length === 1 ? '' : 's'} (${errors} error${errors === 1 ? '' : 's'}, ` +
        `${warnings} warning${warnings === 1 ? '' : 's'}${infos > 0 ? `, ${infos} info` : ''})`,
    )
  return `${lines.join('\n')}\n`
}

export function renderLintJson(findings: readonly LintFinding[]): string {
  return renderJson({
    findings: findings.map((f) => ({
      ruleId: f.ruleId,
      severity: f.severity,
      file: f.file,
      line: f.line,
      object: f.object,
      ...(f.field ? { field: f.field } : {}),
      message: f.message,
      hint: f.hint,
    })),
  })
}

/** SARIF levels are error, warning and note. */
function sarifLevel(s: LintFinding['severity']): 'error' | 'warning' | 'note' {
  return s === 'info' ? 'note' : s
}

/** `egress-blocks-dns` -> `EgressBlocksDns`: SARIF rule names are identifiers. */
function ruleName(id: string): string {
  return id
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')
}

/** A URI reference relative to the working directory, with forward slashes, percent-encoded. */
function artifactUri(file: string, cwd: string): string {
  if (file === '-') return 'stdin'
  const rel = relative(cwd, file).split(sep).join(posix.sep)
  return rel
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/')
}

/**
 * SARIF plain-text messages may embed links written `[text](target)`, which viewers such as GitHub
 * code scanning render; a `](` that comes from input (a file name in a message) is escaped so it
 * stays text. Lone brackets (`spec.ingress[0]`) cannot form a link and stay as they are.
 */
function sarifText(text: string): string {
  return text.replaceAll('](', '\\](')
}

export interface SarifOptions {
  readonly cwd: string
  readonly version: string
}

/**
 * SARIF 2.1.0 as GitHub code scanning reads it: every rule under tool.driver.rules (with help),
 * every result with ruleId/ruleIndex, level, message, and a physical location whose URI is
 * relative to the repository root (`%SRCROOT%`).
 */
export function renderLintSarif(findings: readonly LintFinding[], rules: readonly LintRule[], options: SarifOptions): string {
  const index = new Map(rules.map((r, i) => [r.id, i]))
  return renderJson({
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'netpol',
            version: options.version,
            semanticVersion: options.version,
            rules: rules.map((r) => ({
              id: r.id,
              name: ruleName(r.id),
              shortDescription: { text: r.title },
              fullDescription: { text: `${r.title}. ${r.help}` },
              help: {
                text: r.help,
                markdown: `**${r.title}**\n\n${r.help}\n\nSee docs/lint.md#${r.id} in the netpol repository for a bad and a good example.`,
              },
              defaultConfiguration: { level: sarifLevel(r.severity) },
              properties: { tags: ['kubernetes', 'networkpolicy', 'security'] },
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { description: { text: 'The directory netpol lint ran in.' } } },
        results: findings.map((f) => ({
          ruleId: f.ruleId,
          ...(index.has(f.ruleId) ? { ruleIndex: index.get(f.ruleId) } : {}),
          level: sarifLevel(f.severity),
          message: { text: sarifText(`${f.object}${f.field ? ` ${f.field}` : ''}: ${f.message}. Fix: ${f.hint}`) },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: artifactUri(f.file, options.cwd), uriBaseId: '%SRCROOT%' },
                region: { startLine: Math.max(1, f.line) },
              },
              ...(f.object ? { logicalLocations: [{ name: f.object, kind: 'resource' }] } : {}),
            },
          ],
        })),
      },
    ],
  })
}
