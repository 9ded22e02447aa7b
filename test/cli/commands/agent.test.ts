import { describe, expect, it } from 'vitest'
import { runCliInProcess, type CliRun } from '../run-cli-in-process.js'

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runCliInProcess(args, { cwd: process.cwd(), env })
}

describe('netpol agent flags', () => {
  it('needs a node name, from --node or $NODE_NAME', async () => {
    const r = await run(['agent'])
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('error: --node is required (or set NODE_NAME, e.g. from the downward API: spec.nodeName)\n')
  })

  it('uses the in-cluster service account by default and says what to do outside a cluster', async () => {
    const r = await run(['agent'], { NODE_NAME: 'worker-1' })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^error: not running inside a cluster \(KUBERNETES_SERVICE_HOST\/PORT are not set\): pass --kubeconfig/)
  })

  it('rejects bad values before touching anything', async () => {
    expect((await run(['agent', '--node', 'n', '--listen', 'nope'])).stderr).toMatch(/--listen "nope": expected \[HOST\]:PORT/)
    expect((await run(['agent', '--node', 'n', '--min-sync-interval', '-5'])).stderr).toMatch(/--min-sync-interval must be a number >= 0/)
    expect((await run(['agent', '--node', 'n', '--table', 'a b'])).stderr).toMatch(/--table "a b"/)
    expect((await run(['agent', '--node', 'n', '--log-level', 'loud'])).stderr).toMatch(/--log-level must be one of/)
    expect((await run(['agent', '--node', 'n', '--kubeconfig', '/nonexistent/config'])).stderr).toMatch(/no kubeconfig found at --kubeconfig \/nonexistent\/config/)
  })

  it('documents itself with examples', async () => {
    const r = await run(['agent', '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('--netns <name>')
    expect(r.stdout).toContain('Examples:')
  })
})
