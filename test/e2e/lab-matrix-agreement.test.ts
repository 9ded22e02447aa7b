/**
 * Issue 3's "done when": `lab up` of the three-tier example on the ORIGINAL files, and `lab probe`
 * (real packets) agrees cell by cell with `netpol matrix` of the same files. Both give pods without
 * an IP the same assumed addresses (--pod-cidr, default 10.244.0.0/16), so the frontend's
 * `ipBlock 0.0.0.0/0` matches the same pods offline as in the kernel.
 */
import { describe, it, expect } from 'vitest'
import { expectNothingLeft } from './lab-leftovers.js'
import { useCliLab } from './cli-lab.js'

const cli = useCliLab('agree')
const netpol = cli.netpol

interface Cell {
  readonly from: string
  readonly to: string
  readonly port: number
  readonly protocol: string
  readonly allowed: boolean
}
const cells = (cs: readonly Cell[]): string[] => cs.map((c) => `${c.from} -> ${c.to} ${c.port}/${c.protocol} ${c.allowed ? 'allowed' : 'denied'}`)

describe('lab probe agrees with matrix on the original three-tier files', () => {
  it('up, probe -o json equals matrix -o json cell by cell, down leaves nothing', async () => {
    const up = await netpol(['lab', 'up', 'examples/three-tier'])
    expect(up.stderr).toBe('')
    expect(up.code).toBe(0)

    // The lab runs the addresses matrix assumes: status IPs equal assumed ones, pod by pod.
    const status = JSON.parse((await netpol(['lab', 'status', '-o', 'json'])).stdout) as { pods: { pod: string; ip: string }[] }
    expect(status.pods).toHaveLength(6)
    for (const p of status.pods) expect(p.ip).toMatch(/^10\.244\.\d+\.\d+$/)

    const probe = await netpol(['lab', 'probe', '-o', 'json'])
    expect(probe.code).toBe(0)
    const observed = JSON.parse(probe.stdout) as { connections: Cell[]; disagreements: Cell[] }
    expect(observed.disagreements).toEqual([])

    const matrix = await netpol(['matrix', 'examples/three-tier', '-o', 'json'])
    expect(matrix.code).toBe(0)
    const offline = JSON.parse(matrix.stdout) as { connections: Cell[] }
    expect(observed.connections).toHaveLength(6 * 6 * 5)
    expect(cells(observed.connections)).toEqual(cells(offline.connections))
    // The cells that made them disagree before: open-egress pods reach the frontend through its ipBlock.
    expect(cells(observed.connections)).toContain('kube-system/kube-dns-0 -> prod/frontend-0 80/TCP allowed')
    expect(cells(observed.connections)).toContain('prod/database-0 -> prod/frontend-1 80/TCP allowed')
    expect(cells(observed.connections)).toContain('prod/backend-0 -> prod/frontend-0 80/TCP denied')

    // And explain names the assumed address the kernel saw.
    const ip = status.pods.find((p) => p.pod === 'kube-system/kube-dns-0')!.ip
    const explain = await netpol(['explain', 'examples/three-tier', '--from', 'kube-system/kube-dns-0', '--to', 'prod/frontend-0', '--port', '80'])
    expect(explain.stdout).toContain(`which matches ${ip} (assumed: the manifest has no pod IP; --pod-cidr)`)

    const down = await netpol(['lab', 'down'])
    expect(down.code).toBe(0)
    await expectNothingLeft(cli.name, cli.dir)
  })
})
