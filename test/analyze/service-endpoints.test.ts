import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { createEngine } from '../../src/engine/engine.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import { explainByService } from '../../src/analyze/explain-service.js'
import { checkExpectations, parseExpectations } from '../../src/analyze/expectations.js'
import { parseEndpointFilter } from '../../src/analyze/endpoint-filter.js'
import { listServiceReach } from '../../src/analyze/service-reach.js'
import { renderExpectationsJson } from '../../src/render/expectations-output.js'
import { runCliInProcess } from '../cli/run-cli-in-process.js'

// api-0 and api-1 serve the named port `web` on different numbers; api-2 (canary) does not declare
// it. The policy lets the client into the stable pods on 8080 only, so through the Service port 80
// the client reaches api-0 (8080) but not api-1 (9090).
const CLUSTER = `
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api-0, namespace: shop, labels: {app: api, track: stable}}
spec: {containers: [{name: c, image: i, ports: [{name: web, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api-1, namespace: shop, labels: {app: api, track: stable}}
spec: {containers: [{name: c, image: i, ports: [{name: web, containerPort: 9090}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api-2, namespace: shop, labels: {app: api, track: canary}}
spec: {containers: [{name: c, image: i, ports: [{name: admin, containerPort: 7000}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80, targetPort: web}]
---
apiVersion: v1
kind: Service
metadata: {name: empty, namespace: shop}
spec:
  selector: {app: nothing}
  ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-ingress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: 8080}]
`

const state = loadManifestText(CLUSTER, { file: 'cluster.yaml' }).state

describe('explain by Service: translated to every backend and its targetPort, answered per backend', () => {
  it('some backends allowed: the translation of each, the denied ones named, pods without the named targetPort listed', () => {
    const e = explainByService(state, createEngine(state), 'shop/client', 'shop/service/api', '80')
    expect(e.answer).toBe('some')
    expect(e.allowed).toBe(false)
    expect(e.connections.map((c) => [c.translation, c.allowed])).toEqual([
      ['shop/service/api:80 -> shop/api-0:8080', true],
      ['shop/service/api:80 -> shop/api-1:9090', false],
    ])
    expect(e.unresolved).toEqual([{ pod: 'shop/api-2', reason: 'declares no container port named "web" of protocol TCP: no endpoint of this port' }])
    expect(e.summary).toBe('shop/client -> shop/service/api on 80/TCP is allowed to 1 of 2 backends; denied: shop/client -> shop/api-1:9090')
    expect(e.toService).toEqual({
      name: 'shop/service/api',
      type: 'ClusterIP',
      clusterIPs: [],
      port: { name: 'http', port: 80, protocol: 'TCP', targetPort: 'web' },
    })
  })
  it('the Service port by name, ns/svc/name, and each backend explained as a pod connection', () => {
    const e = explainByService(state, createEngine(state), 'shop/client', 'shop/svc/api', 'http')
    expect(e.connections[0].explanation.to).toBe('shop/api-0')
    expect(e.connections[0].explanation.port).toBe(8080)
  })
  it('a Service as the source stands for the pods behind it', () => {
    const e = explainByService(state, createEngine(state), 'shop/service/api', 'shop/client', '80')
    expect(e.connections.map((c) => c.translation)).toEqual([
      'shop/service/api -> shop/api-0',
      'shop/service/api -> shop/api-1',
      'shop/service/api -> shop/api-2',
    ])
    expect(e.answer).toBe('all')
  })
  it('the targetPort number, an unknown port or Service, and a Service without backends are told apart', () => {
    expect(() => explainByService(state, createEngine(state), 'shop/client', 'shop/service/api', '8080')).toThrow(
      'shop/service/api has no port 8080 (8080 is the targetPort of port http 80/TCP -> web: clients connect to the Service port, 80, and the node ' +
        'sends it to 8080); its ports: http 80/TCP -> web',
    )
    expect(() => explainByService(state, createEngine(state), 'shop/client', 'shop/service/apx', '80')).toThrow(
      /service "shop\/apx" not found; did you mean shop\/service\/api/,
    )
    const e = explainByService(state, createEngine(state), 'shop/client', 'shop/service/empty', '80')
    expect([e.answer, e.connections.length, e.summary]).toEqual([
      'none',
      0,
      'shop/client -> shop/service/empty on 80/TCP reaches nothing: shop/service/empty selects no pod (selector app=nothing)',
    ])
  })
})

