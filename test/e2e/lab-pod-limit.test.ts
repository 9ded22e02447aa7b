/**
 * A lab pod is a network namespace and a server process, so the lab caps its pods (--max-pods,
 * default 200) before it builds anything: `replicas: 600` is an error at spec.replicas, not a
 * machine out of memory; `lab apply` counts the pods of the merged lab, not only its input.
 */
import { describe, it, expect } from 'vitest'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { useCliLab } from './cli-lab.js'
import { listLabNetns } from '../../src/lab/netns.js'

const cli = useCliLab('cap')
const netpol = cli.netpol

const deployment = (name: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: shop}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: ${name}, image: nginx, ports: [{containerPort: 80}]}]}
`

describe('lab pod limit', () => {
  it('lab up refuses 600 replicas at spec.replicas by default and builds nothing', async () => {
    await writeFile(join(cli.dir, 'big.yaml'), deployment('web', 600))
    const up = await netpol(['lab', 'up', join(cli.dir, 'big.yaml')])
    expect(up.code).toBe(2)
    expect(up.stderr).toMatch(/big\.yaml:5: .*spec\.replicas.*200/)
    expect(await listLabNetns(cli.name)).toEqual([])
  })

  it('lab apply counts the merged lab: 2 running + 2 new pods over --max-pods 3 is refused and nothing changes', async () => {
    await writeFile(join(cli.dir, 'web.yaml'), deployment('web', 2))
    await writeFile(join(cli.dir, 'api.yaml'), deployment('api', 2))
    expect((await netpol(['lab', 'up', join(cli.dir, 'web.yaml')])).code).toBe(0)
    const apply = await netpol(['lab', 'apply', join(cli.dir, 'api.yaml'), '--max-pods', '3'])
    expect(apply.stderr).toMatch(/the lab would run 4 pods, more than --max-pods 3 allows/)
    expect(apply.code).toBe(2)
    const status = JSON.parse((await netpol(['lab', 'status', '-o', 'json'])).stdout)
    expect(status.pods).toHaveLength(2)
    expect(status.ready).toBe(true)
    expect((await netpol(['lab', 'apply', join(cli.dir, 'api.yaml'), '--max-pods', '4'])).code).toBe(0)
  })
})
