import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { createTopology, removeStaleTopologies } from '../../testing/dataplane-topology.js'

const run = promisify(execFile)

async function namespaces(): Promise<string[]> {
  return (await run('ip', ['netns', 'list'])).stdout
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n !== '')
}

describe('data plane test topology', () => {
  it('destroy removes every namespace it made', async () => {
    const topo = await createTopology(['a', 'b'])
    const mine = (await namespaces()).filter((n) => n.startsWith(`netpol-dp-${topo.id}-`))
    expect(mine.sort()).toEqual([`netpol-dp-${topo.id}-a`, `netpol-dp-${topo.id}-b`, `netpol-dp-${topo.id}-node`])
    await topo.destroy()
    expect((await namespaces()).filter((n) => n.startsWith(`netpol-dp-${topo.id}-`))).toEqual([])
  })

  it('namespaces left by a process that died are removed, live ones are kept', async () => {
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!
    const stale = `netpol-dp-${deadPid}-0badc0de-node`
    await run('ip', ['netns', 'add', stale])
    const live = await createTopology(['a'])
    try {
      expect(await namespaces()).not.toContain(stale)
      expect(await removeStaleTopologies()).toEqual([])
      expect(await namespaces()).toContain(live.nodeNetns)
    } finally {
      await live.destroy()
      await run('ip', ['netns', 'del', stale]).catch(() => undefined)
    }
  })
})
