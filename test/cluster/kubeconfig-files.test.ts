import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KubeConfigError, loadKubeConfig } from '../../src/cluster/live-kubeconfig.js'

const KUBECONFIG = `apiVersion: v1
kind: Config
current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {token: t}}]
`

describe('kubeconfig files are read like manifests: regular files (and pipes) only', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netpol-kubeconfig-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('refuses a device such as /dev/zero instead of reading it until memory runs out', () => {
    for (const env of [{ KUBECONFIG: '/dev/zero' }, { KUBECONFIG: `${join(dir, 'none')}:/dev/urandom` }]) {
      let err: unknown
      try {
        loadKubeConfig({ env })
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(KubeConfigError)
      expect((err as Error).message).toMatch(/^cannot read kubeconfig \/dev\/(zero|urandom): a character device; a kubeconfig is a regular file$/)
    }
  })

  it('a directory is an error in words', async () => {
    await mkdir(join(dir, 'd'))
    expect(() => loadKubeConfig({ kubeconfig: join(dir, 'd') })).toThrow(
      `cannot read kubeconfig ${join(dir, 'd')}: a directory; a kubeconfig is a regular file`,
    )
  })

  it('reads a regular file', async () => {
    await writeFile(join(dir, 'config'), KUBECONFIG)
    expect(loadKubeConfig({ kubeconfig: join(dir, 'config') }).getCurrentCluster()?.server).toBe('https://127.0.0.1:6443')
  })
})
