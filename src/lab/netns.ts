/**
 * @module Network namespaces and links through iproute2: the lab's only contact with the kernel's
 * network configuration, always inside namespaces named `netpol-<lab>-...`.
 */
import { readdir } from 'node:fs/promises'
import { runChecked, runCommand } from './run-command.js'
import { isLabNetns, NETNS_PREFIX } from './lab-names.js'
import { script } from './ip-script.js'
import { parseIp } from '../model/cidr.js'

/** `ip -batch` in the host: only `netns add` lines for lab namespaces ever go here. */
export async function netnsAdd(names: readonly string[]): Promise<void> {
  if (names.length === 0) return
  for (const n of names) assertLabNetns(n)
  await runChecked('ip', ['-batch', '-'], { input: names.map((n) => `netns add ${n}\n`).join('') })
}

/** `ip -n <netns> -batch -`: link, address and route changes inside one lab namespace. */
export async function ipBatchIn(netns: string, script: string): Promise<void> {
  if (script.length === 0) return
  assertLabNetns(netns)
  await runChecked('ip', ['-n', netns, '-batch', '-'], { input: script })
}

/**
 * Like ipBatchIn, for removals that may find things already gone: `ip -force` runs every line
 * whatever the ones before did, and failures are ignored.
 */
export async function ipBatchInBestEffort(netns: string, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return
  assertLabNetns(netns)
  await runCommand('ip', ['-force', '-n', netns, '-batch', '-'], { input: script(lines) })
}

/**
 * A sysctl of one lab namespace (never the host's): `tee` running inside it writes the value
 * (given on stdin) to /proc/sys, which shows the writer's own namespace. No shell is involved.
 */
export async function setNetnsSysctl(netns: string, key: string, value: string): Promise<void> {
  assertLabNetns(netns)
  if (!/^[a-z0-9_]+(?:\.[a-z0-9_]+)+$/.test(key) || !/^[0-9]+$/.test(value)) throw new Error(`bad sysctl ${key}=${value}`)
  const path = `/proc/sys/${key.replaceAll('.', '/')}`
  await runChecked('ip', ['netns', 'exec', netns, 'tee', path], { input: `${value}\n` })
}

/**
 * Forgets the conntrack entries of addresses inside one lab namespace (`conntrack -D` there), as a
 * cluster does when a pod goes away: a new pod that gets the same address must not inherit the old
 * pod's flows as "established". Best effort: without the conntrack tool the entries simply time out.
 */
export async function forgetConntrackIn(netns: string, ips: readonly string[]): Promise<void> {
  assertLabNetns(netns)
  for (const ip of ips) {
    if (parseIp(ip) === undefined) throw new Error(`refusing to pass ${JSON.stringify(ip)} to conntrack: not an IP address`)
    for (const flag of ['-s', '-d']) {
      // Exit 1 means "no entry matched"; a missing tool (ENOENT) is fine too.
      await runCommand('ip', ['netns', 'exec', netns, 'conntrack', '-D', flag, ip]).catch(() => undefined)
    }
  }
}

/** Every `netpol-*` namespace name currently mounted under /run/netns. */
export async function listNetpolNetns(): Promise<string[]> {
  let names: string[]
  try {
    names = await readdir('/run/netns')
  } catch {
    return []
  }
  return names.filter((n) => n.startsWith(NETNS_PREFIX)).sort()
}

export async function listLabNetns(lab: string): Promise<string[]> {
  return (await listNetpolNetns()).filter((n) => isLabNetns(lab, n))
}

/** PIDs of processes inside a namespace (`ip netns pids`); empty when it is gone. */
export async function netnsPids(netns: string): Promise<number[]> {
  const r = await runCommand('ip', ['netns', 'pids', netns])
  if (r.code !== 0) return []
  return r.stdout
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number)
}

/** Deletes lab namespaces (their links, routes and nft tables go with them); missing ones are fine. */
export async function deleteNetns(names: readonly string[]): Promise<void> {
  for (const n of names) assertLabNetns(n)
  const present = new Set(await listNetpolNetns())
  const todo = names.filter((n) => present.has(n))
  if (todo.length === 0) return
  const r = await runCommand('ip', ['-force', '-batch', '-'], { input: todo.map((n) => `netns del ${n}\n`).join('') })
  const left = new Set(await listNetpolNetns())
  const stuck = todo.filter((n) => left.has(n))
  if (stuck.length > 0) throw new Error(`could not delete network namespaces ${stuck.join(', ')}: ${r.stderr.trim()}`)
}

export function assertLabNetns(netns: string): void {
  // A guard against ever pointing `ip` at a namespace the lab does not own (or at the host):
  // exactly the shapes lab-names.ts makes.
  if (!/^netpol-[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?-(?:fabric|node-\d{1,2}|p-[0-9a-f]{10})$/.test(netns)) {
    throw new Error(`refusing to touch network namespace ${JSON.stringify(netns)}: not a netpol lab namespace`)
  }
}
