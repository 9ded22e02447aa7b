/**
 * @module Process entry of a lab pod's server, started inside the pod's network namespace:
 * `node pod-server-main.js --lab=<lab> --spec=<base64 JSON PodServerSpec>`. Prints `ready` once
 * every port listens; the `--lab` argument lets `lab down` find strays by their command line.
 */
import { startPodServer, type PodServerSpec } from './pod-server.js'

function arg(name: string): string {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`))
  if (found === undefined) throw new Error(`missing --${name}=`)
  return found.slice(name.length + 3)
}

async function main(): Promise<void> {
  const spec = JSON.parse(Buffer.from(arg('spec'), 'base64').toString('utf8')) as PodServerSpec
  const server = await startPodServer(spec)
  const stop = (): void => {
    void server.close().then(() => process.exit(0))
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.stdout.write('ready\n')
}

main().catch((err: unknown) => {
  process.stderr.write(`pod server: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
