import { describe, expect, it } from 'vitest'
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { runCliInProcess } from './run-cli-in-process.js'

const cwd = process.cwd()
const dir = mkdtempSync(join(tmpdir(), 'netpol-usage-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('usage mistakes are named as what they are', () => {
  it('explain --form: the unknown option with "did you mean", not a missing --from', async () => {
    const r = await runCliInProcess(['explain', 'examples/three-tier', '--form', 'prod/frontend-0', '--to', 'prod/database-0', '--port', '5432'], { cwd })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("error: unknown option '--form'\n(Did you mean --from?)")
    expect(r.stderr).not.toContain('required option')
  })
  it('a required option still missing is reported as before', async () => {
    const r = await runCliInProcess(['explain', 'examples/three-tier', '--to', 'prod/database-0', '--port', '5432'], { cwd })
    expect(r).toMatchObject({ code: 2, stderr: "error: required option '--from <src>' not specified\n" })
    const t = await runCliInProcess(['test', 'examples/three-tier'], { cwd })
    expect(t).toMatchObject({ code: 2, stderr: "error: required option '-e, --expect <file>' not specified\n" })
  })
  it('lab exec POD curl -s: the hint to put the command after --', async () => {
    const r = await runCliInProcess(['lab', 'exec', 'web-0', 'curl', '-s', 'http://10.0.0.1/'], { cwd })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("error: unknown option '-s'")
    expect(r.stderr).toContain('hint: the command to run and its options go after --: netpol lab exec POD -- curl -s ...')
  })
  it('port: "6379" (quoted): the name error says to remove the quotes', async () => {
    const file = join(dir, 'np.yaml')
    writeFileSync(
      file,
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: prod}\nspec:\n  podSelector: {}\n  ingress:\n ' +
        '   - ports:\n        - port: "6379"\n',
    )
    const r = await runCliInProcess(['check', file], { cwd })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(
      'spec.ingress[0].ports[0].port: Invalid value: "6379": must contain at least one letter (a-z); a quoted number is a port name: remove the ' +
        'quotes (port: 6379)',
    )
  })
  it('--kube-version: a bad value is a usage error; an older release relaxes the CIDR rules', async () => {
    const file = join(dir, 'cidr.yaml')
    writeFileSync(
      file,
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: prod}\nspec:\n  podSelector: {}\n  egress:\n    - ' +
        'to:\n        - ipBlock: {cidr: 192.168.1.5/24}\n',
    )
    expect((await runCliInProcess(['check', file], { cwd })).code).toBe(2)
    const old = await runCliInProcess(['check', file, '--kube-version', '1.35'], { cwd })
    expect(old.code).toBe(0)
    expect(old.stderr).toContain('is ambiguous in this context')
    expect((await runCliInProcess(['check', file], { cwd, env: { NETPOL_KUBE_VERSION: 'v1.35.1' } })).code).toBe(0)
    const bad = await runCliInProcess(['check', file, '--kube-version', 'latest'], { cwd })
    expect(bad).toMatchObject({ code: 2, stderr: 'error: --kube-version: "latest" is not a Kubernetes version (write MAJOR.MINOR, e.g. 1.37)\n' })
  })
})

describe('--skip-invalid', () => {
  const write = (name: string, text: string): string => {
    const file = join(dir, name)
    writeFileSync(file, text)
    return file
  }
  const good = 'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: c, image: i}]}\n'
  const bad =
    'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [ingress]\n'
  it('without it, one invalid object refuses the whole input (exit 2, nothing analysed)', async () => {
    const file = write('mixed.yaml', `${good}---\n${bad}`)
    const r = await runCliInProcess(['list', file], { cwd })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
  })
  it('with it, the rest is analysed, what was left out is listed, and the exit code is still 2', async () => {
    const file = write('mixed2.yaml', `${good}---\n${bad}`)
    const r = await runCliInProcess(['list', file, '--skip-invalid'], { cwd })
    expect(r.code).toBe(2)
    expect(r.stdout).toContain('shop/web')
    expect(r.stderr).toContain('NetworkPolicy "shop/deny" is invalid: spec.policyTypes[0]: Unsupported value: "ingress"')
    expect(r.stderr).toContain('warning: --skip-invalid: left out one invalid object or document (above); the analysis covers the rest')
  })
  it("--skip-invalid=warn keeps the command's own exit code; a valid input exits as before", async () => {
    const file = write('mixed3.yaml', `${good}---\n${bad}`)
    expect((await runCliInProcess(['list', file, '--skip-invalid=warn'], { cwd })).code).toBe(0)
    expect((await runCliInProcess(['list', write('valid.yaml', good), '--skip-invalid'], { cwd })).code).toBe(0)
    const wrong = await runCliInProcess(['list', file, '--skip-invalid=yes'], { cwd })
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain('--skip-invalid: "yes" is not a mode')
  })
})
