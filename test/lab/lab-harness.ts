/**
 * Test harness: one lab per test file, driven through the same operations as `netpol lab`
 * (state directory in a temporary folder, the real nft data plane).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ClusterState } from '../../src/model/types.js'
import type { LabContext } from '../../src/lab/lab-context.js'
import { nftLabDataplane } from '../../src/lab/nft-lab-dataplane.js'
import { labUp } from '../../src/lab/lab-up.js'
import { labDown } from '../../src/lab/lab-down.js'
import { applyClusterState } from '../../src/lab/lab-apply.js'
import { requireLab } from '../../src/lab/require-lab.js'
import type { LabState } from '../../src/lab/lab-state.js'
import { uniqueLabName } from './fixtures.js'

export interface TestLab {
  readonly name: string
  readonly ctx: LabContext
  readonly warnings: string[]
  state(): Promise<LabState>
  /** Moves the running lab to exactly `desired` (like `lab apply --prune`). */
  set(desired: ClusterState): Promise<LabState>
  down(): Promise<void>
}

export async function startTestLab(tag: string, initial: ClusterState, nodeCount = 2): Promise<TestLab> {
  const root = await mkdtemp(join(tmpdir(), 'netpol-labs-'))
  const warnings: string[] = []
  const ctx: LabContext = { root, dataplane: nftLabDataplane, warn: (m) => warnings.push(m) }
  const name = uniqueLabName(tag)
  try {
    await labUp(ctx, { name, nodeCount, manifests: [], state: initial })
  } catch (err) {
    await labDown(ctx, name)
    await rm(root, { recursive: true, force: true })
    throw err
  }
  return {
    name,
    ctx,
    warnings,
    state: () => requireLab(root, name),
    set: async (desired) => (await applyClusterState(ctx, await requireLab(root, name), desired)).state,
    down: async () => {
      await labDown(ctx, name)
      await rm(root, { recursive: true, force: true })
    },
  }
}

/**
 * Several labs that take turns: `run` queues work on the labs round-robin, so tests declared
 * with `describe.concurrent` probe in parallel (probing mostly waits on timeouts) while each lab
 * runs one case at a time.
 */
export class LabPool {
  private labs: TestLab[] = []
  private queues: Promise<unknown>[] = []
  private next = 0

  async start(tag: string, initial: ClusterState, count: number): Promise<void> {
    const started = await Promise.allSettled(Array.from({ length: count }, (_, i) => startTestLab(`${tag}${i}`, initial)))
    this.labs = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected')
    if (failed) {
      await this.stop()
      throw failed.reason
    }
    this.queues = this.labs.map(() => Promise.resolve())
  }

  run<T>(fn: (lab: TestLab) => Promise<T>): Promise<T> {
    const i = this.next++ % this.labs.length
    const result = this.queues[i].then(() => fn(this.labs[i]))
    this.queues[i] = result.catch(() => undefined)
    return result
  }

  async stop(): Promise<void> {
    await Promise.all(this.labs.map((l) => l.down()))
    this.labs = []
  }
}
