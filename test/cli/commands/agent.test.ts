import { describe, expect, it } from 'vitest'
import { withoutCredentials } from '../../../src/cli/commands/agent.js'
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
    expect((await run(['agent', '--node', 'n', '--min-sync-interval', '-5'])).stderr).toMatch(
      /--min-sync-interval must be a whole number of milliseconds from 0 to 600000, got "-5"/,
    )
    expect((await run(['agent', '--node', 'n', '--table', 'a b'])).stderr).toMatch(/--table "a b"/)
    // nft reads these as a number or an option, not a table name: the compiler would refuse every sync.
    for (const table of ['9x', '-x', 'x'.repeat(65)]) {
      const r = await run(['agent', '--node', 'n', '--table', table])
      expect(r.code, table).toBe(2)
      expect(r.stderr, table).toMatch(/--table ".*": a letter or _, then letters, digits, - and _ \(at most 64\)/)
    }
    expect((await run(['agent', '--node', 'n', '--log-level', 'loud'])).stderr).toMatch(/--log-level must be one of/)
    expect((await run(['agent', '--node', 'n', '--kubeconfig', '/nonexistent/config'])).stderr).toMatch(
      /no kubeconfig found at --kubeconfig \/nonexistent\/config/,
    )
  })

  it('bounds every duration flag (a timer past 2^31-1 ms would fire every millisecond): exit 2 with the range', async () => {
    const bad: [string, string, RegExp][] = [
      ['--resync-interval', '2147484', /^error: --resync-interval must be a whole number of seconds from 0 to 604800, got "2147484"\n$/],
      ['--resync-interval', '1e9', /--resync-interval must be a whole number of seconds from 0 to 604800, got "1e9"/],
      ['--resync-interval', '0x10', /got "0x10"/],
      ['--resync-interval', '1.5', /got "1.5"/],
      ['--resync-interval', 'Infinity', /got "Infinity"/],
      ['--resync-interval', '', /got ""/],
      ['--min-sync-interval', '600001', /--min-sync-interval must be a whole number of milliseconds from 0 to 600000, got "600001"/],
      ['--min-sync-interval', '99999999999999999999', /got "99999999999999999999"/],
    ]
    for (const [flag, value, message] of bad) {
      const r = await run(['agent', '--node', 'n', flag, value])
      expect(r.code, `${flag} ${value}`).toBe(2)
      expect(r.stderr, `${flag} ${value}`).toMatch(message)
    }
    // In range: the flags pass, and the next check (the kubeconfig) is what fails.
    for (const [flag, value] of [
      ['--resync-interval', '604800'],
      ['--resync-interval', '0'],
      ['--min-sync-interval', '600000'],
    ]) {
      expect((await run(['agent', '--node', 'n', flag, value, '--kubeconfig', '/nonexistent/config'])).stderr).toMatch(/no kubeconfig found/)
    }
  })

  it('checks the node name, the network namespace and the in-cluster environment before using them', async () => {
    const node = await run(['agent', '--node', 'bad\u001b[31mnode'])
    expect(node.code).toBe(2)
    expect(node.stderr).toMatch(/^error: --node "bad\\u001b\[31mnode" is not a node name/)
    const env = await run(['agent'], { NODE_NAME: 'Worker_1' })
    expect(env.stderr).toMatch(/^error: \$NODE_NAME "Worker_1" is not a node name/)
    for (const netns of ['../../etc/passwd', '-h', 'a/b', '..']) {
      const r = await run(['agent', '--node', 'n', '--netns', netns])
      expect(r.code, netns).toBe(2)
      expect(r.stderr, netns).toMatch(/--netns ".*": a network namespace name/)
    }
    const host = await run(['agent'], { NODE_NAME: 'n', KUBERNETES_SERVICE_HOST: 'evil.example/x?', KUBERNETES_SERVICE_PORT: '443' })
    expect(host.code).toBe(2)
    expect(host.stderr).toMatch(/^error: KUBERNETES_SERVICE_HOST "evil.example\/x\?" is not an IP address or a host name/)
    const port = await run(['agent'], { NODE_NAME: 'n', KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443@x' })
    expect(port.stderr).toMatch(/^error: KUBERNETES_SERVICE_PORT "443@x" is not a port number/)
  })

  it('logs the API server URL without the credentials a kubeconfig may embed in it', () => {
    expect(withoutCredentials('https://admin:s3cret@10.0.0.1:6443')).toBe('https://10.0.0.1:6443')
    expect(withoutCredentials('https://10.0.0.1:6443')).toBe('https://10.0.0.1:6443')
    expect(withoutCredentials('not a url')).toBe('(not a URL)')
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
