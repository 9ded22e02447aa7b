import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCliInProcess } from '../cli/run-cli-in-process.js'
import { LINT_RULES } from '../../src/analyze/lint.js'

const ROOT = join(import.meta.dirname, '../..')
const TIER = 'test/fixtures/review'

/** Temporary directories of this file's tests, removed after all. */
const temporary: string[] = []
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  temporary.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true })
})

async function run(args: string[], cwd = ROOT): Promise<{ code: number; out: string; err: string }> {
  const r = await runCliInProcess(args, { cwd })
  return { code: r.code, out: r.stdout, err: r.stderr }
}

describe('netpol lint (CLI)', () => {
  it('exits 1 on an error finding and prints file:line, rule and fix', async () => {
    const r = await run(['lint', 'test/fixtures/lint/egress-blocks-dns/bad.yaml'])
    expect(r.code).toBe(1)
    expect(r.out).toContain('test/fixtures/lint/egress-blocks-dns/bad.yaml:18: error [egress-blocks-dns] NetworkPolicy "shop/backend-egress"')
    expect(r.out).toMatch(/\n {2}fix: /)
  })

  it('warnings pass by default and fail with --fail-on warning; --disable drops a rule', async () => {
    const file = 'test/fixtures/lint/rule-shadowed/bad.yaml'
    expect((await run(['lint', file])).code).toBe(0)
    expect((await run(['lint', file, '--fail-on', 'warning'])).code).toBe(1)
    const disabled = await run(['lint', file, '--fail-on', 'warning', '--disable', 'rule-shadowed,duplicate-policy'])
    expect(disabled.code).toBe(0)
    expect(disabled.out).toContain('no problems found')
  })

  it('an unknown rule id is a usage error (exit 2)', async () => {
    const r = await run(['lint', 'test/fixtures/lint/rule-shadowed/bad.yaml', '--disable', 'no-such-rule'])
    expect(r.code).toBe(2)
    expect(r.err).toContain('unknown rule id in --disable: no-such-rule')
  })

  it('-o json lists findings with relative files', async () => {
    const r = await run(['lint', 'test/fixtures/lint/seeds/docs-test-network-policy.yaml', '-o', 'json'])
    const json = JSON.parse(r.out) as { findings: { ruleId: string; file: string; line: number }[] }
    expect(json.findings.map((f) => `${f.ruleId}@${f.line}`)).toContain('peers-look-like-and@25')
    expect(json.findings.every((f) => f.file === 'test/fixtures/lint/seeds/docs-test-network-policy.yaml')).toBe(true)
  })

  it('-o sarif is SARIF 2.1.0 as code scanning reads it', async () => {
    const r = await run(['lint', 'test/fixtures/lint/seeds', '-o', 'sarif'])
    expect(r.code).toBe(1)
    const sarif = JSON.parse(r.out)
    expect(sarif.version).toBe('2.1.0')
    expect(sarif.$schema).toMatch(/sarif-2\.1\.0/)
    const run0 = sarif.runs[0]
    expect(run0.tool.driver.name).toBe('netpol')
    const rules = run0.tool.driver.rules as {
      id: string
      name: string
      shortDescription: { text: string }
      help: { text: string }
      defaultConfiguration: { level: string }
    }[]
    expect(rules.map((x) => x.id)).toEqual(LINT_RULES.map((x) => x.id))
    for (const rule of rules) {
      expect(rule.name).toMatch(/^[A-Z][A-Za-z0-9]+$/)
      expect(rule.shortDescription.text.length).toBeGreaterThan(5)
      expect(rule.help.text.length).toBeGreaterThan(10)
      expect(['error', 'warning', 'note']).toContain(rule.defaultConfiguration.level)
    }
    expect(run0.results.length).toBeGreaterThan(8)
    for (const res of run0.results) {
      expect(rules[res.ruleIndex].id).toBe(res.ruleId)
      expect(['error', 'warning']).toContain(res.level)
      expect(res.message.text.length).toBeGreaterThan(10)
      const loc = res.locations[0].physicalLocation
      expect(loc.artifactLocation.uri).toMatch(/^test\/fixtures\/lint\/[a-z0-9-]+\/[a-z0-9-]+\.yaml$/)
      expect(loc.artifactLocation.uriBaseId).toBe('%SRCROOT%')
      expect(Number.isInteger(loc.region.startLine) && loc.region.startLine >= 1).toBe(true)
    }
  })

  it('bad input is exit 2 with file:line', async () => {
    const dir = tempDir('netpol-lint-')
    writeFileSync(
      join(dir, 'broken.yaml'),
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ' +
        'ipBlock: {cidr: 10.0.0.0/33}\n',
    )
    const r = await run(['lint', join(dir, 'broken.yaml')])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/broken\.yaml:8: /)
  })
})