describe('netpol test by Service', () => {
  const run = (text: string) => checkExpectations(state, referenceEvaluator(state), parseExpectations(text, 'e.yaml'))
  it('to: ns/service/name with the Service port: every backend must agree; the JSON carries the translation', () => {
    const [allowed, denied] = run(
      '- {from: shop/client, to: shop/service/api, port: 80, allowed: true}\n- {from: shop/client, to: shop/service/api, port: http, allowed: false}\n',
    )
    expect([allowed.passed, denied.passed, allowed.actual]).toEqual([false, false, false])
    expect(allowed.reason).toMatch(/^shop\/service\/api:80 -> shop\/api-1:9090: shop\/client -> shop\/api-1 on 9090\/TCP is denied/)
    expect(allowed.reason).toMatch(/one of 2 backend connections\)$/)
    expect(JSON.parse(renderExpectationsJson([allowed])).results[0].service).toEqual({
      name: 'shop/service/api',
      port: '80/TCP',
      answer: 'some',
      allowed: 1,
      connections: 2,
      translations: ['shop/service/api:80 -> shop/api-0:8080', 'shop/service/api:80 -> shop/api-1:9090'],
    })
  })
  it('a Service without backends proves nothing: the expectation fails, saying why', () => {
    const [r] = run('- {from: shop/client, to: shop/service/empty, port: 80, allowed: false}\n')
    expect([r.passed, r.pairs, r.reason]).toEqual([false, 0, 'shop/service/empty selects no pod (selector app=nothing): no connection to check'])
  })
  it('an unknown Service port is an input error naming the expectation line', () => {
    expect(() => run('- {from: shop/client, to: shop/service/api, port: 8080, allowed: true}\n')).toThrow(
      /e\.yaml:1: shop\/service\/api has no port 8080 \(8080 is the targetPort/,
    )
  })
})

describe('list by Service', () => {
  it('--to ns/service/name keeps the pods behind it; --group-by service lists who reaches each Service port', () => {
    expect([...parseEndpointFilter(state, 'shop/service/api').pods].map((p) => p.name)).toEqual(['api-0', 'api-1', 'api-2'])
    const r = listServiceReach(state, createEngine(state))
    expect(r.services.map((s) => [s.service, s.label, s.clients.map((c) => `${c.label} ${c.answer} ${c.allowed}/${c.connections}`)])).toEqual([
      ['shop/service/api', 'http 80/TCP -> web', ['shop/client[Pod] some 1/2']],
      ['shop/service/empty', '80/TCP -> 80', []],
    ])
    expect(r.services[1].noBackends).toBe('shop/service/empty selects no pod (selector app=nothing)')
  })
})

describe('the CLI by Service', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netpol-svc-'))
    await writeFile(join(dir, 'cluster.yaml'), CLUSTER)
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  it('explain prints the translation and the answer per backend; -o json is the ServiceExplanation', async () => {
    const text = await runCliInProcess(['explain', 'cluster.yaml', '--from', 'shop/client', '--to', 'shop/service/api', '--port', '80'], { cwd: dir })
    expect(text.code).toBe(0)
    expect(text.stdout.split('\n').slice(0, 6)).toEqual([
      'shop/client -> shop/service/api on 80/TCP: PARTLY ALLOWED (1 of 2)',
      '  shop/client -> shop/service/api on 80/TCP is allowed to 1 of 2 backends; denied: shop/client -> shop/api-1:9090',
      '  shop/service/api (ClusterIP, no ClusterIP known) port http 80/TCP -> targetPort web',
      '  + shop/service/api:80 -> shop/api-0:8080',
      '  - shop/service/api:80 -> shop/api-1:9090',
      '  ! shop/api-2: declares no container port named "web" of protocol TCP: no endpoint of this port',
    ])
    const json = await runCliInProcess(['explain', 'cluster.yaml', '--from', 'shop/client', '--to', 'shop/svc/api', '--port', 'http', '-o', 'json'], {
      cwd: dir,
    })
    const parsed = JSON.parse(json.stdout)
    expect(Object.keys(parsed)).toEqual(['from', 'to', 'port', 'protocol', 'toService', 'answer', 'allowed', 'summary', 'connections', 'unresolved'])
    expect(parsed.connections[1].explanation.ingress.allowed).toBe(false)
  })
  it('list --group-by service, text and json; --port is refused there', async () => {
    const text = await runCliInProcess(['list', 'cluster.yaml', '--group-by', 'service'], { cwd: dir })
    expect(text.stdout).toBe(
      [
        'shop/service/api:80/TCP (http 80/TCP -> web)',
        '  shop/service/api:80 -> shop/api-0:8080',
        '  shop/service/api:80 -> shop/api-1:9090',
        '  <= shop/client[Pod] : some (1 of 2 backend connections)',
        'shop/service/empty:80/TCP (80/TCP -> 80)',
        '  no backends: shop/service/empty selects no pod (selector app=nothing)',
        '  reached by nobody',
        '',
      ].join('\n'),
    )
    const json = JSON.parse((await runCliInProcess(['list', 'cluster.yaml', '--group-by', 'service', '-o', 'json'], { cwd: dir })).stdout)
    expect(json.groupBy).toBe('service')
    expect(json.services[0].clients[0]).toEqual({
      kind: 'Pod',
      namespace: 'shop',
      name: 'client',
      label: 'shop/client[Pod]',
      answer: 'some',
      allowed: 1,
      connections: 2,
    })
    const bad = await runCliInProcess(['list', 'cluster.yaml', '--group-by', 'service', '--port', '80'], { cwd: dir })
    expect([bad.code, bad.stderr]).toEqual([2, 'error: --port does not apply with --group-by service: every Service port is listed\n'])
  })
})
