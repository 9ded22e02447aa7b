/**
 * Every example's expected reachability (examples/<name>/expected.yaml, written by hand) holds
 * through the fast engine, the reference evaluator, and the CLI (explain per expectation, and the
 * matrix JSON for pod-to-pod expectations).
 */
import { describe, it, expect } from 'vitest'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'
import { loadManifests } from '../../src/cluster/load-manifests.js'
import { assumePodIPs, DEFAULT_POD_CIDR } from '../../src/cluster/assume-pod-ips.js'
import { createEngine } from '../../src/engine/engine.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import { resolveEndpoint, resolveExplainPort } from '../../src/analyze/explain.js'
import { parseServiceRef } from '../../src/analyze/service-endpoint.js'
import { runCliInProcess } from '../cli/run-cli-in-process.js'

const root = resolve(import.meta.dirname, '../..')
const examplesDir = join(root, 'examples')
const REQUIRED = ['default-deny', 'allow-all', 'three-tier', 'monitoring', 'egress-except-metadata', 'namespace-isolation', 'named-ports']

interface ExampleExpectation {
  readonly name?: string
  readonly from: string
  readonly to: string
  readonly port: string
  readonly allowed: boolean
}

/** An expectation naming a Service (`ns/service/name`): answered per backend after translation. */
function byService(e: ExampleExpectation): boolean {
  return parseServiceRef(e.from) !== undefined || parseServiceRef(e.to) !== undefined
}

function readExpectations(dir: string): ExampleExpectation[] {
  const doc = parse(readFileSync(join(dir, 'expected.yaml'), 'utf8')) as { kind?: string; expectations?: ExampleExpectation[] } | ExampleExpectation[]
  // `port: 80` parses as a number; netpol test reads either, and the CLI's argv is text.
  return (Array.isArray(doc) ? doc : (doc.expectations ?? [])).map((e) => ({ ...e, port: String(e.port) }))
}

const examples = readdirSync(examplesDir).filter((d) => statSync(join(examplesDir, d)).isDirectory()).sort()

describe('examples', () => {
  it('include every scenario of the seeds', () => {
    for (const name of REQUIRED) expect(examples).toContain(name)
  })

  for (const name of examples) {
    describe(name, () => {
      const dir = join(examplesDir, name)
      const expectations = readExpectations(dir)

      it('has a dozen-ish hand-written expectations, both allowed and denied', () => {
        expect(expectations.length).toBeGreaterThanOrEqual(8)
        expect(expectations.some((e) => e.allowed)).toBe(true)
        expect(expectations.some((e) => !e.allowed)).toBe(true)
      })

      it('holds through the fast engine and the reference evaluator', async () => {
        // Pods without an IP get the addresses the CLI assumes by default (--pod-cidr 10.244.0.0/16).
        const state = assumePodIPs((await loadManifests([dir])).state, { podCidr: DEFAULT_POD_CIDR })
        const engine = createEngine(state)
        const reference = referenceEvaluator(state)
        // By Service: checked through netpol test and explain (translated per backend), below.
        for (const e of expectations.filter((x) => !byService(x))) {
          const from = resolveEndpoint(state, e.from)
          const to = resolveEndpoint(state, e.to)
          const port = resolveExplainPort(e.port, to)
          const traffic = { from, to, port: port.port, protocol: port.protocol }
          const label = `${e.name ?? ''}: ${e.from} -> ${e.to} ${e.port}`
          expect(engine.evaluate(traffic).allowed, label).toBe(e.allowed)
          expect(engine.isAllowed(traffic), label).toBe(e.allowed)
          expect(reference.evaluate(traffic).allowed, label).toBe(e.allowed)
        }
      })

      it('holds through netpol explain -o json', async () => {
        for (const e of expectations) {
          const c = await runCliInProcess(['explain', `examples/${name}`, '--from', e.from, '--to', e.to, '--port', e.port, '-o', 'json'], { cwd: root })
          expect(c.code, c.stderr).toBe(0)
          expect(JSON.parse(c.stdout).allowed, `${e.name}: ${e.from} -> ${e.to} ${e.port}`).toBe(e.allowed)
        }
      })

      it('holds in the matrix JSON for every pod-to-pod expectation', async () => {
        const podToPod = expectations.filter((e) => e.from.includes('/') && e.to.includes('/') && !byService(e))
        const ports = [...new Set(podToPod.map((e) => (e.port.includes('/') ? e.port : `${e.port}/TCP`)))]
        if (ports.length === 0) return
        const c = await runCliInProcess(['matrix', `examples/${name}`, ...ports.flatMap((p) => ['--port', p]), '-o', 'json'], { cwd: root })
        expect(c.code, c.stderr).toBe(0)
        const { connections } = JSON.parse(c.stdout) as { connections: { from: string; to: string; port: number; protocol: string; allowed: boolean }[] }
        for (const e of podToPod) {
          const [port, protocol = 'TCP'] = e.port.split('/')
          const found = connections.filter((x) => x.from === e.from && x.to === e.to && x.port === Number(port) && x.protocol === protocol.toUpperCase())
          expect(found, `${e.from} -> ${e.to} ${e.port}`).toHaveLength(1)
          expect(found[0].allowed, `${e.name}: ${e.from} -> ${e.to} ${e.port}`).toBe(e.allowed)
        }
      })

      it('passes netpol test --expect expected.yaml (the shared expectations format)', async () => {
        const c = await runCliInProcess(['test', `examples/${name}`, '--expect', `examples/${name}/expected.yaml`], { cwd: root })
        expect(c.code, c.stdout + c.stderr).toBe(0)
        expect(c.stdout).toContain(`${expectations.length} passed, 0 failed`)
      })

      it('is valid for netpol check', async () => {
        const c = await runCliInProcess(['check', `examples/${name}`], { cwd: root })
        expect(c.code, c.stderr).toBe(0)
        expect(c.stdout).toMatch(/^\d+ namespaces?, \d+ pods?, \d+ polic(y|ies)(, \d+ ClusterNetworkPolic(y|ies))? valid/)
      })
    })
  }
})
