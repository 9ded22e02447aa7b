/**
 * @module The `ip -batch` scripts that build (and change) a lab, one per network namespace. Pure.
 *
 * Links are created from inside lab namespaces only (`ip -n <ns> link add ... peer ... netns <other>`),
 * so nothing is ever created in, or moved through, the host's own network namespace.
 */
import { POD_GATEWAY, UNDERLAY_PREFIX, type LabNode, type LabPod, type LabTopology } from './topology.js'
import { fabricVethName } from './lab-names.js'

const BRIDGE = 'br0'

export function fabricScript(t: LabTopology): string {
  const lines = ['link set lo up', `link add ${BRIDGE} type bridge`, `link set ${BRIDGE} up`]
  for (const node of t.nodes) {
    const veth = fabricVethName(node.index)
    lines.push(`link add ${veth} type veth peer name eth0 netns ${node.netns}`, `link set ${veth} master ${BRIDGE}`, `link set ${veth} up`)
  }
  return script(lines)
}

/** A node from scratch: its fabric address, then its own pods' veths and every remote pod's route. */
export function nodeScript(t: LabTopology, node: LabNode): string {
  const lines = ['link set lo up', `addr add ${node.underlayIp}/${UNDERLAY_PREFIX} dev eth0`, 'link set eth0 up']
  return script([...lines, ...podLinesForNode(t, node, t.pods)])
}

/** What `node` needs for `pods` that are new to it: veths for its own, routes for the others'. */
export function podLinesForNode(t: LabTopology, node: LabNode, pods: readonly LabPod[]): string[] {
  const lines: string[] = []
  const underlay = new Map(t.nodes.map((n) => [n.name, n.underlayIp]))
  for (const pod of pods) {
    if (pod.node === node.name) {
      lines.push(
        `link add ${pod.veth} type veth peer name eth0 netns ${pod.netns}`,
        `addr add ${POD_GATEWAY}/32 dev ${pod.veth}`,
        `link set ${pod.veth} up`,
        `route add ${pod.ip}/32 dev ${pod.veth}`,
      )
    } else {
      lines.push(`route add ${pod.ip}/32 via ${underlay.get(pod.node)} dev eth0`)
    }
  }
  return lines
}

/**
 * What `node` drops for pods that leave the lab: its own pods' veths (deleting one end removes the
 * pair and its route at once, whereas a deleted namespace is torn down by the kernel later) and
 * the other nodes' pods' routes.
 */
export function removedPodLinesForNode(node: LabNode, pods: readonly LabPod[]): string[] {
  return pods.map((p) => (p.node === node.name ? `link del ${p.veth}` : `route del ${p.ip}/32 dev eth0`))
}

/** Inside the pod: its address and a default route via the node's gateway address. */
export function podScript(pod: LabPod): string {
  return script([
    'link set lo up',
    `addr add ${pod.ip}/32 dev eth0`,
    'link set eth0 up',
    `route add ${POD_GATEWAY}/32 dev eth0 scope link`,
    `route add default via ${POD_GATEWAY} dev eth0`,
  ])
}

/**
 * The batch text. Every value in it was checked (planned by topology.ts, or read back through
 * state-validation.ts); this last guard makes sure no line can ever carry a second command, a
 * quote or anything but the words `ip` is meant to see.
 */
export function script(lines: readonly string[]): string {
  for (const l of lines) if (!/^[a-z0-9][a-z0-9 ./-]*$/.test(l)) throw new Error(`refusing to run ip batch line ${JSON.stringify(l)}`)
  return lines.map((l) => `${l}\n`).join('')
}
