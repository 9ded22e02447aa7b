/**
 * @module Runs one prober process per source pod, inside the pod's namespace, all at once.
 */
import { labScriptPath } from './lab-scripts.js'
import { runCommand } from './run-command.js'
import type { ProbeResult } from './prober.js'
import type { SourceProbes } from './probe-plan.js'
import { forEachLimit } from './lab-build.js'

export async function runProbes(lab: string, plan: readonly SourceProbes[], timeoutMs: number): Promise<Map<string, ProbeResult[]>> {
  const script = labScriptPath('prober-main')
  const results = new Map<string, ProbeResult[]>()
  // Probers mostly wait on timeouts, so many run at once even on two cores.
  await forEachLimit(plan, 16, async (src) => {
    if (src.targets.length === 0) {
      results.set(src.from, [])
      return
    }
    const input = JSON.stringify({ timeoutMs, targets: src.targets.map(({ ip, port, protocol }) => ({ ip, port, protocol })) })
    const r = await runCommand('ip', ['netns', 'exec', src.netns, process.execPath, script, `--lab=${lab}`], { input, timeoutMs: timeoutMs + 30_000 })
    if (r.code !== 0) throw new Error(`prober in ${src.from} (${src.netns}) failed: ${r.stderr.trim() || `exit ${r.code}`}`)
    results.set(src.from, JSON.parse(r.stdout) as ProbeResult[])
  })
  return results
}
