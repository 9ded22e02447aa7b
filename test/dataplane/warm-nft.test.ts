/**
 * WarmNft keeps one `nft -f -` started ahead of its script: each run must still be its own
 * process with exactly its own input (one transaction), a refusal must still throw, a process
 * that died while waiting must not be used, and stop must end the waiting one. A stand-in `nft`
 * first on PATH (this file's worker only) records when it started, its arguments and its input.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { applyRulesetDelta, NftError, WarmNft } from '../../src/dataplane/nft.js'

interface Run {
  readonly pid: number
  readonly startedMs: number
  readonly args: string
  readonly input: string
  readonly netns: string
}

describe('an nft started ahead of its script', () => {
  let dir = ''
  const path = process.env.PATH
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netpol-warm-nft-'))
    // Records its start (ms), its arguments and, once stdin is closed, its input; `refuse` in the input fails like nft.
    writeFileSync(
      join(dir, 'nft'),
      [
        '#!/bin/sh',
        'd="$WARM_NFT_RUNS/$$"',
        'mkdir -p "$d"',
        'date +%s%3N > "$d/started"',
        'echo "$*" > "$d/args"',
        'stat -L -c %i /proc/self/ns/net > "$d/netns"',
        'cat > "$d/input.tmp"',
        'mv "$d/input.tmp" "$d/input"',
        'if grep -q refuse "$d/input"; then echo "Error: refused" >&2; exit 1; fi',
        '',
      ].join('\n'),
    )
    chmodSync(join(dir, 'nft'), 0o755)
    process.env.PATH = `${dir}:${path ?? ''}`
  })
  afterAll(() => {
    process.env.PATH = path
    delete process.env.WARM_NFT_RUNS
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })
  })
  const warms: WarmNft[] = []
  // Each test's processes write under their own folder (a process ended by stop may still be writing after the test).
  let test = 0
  let runsDir = ''
  beforeEach(() => {
    runsDir = join(dir, `runs-${++test}`)
    process.env.WARM_NFT_RUNS = runsDir
  })
  afterEach(() => {
    for (const w of warms.splice(0)) w.stop()
  })
  const newWarm = (): WarmNft => {
    const w = new WarmNft()
    warms.push(w)
    return w
  }
  const runs = (): Map<number, Partial<Run>> => {
    const out = new Map<number, Partial<Run>>()
    if (!existsSync(runsDir)) return out
    for (const pid of readdirSync(runsDir)) {
      const d = join(runsDir, pid)
      const read = (f: string): string | undefined => (existsSync(join(d, f)) ? readFileSync(join(d, f), 'utf8') : undefined)
      const started = read('started')
      out.set(Number(pid), {
        pid: Number(pid),
        ...(started === undefined ? {} : { startedMs: Number(started) }),
        ...(read('args') === undefined ? {} : { args: read('args')!.trim() }),
        ...(read('input') === undefined ? {} : { input: read('input') }),
        ...(read('netns') === undefined ? {} : { netns: read('netns')!.trim() }),
      })
    }
    return out
  }
  const waitFor = async (what: () => boolean): Promise<void> => {
    for (let i = 0; i < 500 && !what(); i++) await new Promise((r) => setTimeout(r, 10))
    expect(what()).toBe(true)
  }
  /** The one started process still waiting for its input. */
  const waiting = (): Partial<Run>[] => [...runs().values()].filter((r) => r.startedMs !== undefined && r.input === undefined)

  it('runs each script in its own nft -f -, the next one started before it is asked for', async () => {
    const warm = newWarm()
    const first = await warm.run('add table inet netpol\n')
    expect(first.code).toBe(0)
    await waitFor(() => waiting().length === 1)
    const ahead = waiting()[0]
    await new Promise((r) => setTimeout(r, 50))
    const askedAt = Date.now()
    const second = await warm.run('add table inet netpol\nadd chain inet netpol c\n')
    expect(second.code).toBe(0)
    const all = runs()
    // The second script went to the process that was already waiting, started before it was asked for.
    expect(all.get(ahead.pid!)?.input).toBe('add table inet netpol\nadd chain inet netpol c\n')
    expect(ahead.startedMs!).toBeLessThan(askedAt)
    const done = [...all.values()].filter((r) => r.input !== undefined)
    expect(done.map((r) => r.input).sort()).toEqual(['add table inet netpol\n', 'add table inet netpol\nadd chain inet netpol c\n'])
    expect(done.every((r) => r.args === '-f -')).toBe(true)
  })

  it('reports a refused script as nft does: applyRulesetDelta throws NftError with the message', async () => {
    const warm = newWarm()
    await warm.run('add table inet netpol\n')
    await waitFor(() => waiting().length === 1)
    await expect(applyRulesetDelta('add chain inet netpol refuse\n', { nft: warm })).rejects.toThrow(NftError)
    await expect(applyRulesetDelta('add chain inet netpol refuse\n', { nft: warm })).rejects.toThrow(/nft -f \(incremental update\) failed:\nError: refused/)
    await expect(applyRulesetDelta('add chain inet netpol fine\n', { nft: warm })).resolves.toBeUndefined()
  })

  it('does not use a process that died while waiting', async () => {
    const warm = newWarm()
    await warm.run('add table inet netpol\n')
    await waitFor(() => waiting().length === 1)
    const dead = waiting()[0].pid!
    process.kill(dead, 'SIGKILL')
    await new Promise((r) => setTimeout(r, 100))
    const r = await warm.run('add chain inet netpol c\n')
    expect(r.code).toBe(0)
    expect([...runs().values()].some((x) => x.input === 'add chain inet netpol c\n' && x.pid !== dead)).toBe(true)
  })

  it('stop ends the waiting process with an empty input (nothing to apply); a later run starts again', async () => {
    const warm = newWarm()
    await warm.run('add table inet netpol\n')
    await waitFor(() => waiting().length === 1)
    const pid = waiting()[0].pid!
    warm.stop()
    await waitFor(() => runs().get(pid)?.input === '')
    await new Promise((r) => setTimeout(r, 100))
    expect(waiting()).toEqual([])
    expect((await warm.run('add table inet netpol\n')).code).toBe(0)
  })

  it('in a network namespace: does not use a process that entered a namespace since made again under the same name', async () => {
    const netns = `netpol-warmnft-${process.pid}`
    execFileSync('ip', ['netns', 'add', netns])
    try {
      const warm = new WarmNft(netns)
      warms.push(warm)
      await warm.run('add table inet netpol\n')
      await waitFor(() => waiting().length === 1)
      const stale = waiting()[0].pid!
      execFileSync('ip', ['netns', 'delete', netns])
      execFileSync('ip', ['netns', 'add', netns])
      const inNew = execFileSync('stat', ['-L', '-c', '%i', `/run/netns/${netns}`], { encoding: 'utf8' }).trim()
      expect((await warm.run('add chain inet netpol c\n')).code).toBe(0)
      const used = [...runs().values()].find((x) => x.input === 'add chain inet netpol c\n')!
      expect(used.pid).not.toBe(stale)
      expect(used.netns).toBe(inNew)
      // The stale one was ended without a script.
      await waitFor(() => runs().get(stale)?.input === '')
    } finally {
      execFileSync('ip', ['netns', 'delete', netns])
    }
  })

  it('refuses a network namespace name that is not a plain word before starting anything', () => {
    expect(() => new WarmNft('x; flush ruleset')).toThrow(NftError)
    expect(runs().size).toBe(0)
  })
})
