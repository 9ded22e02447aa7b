/**
 * The conformance suite of kubernetes-sigs/network-policy-api for ClusterNetworkPolicy v1alpha2
 * (standard and experimental channels), as data: every upstream test (`ShortName`, source file),
 * its manifest (vendored under vendor/network-policy-api/v1alpha2/conformance/), and, in order,
 * every subtest's mutations and probes. The probes are the upstream `PokeServer` statements
 * (client, server, protocol, port, expected) transcribed one for one (upstream commit
 * 0eec1b0e5fa92715b4c0f4c48d3c8d2913ed2159, conformance/tests/*.go). Mutations are cumulative
 * within a test, as on the upstream cluster (each subtest patches the live object).
 *
 * Namespaces are written without the `network-policy-conformance-` prefix. The base model
 * (conformance/base/manifests.yaml: five namespaces, two StatefulSet pods each, the
 * forbidden-forrest pods on the host network) and the mutations are in cnp-conformance-model.ts,
 * shared by the runs against both evaluators (test/engine/cluster-policy-conformance.test.ts) and
 * through real packets (test/lab/cnp-conformance-through-packets.test.ts).
 *
 * One netpol decision departs from upstream: `nodes` peers (CNP*TierEgressNodePeers) select node
 * addresses, and netpol reads no Node objects, so a probe that only a nodes rule would Accept (or
 * Pass) is `unknown`, never allowed (`netpol` on those probes); the probes upstream expects denied
 * are denied for certain (the same rule also denies `networks: 0.0.0.0/0`). docs/semantics.md.
 */
import type { Protocol } from '../../src/model/types.js'

export type ConformanceEvent =
  | {
      readonly op: 'probe'
      readonly from: string
      readonly to: string
      readonly protocol: Protocol
      readonly port: number
      /** The upstream expectation. */
      readonly allowed: boolean
      /** netpol's answer where it departs from upstream by design (see the module comment). */
      readonly netpol?: 'unknown'
    }
  | { readonly op: 'swap'; readonly policy: string; readonly direction: 'ingress' | 'egress'; readonly a: number; readonly b: number }
  | { readonly op: 'namedPort'; readonly policy: string; readonly direction: 'ingress' | 'egress'; readonly rule: number; readonly port: string }
  | {
      readonly op: 'action'
      readonly policy: string
      readonly direction: 'ingress' | 'egress'
      readonly rule: number
      readonly action: 'Accept' | 'Deny' | 'Pass'
    }
  | { readonly op: 'priority'; readonly policy: string; readonly priority: number }
  | { readonly op: 'namespaceLabels'; readonly namespace: string; readonly labels: Readonly<Record<string, string>> }
  | { readonly op: 'prependNetworksRule'; readonly policy: string; readonly name: string; readonly action: 'Accept'; readonly pods: readonly string[] }
  | { readonly op: 'deleteNetworkPolicy'; readonly namespace: string; readonly name: string }

export interface ConformanceRun {
  /** The upstream subtest name (t.Run). */
  readonly name: string
  readonly events: readonly ConformanceEvent[]
}

export interface ConformanceTest {
  readonly shortName: string
  /** Upstream test source. */
  readonly source: string
  /** Upstream manifest, relative to conformance/ (vendored under vendor/network-policy-api/v1alpha2/conformance/). */
  readonly manifest: string
  readonly runs: readonly ConformanceRun[]
}

