/**
 * `netpol list` agrees with a peer analyzer where their semantics agree: on the netpol-analyzer
 * corpus (Online Boutique, the ACS security demo), the rows and port sets are the ones
 * np-guard/netpol-analyzer's `list` prints (test/fixtures/list/SOURCE.md). Intended differences:
 * their `{ingress-controller}` rows (from Routes and Ingresses, which netpol does not model) and
 * their spelling of ranges and "All Connections".
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadManifests } from '../../src/cluster/load-manifests.js'
import { createEngine } from '../../src/engine/engine.js'
import { parseEndpointFilter } from '../../src/analyze/endpoint-filter.js'
import { isExternalEnd, listConnections, type ListEnd, type ListResult } from '../../src/analyze/list.js'
import { applyPodCidr } from '../../src/cli/load-input.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures')

/** Our rows in netpol-analyzer's spelling: `0.0.0.0-255.255.255.255[External]`, `All Connections`. */
function theirSpelling(r: ListResult): string[] {
  const end = (e: ListEnd) => (isExternalEnd(e) ? `${e.first}-${e.last}[External]` : e.label)
  return r.connections.map((c) => `${end(c.from)} => ${end(c.to)} : ${c.allPorts ? 'All Connections' : c.ports}`)
}

function golden(file: string): string[] {
  return readFileSync(join(fixtures, 'list', file), 'utf8')
    .split('\n')
    .filter((l) => l.includes(' => ') && !l.startsWith('{ingress-controller}'))
}

async function listCase(name: string, focus?: string): Promise<string[]> {
  const state = applyPodCidr((await loadManifests([join(fixtures, 'corpus', name, 'input')])).state, '10.244.0.0/16')
  const engine = createEngine(state)
  if (!focus) return theirSpelling(listConnections(state, engine, { groupBy: 'workload' }))
  // --focusworkload X: connections from or to X.
  const f = [parseEndpointFilter(state, focus)]
  return [
    ...theirSpelling(listConnections(state, engine, { groupBy: 'workload', from: f })),
    ...theirSpelling(listConnections(state, engine, { groupBy: 'workload', to: f })),
  ]
}

describe('netpol list against netpol-analyzer list', () => {
  it('Online Boutique: the same connections, ports and outside ranges', async () => {
    const theirs = golden('onlineboutique_workloads_connlist_output.txt')
    expect(theirs.length).toBeGreaterThan(10)
    expect((await listCase('onlineboutique_workloads')).sort()).toEqual(theirs.sort())
  })

  it('Online Boutique focused on one workload: --from and --to together give their --focusworkload', async () => {
    const theirs = golden('onlineboutique_workloads_focus_workload_emailservice_connlist_output.txt')
    expect(theirs.length).toBeGreaterThan(0)
    expect((await listCase('onlineboutique_workloads', 'default/emailservice')).sort()).toEqual(theirs.sort())
  })

  it('ACS security demo: the same connections (their ingress-controller rows aside)', async () => {
    const theirs = golden('acs-security-demos_connlist_output.txt')
    expect(theirs.length).toBeGreaterThan(10)
    expect((await listCase('acs-security-demos')).sort()).toEqual(theirs.sort())
  })
})
