import { describe, expect, it, vi } from 'vitest'
import { compileRuleset, type CompiledNodeRuleset } from '../../src/dataplane/compile-ruleset.js'
import { DuplicateNftNameError } from '../../src/dataplane/nft-names.js'
import { buildState } from '../cases/build-state.js'
import { COLLIDING_POLICY_NAMES } from '../cases/name-collision-cases.js'

// The compiler's last line of defence, tested on its own: with an allocator that (wrongly) hands
// out its first choice every time, two policies with colliding hashes get one name, and the
// compiler must refuse to emit a script in which nft would merge them.
vi.mock('../../src/dataplane/nft-names.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/dataplane/nft-names.js')>()
  class FirstChoiceOnly {
    allocate(prefix: string, readable: string, exact: string): string {
      return real.preferredNftName(prefix, readable, exact)
    }
    allocateFor(_owner: object, prefix: string, texts: () => readonly [string, string]): string {
      return real.preferredNftName(prefix, ...texts())
    }
  }
  return { ...real, NftNameAllocator: FirstChoiceOnly }
})

/** Two policies whose `default/<name>` share the first 40 bits of SHA-256 (see name-collision.test.ts). */
const [NAME_A, NAME_B] = COLLIDING_POLICY_NAMES
const state = buildState(`
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: default, labels: {app: a}}
spec: {nodeName: n1, containers: [{name: c, image: i}]}
status: {podIP: 10.1.0.2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${NAME_A}, namespace: default}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 10.2.0.0/16}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${NAME_B}, namespace: default}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 10.3.0.0/16}}]}]
`)

describe('the compiler refuses a ruleset that declares a name twice', () => {
  it('throws DuplicateNftNameError naming the name and both objects, and returns neither a script nor an index', () => {
    let compiled: CompiledNodeRuleset | undefined
    let error: unknown
    try {
      compiled = compileRuleset(state, { nodeName: 'n1' })
    } catch (e) {
      error = e
    }
    // No index either: counters are never mapped back through a name two objects share.
    expect(compiled).toBeUndefined()
    expect(error).toBeInstanceOf(DuplicateNftNameError)
    const message = (error as Error).message
    expect(message).toMatch(
      /^refusing to emit the ruleset: the nft name (allow|pol)_in_default_same_readable_prefix_that_nft_\w*5387b56ac6 would be declared twice/,
    )
    expect(message).toContain(`NetworkPolicy "default/${NAME_A}"`)
    expect(message).toContain(`NetworkPolicy "default/${NAME_B}"`)
  })
})
