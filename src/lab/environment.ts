/**
 * @module What `netpol lab` needs from the machine: root, iproute2 with netns support, nftables.
 * Says plainly what is missing (EnvironmentError, exit 2).
 */
import { EnvironmentError } from '../model/errors.js'
import { runCommand } from './run-command.js'

async function works(command: string, args: readonly string[]): Promise<boolean> {
  try {
    return (await runCommand(command, args, { timeoutMs: 10_000 })).code === 0
  } catch {
    return false
  }
}

export async function checkLabEnvironment(): Promise<void> {
  const missing: string[] = []
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    missing.push('root: the lab creates network namespaces and nftables rules (run it with sudo)')
  }
  if (!(await works('ip', ['-V']))) missing.push('`ip` from iproute2 (Debian/Ubuntu: sudo apt-get install -y iproute2)')
  if (!(await works('nft', ['--version']))) missing.push('`nft` from nftables (Debian/Ubuntu: sudo apt-get install -y nftables)')
  if (missing.length > 0) throw new EnvironmentError('netpol lab cannot run here; missing:', { detail: missing })
}
