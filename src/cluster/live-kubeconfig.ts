/**
 * @module Which cluster to talk to, the way kubectl decides: `--kubeconfig` (else $KUBECONFIG, else
 * ~/.kube/config), `--context` (else the current context); or the pod's service account when
 * running inside the cluster.
 */
import { existsSync, statSync } from 'node:fs'
import { isIP } from 'node:net'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { DEFAULT_MAX_FILE_BYTES, formatBytes } from '../model/input-limits.js'

/** The cluster cannot be reached with what was given (no kubeconfig, unknown context, ...). */
export class KubeConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'KubeConfigError'
  }
}

export interface KubeConfigOptions {
  readonly kubeconfig?: string
  readonly context?: string
  /** Use the pod's service account (KUBERNETES_SERVICE_HOST, /var/run/secrets/...). */
  readonly inCluster?: boolean
  readonly env?: NodeJS.ProcessEnv
}

export function loadKubeConfig(options: KubeConfigOptions): KubeConfig {
  const env = options.env ?? process.env
  const kc = new KubeConfig()
  if (options.inCluster) {
    if (!env.KUBERNETES_SERVICE_HOST || !env.KUBERNETES_SERVICE_PORT) {
      throw new KubeConfigError(
        'not running inside a cluster (KUBERNETES_SERVICE_HOST/PORT are not set): pass --kubeconfig (and --context) to use a kubeconfig file',
      )
    }
    // The client builds the server URL from these as they are: check them like any input.
    const host = env.KUBERNETES_SERVICE_HOST
    const port = env.KUBERNETES_SERVICE_PORT
    if (!isIP(host) && !/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(host)) {
      throw new KubeConfigError(`KUBERNETES_SERVICE_HOST ${JSON.stringify(host.slice(0, 80))} is not an IP address or a host name`)
    }
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
      throw new KubeConfigError(`KUBERNETES_SERVICE_PORT ${JSON.stringify(port.slice(0, 80))} is not a port number (1-65535)`)
    }
    kc.loadFromCluster()
    // loadFromCluster reads process.env: use the values checked above.
    const cluster = kc.getCurrentCluster()
    if (cluster) {
      // The client's rule: the ports of plain-http API servers and proxies.
      const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https'
      const server = `${scheme}://${isIP(host) === 6 ? `[${host}]` : host}:${port}`
      kc.clusters = kc.clusters.map((c) => (c.name === cluster.name ? { ...c, server } : c))
    }
    return kc
  }
  const files = options.kubeconfig ? [options.kubeconfig] : (env.KUBECONFIG ?? '').split(':').filter(Boolean)
  if (files.length === 0) files.push(join(env.HOME ?? homedir(), '.kube', 'config'))
  const present = files.filter((f) => existsSync(f))
  if (present.length === 0) {
    const which = options.kubeconfig ? `--kubeconfig ${options.kubeconfig}` : env.KUBECONFIG ? `$KUBECONFIG (${env.KUBECONFIG})` : files[0]
    throw new KubeConfigError(`no kubeconfig found at ${which}: pass --kubeconfig FILE`)
  }
  for (const f of present) checkKubeConfigFile(f)
  try {
    if (present.length === 1) kc.loadFromFile(present[0])
    else {
      // kubectl merges $KUBECONFIG files; the first file to set a value wins.
      const merged = new KubeConfig()
      for (const f of present) {
        const part = new KubeConfig()
        part.loadFromFile(f)
        merged.mergeConfig(part, true)
        if (!merged.currentContext && part.currentContext) merged.setCurrentContext(part.currentContext)
      }
      kc.loadFromOptions({ clusters: merged.clusters, users: merged.users, contexts: merged.contexts, currentContext: merged.currentContext })
    }
  } catch (err) {
    throw new KubeConfigError(`cannot read kubeconfig ${present.join(':')}: ${(err as Error).message}`, { cause: err })
  }
  if (options.context) {
    if (!kc.getContextObject(options.context)) {
      const known = kc.getContexts().map((c) => c.name)
      throw new KubeConfigError(`context "${options.context}" does not exist${known.length ? ` (contexts: ${known.join(', ')})` : ''}`)
    }
    kc.setCurrentContext(options.context)
  }
  if (!kc.getCurrentContext() || !kc.getContextObject(kc.getCurrentContext())) {
    throw new KubeConfigError('the kubeconfig has no current context: pass --context NAME')
  }
  if (!kc.getCurrentCluster()) throw new KubeConfigError(`context "${kc.getCurrentContext()}" names a cluster the kubeconfig does not define`)
  return kc
}

/**
 * A kubeconfig is read whole by the client library: a device (`KUBECONFIG=/dev/zero`) would be
 * read until memory runs out, a huge file parsed for minutes. Regular files up to the manifests'
 * default bound, and named pipes (`--kubeconfig <(...)`), are read.
 */
function checkKubeConfigFile(file: string): void {
  let s
  try {
    s = statSync(file)
  } catch (err) {
    throw new KubeConfigError(`cannot read kubeconfig ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err })
  }
  if (s.isFIFO()) return
  if (!s.isFile()) {
    const what = s.isDirectory()
      ? 'a directory'
      : s.isCharacterDevice()
        ? 'a character device'
        : s.isBlockDevice()
          ? 'a block device'
          : s.isSocket()
            ? 'a socket'
            : 'not a regular file'
    throw new KubeConfigError(`cannot read kubeconfig ${file}: ${what}; a kubeconfig is a regular file`)
  }
  if (s.size > DEFAULT_MAX_FILE_BYTES)
    throw new KubeConfigError(`cannot read kubeconfig ${file}: larger than ${formatBytes(DEFAULT_MAX_FILE_BYTES)}; no kubeconfig comes near it`)
}

/** The namespace of the current context (kubectl's default for commands without -n), else "default". */
export function contextNamespace(kc: KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace || 'default'
}
