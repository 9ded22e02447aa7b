/**
 * A cluster for the grouping tests: two web replicas open to every namespace, a canary closed to
 * all, a client in another namespace.
 */
import { loadManifestText } from '../../src/cluster/load-manifests.js'

export const GROUPING_STATE = loadManifestText(
  `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: a}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: canary, namespace: a, labels: {app: web, track: canary}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: b, labels: {app: client}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: stable-only, namespace: a}
spec:
  podSelector: {matchExpressions: [{key: track, operator: DoesNotExist}]}
  ingress: [{from: [{namespaceSelector: {}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: canary-closed, namespace: a}
spec:
  podSelector: {matchLabels: {track: canary}}
  policyTypes: [Ingress]
`,
  { file: 'g.yaml' },
).state
