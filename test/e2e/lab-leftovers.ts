/**
 * What `netpol lab down` must leave behind: nothing. No network namespace, no process, no state
 * directory of the lab, no /etc/netns directory (the pods' resolv.conf) of the lab.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import { findLabProcesses } from '../../src/lab/lab-processes.js'
import { listLabNetns } from '../../src/lab/netns.js'
import { listLabEtcNetns } from '../../src/lab/pod-resolv.js'

export async function expectNothingLeft(lab: string, labsDir: string): Promise<void> {
  expect(await listLabNetns(lab)).toEqual([])
  expect(await findLabProcesses(lab)).toEqual([])
  expect(existsSync(join(labsDir, lab))).toBe(false)
  expect(await listLabEtcNetns(lab)).toEqual([])
}
