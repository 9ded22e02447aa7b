/**
 * The lab reads its own state back as untrusted input (issue 9, items 2 and 8), through the built
 * CLI on a real lab: an edited state.json never reaches `ip -batch`, a truncated or inconsistent
 * one is a clear error (exit 2, not 3), one lab's bad state does not break `lab list`, and a labs
 * directory, lab directory or state file that another user could write is refused. Pod addresses
 * the kernel cannot give a pod (multicast, broadcast, ...) are refused before anything is built.
 */
import { describe, it, expect } from 'vitest'
import { chmod, chown, cp, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { useCliLab } from './cli-lab.js'
import { runBuiltCli } from './run-built-cli.js'
import { listLabNetns } from '../../src/lab/netns.js'
import { uniqueLabName } from '../lab/fixtures.js'
import { runCommand } from '../../src/lab/run-command.js'

const cli = useCliLab('trust')
const netpol = cli.netpol

const MANIFEST = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: db, image: pg, ports: [{containerPort: 5432}]}]}
`

const stateFile = (): string => join(cli.dir, cli.name, 'state.json')

/** Runs `fn` with state.json edited by `edit`, then puts the original back. */
async function withState(edit: (text: string) => string, fn: () => Promise<void>): Promise<void> {
  const original = await readFile(stateFile(), 'utf8')
  await writeFile(stateFile(), edit(original))
  try {
    await fn()
  } finally {
    await writeFile(stateFile(), original, { mode: 0o644 })
    await chmod(stateFile(), 0o644)
  }
}

describe('the lab trusts nothing it reads back', () => {
  it('up builds the lab; its state is written atomically, owned by root and not writable by others', async () => {
    await writeFile(join(cli.dir, 'shop.yaml'), MANIFEST)
    const up = await netpol(['lab', 'up', join(cli.dir, 'shop.yaml')])
    expect(up.stderr).toBe('')
    expect(up.code).toBe(0)
    const st = await stat(stateFile())
    expect(st.uid).toBe(process.getuid!())
    expect(st.mode & 0o022).toBe(0)
    expect((await stat(join(cli.dir, cli.name))).mode & 0o022).toBe(0)
  })

  it('an edited veth name never reaches ip -batch: apply refuses the state (exit 2) and runs nothing', async () => {
    const pwned = `netpol-${uniqueLabName('pw')}-fabric`
    await withState(
      (text) => {
        const s = JSON.parse(text)
        const web = s.topology.pods.find((p: { name: string }) => p.name === 'web')
        // `link del <veth>` is the first line removing the pod runs on its node: a newline adds a command.
        web.veth = `${web.veth}\nnetns add ${pwned}`
        return JSON.stringify(s)
      },
      async () => {
        await writeFile(
          join(cli.dir, 'db-only.yaml'),
          MANIFEST.split('---')
            .filter((d) => !d.includes('name: web'))
            .join('---'),
        )
        const apply = await netpol(['lab', 'apply', '--prune', join(cli.dir, 'db-only.yaml')])
        expect(existsSync(`/run/netns/${pwned}`)).toBe(false)
        expect(apply.code).toBe(2)
        expect(apply.stderr).toMatch(
          /^error: lab state .*state\.json cannot be used: topology\.pods\[\d\]\.veth: expected "v[0-9a-f]{10}" \(derived from shop\/web\)/,
        )
        expect(apply.stderr).toMatch(/netpol lab down --name /)
      },
    )
    // Only if the test failed (a netns mount point is removed with ip, not rm).
    if (existsSync(`/run/netns/${pwned}`)) await runCommand('ip', ['netns', 'del', pwned])
  })

  it('an edited pod address is parsed and checked like input', async () => {
    const cases: [string, RegExp][] = [
      ['10.1.2.3/32 dev eth0', /topology\.pods\[\d\]\.ip: "10\.1\.2\.3\/32 dev eth0" is not an IPv4 address/],
      ['224.0.0.9', /topology\.pods\[\d\]\.ip: "224\.0\.0\.9" is a multicast address/],
      ['255.255.255.255', /is the broadcast address/],
    ]
    for (const [ip, message] of cases) {
      await withState(
        (text) => {
          const s = JSON.parse(text)
          s.topology.pods[0].ip = ip
          return JSON.stringify(s)
        },
        async () => {
          const status = await netpol(['lab', 'status'])
          expect(status.code, ip).toBe(2)
          expect(status.stderr).toMatch(message)
        },
      )
    }
  })

  it('a server PID, a netns name or a node that the naming scheme does not make is refused', async () => {
    type Editable = {
      servers: Record<string, number>
      topology: { pods: { netns: string; node: string }[]; nodes: { netns: string }[] }
      cluster: { policies: unknown[] }
    }
    const edits: [(s: Editable) => void, RegExp][] = [
      [(s) => (s.servers['shop/web'] = -1), /servers\.shop\/web: expected an integer from 2 to 4194304, got -1/],
      [(s) => (s.topology.pods[0].netns = 'netpol-other-p-0123456789'), /topology\.pods\[0\]\.netns: expected "netpol-.*-p-[0-9a-f]{10}"/],
      [(s) => (s.topology.nodes[1].netns = 'host'), /topology\.nodes\[1\]\.netns: expected/],
      [(s) => (s.topology.pods[0].node = 'node-7'), /topology\.pods\[0\]\.node: "node-7" is not a node of this lab/],
      [(s) => (s.cluster.policies = [{ name: 'x' }]), /cluster\.policies\[0\]\.\w+: expected a (list|string), got undefined/],
    ]
    for (const [edit, message] of edits) {
      await withState(
        (text) => {
          const s = JSON.parse(text)
          edit(s)
          return JSON.stringify(s)
        },
        async () => {
          const probe = await netpol(['lab', 'probe'])
          expect(probe.code).toBe(2)
          expect(probe.stderr).toMatch(message)
        },
      )
    }
  })

  it('a truncated or corrupted state.json is a clear error (exit 2), not an internal error', async () => {
    for (const edit of [(t: string) => t.slice(0, t.length / 2), () => '', () => 'null', () => '{"version":1}']) {
      await withState(edit, async () => {
        for (const args of [
          ['lab', 'status'],
          ['lab', 'probe'],
          ['lab', 'apply', join(cli.dir, 'shop.yaml')],
          ['lab', 'up', join(cli.dir, 'shop.yaml')],
        ]) {
          const r = await netpol(args)
          expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2)
          expect(r.stderr).toMatch(/^error: lab state .*state\.json cannot be used: /)
          expect(r.stderr).not.toMatch(/internal error| {4}at /)
        }
      })
    }
  })

  it('one lab with a bad state (pods: null) is listed as broken, with the reason, and the others still list', async () => {
    const other = uniqueLabName('brk')
    await mkdir(join(cli.dir, other), { mode: 0o755 })
    const text = await readFile(stateFile(), 'utf8')
    const s = JSON.parse(text)
    s.name = other
    s.cluster.pods = null
    await writeFile(join(cli.dir, other, 'state.json'), JSON.stringify(s))
    try {
      const list = await netpol(['lab', 'list', '-o', 'json'])
      expect(list.code).toBe(0)
      const labs = JSON.parse(list.stdout).labs as { name: string; phase: string; problem?: string }[]
      expect(labs.find((l) => l.name === cli.name)?.phase).toBe('ready')
      const broken = labs.find((l) => l.name === other)
      expect(broken?.phase).toBe('broken')
      expect(broken?.problem).toMatch(/cluster\.pods: expected a list, got null/)
      const table = await netpol(['lab', 'list'])
      expect(table.code).toBe(0)
      expect(table.stdout).toMatch(new RegExp(`${other} +broken`))
      expect(table.stdout).toMatch(new RegExp(`${other}: lab state .* cannot be used: cluster\\.pods: expected a list, got null`))
      // And `lab down` removes it (discovery by name: nothing from the bad file is used).
      expect((await netpol(['lab', 'down', '--name', other])).code).toBe(0)
      expect(existsSync(join(cli.dir, other))).toBe(false)
    } finally {
      await rm(join(cli.dir, other), { recursive: true, force: true })
    }
  })

  it('a state file or lab directory that others can write, or a symbolic link, is refused like ssh refuses its keys', async () => {
    await chmod(stateFile(), 0o666)
    try {
      const r = await netpol(['lab', 'status'])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/refusing to use .*state\.json: it is writable by its group and others \(mode 0666\)/)
    } finally {
      await chmod(stateFile(), 0o644)
    }
    await chmod(join(cli.dir, cli.name), 0o775)
    try {
      const r = await netpol(['lab', 'probe'])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/refusing to use .*: it is writable by its group \(mode 0775\)/)
    } finally {
      await chmod(join(cli.dir, cli.name), 0o755)
    }
    const real = `${stateFile()}.real`
    await cp(stateFile(), real)
    await rm(stateFile())
    await symlink(real, stateFile())
    try {
      const r = await netpol(['lab', 'status'])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/refusing to use .*state\.json: it is a symbolic link/)
    } finally {
      await rm(stateFile())
      await cp(real, stateFile())
      await rm(real)
    }
    expect((await netpol(['lab', 'status'])).code).toBe(0)
  })

  it('a NETPOL_LAB_DIR another user created first is refused by every command, and nothing is built', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'netpol-foreign-'))
    const dir = join(parent, 'labs')
    await mkdir(dir, { mode: 0o755 })
    await chown(dir, 65534, 65534)
    const lab = uniqueLabName('frn')
    try {
      for (const args of [
        ['lab', 'up', join(cli.dir, 'shop.yaml')],
        ['lab', 'list'],
        ['lab', 'status'],
        ['lab', 'down'],
      ]) {
        const r = await runBuiltCli([...args, ...(args[1] === 'list' ? [] : ['--name', lab])], { env: { NETPOL_LAB_DIR: dir } })
        expect(r.code, args.join(' ')).toBe(2)
        expect(r.stderr).toMatch(/refusing to use .*labs: it is owned by uid 65534, not by uid 0 \(root\)/)
      }
      expect(await listLabNetns(lab)).toEqual([])
      // Root-owned but world-writable (someone could swap a lab's directory): refused too.
      await chown(dir, 0, 0)
      await chmod(dir, 0o777)
      const r = await runBuiltCli(['lab', 'up', join(cli.dir, 'shop.yaml'), '--name', lab], { env: { NETPOL_LAB_DIR: dir } })
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/it is writable by its group and others \(mode 0777\)/)
      expect(await listLabNetns(lab)).toEqual([])
    } finally {
      // Only if the test failed: whatever a wrongly accepted `lab up` built goes (found by name).
      await netpol(['lab', 'down', '--name', lab])
      await rm(parent, { recursive: true, force: true })
    }
  })

  it('pod addresses the kernel cannot give a pod are refused with file:line, the pod and the field, before anything is built', async () => {
    const lab = uniqueLabName('adr')
    const file = join(cli.dir, 'multicast.yaml')
    await writeFile(
      file,
      `${MANIFEST}---
apiVersion: v1
kind: Pod
metadata: {name: odd, namespace: shop}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 224.0.0.5, podIPs: [{ip: 224.0.0.5}]}
`,
    )
    const up = await netpol(['lab', 'up', file, '--name', lab])
    if (up.code === 0) await netpol(['lab', 'down', '--name', lab])
    expect(up.code).toBe(2)
    expect(up.stderr).toMatch(/multicast\.yaml:\d+: Pod "shop\/odd" is invalid: status\.podIPs: 224\.0\.0\.5 is a multicast address/)
    expect(await listLabNetns(lab)).toEqual([])
    expect(existsSync(join(cli.dir, lab))).toBe(false)
    // The same through `lab apply`: the running lab is left as it was.
    const apply = await netpol(['lab', 'apply', file])
    expect(apply.code).toBe(2)
    expect(apply.stderr).toMatch(/Pod "shop\/odd" is invalid: status\.podIPs: 224\.0\.0\.5 is a multicast address/)
    const status = JSON.parse((await netpol(['lab', 'status', '-o', 'json'])).stdout)
    expect(status.phase).toBe('ready')
    expect(status.pods.map((p: { pod: string }) => p.pod)).toEqual(['shop/db', 'shop/web'])
  })
})
