import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteNetns, forgetConntrackIn, netnsAdd } from '../../src/lab/netns.js'
import { runChecked, runCommand } from '../../src/lab/run-command.js'

// A namespace of its own: conntrack tables are per network namespace, so nothing here reaches the host's.
const netns = `netpol-ct${randomBytes(4).toString('hex')}-node-0`

async function flows(): Promise<string> {
  const r = await runCommand('ip', ['netns', 'exec', netns, 'conntrack', '-L', '-p', 'udp'])
  return r.stdout
}

async function sendUdp(to: string): Promise<void> {
  const js = `const s=require('dgram').createSocket('udp4');s.send('x',9,'${to}',()=>s.close())`
  await runChecked('ip', ['netns', 'exec', netns, process.execPath, '-e', js])
}

describe('forgetConntrackIn', () => {
  beforeAll(async () => {
    await netnsAdd([netns])
    await runChecked('ip', ['-n', netns, 'link', 'set', 'lo', 'up'])
    // A ct rule makes the namespace track connections.
    await runChecked('ip', ['netns', 'exec', netns, 'nft', '-f', '-'], {
      input: 'table inet ct_test { chain out { type filter hook output priority 0; ct state new accept; }; }\n',
    })
  })
  afterAll(async () => {
    await deleteNetns([netns])
  })

  it("removes a gone pod's flows, so a new pod with the same address starts with none", async () => {
    await sendUdp('127.0.0.2')
    await sendUdp('127.0.0.3')
    expect(await flows()).toContain('dst=127.0.0.2')
    await forgetConntrackIn(netns, ['127.0.0.2'])
    const after = await flows()
    expect(after).not.toContain('dst=127.0.0.2')
    expect(after).toContain('dst=127.0.0.3')
  })

  it('refuses a namespace that is not a lab namespace', async () => {
    await expect(forgetConntrackIn('host', ['127.0.0.2'])).rejects.toThrow(/refusing/)
  })
})
