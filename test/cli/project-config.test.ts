import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCliInProcess } from './run-cli-in-process.js'

// A policy whose ipBlock has host bits: an error from Kubernetes 1.36 (the default, newest rules), a warning before.
const POLICY =
  'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: prod}\nspec:\n  podSelector: {}\n  egress:\n    - ' +
  'to:\n        - ipBlock: {cidr: 192.168.1.5/24}\n'

const root = mkdtempSync(join(tmpdir(), 'netpol-config-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** A fresh directory tree: `repo/` (a git repository root when `git`), `repo/app/`, with the policy in `repo/app/np.yaml`. */
function project(name: string, git = true): { repo: string; app: string } {
  const repo = join(root, name, 'repo')
  const app = join(repo, 'app')
  mkdirSync(app, { recursive: true })
  if (git) mkdirSync(join(repo, '.git'))
  writeFileSync(join(app, 'np.yaml'), POLICY)
  return { repo, app }
}

describe('.netpol.yaml: the project configuration file', () => {
  it('kubeVersion from the nearest parent applies; --kube-version and $NETPOL_KUBE_VERSION override it', async () => {
    const { repo, app } = project('precedence')
    expect((await runCliInProcess(['check', 'np.yaml'], { cwd: app })).code).toBe(2)
    writeFileSync(join(repo, '.netpol.yaml'), '# CI: the production cluster\nkubeVersion: "1.35"\n')
    const old = await runCliInProcess(['check', 'np.yaml'], { cwd: app })
    expect(old.code).toBe(0)
    expect(old.stderr).toContain('is ambiguous in this context')
    expect((await runCliInProcess(['check', 'np.yaml', '--kube-version', '1.37'], { cwd: app })).code).toBe(2)
    expect((await runCliInProcess(['check', 'np.yaml'], { cwd: app, env: { NETPOL_KUBE_VERSION: '1.36' } })).code).toBe(2)
    // The nearer file wins.
    writeFileSync(join(app, '.netpol.yaml'), 'kubeVersion: v1.36.0\n')
    expect((await runCliInProcess(['check', 'np.yaml'], { cwd: app })).code).toBe(2)
    // --config names one explicitly, relative to the working directory.
    expect((await runCliInProcess(['check', 'np.yaml', '--config', '../.netpol.yaml'], { cwd: app })).code).toBe(0)
  })

  it('the lookup stops at the git repository root', async () => {
    const { repo, app } = project('stop')
    writeFileSync(join(repo, '..', '.netpol.yaml'), 'kubeVersion: "1.35"\n')
    expect((await runCliInProcess(['check', 'np.yaml'], { cwd: app })).code).toBe(2)
    // Without .git the parent's file is found.
    rmSync(join(repo, '.git'), { recursive: true })
    expect((await runCliInProcess(['check', 'np.yaml'], { cwd: app })).code).toBe(0)
  })

  it('an unknown field: file:line, the field and "did you mean", exit 2', async () => {
    const { app } = project('unknown')
    writeFileSync(join(app, '.netpol.yaml'), '# settings\n\nkubeVersoin: "1.35"\n')
    const r = await runCliInProcess(['check', 'np.yaml', '--kube-version', '1.35'], { cwd: app })
    expect(r).toMatchObject({ code: 2, stdout: '' })
    expect(r.stderr).toBe('.netpol.yaml:3: kubeVersoin: Unknown field: unknown field "kubeVersoin" (did you mean "kubeVersion"?)\n')
  })

  it('wrong types and values: file:line and the field, never a stack trace', async () => {
    const { repo, app } = project('types')
    const cases: [string, string][] = [
      [
        'kubeVersion: 1.30\n',
        '../.netpol.yaml:1: kubeVersion: Invalid value: "1.30": must be a string: quote the version (kubeVersion: "1.35"), as YAML reads 1.30 as the number 1.3\n',
      ],
      ['\nkubeVersion: latest\n', '../.netpol.yaml:2: kubeVersion: Invalid value: "latest" is not a Kubernetes version (write MAJOR.MINOR, e.g. 1.37)\n'],
      ['- kubeVersion: "1.35"\n', '../.netpol.yaml:1: error: the configuration must be a mapping of fields (kubeVersion), e.g. kubeVersion: "1.35"\n'],
    ]
    for (const [text, message] of cases) {
      writeFileSync(join(repo, '.netpol.yaml'), text)
      const r = await runCliInProcess(['check', 'np.yaml'], { cwd: app })
      expect(r).toMatchObject({ code: 2, stderr: message })
    }
    writeFileSync(join(repo, '.netpol.yaml'), 'kubeVersion: [1\n')
    const syntax = await runCliInProcess(['check', 'np.yaml'], { cwd: app })
    expect(syntax.code).toBe(2)
    expect(syntax.stderr).toMatch(/^\.\.\/\.netpol\.yaml:[0-9]+: error parsing YAML: /)
    expect(syntax.stderr).not.toContain('    at ')
    const missing = await runCliInProcess(['check', 'np.yaml', '--config', 'nope.yaml'], { cwd: app })
    expect(missing).toMatchObject({ code: 2, stderr: 'nope.yaml: error: the path "nope.yaml" does not exist\n' })
  })
})
