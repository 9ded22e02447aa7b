/**
 * @module Whether the lab can serve and probe SCTP. Node.js has no SCTP sockets, so the lab's pod
 * servers and prober cannot speak it even where the kernel can; SCTP cells are reported as skipped.
 */
import { existsSync } from 'node:fs'

export interface SctpSupport {
  readonly supported: boolean
  readonly reason: string
}

export function sctpSupport(): SctpSupport {
  const kernel = existsSync('/proc/sys/net/sctp')
  return {
    supported: false,
    reason: kernel
      ? 'Node.js has no SCTP sockets, so lab pods do not serve SCTP ports and SCTP probes are skipped'
      : 'this kernel has no SCTP loaded (no /proc/sys/net/sctp; CONFIG_IP_SCTP or `modprobe sctp`), and Node.js has no SCTP sockets: lab pods ' +
        'do not serve SCTP ports and SCTP probes are skipped',
  }
}