export const CNP_CONFORMANCE: readonly ConformanceTest[] = [
  {
    shortName: 'CNPAdminTierEgressNamedPort',
    source: 'conformance/tests/admin-network-policy-experimental-egress-rules.go',
    manifest: 'base/admin_tier/standard-egress-tcp-rules.yaml',
    runs: [
      {
        name: "Should support an 'allow-egress' policy for named port",
        events: [
          { op: 'namedPort', policy: 'egress-tcp', direction: 'egress', rule: 5, port: 'web' },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'hufflepuff/cedric-diggory-1', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'TCP', port: 8080, allowed: false },
        ],
      },
    ],
  },
  {
    shortName: 'CNPAdminTierEgressNodePeers',
    source: 'conformance/tests/admin-network-policy-experimental-egress-rules.go',
    manifest: 'base/admin_tier/experimental-egress-selector-rules.yaml',
    runs: [
      {
        name: "Should support an 'allow-egress' rule policy for egress-node-peer",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'forbidden-forrest/centaur-1', protocol: 'TCP', port: 34345, allowed: true, netpol: 'unknown' },
        ],
      },
      {
        name: "Should support a 'pass-egress' rule policy for egress-node-peer",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'forbidden-forrest/centaur-1', protocol: 'UDP', port: 34347, allowed: true, netpol: 'unknown' },
        ],
      },
      {
        name: "Should support a 'deny-egress' rule policy for egress-node-peer",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'forbidden-forrest/centaur-1', protocol: 'TCP', port: 34346, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'forbidden-forrest/centaur-1', protocol: 'UDP', port: 34349, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'forbidden-forrest/centaur-1', protocol: 'SCTP', port: 34351, allowed: false },
        ],
      },
    ],
  },
  {
    shortName: 'CNPAdminTierIngressNamedPort',
    source: 'conformance/tests/admin-network-policy-experimental-ingress-rules.go',
    manifest: 'base/admin_tier/standard-ingress-udp-rules.yaml',
    runs: [
      {
        name: "Should support an 'allow-ingress' policy for named port",
        events: [
          { op: 'namedPort', policy: 'ingress-udp', direction: 'ingress', rule: 5, port: 'dns' },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'hufflepuff/cedric-diggory-1', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'UDP', port: 5353, allowed: false },
        ],
      },
    ],
  },
  {
    shortName: 'CNPAdminTierEgressInlineCIDRPeers',
    source: 'conformance/tests/admin-network-policy-standard-egress-inline-cidr-rules.go',
    manifest: 'base/admin_tier/standard-egress-inline-cidr-rules.yaml',
    runs: [
      {
        name: "Should support a 'deny-egress' rule policy for egress-cidr-peer",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-0', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-0', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'namespaceLabels', namespace: 'slytherin', labels: { 'conformance-house': 'denied-namespace-label' } },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'namespaceLabels', namespace: 'slytherin', labels: { 'conformance-house': 'slytherin' } },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'SCTP', port: 9003, allowed: true },
        ],
      },
      {
        name: "Should support an 'allow-egress' rule policy for egress-cidr-peer",
        events: [
          {
            op: 'prependNetworksRule',
            policy: 'inline-cidr-as-peers-example',
            name: 'allow-egress-to-specific-podIPs',
            action: 'Accept',
            pods: ['ravenclaw/luna-lovegood-0', 'hufflepuff/cedric-diggory-0'],
          },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-0', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-0', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-1', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-1', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-1', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'SCTP', port: 9003, allowed: false },
        ],
      },
    ],
  },
  {
    shortName: 'CNPAdminTierEgressSCTP',
    source: 'conformance/tests/admin-network-policy-standard-egress-sctp-rules.go',
    manifest: 'base/admin_tier/standard-egress-sctp-rules.yaml',
    runs: [
      {
        name: "Should support an 'allow-egress' policy for SCTP protocol; ensure rule ordering is respected",
        events: [
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'gryffindor/harry-potter-0', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-0', protocol: 'SCTP', port: 9005, allowed: true },
        ],
      },
      {
        name: "Should support an 'allow-egress' policy for SCTP protocol at the specified port",
        events: [
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'hufflepuff/cedric-diggory-1', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'SCTP', port: 9005, allowed: false },
        ],
      },
      {
        name: "Should support an 'deny-egress' policy for SCTP protocol; ensure rule ordering is respected",
        events: [
          { op: 'swap', policy: 'egress-sctp', direction: 'egress', a: 0, b: 1 },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'gryffindor/harry-potter-1', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-1', protocol: 'SCTP', port: 9005, allowed: false },
        ],
      },
      {
        name: "Should support a 'deny-egress' policy for SCTP protocol at the specified port",
        events: [
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'slytherin/draco-malfoy-0', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'slytherin/draco-malfoy-0', protocol: 'SCTP', port: 9005, allowed: true },
        ],
      },
      {
        name: "Should support an 'pass-egress' policy for SCTP protocol; ensure rule ordering is respected",
        events: [
          { op: 'swap', policy: 'egress-sctp', direction: 'egress', a: 0, b: 2 },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'gryffindor/harry-potter-1', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-1', protocol: 'SCTP', port: 9005, allowed: true },
        ],
      },
      {
        name: "Should support a 'pass-egress' policy for SCTP protocol at the specified port",
        events: [
          { op: 'swap', policy: 'egress-sctp', direction: 'egress', a: 3, b: 4 },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'slytherin/draco-malfoy-0', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'slytherin/draco-malfoy-0', protocol: 'SCTP', port: 9005, allowed: true },
        ],
      },
    ],
  },
  {
    shortName: 'CNPAdminTierEgressTCP',
    source: 'conformance/tests/admin-network-policy-standard-egress-tcp-rules.go',
    manifest: 'base/admin_tier/standard-egress-tcp-rules.yaml',
    runs: [
      {
        name: "Should support an 'allow-egress' policy for TCP protocol; ensure rule ordering is respected",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'TCP', port: 8080, allowed: true },
        ],
      },
      {
        name: "Should support an 'allow-egress' policy for TCP protocol at the specified port",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'hufflepuff/cedric-diggory-1', protocol: 'TCP', port: 8080, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'TCP', port: 80, allowed: false },
        ],
      },
      {
        name: "Should support an 'deny-egress' policy for TCP protocol; ensure rule ordering is respected",
        events: [
          { op: 'swap', policy: 'egress-tcp', direction: 'egress', a: 0, b: 1 },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-1', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-1', protocol: 'TCP', port: 8080, allowed: false },
        ],
      },
      {
        name: "Should support a 'deny-egress' policy for TCP protocol at the specified port",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 8080, allowed: true },
        ],
      },
      {
        name: "Should support an 'pass-egress' policy for TCP protocol; ensure rule ordering is respected",
        events: [
          { op: 'swap', policy: 'egress-tcp', direction: 'egress', a: 0, b: 2 },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'TCP', port: 8080, allowed: true },
        ],
      },
      {
        name: "Should support a 'pass-egress' policy for TCP protocol at the specified port",
        events: [
          { op: 'swap', policy: 'egress-tcp', direction: 'egress', a: 3, b: 4 },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 8080, allowed: true },
        ],
      },
    ],
  },
  {
    shortName: 'CNPAdminTierEgressUDP',
    source: 'conformance/tests/admin-network-policy-standard-egress-udp-rules.go',
    manifest: 'base/admin_tier/standard-egress-udp-rules.yaml',
    runs: [
      {
        name: "Should support an 'allow-egress' policy for UDP protocol; ensure rule ordering is respected",
        events: [
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'ravenclaw/luna-lovegood-0', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'UDP', port: 5353, allowed: true },
        ],
      },
      {
        name: "Should support an 'allow-egress' policy for UDP protocol at the specified port",
        events: [
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'gryffindor/harry-potter-1', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'gryffindor/harry-potter-1', protocol: 'UDP', port: 5353, allowed: false },
        ],
      },
      {
        name: "Should support an 'deny-egress' policy for UDP protocol; ensure rule ordering is respected",
        events: [
          { op: 'swap', policy: 'egress-udp', direction: 'egress', a: 0, b: 1 },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'ravenclaw/luna-lovegood-1', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'ravenclaw/luna-lovegood-1', protocol: 'UDP', port: 5353, allowed: false },
        ],
      },
      {
        name: "Should support a 'deny-egress' policy for UDP protocol at the specified port",
        events: [
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'slytherin/draco-malfoy-0', protocol: 'UDP', port: 5353, allowed: false },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'slytherin/draco-malfoy-0', protocol: 'UDP', port: 53, allowed: true },
        ],
      },
      {
        name: "Should support an 'pass-egress' policy for UDP protocol; ensure rule ordering is respected",
        events: [
          { op: 'swap', policy: 'egress-udp', direction: 'egress', a: 0, b: 2 },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'ravenclaw/luna-lovegood-1', protocol: 'UDP', port: 5353, allowed: true },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'ravenclaw/luna-lovegood-1', protocol: 'UDP', port: 53, allowed: true },
        ],
      },
      {
        name: "Should support a 'pass-egress' policy for UDP protocol at the specified port",
        events: [
          { op: 'swap', policy: 'egress-udp', direction: 'egress', a: 3, b: 4 },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'slytherin/draco-malfoy-0', protocol: 'UDP', port: 5353, allowed: true },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'slytherin/draco-malfoy-0', protocol: 'UDP', port: 53, allowed: true },
        ],
      },
    ],
  },
  {
    shortName: 'CNPAdminTierGress',
    source: 'conformance/tests/admin-network-policy-standard-gress-rules.go',
    manifest: 'base/admin_tier/standard-gress-rules-combined.yaml',
    runs: [
      {
        name: "Should support an 'allow-gress' policy across different protocols",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-0', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-0', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-0', protocol: 'SCTP', port: 9003, allowed: true },
        ],
      },
      {
        name: "Should support an 'allow-gress' policy across different protocols at the specified ports",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'hufflepuff/cedric-diggory-1', protocol: 'TCP', port: 8080, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'hufflepuff/cedric-diggory-1', protocol: 'UDP', port: 5353, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'hufflepuff/cedric-diggory-1', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'SCTP', port: 9005, allowed: false },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'gryffindor/harry-potter-1', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'gryffindor/harry-potter-1', protocol: 'TCP', port: 8080, allowed: false },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'gryffindor/harry-potter-1', protocol: 'UDP', port: 5353, allowed: true },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'gryffindor/harry-potter-1', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'gryffindor/harry-potter-1', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'gryffindor/harry-potter-1', protocol: 'SCTP', port: 9005, allowed: false },
        ],
      },
      {
        name: "Should support an 'deny-gress' policy across different protocols",
        events: [
          { op: 'swap', policy: 'gress-rules', direction: 'egress', a: 0, b: 1 },
          { op: 'swap', policy: 'gress-rules', direction: 'ingress', a: 0, b: 1 },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-1', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-1', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-1', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'gryffindor/harry-potter-1', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-1', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-1', protocol: 'SCTP', port: 9003, allowed: false },
        ],
      },
      {
        name: "Should support a 'deny-gress' policy across different protocols at the specified ports",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 8080, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'slytherin/draco-malfoy-0', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'UDP', port: 5353, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'slytherin/draco-malfoy-0', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'SCTP', port: 9005, allowed: true },
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 8080, allowed: true },
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'gryffindor/harry-potter-0', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'gryffindor/harry-potter-0', protocol: 'UDP', port: 5353, allowed: true },
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'gryffindor/harry-potter-0', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'gryffindor/harry-potter-0', protocol: 'SCTP', port: 9005, allowed: true },
        ],
      },
      {
        name: "Should support an 'pass-gress' policy across different protocols",
        events: [
          { op: 'swap', policy: 'gress-rules', direction: 'egress', a: 0, b: 2 },
          { op: 'swap', policy: 'gress-rules', direction: 'ingress', a: 0, b: 2 },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-0', protocol: 'UDP', port: 5353, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-0', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-0', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-0', protocol: 'SCTP', port: 9003, allowed: true },
        ],
      },
      {
        name: "Should support a 'pass-gress' policy across different protocols at the specified ports",
        events: [
          { op: 'swap', policy: 'gress-rules', direction: 'egress', a: 3, b: 4 },
          { op: 'swap', policy: 'gress-rules', direction: 'ingress', a: 3, b: 4 },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 8080, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'slytherin/draco-malfoy-0', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'UDP', port: 5353, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'slytherin/draco-malfoy-0', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'SCTP', port: 9005, allowed: true },
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 8080, allowed: true },
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'gryffindor/harry-potter-0', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'gryffindor/harry-potter-0', protocol: 'UDP', port: 5353, allowed: true },
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'gryffindor/harry-potter-0', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'gryffindor/harry-potter-0', protocol: 'SCTP', port: 9005, allowed: true },
        ],
      },
    ],
  },
  {
    shortName: 'CNPAdminTierIngressSCTP',
    source: 'conformance/tests/admin-network-policy-standard-ingress-sctp-rules.go',
    manifest: 'base/admin_tier/standard-ingress-sctp-rules.yaml',
    runs: [
      {
        name: "Should support an 'allow-ingress' policy for SCTP protocol; ensure rule ordering is respected",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-0', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'SCTP', port: 9005, allowed: true },
        ],
      },
      {
        name: "Should support an 'allow-ingress' policy for SCTP protocol at the specified port",
        events: [
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'ravenclaw/luna-lovegood-1', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'ravenclaw/luna-lovegood-1', protocol: 'SCTP', port: 9005, allowed: false },
        ],
      },
      {
        name: "Should support an 'deny-ingress' policy for SCTP protocol; ensure rule ordering is respected",
        events: [
          { op: 'swap', policy: 'ingress-sctp', direction: 'ingress', a: 0, b: 1 },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-1', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-1', protocol: 'SCTP', port: 9005, allowed: false },
        ],
      },
      {
        name: "Should support a 'deny-ingress' policy for SCTP protocol at the specified port",
        events: [
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'ravenclaw/luna-lovegood-0', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'SCTP', port: 9005, allowed: true },
        ],
      },
      {
        name: "Should support an 'pass-ingress' policy for SCTP protocol; ensure rule ordering is respected",
        events: [
          { op: 'swap', policy: 'ingress-sctp', direction: 'ingress', a: 0, b: 2 },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-1', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-1', protocol: 'SCTP', port: 9005, allowed: true },
        ],
      },
      {
        name: "Should support a 'pass-ingress' policy for SCTP protocol at the specified port",
        events: [
          { op: 'swap', policy: 'ingress-sctp', direction: 'ingress', a: 3, b: 4 },
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'ravenclaw/luna-lovegood-0', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'SCTP', port: 9005, allowed: true },
        ],
      },
    ],
  },
  {
    shortName: 'CNPAdminTierIngressTCP',
    source: 'conformance/tests/admin-network-policy-standard-ingress-tcp-rules.go',
    manifest: 'base/admin_tier/standard-ingress-tcp-rules.yaml',
    runs: [
      {
        name: "Should support an 'allow-ingress' policy for TCP protocol; ensure rule ordering is respected",
        events: [
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 8080, allowed: true },
        ],
      },
      {
        name: "Should support an 'allow-ingress' policy for TCP protocol at the specified port",
        events: [
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'gryffindor/harry-potter-1', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'gryffindor/harry-potter-1', protocol: 'TCP', port: 8080, allowed: false },
        ],
      },
      {
        name: "Should support an 'deny-ingress' policy for TCP protocol; ensure rule ordering is respected",
        events: [
          { op: 'swap', policy: 'ingress-tcp', direction: 'ingress', a: 0, b: 1 },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'gryffindor/harry-potter-1', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-1', protocol: 'TCP', port: 8080, allowed: false },
        ],
      },
      {
        name: "Should support a 'deny-ingress' policy for TCP protocol at the specified port",
        events: [
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 8080, allowed: true },
        ],
      },
      {
        name: "Should support an 'pass-ingress' policy for TCP protocol; ensure rule ordering is respected",
        events: [
          { op: 'swap', policy: 'ingress-tcp', direction: 'ingress', a: 0, b: 2 },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 8080, allowed: true },
        ],
      },
      {
        name: "Should support a 'pass-ingress' policy for TCP protocol at the specified port",
        events: [
          { op: 'swap', policy: 'ingress-tcp', direction: 'ingress', a: 3, b: 4 },
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 8080, allowed: true },
        ],
      },
    ],
  },
  {
    shortName: 'CNPAdminTierIngressUDP',
    source: 'conformance/tests/admin-network-policy-standard-ingress-udp-rules.go',
    manifest: 'base/admin_tier/standard-ingress-udp-rules.yaml',
    runs: [
      {
        name: "Should support an 'allow-ingress' policy for UDP protocol; ensure rule ordering is respected",
        events: [
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'hufflepuff/cedric-diggory-0', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'hufflepuff/cedric-diggory-0', protocol: 'UDP', port: 5353, allowed: true },
        ],
      },
      {
        name: "Should support an 'allow-ingress' policy for UDP protocol at the specified port",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'hufflepuff/cedric-diggory-1', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'UDP', port: 5353, allowed: false },
        ],
      },
      {
        name: "Should support an 'deny-ingress' policy for UDP protocol; ensure rule ordering is respected",
        events: [
          { op: 'swap', policy: 'ingress-udp', direction: 'ingress', a: 0, b: 1 },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'hufflepuff/cedric-diggory-1', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'UDP', port: 5353, allowed: false },
        ],
      },
      {
        name: "Should support a 'deny-ingress' policy for UDP protocol at the specified port",
        events: [
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'hufflepuff/cedric-diggory-0', protocol: 'UDP', port: 5353, allowed: false },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'hufflepuff/cedric-diggory-0', protocol: 'UDP', port: 53, allowed: true },
        ],
      },
      {
        name: "Should support an 'pass-ingress' policy for UDP protocol; ensure rule ordering is respected",
        events: [
          { op: 'swap', policy: 'ingress-udp', direction: 'ingress', a: 0, b: 2 },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'hufflepuff/cedric-diggory-1', protocol: 'UDP', port: 5353, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'UDP', port: 53, allowed: true },
        ],
      },
      {
        name: "Should support a 'pass-ingress' policy for UDP protocol at the specified port",
        events: [
          { op: 'swap', policy: 'ingress-udp', direction: 'ingress', a: 3, b: 4 },
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'hufflepuff/cedric-diggory-0', protocol: 'UDP', port: 5353, allowed: true },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'hufflepuff/cedric-diggory-0', protocol: 'UDP', port: 53, allowed: true },
        ],
      },
    ],
  },
  {
    shortName: 'CNPAdminTierIntegration',
    source: 'conformance/tests/admin-network-policy-standard-integration.go',
    manifest: 'base/api_integration/standard-anp-np-banp.yaml',
    runs: [
      {
        name: 'Should Deny traffic from slytherin to gryffindor respecting admin CNP',
        events: [
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 8080, allowed: false },
        ],
      },
      {
        name: 'Should Deny traffic to slytherin from gryffindor respecting admin CNP',
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 8080, allowed: false },
        ],
      },
      {
        name: "Should support a 'pass-ingress' policy for admin CNP and respect the match for network policy",
        events: [
          { op: 'action', policy: 'pass-example', direction: 'ingress', rule: 0, action: 'Pass' },
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 8080, allowed: true },
        ],
      },
      {
        name: "Should support a 'pass-egress' policy for admin CNP and respect the match for network policy",
        events: [
          { op: 'action', policy: 'pass-example', direction: 'egress', rule: 0, action: 'Pass' },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 8080, allowed: true },
        ],
      },
      {
        name: "Should support a 'pass-ingress' policy for admin CNP and respect the match for baseline cluster network policy",
        events: [
          { op: 'deleteNetworkPolicy', namespace: 'gryffindor', name: 'allow-gress-from-to-slytherin-to-gryffindor' },
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 8080, allowed: false },
        ],
      },
      {
        name: "Should support a 'pass-egress' policy for admin CNP and respect the match for baseline cluster network policy",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 8080, allowed: false },
        ],
      },
    ],
  },
  {
    shortName: 'CNPAdminTierPriorityField',
    source: 'conformance/tests/admin-network-policy-standard-priority.go',
    manifest: 'base/admin_tier/standard-priority-field.yaml',
    runs: [
      {
        name: 'Should Deny traffic from slytherin to gryffindor respecting admin CNP',
        events: [
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 8080, allowed: false },
        ],
      },
      {
        name: 'Should Deny traffic to slytherin from gryffindor respecting admin CNP',
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 8080, allowed: false },
        ],
      },
      {
        name: 'Should respect admin CNP priority field; thus passing both ingress and egress traffic over to baseline CNP',
        events: [
          { op: 'priority', policy: 'old-priority-60-new-priority-40-example', priority: 40 },
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 8080, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 8080, allowed: true },
        ],
      },
    ],
  },
  {
    shortName: 'CNPBaselineTierEgressNamedPort',
    source: 'conformance/tests/baseline-admin-network-policy-experimental-egress-rules.go',
    manifest: 'base/baseline_tier/standard-egress-udp-rules.yaml',
    runs: [
      {
        name: "Should support an 'allow-egress' policy for named port",
        events: [
          { op: 'namedPort', policy: 'default', direction: 'egress', rule: 3, port: 'dns' },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'gryffindor/harry-potter-1', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'gryffindor/harry-potter-1', protocol: 'UDP', port: 5353, allowed: false },
        ],
      },
    ],
  },
  {
    shortName: 'CNPBaselineTierEgressNodePeers',
    source: 'conformance/tests/baseline-admin-network-policy-experimental-egress-rules.go',
    manifest: 'base/baseline_tier/experimental-egress-selector-rules.yaml',
    runs: [
      {
        name: "Should support an 'allow-egress' rule policy for egress-node-peer",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'forbidden-forrest/centaur-1', protocol: 'TCP', port: 34345, allowed: true, netpol: 'unknown' },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'forbidden-forrest/centaur-1', protocol: 'TCP', port: 34346, allowed: true, netpol: 'unknown' },
        ],
      },
      {
        name: "Should support a 'deny-egress' rule policy for egress-node-peer",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'forbidden-forrest/centaur-1', protocol: 'UDP', port: 34349, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'forbidden-forrest/centaur-1', protocol: 'SCTP', port: 34351, allowed: false },
        ],
      },
    ],
  },
  {
    shortName: 'CNPBaselineTierIngressNamedPort',
    source: 'conformance/tests/baseline-admin-network-policy-experimental-ingress-rules.go',
    manifest: 'base/baseline_tier/standard-ingress-tcp-rules.yaml',
    runs: [
      {
        name: "Should support an 'allow-ingress' policy for named port",
        events: [
          { op: 'namedPort', policy: 'default', direction: 'ingress', rule: 3, port: 'web' },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'gryffindor/harry-potter-1', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'gryffindor/harry-potter-1', protocol: 'TCP', port: 8080, allowed: false },
        ],
      },
    ],
  },
  {
    shortName: 'CNPBaselineTierEgressInlineCIDRPeers',
    source: 'conformance/tests/baseline-admin-network-policy-standard-egress-inline-cidr-rules.go',
    manifest: 'base/baseline_tier/standard-egress-inline-cidr-rules.yaml',
    runs: [
      {
        name: "Should support a 'deny-egress' rule policy for egress-cidr-peer",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-0', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-0', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'namespaceLabels', namespace: 'slytherin', labels: { 'conformance-house': 'denied-namespace-label' } },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'namespaceLabels', namespace: 'slytherin', labels: { 'conformance-house': 'slytherin' } },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'SCTP', port: 9003, allowed: true },
        ],
      },
      {
        name: "Should support an 'allow-egress' rule policy for egress-cidr-peer",
        events: [
          {
            op: 'prependNetworksRule',
            policy: 'default',
            name: 'allow-egress-to-specific-podIPs',
            action: 'Accept',
            pods: ['ravenclaw/luna-lovegood-0', 'hufflepuff/cedric-diggory-0'],
          },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-0', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-0', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-1', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-1', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-1', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'SCTP', port: 9003, allowed: false },
        ],
      },
    ],
  },
  {
    shortName: 'CNPBaselineTierEgressSCTP',
    source: 'conformance/tests/baseline-admin-network-policy-standard-egress-sctp-rules.go',
    manifest: 'base/baseline_tier/standard-egress-sctp-rules.yaml',
    runs: [
      {
        name: "Should support an 'allow-egress' policy for SCTP protocol; ensure rule ordering is respected",
        events: [
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'gryffindor/harry-potter-0', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-0', protocol: 'SCTP', port: 9005, allowed: true },
        ],
      },
      {
        name: "Should support an 'allow-egress' policy for SCTP protocol at the specified port",
        events: [
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'hufflepuff/cedric-diggory-1', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'SCTP', port: 9005, allowed: false },
        ],
      },
      {
        name: "Should support an 'deny-egress' policy for SCTP protocol; ensure rule ordering is respected",
        events: [
          { op: 'swap', policy: 'default', direction: 'egress', a: 0, b: 1 },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'gryffindor/harry-potter-1', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-1', protocol: 'SCTP', port: 9005, allowed: false },
        ],
      },
      {
        name: "Should support a 'deny-egress' policy for SCTP protocol at the specified port",
        events: [
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'slytherin/draco-malfoy-0', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'slytherin/draco-malfoy-0', protocol: 'SCTP', port: 9005, allowed: true },
        ],
      },
    ],
  },
  {
    shortName: 'CNPBaselineTierEgressTCP',
    source: 'conformance/tests/baseline-admin-network-policy-standard-egress-tcp-rules.go',
    manifest: 'base/baseline_tier/standard-egress-tcp-rules.yaml',
    runs: [
      {
        name: "Should support an 'allow-egress' policy for TCP protocol; ensure rule ordering is respected",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'TCP', port: 8080, allowed: true },
        ],
      },
      {
        name: "Should support an 'allow-egress' policy for TCP protocol at the specified port",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'hufflepuff/cedric-diggory-1', protocol: 'TCP', port: 8080, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'TCP', port: 80, allowed: false },
        ],
      },
      {
        name: "Should support an 'deny-egress' policy for TCP protocol; ensure rule ordering is respected",
        events: [
          { op: 'swap', policy: 'default', direction: 'egress', a: 0, b: 1 },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-1', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-1', protocol: 'TCP', port: 8080, allowed: false },
        ],
      },
      {
        name: "Should support a 'deny-egress' policy for TCP protocol at the specified port",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 8080, allowed: true },
        ],
      },
    ],
  },
  {
    shortName: 'CNPBaselineTierEgressUDP',
    source: 'conformance/tests/baseline-admin-network-policy-standard-egress-udp-rules.go',
    manifest: 'base/baseline_tier/standard-egress-udp-rules.yaml',
    runs: [
      {
        name: "Should support an 'allow-egress' policy for UDP protocol; ensure rule ordering is respected",
        events: [
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'ravenclaw/luna-lovegood-0', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'UDP', port: 5353, allowed: true },
        ],
      },
      {
        name: "Should support an 'allow-egress' policy for UDP protocol at the specified port",
        events: [
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'gryffindor/harry-potter-1', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'gryffindor/harry-potter-1', protocol: 'UDP', port: 5353, allowed: false },
        ],
      },
      {
        name: "Should support an 'deny-egress' policy for UDP protocol; ensure rule ordering is respected",
        events: [
          { op: 'swap', policy: 'default', direction: 'egress', a: 0, b: 1 },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'ravenclaw/luna-lovegood-1', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'ravenclaw/luna-lovegood-1', protocol: 'UDP', port: 5353, allowed: false },
        ],
      },
      {
        name: "Should support a 'deny-egress' policy for UDP protocol at the specified port",
        events: [
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'slytherin/draco-malfoy-0', protocol: 'UDP', port: 5353, allowed: false },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'slytherin/draco-malfoy-0', protocol: 'UDP', port: 53, allowed: true },
        ],
      },
    ],
  },
  {
    shortName: 'CNPBaselineTierGress',
    source: 'conformance/tests/baseline-admin-network-policy-standard-gress-rules.go',
    manifest: 'base/baseline_tier/standard-gress-rules-combined.yaml',
    runs: [
      {
        name: "Should support an 'allow-gress' policy across different protocols",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-0', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-0', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-0', protocol: 'SCTP', port: 9003, allowed: true },
        ],
      },
      {
        name: "Should support an 'allow-gress' policy across different protocols at the specified ports",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'hufflepuff/cedric-diggory-1', protocol: 'TCP', port: 8080, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'hufflepuff/cedric-diggory-1', protocol: 'UDP', port: 5353, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'hufflepuff/cedric-diggory-1', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'SCTP', port: 9005, allowed: false },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'gryffindor/harry-potter-1', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'gryffindor/harry-potter-1', protocol: 'TCP', port: 8080, allowed: false },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'gryffindor/harry-potter-1', protocol: 'UDP', port: 5353, allowed: true },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'gryffindor/harry-potter-1', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'gryffindor/harry-potter-1', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'gryffindor/harry-potter-1', protocol: 'SCTP', port: 9005, allowed: false },
        ],
      },
      {
        name: "Should support an 'deny-gress' policy across different protocols",
        events: [
          { op: 'swap', policy: 'default', direction: 'egress', a: 0, b: 1 },
          { op: 'swap', policy: 'default', direction: 'ingress', a: 0, b: 1 },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-1', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-1', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-1', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'gryffindor/harry-potter-1', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-1', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-1', protocol: 'SCTP', port: 9003, allowed: false },
        ],
      },
      {
        name: "Should support a 'deny-gress' policy across different protocols at the specified ports",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'TCP', port: 8080, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'slytherin/draco-malfoy-0', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'UDP', port: 5353, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'slytherin/draco-malfoy-0', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'slytherin/draco-malfoy-0', protocol: 'SCTP', port: 9005, allowed: true },
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 8080, allowed: true },
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'gryffindor/harry-potter-0', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'gryffindor/harry-potter-0', protocol: 'UDP', port: 5353, allowed: true },
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'gryffindor/harry-potter-0', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'gryffindor/harry-potter-0', protocol: 'SCTP', port: 9005, allowed: true },
        ],
      },
    ],
  },
  {
    shortName: 'CNPBaselineTierIngressSCTP',
    source: 'conformance/tests/baseline-admin-network-policy-standard-ingress-sctp-rules.go',
    manifest: 'base/baseline_tier/standard-ingress-sctp-rules.yaml',
    runs: [
      {
        name: "Should support an 'allow-ingress' policy for SCTP protocol; ensure rule ordering is respected",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-0', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'SCTP', port: 9005, allowed: true },
        ],
      },
      {
        name: "Should support an 'allow-ingress' policy for SCTP protocol at the specified port",
        events: [
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'ravenclaw/luna-lovegood-1', protocol: 'SCTP', port: 9003, allowed: true },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'ravenclaw/luna-lovegood-1', protocol: 'SCTP', port: 9005, allowed: false },
        ],
      },
      {
        name: "Should support an 'deny-ingress' policy for SCTP protocol; ensure rule ordering is respected",
        events: [
          { op: 'swap', policy: 'default', direction: 'ingress', a: 0, b: 1 },
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'ravenclaw/luna-lovegood-1', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'ravenclaw/luna-lovegood-1', protocol: 'SCTP', port: 9005, allowed: false },
        ],
      },
      {
        name: "Should support a 'deny-ingress' policy for SCTP protocol at the specified port",
        events: [
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'ravenclaw/luna-lovegood-0', protocol: 'SCTP', port: 9003, allowed: false },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'ravenclaw/luna-lovegood-0', protocol: 'SCTP', port: 9005, allowed: true },
        ],
      },
    ],
  },
  {
    shortName: 'CNPBaselineTierIngressTCP',
    source: 'conformance/tests/baseline-admin-network-policy-standard-ingress-tcp-rules.go',
    manifest: 'base/baseline_tier/standard-ingress-tcp-rules.yaml',
    runs: [
      {
        name: "Should support an 'allow-ingress' policy for TCP protocol; ensure rule ordering is respected",
        events: [
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 8080, allowed: true },
        ],
      },
      {
        name: "Should support an 'allow-ingress' policy for TCP protocol at the specified port",
        events: [
          { op: 'probe', from: 'hufflepuff/cedric-diggory-0', to: 'gryffindor/harry-potter-1', protocol: 'TCP', port: 80, allowed: true },
          { op: 'probe', from: 'hufflepuff/cedric-diggory-1', to: 'gryffindor/harry-potter-1', protocol: 'TCP', port: 8080, allowed: false },
        ],
      },
      {
        name: "Should support an 'deny-ingress' policy for TCP protocol; ensure rule ordering is respected",
        events: [
          { op: 'swap', policy: 'default', direction: 'ingress', a: 0, b: 1 },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'gryffindor/harry-potter-1', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'gryffindor/harry-potter-1', protocol: 'TCP', port: 8080, allowed: false },
        ],
      },
      {
        name: "Should support a 'deny-ingress' policy for TCP protocol at the specified port",
        events: [
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 80, allowed: false },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'gryffindor/harry-potter-0', protocol: 'TCP', port: 8080, allowed: true },
        ],
      },
    ],
  },
  {
    shortName: 'CNPBaselineTierIngressUDP',
    source: 'conformance/tests/baseline-admin-network-policy-standard-ingress-udp-rules.go',
    manifest: 'base/baseline_tier/standard-ingress-udp-rules.yaml',
    runs: [
      {
        name: "Should support an 'allow-ingress' policy for UDP protocol; ensure rule ordering is respected",
        events: [
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'hufflepuff/cedric-diggory-0', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'hufflepuff/cedric-diggory-0', protocol: 'UDP', port: 5353, allowed: true },
        ],
      },
      {
        name: "Should support an 'allow-ingress' policy for UDP protocol at the specified port",
        events: [
          { op: 'probe', from: 'gryffindor/harry-potter-0', to: 'hufflepuff/cedric-diggory-1', protocol: 'UDP', port: 53, allowed: true },
          { op: 'probe', from: 'gryffindor/harry-potter-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'UDP', port: 5353, allowed: false },
        ],
      },
      {
        name: "Should support an 'deny-ingress' policy for UDP protocol; ensure rule ordering is respected",
        events: [
          { op: 'swap', policy: 'default', direction: 'ingress', a: 0, b: 1 },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-0', to: 'hufflepuff/cedric-diggory-1', protocol: 'UDP', port: 53, allowed: false },
          { op: 'probe', from: 'ravenclaw/luna-lovegood-1', to: 'hufflepuff/cedric-diggory-1', protocol: 'UDP', port: 5353, allowed: false },
        ],
      },
      {
        name: "Should support a 'deny-ingress' policy for UDP protocol at the specified port",
        events: [
          { op: 'probe', from: 'slytherin/draco-malfoy-0', to: 'hufflepuff/cedric-diggory-0', protocol: 'UDP', port: 5353, allowed: false },
          { op: 'probe', from: 'slytherin/draco-malfoy-1', to: 'hufflepuff/cedric-diggory-0', protocol: 'UDP', port: 53, allowed: true },
        ],
      },
    ],
  },
]
