/**
 * Policies whose names collide in a short hash are still separate policies: each selects its own
 * pods and allows only its own peers. netpol 0.1.0 named nft chains and counters
 * `<readable part cut short>_<40 bits of SHA-256 of ns/name>`; these two names collide there, so
 * both policies got one chain, which nft merges: each policy's pods accepted what the other
 * allows. (The pair was found by a birthday search, about 2 s: see
 * test/dataplane/name-collision.test.ts.) Run through the engine, the compiled ruleset and the
 * nft interpreter, and real packets in the lab.
 */
import { nodeName } from '../../src/lab/lab-names.js'
import { documents, namespaceYaml, podYaml, table, type ReachabilityCase } from './case-types.js'

/** `default/<name>` of both share the first 10 hex digits of SHA-256 (5387b56ac6) and the first 46 characters. */
export const COLLIDING_POLICY_NAMES = ['same-readable-prefix-that-nft-names-cut-short-5utx', 'same-readable-prefix-that-nft-names-cut-short-msvg'] as const

const TCP80 = { port: 80, protocol: 'TCP' as const }
const PODS = ['default/c1', 'default/c2', 'default/a', 'default/b']

/**
 * Both policies' pods on one node: a node's ruleset only holds the chains of policies selecting
 * its own pods, so that is where the two chains met (the lab honours spec.nodeName; the
 * interpreter tests place pods themselves, on one node and on two).
 */
function pod(name: string, ip: string): string {
  return podYaml('default', name, { app: name }, [ip], [TCP80]).replace('\nspec:\n', `\nspec:\n  nodeName: ${nodeName(0)}\n`)
}

function cluster(...policies: string[]): string {
  return documents(namespaceYaml('default'), pod('c1', '10.9.0.1'), pod('c2', '10.9.0.2'), pod('a', '10.9.0.3'), pod('b', '10.9.0.4'), ...policies)
}

function policy(name: string, target: string, types: string, rules: string): string {
  return `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}, namespace: default}
spec:
  podSelector: {matchLabels: {app: ${target}}}
  policyTypes: [${types}]
${rules}`
}

const [A, B] = COLLIDING_POLICY_NAMES

export const nameCollisionCases: readonly ReachabilityCase[] = [
  {
    name: 'two ingress policies whose names share a 40-bit hash each admit only their own peers',
    manifests: cluster(
      policy(A, 'a', 'Ingress', '  ingress:\n  - from: [{podSelector: {matchLabels: {app: c1}}}]\n    ports: [{port: 80}]'),
      policy(B, 'b', 'Ingress', '  ingress:\n  - from: [{podSelector: {matchLabels: {app: c2}}}]\n    ports: [{port: 80}]'),
    ),
    // A pod's connections to itself never leave it and are never filtered.
    expect: table(
      PODS,
      80,
      'TCP',
      (from, to) => from === to || (to === 'default/a' ? from === 'default/c1' : to === 'default/b' ? from === 'default/c2' : true),
    ),
  },
  {
    name: 'two egress policies whose names share a 40-bit hash each reach only their own peers',
    manifests: cluster(
      policy(A, 'a', 'Egress', '  egress:\n  - to: [{podSelector: {matchLabels: {app: c1}}}]\n    ports: [{port: 80}]'),
      policy(B, 'b', 'Egress', '  egress:\n  - to: [{podSelector: {matchLabels: {app: c2}}}]\n    ports: [{port: 80}]'),
    ),
    expect: table(
      PODS,
      80,
      'TCP',
      (from, to) => from === to || (from === 'default/a' ? to === 'default/c1' : from === 'default/b' ? to === 'default/c2' : true),
    ),
  },
]
