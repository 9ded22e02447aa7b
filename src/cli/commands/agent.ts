/**
 * @module `netpol agent`: the node agent (normally a DaemonSet pod, see deploy/). Runs until
 * SIGTERM/SIGINT; logs JSON lines to stdout; serves /healthz, /readyz and /metrics.
 */
import type { RegisterCommand } from '../main.js'
import { EnvironmentError, UsageError } from '../../model/errors.js'
import { parseListen } from '../../agent/ops-server.js'
import { runNft } from '../../dataplane/nft.js'
import { isNftTableName } from '../../dataplane/nft-names.js'
import { dns1123SubdomainErrors } from '../../model/name-validation.js'
import { VERSION } from '../version.js'
import { terminalSafeJson } from '../../model/printable.js'
import type { LoggerOptions } from 'pino'

interface AgentFlags {
  node?: string
  kubeconfig?: string
  context?: string
  listen: string
  table: string
  netns?: string
  minSyncInterval: string
  resyncInterval: string
  logLevel: string
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal']

/**
 * The agent's pino options. Log lines carry text from the API server (error messages, names of
 * rejected objects); pino escapes C0 controls but writes C1 controls and bidirectional overrides
 * raw, so each line goes through terminalSafeJson before it reaches `kubectl logs` on a terminal.
 */
export function agentLogOptions(level: string, nodeName: string): LoggerOptions {
  return { level, base: { node: nodeName }, hooks: { streamWrite: terminalSafeJson } }
}

/** Bounds of the duration flags: wide enough for any real use, small enough for every timer. */
export const MIN_SYNC_INTERVAL_MAX_MS = 600_000
export const RESYNC_INTERVAL_MAX_S = 604_800

export const register: RegisterCommand = (program, ctx) => {
  program
    .command('agent')
    .summary('enforce every NetworkPolicy on this node with nftables (the DaemonSet agent)')
    .description(
      "Watch Pods, Namespaces and NetworkPolicies on the API server and keep this node's nftables ruleset " +
        '(`table inet netpol`) in step: ingress and egress of the pods on this node. ' +
        "Uses the pod's service account by default; --kubeconfig/--context to run outside the cluster.",
    )
    .option('--node <name>', 'the node whose pods to enforce (default: $NODE_NAME)')
    .option('--kubeconfig <file>', 'use this kubeconfig instead of the in-cluster service account')
    .option('--context <name>', 'kubeconfig context (implies a kubeconfig: --kubeconfig, $KUBECONFIG or ~/.kube/config)')
    .option('--listen <addr>', 'address for /healthz, /readyz and /metrics ([HOST]:PORT; port 0 picks one)', ':9101')
    .option('--table <name>', "name of netpol's nftables table (inet family)", 'netpol')
    .option('--netns <name>', 'apply the ruleset inside this network namespace (labs and tests)')
    .option('--min-sync-interval <ms>', `least time between two syncs; events in between are coalesced (0-${MIN_SYNC_INTERVAL_MAX_MS})`, '250')
    .option(
      '--resync-interval <seconds>',
      `replace the whole ruleset this often even when nothing changed (0: never; at most ${RESYNC_INTERVAL_MAX_S}, 7 days)`,
      '300',
    )
    .option('--log-level <level>', `log level (${LOG_LEVELS.join(', ')})`, 'info')
    .addHelpText(
      'after',
      `
The ruleset is only applied after every resource has been listed once, and it is never removed on
an API error or on exit: pods keep their policies while the agent restarts. Remove it by hand with
\`nft delete table inet netpol\`.

Examples:
  netpol agent --node "$NODE_NAME"                                  # in a DaemonSet (deploy/)
  netpol agent --node worker-1 --kubeconfig ~/.kube/config --listen 127.0.0.1:9101
  netpol agent --node lab-node-1 --kubeconfig lab.kubeconfig --netns netpol-mylab-node-1
  curl -s localhost:9101/metrics | grep netpol_agent_sync_latency`,
    )
    .action(async (flags: AgentFlags) => {
      const nodeName = flags.node ?? ctx.io.env.NODE_NAME
      if (!nodeName) throw new UsageError('--node is required (or set NODE_NAME, e.g. from the downward API: spec.nodeName)')
      const nodeErrors = dns1123SubdomainErrors(nodeName)
      if (nodeErrors.length > 0)
        throw new UsageError(`${flags.node !== undefined ? '--node' : '$NODE_NAME'} ${quoted(nodeName)} is not a node name: ${nodeErrors[0]}`)
      const minSync = parseIntegerFlag('--min-sync-interval', flags.minSyncInterval, MIN_SYNC_INTERVAL_MAX_MS, 'milliseconds')
      const resync = parseIntegerFlag('--resync-interval', flags.resyncInterval, RESYNC_INTERVAL_MAX_S, 'seconds')
      if (!LOG_LEVELS.includes(flags.logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`)
      // The name the compiler and nft accept (a word starting with a digit or `-` is no table name to nft).
      if (!isNftTableName(flags.table)) throw new UsageError(`--table ${quoted(flags.table)}: a letter or _, then letters, digits, - and _ (at most 64)`)
      // `ip netns exec NAME` opens /run/netns/NAME: no path, no option.
      if (flags.netns !== undefined && (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/.test(flags.netns) || flags.netns.includes('..'))) {
        throw new UsageError(`--netns ${quoted(flags.netns)}: a network namespace name (letters, digits, '.', '-', '_'; starting with a letter or digit)`)
      }
      try {
        parseListen(flags.listen)
      } catch (err) {
        throw new UsageError((err as Error).message)
      }
      // Loaded on demand so that every other command starts without the Kubernetes client.
      const [{ pino }, { Agent }, { createAgentMetrics }, { createNftDataplane }, { startOpsServer }, { KubeConfigError, loadKubeConfig }] = await Promise.all([
        import('pino'),
        import('../../agent/agent.js'),
        import('../../agent/agent-metrics.js'),
        import('../../agent/nft-dataplane.js'),
        import('../../agent/ops-server.js'),
        import('../../cluster/live-kubeconfig.js'),
      ])
      let kubeConfig
      try {
        kubeConfig = loadKubeConfig({
          inCluster: !flags.kubeconfig && !flags.context,
          ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
          ...(flags.context ? { context: flags.context } : {}),
          env: ctx.io.env,
        })
      } catch (err) {
        if (err instanceof KubeConfigError) throw new EnvironmentError(err.message)
        throw err
      }
      // nft must work before we promise to enforce anything.
      const probe = await runNft(['list', 'tables'], flags.netns ? { netns: flags.netns } : {}).catch((e: Error) => ({
        code: -1,
        stderr: e.message,
        stdout: '',
      }))
      if (probe.code !== 0) {
        throw new EnvironmentError(
          `cannot run nft${flags.netns ? ` in network namespace ${flags.netns}` : ''}: ${probe.stderr.trim()} (the agent needs root or ` +
            `CAP_NET_ADMIN, and the nftables package)`,
        )
      }

      const logger = pino({ ...agentLogOptions(flags.logLevel, nodeName), timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 1, sync: true }))
      const metrics = createAgentMetrics()
      const agent = new Agent({
        nodeName,
        kubeConfig,
        dataplane: createNftDataplane({ nodeName, tableName: flags.table, ...(flags.netns ? { netns: flags.netns } : {}) }),
        logger,
        metrics,
        minSyncIntervalMs: minSync,
        resyncIntervalMs: resync * 1000,
      })
      const ops = await startOpsServer({
        listen: flags.listen,
        status: () => agent.status(),
        registry: metrics.registry,
        beforeScrape: () => agent.collectCounters(),
      }).catch((err: Error) => {
        throw new EnvironmentError(`cannot listen on ${flags.listen}: ${err.message}`)
      })
      logger.info(
        {
          event: 'startup',
          version: VERSION,
          server: withoutCredentials(kubeConfig.getCurrentCluster()?.server ?? ''),
          table: flags.table,
          netns: flags.netns,
          listen: ops.url,
          minSyncIntervalMs: minSync,
        },
        `netpol agent ${VERSION} serving ${ops.url}/healthz, /readyz, /metrics`,
      )
      agent.start()
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'))
        process.once('SIGINT', () => resolve('SIGINT'))
      })
      logger.info({ event: 'shutdown', signal }, `${signal}: stopping; the ruleset stays in place`)
      await agent.stop()
      await ops.close()
      ctx.exitCode = 0
    })
}

/** A whole number of `unit` in 0..max, written in decimal digits only (no 1e9, 0x10, or fractions). */
function parseIntegerFlag(flag: string, text: string, max: number, unit: string): number {
  const n = /^\d{1,16}$/.test(text.trim()) ? Number(text.trim()) : NaN
  if (!Number.isSafeInteger(n) || n > max) throw new UsageError(`${flag} must be a whole number of ${unit} from 0 to ${max}, got ${quoted(text)}`)
  return n
}

/** The server URL for the log, without a user or password a kubeconfig may embed in it. */
export function withoutCredentials(server: string): string {
  try {
    const url = new URL(server)
    if (!url.username && !url.password) return server
    url.username = ''
    url.password = ''
    return url.toString().replace(/\/$/, '')
  } catch {
    return '(not a URL)'
  }
}

/** A flag value shown in a message: quoted, control characters escaped, cut when long. */
function quoted(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text)
}
