/**
 * @module Process entry of a lab pod's server, started inside the pod's network namespace:
 * `node pod-server-main.js --lab=<lab> --spec=<base64 JSON PodServerSpec> [--control=<unix socket>]`. Prints `ready` once
 * every port listens; the `--lab` argument lets `lab down` find strays by their command line.
 */
import { rmSync } from 'node:fs'
import { startPodServer, type PodServerSpec } from './pod-server.js'

function arg(name: string): string | undefined {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`))
  return found === undefined ? undefined : found.slice(name.length + 3)
}

async function main(): Promise<void> {
  const encoded = arg('spec')
  if (encoded === undefined) throw new Error('missing --spec=')
  const spec = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as PodServerSpec
  const server = await startPodServer(spec, arg('control'))
  // Exit at once: the kernel closes every socket; waiting for idle clients would only delay `lab down`.
  const stop = (): void => {
    void server
    const control = arg('control')
    if (control !== undefined) rmSync(control, { force: true })
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.stdout.write('ready\n')
}

main().catch((err: unknown) => {
  process.stderr.write(`pod server: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
