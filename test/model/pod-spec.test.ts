import { describe, expect, it } from 'vitest'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { inputDiagnostics } from './input-diagnostics.js'
import type { Pod } from '../../src/model/types.js'

function pod(body: string): string {
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: prod\n  labels: {app: web}\n${body}`
}

function podOf(body: string): Pod {
  const r = loadManifestText(pod(body), { file: 'p.yaml' })
  expect(r.state.pods).toHaveLength(1)
  return r.state.pods[0]
}

function errorsOf(body: string): string[] {
  return inputDiagnostics(() => loadManifestText(pod(body), { file: 'p.yaml' })).map((d) => `${d.line} ${d.field}: ${d.message}`)
}

describe('pods', () => {
  it('keeps labels, container ports of every container (protocol defaults to TCP), hostNetwork and nodeName', () => {
    const p = podOf(
      'spec:\n  nodeName: node-1\n  hostNetwork: true\n  initContainers:\n    - name: init\n      ports: [{containerPort: 9999, name: init}]\n ' +
        ' containers:\n    - name: a\n      ports:\n        - containerPort: 80\n          name: http\n        - containerPort: 53\n ' +
        '         protocol: UDP\n    - name: b\n      ports: [{containerPort: 9090, name: metrics, protocol: SCTP}]\n',
    )
    expect(p).toMatchObject({ namespace: 'prod', name: 'web', labels: { app: 'web' }, hostNetwork: true, nodeName: 'node-1', ips: [] })
    // initContainers are not serving containers: their ports do not count.
    expect(p.containerPorts).toEqual([
      { name: 'http', containerPort: 80, protocol: 'TCP' },
      { containerPort: 53, protocol: 'UDP' },
      { name: 'metrics', containerPort: 9090, protocol: 'SCTP' },
    ])
    expect(p.owner).toBeUndefined()
    expect(p.source).toEqual({ file: 'p.yaml', line: 1 })
  })
  it('defaults hostNetwork to false and has no nodeName when unscheduled', () => {
    const p = podOf('spec:\n  containers: [{name: a}]\n')
    expect(p.hostNetwork).toBe(false)
    expect(p.nodeName).toBeUndefined()
    expect(p.containerPorts).toEqual([])
  })
  it('takes IPs from status.podIPs, canonical, dual-stack', () => {
    const p = podOf('status:\n  podIP: 10.0.0.9\n  podIPs:\n    - ip: 10.0.0.9\n    - ip: "FD00:0:0::9"\n')
    expect(p.ips).toEqual(['10.0.0.9', 'fd00::9'])
  })
  it('falls back to status.podIP', () => {
    expect(podOf('status:\n  podIP: 10.0.0.7\n').ips).toEqual(['10.0.0.7'])
  })
  it('rejects invalid pod IPs', () => {
    expect(errorsOf('status:\n  podIPs:\n    - ip: 10.0.0.300\n')).toEqual([
      '9 status.podIPs[0].ip: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    ])
  })
  it('validates container ports like the API server', () => {
    expect(
      errorsOf(
        'spec:\n  containers:\n    - name: a\n      ports:\n        - containerPort: 0\n        - {}\n        - containerPort: 70000\n        - ' +
          '{containerPort: 80, name: Web}\n        - {containerPort: 81, name: web, protocol: ICMP}\n        - {containerPort: 82, name: ' +
          'web}\n        - {containerPort: "83"}\n',
      ),
    ).toEqual([
      '11 spec.containers[0].ports[0].containerPort: Required value',
      '12 spec.containers[0].ports[1].containerPort: Required value',
      '13 spec.containers[0].ports[2].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      '14 spec.containers[0].ports[3].name: Invalid value: "Web": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      '15 spec.containers[0].ports[4].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
      '16 spec.containers[0].ports[5].name: Duplicate value: "web"',
      '17 spec.containers[0].ports[6].containerPort: Invalid type: cannot unmarshal string into a field of type integer',
    ])
  })
  it('validates pod labels and names', () => {
    const text = pod('').replace('name: web', 'name: Web').replace('{app: web}', '{app: yes, "a/b/c": x}')
    const errs = inputDiagnostics(() => loadManifestText(text, { file: 'p.yaml' })).map((d) => `${d.field}: ${d.message}`)
    expect(errs).toHaveLength(3)
    expect(errs[0]).toMatch(/^metadata\.name: Invalid value: "Web": a lowercase RFC 1123 subdomain/)
    expect(errs[1]).toMatch(/^metadata\.labels\.app: Invalid type: cannot unmarshal bool into a field of type string/)
    expect(errs[2]).toMatch(/^metadata\.labels: Invalid value: "a\/b\/c": a qualified name must consist/)
  })
})
