/**
 * @module The cluster's Service address range (`--service-cidr`, kube-apiserver's
 * `--service-cluster-ip-range`): one CIDR, or two of different families for a dual-stack cluster,
 * comma-separated. ClusterIPs are allocated from it; lint uses it to find ipBlocks that aim at
 * Service addresses (which NetworkPolicy never sees: it sees the backend pod after translation).
 */
import { formatCidr, parseCidr, parseIp, type Cidr } from './cidr.js'
import { UsageError } from './errors.js'

/** kube-apiserver's default (kubeadm, kind, minikube). */
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12'

/** Parses `--service-cidr`; a UsageError naming the flag for anything else. */
export function parseServiceCidrs(text: string): Cidr[] {
  const parts = text.split(',').map((s) => s.trim())
  const bad = (why: string): UsageError => new UsageError(`--service-cidr: invalid value "${text}": ${why}`)
  if (parts.length > 2 || parts.some((p) => p === ''))
    throw bad('expected one CIDR, or two of different IP families separated by a comma (e.g. 10.96.0.0/12,fd00:10:96::/112)')
  const out: Cidr[] = []
  for (const part of parts) {
    const parsed = parseCidr(part)
    if (!parsed.ok) throw bad(parsed.error)
    // Host bits set (10.96.0.1/12): kube-apiserver refuses such a range; say which one was meant.
    const address = parseIp(part.slice(0, part.lastIndexOf('/')))
    if (address && address.value !== parsed.cidr.base) throw bad(`host bits are set; did you mean ${formatCidr(parsed.cidr)}?`)
    out.push(parsed.cidr)
  }
  if (out.length === 2 && out[0].family === out[1].family) throw bad('two CIDRs must be of different IP families (one IPv4, one IPv6)')
  return out
}
