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

describe('agent logs', () => {
  it('are JSON lines with no raw C1 control or bidirectional override, and the same values', async () => {
    const { pino } = await import('pino')
    const { Writable } = await import('node:stream')
    const { agentLogOptions } = await import('../../../src/cli/commands/agent.js')
    let out = ''
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => void ((out += chunk.toString('utf8')), done()) })
    const log = pino(agentLogOptions('info', 'node-0'), sink)
    const hostile = 'api says \u009b31m\u202eevil\u2028\u001b[2J'
    log.warn({ event: 'api-error', err: hostile }, `pods: ${hostile}`)
    await new Promise((r) => setImmediate(r))
    expect(out.trimEnd().split('\n')).toHaveLength(1)
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2028\u2029]/)
    const line = JSON.parse(out)
    expect(line.err).toBe(hostile)
    expect(line.msg).toBe(`pods: ${hostile}`)
  })
})
