import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { LINT_RULES, lint } from '../../src/analyze/lint.js'

const DOC = readFileSync(join(import.meta.dirname, '../../docs/lint.md'), 'utf8')

/** `### rule-id` sections with their yaml blocks, in order (bad, then good). */
function sections(): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const part of DOC.split(/^### /m).slice(1)) {
    const id = part.slice(0, part.indexOf('\n')).trim()
    const blocks = [...part.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1])
    out.set(id, blocks)
  }
  return out
}

describe('docs/lint.md', () => {
  const docs = sections()
  it('documents every rule, and only rules that exist', () => {
    expect([...docs.keys()].sort()).toEqual(LINT_RULES.map((r) => r.id).sort())
  })
  for (const rule of LINT_RULES) {
    it(`${rule.id}: the bad example is reported at the marked line, the good one is not`, () => {
      const [bad, good] = docs.get(rule.id) ?? []
      expect(bad && good, 'a bad and a good example').toBeTruthy()
      const marked = bad.split('\n').findIndex((l) => l.includes('# <- reported here')) + 1
      const badFindings = lint(loadManifestText(bad, { file: 'bad.yaml' }).state).findings.filter((f) => f.ruleId === rule.id)
      expect(badFindings.map((f) => f.line)).toEqual([marked])
      const goodFindings = lint(loadManifestText(good, { file: 'good.yaml' }).state).findings.filter((f) => f.ruleId === rule.id)
      expect(goodFindings).toEqual([])
      expect(DOC).toContain(`**${rule.severity}**: ${rule.title}.`)
    })
    it(`${rule.id}: the good example is lint-clean as a whole (a user who copies it gets no finding of any rule)`, () => {
      const [, good] = docs.get(rule.id) ?? []
      const findings = lint(loadManifestText(good ?? '', { file: 'good.yaml' }).state).findings
      expect(findings.map((f) => `${f.ruleId} at line ${f.line}: ${f.message}`)).toEqual([])
    })
  }
})
