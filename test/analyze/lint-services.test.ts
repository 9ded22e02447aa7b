import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { lint } from '../../src/analyze/lint.js'
import { formatCidr } from '../../src/model/cidr.js'
import { parseServiceCidrs } from '../../src/model/service-cidr.js'
import { runCliInProcess } from '../cli/run-cli-in-process.js'

const POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 172.20.3.0/24}
`

describe('--service-cidr', () => {
  it('one CIDR, or two of different families; host bits, a third CIDR or two of one family are usage errors naming the flag', () => {
    expect(parseServiceCidrs('10.96.0.0/12').map(formatCidr)).toEqual(['10.96.0.0/12'])
    expect(parseServiceCidrs('10.96.0.0/12, fd00:10:96::/112').map(formatCidr)).toEqual(['10.96.0.0/12', 'fd00:10:96::/112'])
    expect(() => parseServiceCidrs('10.96.0.1/12')).toThrow('--service-cidr: invalid value "10.96.0.1/12": host bits are set; did you mean 10.96.0.0/12?')
    expect(() => parseServiceCidrs('10.96.0.0/12,10.100.0.0/16')).toThrow(/two CIDRs must be of different IP families/)
    expect(() => parseServiceCidrs('10.96.0.0')).toThrow(/--service-cidr: invalid value "10.96.0.0": invalid CIDR address/)
    expect(() => parseServiceCidrs('a,b,c')).toThrow(/expected one CIDR, or two/)
  })
  it('ipblock-targets-service judges blocks against the given range', () => {
    const state = loadManifestText(POLICY, { file: 'p.yaml' }).state
    const ids = (cidr?: string) =>
      lint(state, cidr ? { serviceCidrs: parseServiceCidrs(cidr) } : {})
        .findings.filter((f) => f.ruleId === 'ipblock-targets-service')
        .map((f) => f.message)
    expect(ids()).toEqual([])
    expect(ids('172.20.0.0/16')).toEqual([
      'ipBlock 172.20.3.0/24 lies in the service range 172.20.0.0/16 (--service-cidr): the node translates Service addresses to a backend pod ' +
        'before NetworkPolicy sees the packet, so this ipBlock matches no connection to a Service',
    ])
  })
})

describe('netpol lint --service-cidr', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netpol-svc-lint-'))
    await writeFile(join(dir, 'p.yaml'), POLICY)
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  it('is read and validated (exit 2 for a bad value, before reading the input)', async () => {
    const ok = await runCliInProcess(['lint', 'p.yaml', '--service-cidr', '172.20.0.0/16', '-o', 'json'], { cwd: dir })
    expect(JSON.parse(ok.stdout).findings.map((f: { ruleId: string }) => f.ruleId)).toContain('ipblock-targets-service')
    const bad = await runCliInProcess(['lint', 'missing.yaml', '--service-cidr', '172.20.0.1/16'], { cwd: dir })
    expect([bad.code, bad.stderr]).toEqual([2, 'error: --service-cidr: invalid value "172.20.0.1/16": host bits are set; did you mean 172.20.0.0/16?\n'])
  })
})
