/**
 * The agent bench's API server in a process of its own, as a kube-apiserver is: its JSON, its
 * watch fan-out and its garbage collector run beside the agent, not on the agent's event loop
 * (`ApiServerProcess` in the bench process; this file is the child, driven over IPC).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { TestApiServer, type AnyResource, type ApiObject } from '../testing/test-api-server.js'

type Request =
  | { readonly id: number; readonly op: 'create' | 'update'; readonly resource: AnyResource; readonly object: ApiObject }
  | { readonly id: number; readonly op: 'delete' | 'get'; readonly resource: AnyResource; readonly name: string; readonly namespace?: string }
  | { readonly id: number; readonly op: 'kubeconfig' | 'close' }

/** A request as the caller writes it (each kind without its id). */
type Call = Request extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never

type Reply = { readonly id: number; readonly result?: unknown; readonly error?: string }

/** The bench's handle on the child: each call one IPC message and its answer. */
export class ApiServerProcess {
  private nextId = 0
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: Reply) => {
      const p = this.pending.get(m.id)
      this.pending.delete(m.id)
      if (m.error !== undefined) p?.reject(new Error(m.error))
      else p?.resolve(m.result)
    })
    child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`the API server process exited (${code})`))
      this.pending.clear()
    })
  }

  static async start(): Promise<ApiServerProcess> {
    const child = fork(new URL(import.meta.url), ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const p = new ApiServerProcess(child)
    await p.call({ op: 'kubeconfig' })
    return p
  }

  private call(request: Call): Promise<unknown> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.child.send({ ...request, id })
    })
  }

  create(resource: AnyResource, object: ApiObject): Promise<unknown> {
    return this.call({ op: 'create', resource, object })
  }
  update(resource: AnyResource, object: ApiObject): Promise<unknown> {
    return this.call({ op: 'update', resource, object })
  }
  delete(resource: AnyResource, name: string, namespace?: string): Promise<unknown> {
    return this.call({ op: 'delete', resource, name, ...(namespace === undefined ? {} : { namespace }) })
  }
  async get(resource: AnyResource, name: string, namespace?: string): Promise<ApiObject | undefined> {
    return (await this.call({ op: 'get', resource, name, ...(namespace === undefined ? {} : { namespace }) })) as ApiObject | undefined
  }
  async kubeconfigYaml(): Promise<string> {
    return (await this.call({ op: 'kubeconfig' })) as string
  }
  async close(): Promise<void> {
    await this.call({ op: 'close' }).catch(() => {})
    this.child.kill()
  }
}

async function serve(): Promise<void> {
  const api = await TestApiServer.start()
  process.on('message', (r: Request) => {
    const reply = (result: unknown): void => void process.send!({ id: r.id, result } satisfies Reply)
    try {
      switch (r.op) {
        case 'create':
          api.create(r.resource, r.object)
          return reply(null)
        case 'update':
          api.update(r.resource, r.object)
          return reply(null)
        case 'delete':
          api.delete(r.resource, r.name, r.namespace)
          return reply(null)
        case 'get':
          return reply(api.get(r.resource, r.name, r.namespace))
        case 'kubeconfig':
          return reply(api.kubeconfigYaml())
        case 'close':
          void api.close().then(() => {
            reply(null)
            process.exit(0)
          })
          return
      }
    } catch (e) {
      process.send!({ id: r.id, error: e instanceof Error ? e.message : String(e) } satisfies Reply)
    }
  })
  process.on('disconnect', () => process.exit(0))
}

if (process.argv.includes('--child')) void serve()