describe('netpol diff (CLI)', () => {
  it('between two versions of the three-tier fixture names exactly the changed connections', async () => {
    const r = await run(['diff', `${TIER}/three-tier-v1`, `${TIER}/three-tier-v2`, '-o', 'json'])
    expect(r.code).toBe(0)
    const json = JSON.parse(r.out) as { changes: { change: string; from: string; to: string; newlyAllowed: string; newlyDenied: string }[] }
    expect(json.changes.map((c) => `${c.change} ${c.from} -> ${c.to} +${c.newlyAllowed} -${c.newlyDenied}`)).toEqual([
      'added prod/frontend[Deployment] -> prod/database[StatefulSet] +TCP 5432 -none',
      'removed 0.0.0.0-203.0.112.255 -> prod/frontend[Deployment] +none -TCP 8080',
      'removed 203.0.114.0-255.255.255.255 -> prod/frontend[Deployment] +none -TCP 8080',
    ])
  })

  it('examples/three-tier -> examples/three-tier-v2 names exactly the changed connections and the policies behind them', async () => {
    const r = await run(['diff', 'examples/three-tier', 'examples/three-tier-v2', '-o', 'json'])
    expect(r.code).toBe(0)
    const json = JSON.parse(r.out) as {
      changes: {
        change: string
        from: string
        to: string
        newlyAllowed: string
        newlyDenied: string
        causes: { side: string; policies: { name: string; file: string }[] }[]
      }[]
    }
    expect(json.changes.map((c) => `${c.change} ${c.from} -> ${c.to} +${c.newlyAllowed} -${c.newlyDenied}`)).toEqual([
      'added prod/backend[Deployment] -> 203.0.113.0/24 +TCP 443 -none',
      'changed 0.0.0.0/0 -> prod/frontend[Deployment] +none -TCP 80',
      // Pods whose egress is open reach the frontend through its ipBlock (with their assumed pod IPs), so they lose 80 too.
      'changed kube-system/kube-dns[Deployment] -> prod/frontend[Deployment] +none -TCP 80',
      'changed prod/backend[Deployment] -> kube-system/kube-dns[Deployment] +TCP 53 -none',
      'changed prod/database[Deployment] -> prod/frontend[Deployment] +none -TCP 80',
      'changed prod/frontend[Deployment] -> kube-system/kube-dns[Deployment] +TCP 53 -none',
    ])
    expect(json.changes.map((c) => c.causes.map((x) => `${x.side}:${x.policies.map((p) => p.name).join(',')}`).join(' '))).toEqual([
      'egress:backend-policy',
      'ingress:allow-frontend-ingress',
      'ingress:allow-frontend-ingress',
      'egress:backend-policy',
      'ingress:allow-frontend-ingress',
      'egress:frontend-to-backend',
    ])
    expect(json.changes[0].causes[0].policies[0].file).toBe('examples/three-tier-v2/policies.yaml')
  })

  it('--fail-on-new exits 1 when something new is allowed, 0 when the change only denies', async () => {
    expect((await run(['diff', `${TIER}/three-tier-v1`, `${TIER}/three-tier-v2`, '--fail-on-new'])).code).toBe(1)
    const onlyDenies = await run(['diff', `${TIER}/three-tier-v2`, `${TIER}/three-tier-v1`, '--fail-on-new', '--group-by', 'pod'])
    // The reverse change re-opens the frontend to the internet: new again.
    expect(onlyDenies.code).toBe(1)
    expect((await run(['diff', `${TIER}/three-tier-v1`, `${TIER}/three-tier-v1`, '--fail-on-new'])).code).toBe(0)
  })

  it('-o md is a table to paste into a pull request; --group-by pod names pods', async () => {
    const md = await run(['diff', `${TIER}/three-tier-v1`, `${TIER}/three-tier-v2`, '-o', 'md', '--group-by', 'pod'])
    expect(md.out).toContain('| change | from | to | before | after | why |')
    expect(md.out).toContain('`prod/frontend-1[Pod]`')
    expect(md.out).toContain('three-tier-v2/policies.yaml:')
  })
})

describe('netpol test (CLI)', () => {
  it('passes the expectations of the fixture, one line per expectation', async () => {
    const r = await run(['test', `${TIER}/three-tier-v1`, '--expect', `${TIER}/three-tier-v1/expected.yaml`])
    expect(r.code).toBe(0)
    expect(r.out.match(/^PASS /gm)).toHaveLength(6)
    expect(r.out).toContain('6 passed, 0 failed')
  })

  it('fails (exit 1) against the changed policies and writes JUnit XML', async () => {
    const dir = tempDir('netpol-test-')
    const junit = join(dir, 'results.xml')
    const r = await run(['test', `${TIER}/three-tier-v2`, '--expect', `${TIER}/three-tier-v1/expected.yaml`, '--junit', junit])
    expect(r.code).toBe(1)
    expect(r.out).toContain('FAIL the frontend cannot read the database (expected denied, got allowed)')
    expect(r.out).toContain('FAIL the internet reaches the frontend (expected allowed, got denied)')
    const xml = readFileSync(junit, 'utf8')
    expect(xml).toContain('tests="6" failures="2"')
  })

  it('a malformed expectations file is exit 2 with file:line', async () => {
    const dir = tempDir('netpol-test-')
    writeFileSync(join(dir, 'bad.yaml'), '- from: prod/frontend\n  to: prod/backend\n  port: 9000/TCP\n  allowed: sometimes\n')
    const r = await run(['test', `${TIER}/three-tier-v1`, '--expect', join(dir, 'bad.yaml')])
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/bad\.yaml:4: \[0\]\.allowed: Invalid value: "sometimes"/)
  })
})
