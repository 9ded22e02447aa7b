import { describe, expect, it } from 'vitest'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { convertEndpointSlice, convertService } from '../../src/cluster/live-objects.js'
import { findService, findServicePort, serviceBackends } from '../../src/engine/service-backends.js'
import { formatDiagnostic } from '../../src/model/diagnostic.js'
import { inputDiagnostics } from './input-diagnostics.js'

const service = (spec: string, name = 'backend'): string => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: prod
spec:
${spec}`

const errors = (text: string): string[] => inputDiagnostics(() => loadManifestText(text, { file: 's.yaml' })).map(formatDiagnostic)

describe('Service manifests (core/v1), defaulted as the API server does', () => {
  it('a ClusterIP Service: type, protocol and targetPort defaulted, the selector and each port with its line', () => {
    const r = loadManifestText(service('  selector: {app: backend}\n  clusterIP: 10.96.0.20\n  ports:\n  - port: 80\n'), { file: 's.yaml' })
    expect(r.skipped).toEqual([])
    expect(r.state.services).toEqual([
      {
        namespace: 'prod',
        name: 'backend',
        labels: {},
        type: 'ClusterIP',
        selector: { app: 'backend' },
        clusterIPs: ['10.96.0.20'],
        headless: false,
        externalIPs: [],
        ports: [{ name: '', protocol: 'TCP', port: 80, targetPort: 80, source: { file: 's.yaml', line: 10 } }],
        source: { file: 's.yaml', line: 1 },
      },
    ])
  })
  it('named ports, a named targetPort, NodePort, dual-stack clusterIPs', () => {
    const r = loadManifestText(
      service(
        '  type: NodePort\n  selector: {app: backend}\n  clusterIPs: [10.96.0.20, "fd00::20"]\n  ports:\n' +
          '  - {name: http, port: 80, targetPort: web, nodePort: 30080}\n  - {name: dns, port: 53, protocol: UDP, targetPort: 5353}\n',
      ),
      { file: 's.yaml' },
    )
    const svc = r.state.services![0]
    expect(svc.type).toBe('NodePort')
    expect(svc.clusterIPs).toEqual(['10.96.0.20', 'fd00::20'])
    expect(svc.ports.map((p) => [p.name, p.protocol, p.port, p.targetPort, p.nodePort])).toEqual([
      ['http', 'TCP', 80, 'web', 30080],
      ['dns', 'UDP', 53, 5353, undefined],
    ])
  })
  it('headless (clusterIP None) needs no ports; ExternalName is an outside name without a selector or address', () => {
    const r = loadManifestText(
      `${service('  clusterIP: None\n  selector: {app: db}\n', 'db')}---\n${service('  type: ExternalName\n  externalName: api.example.com.\n', 'ext')}`,
      { file: 's.yaml' },
    )
    const [db, ext] = r.state.services!
    expect([db.headless, db.clusterIPs, db.ports]).toEqual([true, [], []])
    expect([ext.type, ext.externalName, ext.clusterIPs, ext.selector]).toEqual(['ExternalName', 'api.example.com', [], undefined])
  })
  it('an empty selector is no selector (its endpoints are EndpointSlices written by hand)', () => {
    const r = loadManifestText(service('  selector: {}\n  ports: [{port: 80}]\n'), { file: 's.yaml' })
    expect(r.state.services![0].selector).toBeUndefined()
  })
  it('invalid Services are errors naming file:line, the Service and the field, in the API server words', () => {
    expect(errors(service('  ports:\n  - port: 80\n  - port: 81\n'))).toEqual([
      's.yaml:8: Service "prod/backend" is invalid: spec.ports[0].name: Required value',
      's.yaml:9: Service "prod/backend" is invalid: spec.ports[1].name: Required value',
    ])
    expect(errors(service('  ports:\n  - {port: 80, targetPort: "8080", protocol: HTTP}\n'))).toEqual([
      's.yaml:8: Service "prod/backend" is invalid: spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      's.yaml:8: Service "prod/backend" is invalid: spec.ports[0].targetPort: Invalid value: "8080": must contain at least one letter (a-z)',
    ])
    expect(errors(service('  ports:\n  - {port: 70000, targetPort: 0}\n'))).toEqual([
      's.yaml:8: Service "prod/backend" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
    ])
    expect(errors(service('  ports:\n  - {name: a, port: 80}\n  - {name: a, port: 80}\n  - {name: b, port: 80}\n'))).toEqual([
      's.yaml:9: Service "prod/backend" is invalid: spec.ports[1].name: Duplicate value: "a"',
      's.yaml:10: Service "prod/backend" is invalid: spec.ports[2]: Duplicate value: {"protocol":"TCP","port":80}',
    ])
    expect(errors(service('  clusterIP: 10.96.0.300\n  ports: [{port: 80, nodePort: 30000}]\n'))).toEqual([
      's.yaml:7: Service "prod/backend" is invalid: spec.clusterIP: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      `s.yaml:8: Service "prod/backend" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when \`type\` is 'ClusterIP'`,
    ])
    expect(errors(service('  type: NodePort\n  clusterIP: None\n  ports: [{port: 80}]\n'))).toEqual([
      `s.yaml:8: Service "prod/backend" is invalid: spec.clusterIP: Invalid value: "None": may not be set to 'None' for NodePort services`,
    ])
    expect(errors(service('  type: ExternalName\n  clusterIP: 10.96.0.1\n'))).toEqual([
      's.yaml:6: Service "prod/backend" is invalid: spec.externalName: Required value',
      's.yaml:8: Service "prod/backend" is invalid: spec.clusterIP: Forbidden: may not be set for ExternalName services',
    ])
    expect(errors(service('  type: Ingress\n  ports: [{port: 80}]\n'))).toEqual([
      's.yaml:7: Service "prod/backend" is invalid: spec.type: Unsupported value: "Ingress": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    ])
    expect(errors(service('  ports: [{port: 80}]\n', '1st'))).toEqual([
      `s.yaml:4: Service "prod/1st" is invalid: metadata.name: Invalid value: "1st": a DNS-1035 label must consist of lower case alphanumeric ` +
        `characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex ` +
        `used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    ])
    expect(errors(service('  selector: {app: backend}\n'))).toEqual(['s.yaml:6: Service "prod/backend" is invalid: spec.ports: Required value'])
    expect(errors(service('  port: 80\n'))).toEqual([
      's.yaml:6: Service "prod/backend" is invalid: spec.ports: Required value',
      's.yaml:7: Service "prod/backend" is invalid: spec.port: Unknown field: strict decoding error: unknown field "spec.port" (did you mean "ports"?)',
    ])
  })
  it('a Service defined twice is an error naming both places', () => {
    const one = service('  ports: [{port: 80}]\n')
    expect(errors(`${one}---\n${one}`)).toEqual(['s.yaml:9: Service "prod/backend" is invalid: defined more than once: also at s.yaml:1'])
  })
})

const slice = (body: string): string => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: legacy-1
  namespace: prod
  labels: {kubernetes.io/service-name: legacy}
${body}`

describe('EndpointSlice manifests (discovery.k8s.io/v1)', () => {
  it('are read with their Service, endpoints (ready unless said otherwise) and ports', () => {
    const r = loadManifestText(
      slice(
        'addressType: IPv4\nendpoints:\n- addresses: [10.0.0.9]\n- addresses: [10.0.0.10]\n  conditions: {ready: false}\n' +
          '  targetRef: {kind: Pod, name: legacy-0}\nports:\n- {name: http, port: 8080}\n',
      ),
      { file: 'e.yaml' },
    )
    expect(r.state.endpointSlices).toEqual([
      {
        namespace: 'prod',
        name: 'legacy-1',
        labels: { 'kubernetes.io/service-name': 'legacy' },
        serviceName: 'legacy',
        addressType: 'IPv4',
        endpoints: [
          { addresses: ['10.0.0.9'], ready: true },
          { addresses: ['10.0.0.10'], ready: false, targetRef: { kind: 'Pod', namespace: 'prod', name: 'legacy-0' } },
        ],
        ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
        source: { file: 'e.yaml', line: 1 },
      },
    ])
  })
  it('invalid ones are errors in the API server words', () => {
    expect(
      inputDiagnostics(() =>
        loadManifestText(slice('endpoints:\n- addresses: ["fd00::1"]\n- addresses: []\nports:\n- {protocol: HTTP}\n'), { file: 'e.yaml' }),
      ).map(formatDiagnostic),
    ).toEqual([
      'e.yaml:1: EndpointSlice "prod/legacy-1" is invalid: addressType: Required value',
      'e.yaml:9: EndpointSlice "prod/legacy-1" is invalid: endpoints[1].addresses: Required value: must contain at least 1 address',
      'e.yaml:11: EndpointSlice "prod/legacy-1" is invalid: ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    ])
    expect(
      inputDiagnostics(() => loadManifestText(slice('addressType: IPv4\nendpoints:\n- addresses: ["fd00::1"]\n'), { file: 'e.yaml' })).map(formatDiagnostic),
    ).toEqual(['e.yaml:9: EndpointSlice "prod/legacy-1" is invalid: endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address'])
  })
})

const pod = (name: string, labels: string, ports: string, ip: string): string => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: prod, labels: ${labels}}
spec:
  containers:
  - name: c
    ports: ${ports}
status: {podIP: ${ip}}
`

describe('serviceBackends: where a connection to a Service port goes', () => {
  it('every selected pod, with the named targetPort resolved on each; a pod not declaring it is no endpoint of that port', () => {
    const text = [
      pod('backend-0', '{app: backend}', '[{name: web, containerPort: 8080}]', '10.0.0.1'),
      pod('backend-1', '{app: backend}', '[{name: web, containerPort: 9090}]', '10.0.0.2'),
      pod('backend-2', '{app: backend}', '[{name: admin, containerPort: 7000}]', '10.0.0.3'),
      pod('other', '{app: other}', '[{name: web, containerPort: 8080}]', '10.0.0.4'),
      service('  selector: {app: backend}\n  ports: [{name: http, port: 80, targetPort: web}, {name: raw, port: 81, targetPort: 7000}]\n'),
    ].join('---\n')
    const state = loadManifestText(text, { file: 's.yaml' }).state
    const svc = findService(state, 'prod', 'backend')!
    const http = serviceBackends(state, svc, findServicePort(svc, 80)!)
    expect(http.backends.map((b) => `${b.pod!.name}:${b.port}`)).toEqual(['backend-0:8080', 'backend-1:9090'])
    expect(http.unresolved.map((p) => p.name)).toEqual(['backend-2'])
    const raw = serviceBackends(state, svc, findServicePort(svc, 'raw')!)
    expect(raw.backends.map((b) => `${b.pod!.name}:${b.port}`)).toEqual(['backend-0:7000', 'backend-1:7000', 'backend-2:7000'])
    expect(findServicePort(svc, 80, 'UDP')).toBeUndefined()
  })
  it('a Service without selector: the ready endpoints of its EndpointSlices, pods when they are pods, addresses otherwise', () => {
    const text = [
      pod('legacy-0', '{app: legacy}', '[]', '10.0.0.10'),
      service('  ports: [{name: http, port: 80, targetPort: 9999}]\n', 'legacy'),
      slice(
        'addressType: IPv4\nendpoints:\n- addresses: [10.0.0.10]\n  targetRef: {kind: Pod, name: legacy-0}\n- addresses: [192.0.2.7]\n' +
          '- addresses: [192.0.2.8]\n  conditions: {ready: false}\nports:\n- {name: http, port: 8080}\n',
      ),
    ].join('---\n')
    const state = loadManifestText(text, { file: 's.yaml' }).state
    const svc = findService(state, 'prod', 'legacy')!
    const b = serviceBackends(state, svc, svc.ports[0])
    expect(b.backends.map((x) => `${x.pod ? x.pod.name : x.ip}:${x.port}`)).toEqual(['legacy-0:8080', '192.0.2.7:8080'])
  })
})

describe('live Services and EndpointSlices', () => {
  it('are validated like manifests (line 0: they came from the API server)', () => {
    const ok = convertService({
      metadata: { name: 'web', namespace: 'prod', resourceVersion: '5' },
      spec: {
        type: 'ClusterIP',
        clusterIP: '10.96.3.4',
        clusterIPs: ['10.96.3.4'],
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        internalTrafficPolicy: 'Cluster',
        sessionAffinity: 'None',
        selector: { app: 'web' },
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
      },
      status: { loadBalancer: {} },
    })
    expect(ok.ok && [ok.value.clusterIPs, ok.value.ports[0].targetPort, ok.value.source]).toEqual([['10.96.3.4'], 8080, { file: 'api', line: 0 }])
    const bad = convertService({ metadata: { name: 'web', namespace: 'prod' }, spec: { ports: [{ port: 80, protocol: 'ICMP' }] } })
    expect(!bad.ok && bad.diagnostics.map(formatDiagnostic)).toEqual([
      'api: Service "prod/web" is invalid: spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
    ])
    const s = convertEndpointSlice({
      metadata: { name: 'web-abc', namespace: 'prod', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true, serving: true, terminating: false }, zone: 'a', nodeName: 'n1' }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    })
    expect(s.ok && s.value.endpoints).toEqual([{ addresses: ['10.0.0.1'], ready: true, nodeName: 'n1' }])
  })
})
