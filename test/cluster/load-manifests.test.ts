import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadManifests, loadManifestText, mergeLoadResults, type LoadResult } from '../../src/cluster/load-manifests.js'
import { requireInputError, requireInputErrorAsync } from '../model/input-diagnostics.js'

const ns = (name: string, labels = '{}'): string => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n  labels: ${labels}\n`
const pod = (name: string, namespace?: string): string =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}  labels: {app: ${name}}\n`
const policy = (name: string, namespace?: string): string =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}spec:\n ` +
  ` podSelector: {}\n`

describe('loadManifestText', () => {
  it('reads multi-document YAML with every modelled kind', () => {
    const r = loadManifestText([ns('prod'), pod('a', 'prod'), policy('deny', 'prod')].join('---\n'), { file: 'all.yaml' })
    expect(r.state.namespaces.map((n) => n.name)).toEqual(['prod'])
    expect(r.state.pods.map((p) => `${p.namespace}/${p.name}`)).toEqual(['prod/a'])
    expect(r.state.policies.map((p) => `${p.namespace}/${p.name}`)).toEqual(['prod/deny'])
    expect(r.state.pods[0].source).toEqual({ file: 'all.yaml', line: 7 })
    expect(r.state.policies[0].source).toEqual({ file: 'all.yaml', line: 14 })
  })
  it('names stdin text "-" by default', () => {
    expect(loadManifestText(pod('a')).state.pods[0].source.file).toBe('-')
  })
  it('objects without a namespace are in default', () => {
    const r = loadManifestText(pod('a') + '---\n' + policy('p'))
    expect(r.state.pods[0].namespace).toBe('default')
    expect(r.state.policies[0].namespace).toBe('default')
  })
  it('options.namespace applies to objects that set none, like kubectl --namespace', () => {
    const r = loadManifestText(pod('a') + '---\n' + pod('b', 'team'), { namespace: 'team' })
    expect(r.state.pods.map((p) => p.namespace)).toEqual(['team', 'team'])
  })
  it('an object in another namespace than options.namespace is an error like kubectl', () => {
    const ds = requireInputError(() => loadManifestText(pod('a', 'prod'), { namespace: 'dev', file: 'a.yaml' }))
    expect(ds).toEqual([
      {
        severity: 'error',
        file: 'a.yaml',
        line: 5,
        object: 'Pod "prod/a"',
        field: 'metadata.namespace',
        message:
          `the namespace from the provided object "prod" does not match the namespace "dev". You must pass '--namespace=prod' to perform ` + `this operation.`,
      },
    ])
  })
  it('a used but undeclared namespace exists implicitly, with the metadata.name label', () => {
    const r = loadManifestText(pod('a', 'prod') + '---\n' + policy('p', 'dev'), { file: 'x.yaml' })
    expect(r.state.namespaces).toEqual([
      { name: 'dev', labels: { 'kubernetes.io/metadata.name': 'dev' }, implicit: true, source: { file: 'x.yaml', line: 8 } },
      { name: 'prod', labels: { 'kubernetes.io/metadata.name': 'prod' }, implicit: true, source: { file: 'x.yaml', line: 1 } },
    ])
  })
  it('a declared namespace keeps its labels and always carries kubernetes.io/metadata.name = its name', () => {
    const r = loadManifestText(ns('prod', '{team: a, kubernetes.io/metadata.name: wrong}') + '---\n' + pod('a', 'prod'))
    expect(r.state.namespaces).toEqual([
      { name: 'prod', labels: { team: 'a', 'kubernetes.io/metadata.name': 'prod' }, implicit: false, source: { file: '-', line: 1 } },
    ])
  })
  it('flattens kind: List and typed *List items, with their lines', () => {
    const text =
      `apiVersion: v1\nkind: List\nitems:\n  - ${ns('a').replace(/\n(?=.)/g, '\n    ')}  - apiVersion: v1\n    kind: PodList\n ` +
      `   items:\n      - apiVersion: v1\n        kind: Pod\n        metadata: {name: p, namespace: a}\n`
    const r = loadManifestText(text, { file: 'list.yaml' })
    expect(r.state.namespaces.map((n) => [n.name, n.implicit, n.source?.line])).toEqual([['a', false, 4]])
    expect(r.state.pods.map((p) => [p.name, p.source.line])).toEqual([['p', 12]])
  })
  it('skips kinds it does not model and lists them; a foreign NetworkPolicy also warns', () => {
    const text = [
      'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: ing}\n',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n',
      'apiVersion: route.openshift.io/v1\nkind: Route\nmetadata: {name: r}\n',
      'apiVersion: crd.projectcalico.org/v1\nkind: NetworkPolicy\nmetadata: {name: calico}\n',
    ].join('---\n')
    const r = loadManifestText(text, { file: 's.yaml' })
    expect(r.skipped).toEqual([
      { file: 's.yaml', line: 1, apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'ing' },
      { file: 's.yaml', line: 5, apiVersion: 'v1', kind: 'ConfigMap', name: 'cm' },
      { file: 's.yaml', line: 9, apiVersion: 'route.openshift.io/v1', kind: 'Route', name: 'r' },
      { file: 's.yaml', line: 13, apiVersion: 'crd.projectcalico.org/v1', kind: 'NetworkPolicy', name: 'calico' },
    ])
    expect(r.warnings.map((w) => `${w.line} ${w.message}`)).toEqual([
      '13 NetworkPolicy of apiVersion "crd.projectcalico.org/v1" is not read: netpol models networking.k8s.io/v1 (and the same schema as ' +
        'extensions/v1beta1) only',
    ])
    expect(r.state).toEqual({ namespaces: [], pods: [], policies: [] })
  })
  it('an empty text is an empty cluster', () => {
    expect(loadManifestText('').state).toEqual({ namespaces: [], pods: [], policies: [] })
    expect(loadManifestText('---\n# nothing\n---\n').state.pods).toEqual([])
  })
  it('objects without apiVersion or kind, and non-objects, are errors', () => {
    const ds = requireInputError(() => loadManifestText('metadata: {name: x}\n---\nkind: Pod\n---\n- a\n---\nplain\n', { file: 'b.yaml' }))
    expect(ds.map((d) => `${d.line} ${d.field ?? ''}: ${d.message}`)).toEqual([
      '1 apiVersion: Required value: apiVersion not set',
      '1 kind: Required value: kind not set',
      '3 apiVersion: Required value: apiVersion not set',
      '5 : a manifest must be an object (a YAML mapping), not a list',
      '7 : a manifest must be an object (a YAML mapping), not a string',
    ])
  })
  it('the same kind/namespace/name twice is an error naming both places', () => {
    const ds = requireInputError(() => loadManifestText([pod('a'), pod('b'), pod('a'), policy('a')].join('---\n'), { file: 'd.yaml' }))
    expect(ds).toEqual([{ severity: 'error', file: 'd.yaml', line: 13, object: 'Pod "default/a"', message: 'defined more than once: also at d.yaml:1' }])
  })
  it('a workload pod taking a declared pod name is an error', () => {
    const deploy =
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: ' +
      '{labels: {a: b}}\n    spec: {}\n'
    const ds = requireInputError(() => loadManifestText(pod('web-0') + '---\n' + deploy, { file: 'c.yaml' }))
    expect(ds.map((d) => `${d.line} ${d.object}: ${d.message}`)).toEqual([
      '7 Pod "default/web-0": pod name taken twice: the pod made from Deployment "default/web" and a Pod at c.yaml:1 (workload pods are named ' +
        '<workload>-<index>)',
    ])
  })
  it('collects every error of every object before failing, in line order', () => {
    const text = [policy('Bad'), pod('ok'), policy('x').replace('podSelector: {}', 'podSelector: {matchLabels: {a: yes}}')].join('---\n')
    const ds = requireInputError(() => loadManifestText(text, { file: 'e.yaml' }))
    expect(ds.map((d) => [d.line, d.field])).toEqual([
      [4, 'metadata.name'],
      [19, 'spec.podSelector.matchLabels.a'],
    ])
  })
})

describe('mergeLoadResults', () => {
  it('a namespace declared in one input is not implicit because another input uses it', () => {
    const merged = mergeLoadResults([
      loadManifestText(pod('a', 'prod'), { file: 'pods.yaml' }),
      loadManifestText(ns('prod', '{env: prod}'), { file: 'ns.yaml' }),
    ])
    expect(merged.state.namespaces).toEqual([
      { name: 'prod', labels: { env: 'prod', 'kubernetes.io/metadata.name': 'prod' }, implicit: false, source: { file: 'ns.yaml', line: 1 } },
    ])
    expect(merged.state.pods.map((p) => p.name)).toEqual(['a'])
  })
  it('finds duplicates across inputs, naming both files', () => {
    const ds = requireInputError(() =>
      mergeLoadResults([loadManifestText(policy('p'), { file: 'one.yaml' }), loadManifestText(policy('p'), { file: 'two.yaml' })]),
    )
    expect(ds.map((d) => `${d.file}:${d.line} ${d.object} ${d.message}`)).toEqual([
      'two.yaml:1 NetworkPolicy "default/p" defined more than once: also at one.yaml:1',
    ])
  })
  it('finds duplicates against a result it did not make (e.g. a live cluster), from its state', () => {
    const live = loadManifestText(pod('a', 'prod') + '---\n' + ns('prod'), { file: 'api' })
    const foreign: LoadResult = { state: live.state, skipped: [], warnings: [] }
    expect(mergeLoadResults([foreign]).state).toEqual(live.state)
    expect(() => mergeLoadResults([foreign, loadManifestText(pod('a', 'prod'), { file: 'x.yaml' })])).toThrow(
      /Pod "prod\/a" is invalid: defined more than once: also at api:1/,
    )
  })
  it('keeps skipped objects and warnings of every input', () => {
    const a = loadManifestText('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n', { file: 'a.yaml' })
    const b = loadManifestText('apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {}\n', { file: 'b.yaml' })
    const merged = mergeLoadResults([a, b])
    expect(merged.skipped.map((s) => s.file)).toEqual(['a.yaml'])
    expect(merged.warnings.map((w) => w.file)).toEqual(['b.yaml'])
  })
})

describe('loadManifests (files, directories, stdin)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netpol-load-'))
    await mkdir(join(dir, 'tree', 'b-sub'), { recursive: true })
    await mkdir(join(dir, 'tree', 'a-sub'), { recursive: true })
    await writeFile(join(dir, 'tree', 'z.yaml'), pod('z', 'prod'))
    await writeFile(join(dir, 'tree', 'b-sub', 'b.yml'), pod('b', 'prod'))
    await writeFile(
      join(dir, 'tree', 'a-sub', 'a.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'prod' } }, null, 2),
    )
    await writeFile(join(dir, 'tree', 'a-sub', 'expected.txt'), 'not: [a manifest')
    await writeFile(join(dir, 'tree', 'README.md'), '# not a manifest: [')
    await writeFile(join(dir, 'policy.txt'), policy('named', 'prod'))
    await mkdir(join(dir, 'bad'))
    await writeFile(join(dir, 'bad', '1.yaml'), policy('p').replace('podSelector: {}', 'podSelector: {matchLabels: {a: on}}'))
    await writeFile(join(dir, 'bad', '2.yaml'), policy('p') + '---\nx: [\n')
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('walks directories recursively in a fixed order, reading only .yaml/.yml/.json', async () => {
    const r = await loadManifests([join(dir, 'tree')])
    expect(r.state.pods.map((p) => p.name)).toEqual(['a', 'b', 'z'])
    expect(r.state.pods[0].source).toEqual({ file: join(dir, 'tree', 'a-sub', 'a.json'), line: 1 })
  })
  it('reads a file named twice (directly and through its directory) once', async () => {
    const r = await loadManifests([join(dir, 'tree', 'z.yaml'), join(dir, 'tree'), `${dir}/tree/./z.yaml`])
    expect(r.state.pods.map((p) => p.name)).toEqual(['z', 'a', 'b'])
  })
  it('a directory without manifest files is an error naming it: a mistyped or emptied directory must not pass as an empty cluster', async () => {
    await mkdir(join(dir, 'no-manifests'))
    await writeFile(join(dir, 'no-manifests', 'notes.txt'), 'not a manifest')
    const ds = await requireInputErrorAsync(loadManifests([join(dir, 'no-manifests')]))
    expect(ds).toEqual([
      {
        severity: 'error',
        file: join(dir, 'no-manifests'),
        line: 0,
        message: `error: no objects read from directory "${join(dir, 'no-manifests')}": it has no .yaml, .yml or .json files`,
      },
    ])
    expect((await loadManifests([join(dir, 'tree')])).warnings).toEqual([])
  })
  it('reads a file named explicitly whatever its extension', async () => {
    const r = await loadManifests([join(dir, 'policy.txt')])
    expect(r.state.policies.map((p) => p.name)).toEqual(['named'])
  })
  it('reads - from stdin once, named -', async () => {
    const r = await loadManifests(['-', join(dir, 'policy.txt')], { stdin: Readable.from([pod('s', 'prod')]) })
    expect(r.state.pods.map((p) => [p.name, p.source.file])).toEqual([['s', '-']])
    expect(r.state.policies).toHaveLength(1)
    const ds = await requireInputErrorAsync(loadManifests(['-', '-'], { stdin: Readable.from([pod('s')]) }))
    expect(ds.map((d) => d.message)).toEqual(['error: stdin (-) can only be read once'])
  })
  it('a missing path is an error naming it, kubectl style, reported with the other problems', async () => {
    const missing = join(dir, 'nope.yaml')
    const ds = await requireInputErrorAsync(loadManifests([missing, join(dir, 'bad')]))
    expect(ds[0]).toEqual({ severity: 'error', file: missing, line: 0, message: `error: the path "${missing}" does not exist` })
    expect(ds.slice(1).map((d) => `${d.file.slice(dir.length + 1)}:${d.line} ${d.field ?? ''} ${d.message.slice(0, 30)}`)).toEqual([
      'bad/1.yaml:6 spec.podSelector.matchLabels.a Invalid type: cannot unmarshal',
      'bad/2.yaml:1  defined more than once: also a',
      'bad/2.yaml:9  error parsing YAML: Flow seque',
    ])
  })
  it('finds duplicates and implicit namespaces across files', async () => {
    const sub = join(dir, 'cross')
    await mkdir(sub)
    await writeFile(join(sub, 'a.yaml'), pod('a', 'team'))
    await writeFile(join(sub, 'b.yaml'), ns('team'))
    const r = await loadManifests([sub])
    expect(r.state.namespaces.map((n) => [n.name, n.implicit])).toEqual([['team', false]])
    await writeFile(join(sub, 'c.yaml'), pod('a', 'team'))
    const ds = await requireInputErrorAsync(loadManifests([sub]))
    expect(ds.map((d) => d.message)).toEqual([`defined more than once: also at ${join(sub, 'a.yaml')}:1`])
  })
  it('follows symbolic links without looping on a link back up the tree', async () => {
    const sub = join(dir, 'links')
    await mkdir(join(sub, 'inner'), { recursive: true })
    await writeFile(join(sub, 'inner', 'p.yaml'), pod('linked', 'prod'))
    await symlink(sub, join(sub, 'inner', 'up'))
    const r = await loadManifests([sub])
    expect(r.state.pods.map((p) => p.name)).toEqual(['linked'])
  })
  it('passes options.namespace to every file', async () => {
    const r = await loadManifests([join(dir, 'tree', 'b-sub')], { namespace: 'prod' })
    expect(r.state.pods.map((p) => p.namespace)).toEqual(['prod'])
    const ds = await requireInputErrorAsync(loadManifests([join(dir, 'tree', 'b-sub')], { namespace: 'dev' }))
    expect(ds[0].message).toMatch(/^the namespace from the provided object "prod" does not match the namespace "dev"/)
  })
})

describe('typed lists as the API serves them', () => {
  it('items of a PodList without apiVersion/kind take them from the list', () => {
    const text = 'apiVersion: v1\nkind: PodList\nitems:\n  - metadata: {name: a, namespace: x}\n  - metadata: {name: b, namespace: x}\n'
    expect(loadManifestText(text).state.pods.map((p) => [p.name, p.source.line])).toEqual([
      ['a', 4],
      ['b', 5],
    ])
  })
})

describe('the namespace option', () => {
  it('must itself be a valid namespace name', () => {
    const ds = requireInputError(() => loadManifestText(pod('a'), { namespace: 'Team_A' }))
    expect(ds.map((d) => `${d.file}: ${d.message.slice(0, 60)}`)).toEqual(['--namespace: Invalid value: "Team_A": a lowercase RFC 1123 label must con'])
  })
  it('a nameless object is reported once, not also as a duplicate', () => {
    const nameless = 'apiVersion: v1\nkind: Pod\nmetadata: {labels: {a: b}}\n'
    const ds = requireInputError(() => loadManifestText(nameless + '---\n' + nameless))
    expect(ds.map((d) => d.message)).toEqual(['Required value: name or generateName is required', 'Required value: name or generateName is required'])
  })
})

describe('text encodings people have', () => {
  it('reads files with a byte order mark and CRLF line ends, lines intact', () => {
    const r = loadManifestText(
      '\uFEFFapiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: a\r\n---\r\napiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: b\r\n',
    )
    expect(r.state.pods.map((p) => [p.name, p.source.line])).toEqual([
      ['a', 1],
      ['b', 6],
    ])
    expect(loadManifestText('\uFEFF{"apiVersion":"v1","kind":"Pod","metadata":{"name":"c"}}').state.pods).toHaveLength(1)
  })
})
