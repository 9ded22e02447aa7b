/**
 * @module Each lab pod's /etc/resolv.conf, as the kubelet writes it for a pod with `dnsPolicy:
 * ClusterFirst`: the cluster DNS Service's address, the search path of the pod's namespace and
 * `ndots:5`. `ip netns exec NAME` (how the lab runs every command in a pod, `lab exec` included)
 * bind-mounts each file of /etc/netns/NAME/ over the same name in /etc, in a mount namespace of
 * its own, so /etc/netns/<pod netns>/resolv.conf is what programs in the pod read.
 *
 * Safety: the lab only creates, and only removes, directories /etc/netns/<name> whose name is one
 * of its own namespace names (`netpol-<lab>-p-<hash>`, checked by assertLabNetns), never through
 * a symbolic link, and refuses an /etc/netns that another user could write. `lab down` (also after
 * a `kill -9`) and `lab up` remove the lab's directories that are left.
 */
import { constants } from 'node:fs'
import { lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { EnvironmentError } from '../model/errors.js'
import { CLUSTER_DOMAIN } from './cluster-dns.js'
import { assertLabNetns } from './netns.js'
import { isLabNetns } from './lab-names.js'

export const ETC_NETNS = '/etc/netns'

/** The resolv.conf of a pod in `namespace` (the kubelet's ClusterFirst layout). */
export function podResolvConf(namespace: string, nameserver: string): string {
  return [`search ${namespace}.svc.${CLUSTER_DOMAIN} svc.${CLUSTER_DOMAIN} ${CLUSTER_DOMAIN}`, `nameserver ${nameserver}`, 'options ndots:5', ''].join('\n')
}

async function ensureEtcNetns(root: string): Promise<void> {
  try {
    await mkdir(root, { mode: 0o755 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new EnvironmentError(`cannot create ${root}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  const st = await lstat(root)
  const me = typeof process.getuid === 'function' ? process.getuid() : 0
  if (!st.isDirectory() || st.uid !== me || (st.mode & 0o022) !== 0) {
    throw new EnvironmentError(
      `refusing to use ${root}: it is ${!st.isDirectory() ? 'not a directory' : st.uid !== me ? `owned by uid ${st.uid}` : 'writable by others'}; ` +
        `\`ip netns exec\` reads every pod's resolv.conf from there (fix it or remove it)`,
    )
  }
}

/** Writes /etc/netns/<netns>/resolv.conf (atomically: a new file, then rename). */
export async function writePodResolvConf(netns: string, content: string, root = ETC_NETNS): Promise<void> {
  assertLabNetns(netns)
  await ensureEtcNetns(root)
  const dir = join(root, netns)
  try {
    await mkdir(dir, { mode: 0o755 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new EnvironmentError(`cannot create ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  const st = await lstat(dir)
  if (!st.isDirectory()) throw new EnvironmentError(`refusing to use ${dir}: it is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}`)
  const tmp = join(dir, `.resolv.conf.${process.pid}.tmp`)
  await rm(tmp, { force: true })
  const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644)
  try {
    await handle.writeFile(content)
  } finally {
    await handle.close()
  }
  await rename(tmp, join(dir, 'resolv.conf'))
}

/** Removes the pods' /etc/netns directories (missing ones are fine). */
export async function removePodResolvConfs(netnsNames: readonly string[], root = ETC_NETNS): Promise<void> {
  for (const n of netnsNames) {
    assertLabNetns(n)
    // rm does not follow a symbolic link: a link put there is removed, never its target.
    await rm(join(root, n), { recursive: true, force: true })
  }
}

/** The lab's directories in /etc/netns (by name: only the shapes this lab creates). */
export async function listLabEtcNetns(lab: string, root = ETC_NETNS): Promise<string[]> {
  try {
    return (await readdir(root)).filter((n) => isLabNetns(lab, n) && n.slice(`netpol-${lab}-`.length).startsWith('p-')).sort()
  } catch {
    return []
  }
}
