/**
 * @module The writes the lab makes to its own API server, as a kubelet and a scheduler would:
 * register Nodes, bind Pods, report Pod status, finish the deletion of a stopped Pod. JSON over
 * node:http(s) with the kubeconfig's credentials (live-api.ts); each request has a deadline.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import { apiErrorFor, ApiRequestError, prepareApiRequest } from '../cluster/live-api.js'

const TIMEOUT_MS = 30_000
const MAX_ANSWER_BYTES = 16 * 1024 * 1024

export type WriteMethod = 'POST' | 'PATCH' | 'DELETE'

/** Sends `body` as JSON (`contentType` for PATCH: a merge patch) and resolves with the parsed answer; non-2xx throws ApiRequestError. */
export async function apiSend(kc: KubeConfig, method: WriteMethod, path: string, body: unknown, contentType = 'application/json'): Promise<unknown> {
  const { url, send, agent, headers } = await prepareApiRequest(kc, path)
  const payload = Buffer.from(JSON.stringify(body))
  return new Promise<unknown>((resolve, reject) => {
    const req = send(
      url,
      { method, agent, headers: { ...headers, 'Content-Type': contentType, 'Content-Length': String(payload.length) }, timeout: TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = []
        let bytes = 0
        res.on('data', (c: Buffer) => {
          bytes += c.length
          if (bytes > MAX_ANSWER_BYTES) req.destroy(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`))
          else chunks.push(c)
        })
        res.on('error', (e) => reject(new ApiRequestError(`${method} ${url.pathname}: ${e.message}`)))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          const status = res.statusCode ?? 0
          if (status < 200 || status >= 300) {
            const err = apiErrorFor(url, status, res.statusMessage, text)
            reject(new ApiRequestError(err.message.replace(/^GET /, `${method} `), err.statusCode, err.reason))
            return
          }
          try {
            resolve(text ? JSON.parse(text) : undefined)
          } catch {
            resolve(undefined)
          }
        })
      },
    )
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)))
    req.on('error', (e) => reject(new ApiRequestError(`${method} ${url.origin}${url.pathname}: ${e.message}`)))
    req.end(payload)
  })
}

function seg(s: string): string {
  return encodeURIComponent(s)
}

/** Registers a lab node (idempotent: an existing Node is kept). */
export async function registerNode(kc: KubeConfig, name: string, address: string, podCidr: string): Promise<void> {
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'netpol.dev/lab-node': 'true' } },
    spec: { podCIDR: podCidr, podCIDRs: [podCidr] },
  }
  try {
    await apiSend(kc, 'POST', '/api/v1/nodes', node)
  } catch (err) {
    if (!(err instanceof ApiRequestError && err.statusCode === 409)) throw err
  }
  await apiSend(
    kc,
    'PATCH',
    `/api/v1/nodes/${seg(name)}/status`,
    {
      status: {
        addresses: [
          { type: 'InternalIP', address },
          { type: 'Hostname', address: name },
        ],
        conditions: [{ type: 'Ready', status: 'True', reason: 'NetpolLab', message: 'a netpol lab node', lastHeartbeatTime: new Date().toISOString() }],
      },
    },
    'application/merge-patch+json',
  )
}

/** Binds a pod to a node, as the scheduler does (the API server sets spec.nodeName). */
export async function bindPod(kc: KubeConfig, namespace: string, name: string, uid: string | undefined, node: string): Promise<void> {
  await apiSend(kc, 'POST', `/api/v1/namespaces/${seg(namespace)}/pods/${seg(name)}/binding`, {
    apiVersion: 'v1',
    kind: 'Binding',
    // With the uid: this very pod, not a new one of the same name.
    metadata: { name, namespace, ...(uid ? { uid } : {}) },
    target: { apiVersion: 'v1', kind: 'Node', name: node },
  })
}

/** Reports a running pod's address (status.podIP and status.podIPs), as its kubelet does. */
export async function reportPodRunning(
  kc: KubeConfig,
  namespace: string,
  name: string,
  ip: string,
  hostIp: string,
  containers: readonly { name: string; image: string }[] = [],
): Promise<void> {
  const now = new Date().toISOString()
  await apiSend(
    kc,
    'PATCH',
    `/api/v1/namespaces/${seg(namespace)}/pods/${seg(name)}/status`,
    {
      status: {
        phase: 'Running',
        podIP: ip,
        podIPs: [{ ip }],
        hostIP: hostIp,
        hostIPs: [{ ip: hostIp }],
        startTime: now,
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
          { type: 'Initialized', status: 'True', lastTransitionTime: now },
          { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
          { type: 'Ready', status: 'True', lastTransitionTime: now },
        ],
        // The lab's pod server stands in for every container.
        containerStatuses: containers.map((c) => ({
          name: c.name,
          image: c.image,
          imageID: '',
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: now } },
        })),
      },
    },
    'application/merge-patch+json',
  )
}

/** Ends a terminating pod's deletion once the lab has stopped it (grace period 0, this very pod only). */
export async function finishPodDeletion(kc: KubeConfig, namespace: string, name: string, uid: string): Promise<void> {
  try {
    await apiSend(kc, 'DELETE', `/api/v1/namespaces/${seg(namespace)}/pods/${seg(name)}`, {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      preconditions: { uid },
    })
  } catch (err) {
    // Already gone, or a new pod of the same name: nothing of ours left to delete.
    if (!(err instanceof ApiRequestError && (err.statusCode === 404 || err.statusCode === 409))) throw err
  }
}
