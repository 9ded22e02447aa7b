/**
 * @module Names of everything a lab creates: network namespaces, links, the lab itself.
 *
 * Every network namespace a lab owns is `netpol-<lab>-fabric`, `netpol-<lab>-node-<i>` or
 * `netpol-<lab>-p-<hash>`; `lab down` finds leftovers by exactly these shapes, so a lab never
 * touches another lab's (or anybody else's) namespaces. Pure.
 */
import { createHash } from 'node:crypto'
import { UsageError } from '../model/errors.js'

export const NETNS_PREFIX = 'netpol-'
/** Lab names: lower-case DNS-label-like, short enough that every derived name stays readable. */
const LAB_NAME = /^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?$/
export const DEFAULT_LAB_NAME = 'default'

export function isValidLabName(name: string): boolean {
  return LAB_NAME.test(name)
}

export function validateLabName(name: string): string {
  if (!isValidLabName(name)) {
    throw new UsageError(`invalid lab name "${name}": use 1-24 lower-case letters, digits and '-', starting and ending with a letter or digit`)
  }
  return name
}

function labPrefix(lab: string): string {
  return `${NETNS_PREFIX}${lab}-`
}

/** The namespace holding the bridge that links the nodes (the lab's "physical network"). */
export function fabricNetnsName(lab: string): string {
  return `${labPrefix(lab)}fabric`
}

/** A lab node's Kubernetes name, as pods' `spec.nodeName` may name it. */
export function nodeName(index: number): string {
  return `node-${index}`
}

export function nodeNetnsName(lab: string, index: number): string {
  return `${labPrefix(lab)}node-${index}`
}

/** Ten hex digits of sha256(`ns/name`): stable across runs, short enough for interface names. */
export function podHash(namespace: string, name: string): string {
  return createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, 10)
}

export function podNetnsName(lab: string, hash: string): string {
  return `${labPrefix(lab)}p-${hash}`
}

/** The node side of a pod's veth (interface names are at most 15 bytes). */
export function podVethName(hash: string): string {
  return `v${hash}`
}

/** The fabric side of a node's veth. */
export function fabricVethName(index: number): string {
  return `n${index}`
}

/** True when `netns` is one of the shapes lab `lab` creates (and no other lab's). */
export function isLabNetns(lab: string, netns: string): boolean {
  const prefix = labPrefix(lab)
  if (!netns.startsWith(prefix)) return false
  return /^(?:fabric|node-\d+|p-[0-9a-f]{10})$/.test(netns.slice(prefix.length))
}
