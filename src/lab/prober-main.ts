/**
 * @module Process entry of the prober, started inside a source pod's network namespace: reads
 * `{ "timeoutMs": n, "targets": [ProbeTarget...] }` on stdin, writes `[ProbeResult...]` as JSON.
 */
import { probeAll, type ProbeTarget } from './prober.js'

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

async function main(): Promise<void> {
  const input = JSON.parse(await readStdin()) as { timeoutMs: number; targets: ProbeTarget[] }
  const results = await probeAll(input.targets, input.timeoutMs)
  process.stdout.write(`${JSON.stringify(results)}\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`prober: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
