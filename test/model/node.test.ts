import { describe, expect, it } from 'vitest'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { inputDiagnostics } from './input-diagnostics.js'

const node = (addresses: string): string => `apiVersion: v1
kind: Node
metadata:
  name: worker-1
  labels: {role: worker}
status:
  addresses:
${addresses}`

describe('Node manifests (for the nodes peers of ClusterNetworkPolicies)', () => {
  it('are read with their labels and IP addresses; hostnames are left out', () => {
    const r = loadManifestText(
      node('  - {type: InternalIP, address: 10.0.0.5}\n  - {type: ExternalIP, address: "2001:db8::0:1"}\n  - {type: Hostname, address: worker-1}\n'),
      { file: 'n.yaml' },
    )
    expect(r.state.nodes).toEqual([
      { name: 'worker-1', labels: { role: 'worker' }, addresses: ['10.0.0.5', '2001:db8::1'], source: { file: 'n.yaml', line: 1 } },
    ])
    expect(r.skipped).toEqual([])
  })
  it('without Node objects, nodes are unknown (absent), not "none"', () => {
    expect(loadManifestText('apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n', { file: 'x.yaml' }).state.nodes).toBeUndefined()
  })
  it('an InternalIP or ExternalIP that is not an IP is an error (a nodes rule would miss it)', () => {
    const ds = inputDiagnostics(() => loadManifestText(node('  - {type: InternalIP, address: 10.0.0.300}\n'), { file: 'n.yaml' }))
    expect(ds.map((d) => `${d.line} ${d.object} ${d.field}: ${d.message}`)).toEqual([
      '8 Node "worker-1" status.addresses[0].address: Invalid value: "10.0.0.300": must be a valid IP address for type InternalIP, (e.g. ' +
        '10.9.8.7 or 2001:db8::ffff)',
    ])
  })
  it('a node named twice is an error', () => {
    const one = node('  - {type: InternalIP, address: 10.0.0.5}\n')
    expect(inputDiagnostics(() => loadManifestText(`${one}---\n${one}`, { file: 'n.yaml' })).map((d) => d.message)).toEqual([
      expect.stringMatching(/^defined more than once/),
    ])
  })
})
