import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadManifests } from '../../src/cluster/load-manifests.js'
import { formatDiagnostic, type Diagnostic } from '../../src/model/diagnostic.js'
import { requireInputErrorAsync } from '../model/input-diagnostics.js'

const DIR = join(import.meta.dirname, '..', 'fixtures', 'malformed')

function diagnostics(): Promise<Diagnostic[]> {
  return requireInputErrorAsync(loadManifests([DIR]))
}

describe('a malformed manifest set', () => {
  it('yields every error at once, each with file:line, object and field path', async () => {
    const ds = await diagnostics()
    const shown = ds.map(
      (d) => `${d.file.slice(DIR.length + 1)}:${d.line} ${d.object ?? '-'} ${d.field ?? '-'}: ${d.message.replaceAll(`${DIR}/`, '').slice(0, 60)}`,
    )
    expect(shown).toEqual([
      'pods.yaml:9 Pod "prod/web" metadata.labels: Invalid value: "": name part must be non-empty',
      'pods.yaml:9 Pod "prod/web" metadata.labels: Invalid value: "": name part must consist of alphanumeric ch',
      'pods.yaml:14 Pod "prod/web" spec.containers[0].ports[0].containerPort: Required value',
      'pods.yaml:16 Pod "prod/web" spec.containers[0].ports[1].name: Invalid value: "HTTP": must contain only alpha-numeric chara',
      'pods.yaml:16 Pod "prod/web" spec.containers[0].ports[1].name: Invalid value: "HTTP": must contain at least one letter (a-z',
      'pods.yaml:19 Pod "prod/web" spec.containers[0].ports[2].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", ',
      'pods.yaml:21 Pod "prod/web" spec.containers[0].ports[3].name: Duplicate value: "http"',
      'pods.yaml:23 Pod "prod/web" status.podIP: Invalid value: "10.0.0.300": must be a valid IP address, (e.',
      'pods.yaml:30 Deployment "prod/web" spec.selector: Required value',
      'pods.yaml:31 Deployment "prod/web" spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      'pods.yaml:34 Deployment "prod/web" spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` do',
      'pods.yaml:39 Pod "prod/web" -: defined more than once: also at pods.yaml:2',
      'pods.yaml:45 - apiVersion: Required value: apiVersion not set',
      'pods.yaml:49 - -: a manifest must be an object (a YAML mapping), not a list',
      'pods.yaml:54 Namespace "prod.example" metadata.name: Invalid value: "prod.example": a lowercase RFC 1123 label mu',
      'pods.yaml:57 - -: error parsing YAML: Flow sequence in block collection must b',
      'policies.yaml:5 NetworkPolicy "prod/Bad_Name" metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain mu',
      'policies.yaml:10 NetworkPolicy "prod/Bad_Name" spec.podSelector.matchLabels: Invalid value: "app/x/y": a qualified name must consist of a',
      'policies.yaml:11 NetworkPolicy "prod/Bad_Name" spec.podSelector.matchLabels: Invalid value: "-bad-": a valid label must be an empty strin',
      'policies.yaml:13 NetworkPolicy "prod/Bad_Name" spec.podSelector.matchExpressions[0].values: Required value: must be specified when ' +
        "`operator` is 'In' or",
      'policies.yaml:17 NetworkPolicy "prod/Bad_Name" spec.podSelector.matchExpressions[1].values: Forbidden: may not be specified when ' +
        "`operator` is 'Exists' ",
      'policies.yaml:19 NetworkPolicy "prod/Bad_Name" spec.podSelector.matchExpressions[2].operator: Invalid value: "Equals": not a valid selector operator',
      'policies.yaml:21 NetworkPolicy "prod/Bad_Name" spec.policyTypes[1]: Unsupported value: "Forward": supported values: "Egress", "I',
      'policies.yaml:24 NetworkPolicy "prod/Bad_Name" spec.ingress[0].from[0]: Required value: must specify a peer',
      'policies.yaml:25 NetworkPolicy "prod/Bad_Name" spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer',
      'policies.yaml:28 NetworkPolicy "prod/Bad_Name" spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: "192.168.0.0/16": must be a strict subset of ',
      'policies.yaml:29 NetworkPolicy "prod/Bad_Name" spec.ingress[0].from[1].ipBlock.except[1]: Invalid value: "10.0.0.0/8": must be a strict subset of `cid',
      'policies.yaml:30 NetworkPolicy "prod/Bad_Name" spec.ingress[0].from[1].ipBlock.except[2]: Invalid value: "10.1.0.0/33": must be a valid CIDR value, (e',
      'policies.yaml:33 NetworkPolicy "prod/Bad_Name" spec.ingress[0].from[2].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e',
      'policies.yaml:35 NetworkPolicy "prod/Bad_Name" spec.ingress[0].from[3].ipBlock.cidr: Invalid value: "010.0.0.0/8": must not have leading 0s in IP',
      'policies.yaml:37 NetworkPolicy "prod/Bad_Name" spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'policies.yaml:38 NetworkPolicy "prod/Bad_Name" spec.ingress[0].ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'policies.yaml:39 NetworkPolicy "prod/Bad_Name" spec.ingress[0].ports[2].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", ',
      'policies.yaml:42 NetworkPolicy "prod/Bad_Name" spec.ingress[0].ports[3].endPort: Invalid value: 79: must be greater than or equal to `port`',
      'policies.yaml:43 NetworkPolicy "prod/Bad_Name" spec.ingress[0].ports[4].port: Invalid value: "http-": must not begin or end with a hyphen',
      'policies.yaml:44 NetworkPolicy "prod/Bad_Name" spec.ingress[0].ports[4].endPort: Invalid value: 90: may not be specified when `port` is non-n',
      'policies.yaml:45 NetworkPolicy "prod/Bad_Name" spec.ingress[0].ports[5].port: Invalid value: "80": must contain at least one letter (a-z);',
      'policies.yaml:46 NetworkPolicy "prod/Bad_Name" spec.ingress[0].ports[6].endPort: Invalid value: 90: may not be specified when `port` is not s',
      'policies.yaml:47 NetworkPolicy "prod/Bad_Name" spec.ingress[0].ports[7].port: Invalid value: "thisnameiswaytoolong": must be no more than ',
      'policies.yaml:52 NetworkPolicy "prod/Bad_Name" spec.egress[0].to[0].ipBlock.except[0]: Invalid value: "fc00::/7": must be a strict subset of `cidr`',
      'policies.yaml:52 NetworkPolicy "prod/Bad_Name" spec.egress[0].to[0].ipBlock.except[1]: Invalid value: "10.0.0.0/16": must be a strict subset of `ci',
      'policies.yaml:55 NetworkPolicy "prod/Bad_Name" spec.egress[0].ports[0].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "',
      'policies.yaml:56 NetworkPolicy "prod/Bad_Name" spec.egress[1].form: Unknown field: strict decoding error: unknown field "spec.eg',
      'policies.yaml:63 NetworkPolicy "Prod/labels" metadata.namespace: Invalid value: "Prod": a lowercase RFC 1123 label must consi',
      'policies.yaml:67 NetworkPolicy "Prod/labels" spec.podSelector.matchLabels.enabled: Invalid type: cannot unmarshal bool into a field of type str',
      'policies.yaml:68 NetworkPolicy "Prod/labels" spec.podSelector.matchLabels.version: Invalid type: cannot unmarshal number into a field of type s',
      'policies.yaml:69 NetworkPolicy "Prod/labels" spec.policyTypes: Invalid value: ["Ingress","Egress","Ingress"]: may not speci',
    ])
    expect(ds.every((d) => d.severity === 'error' && d.line > 0)).toBe(true)
  })
  it('formats each error the kubectl way', async () => {
    const ds = await diagnostics()
    const text = formatDiagnostic(ds.find((d) => d.field === 'spec.ingress[0].from[1].ipBlock.except[0]')!)
    expect(text).toBe(
      `${join(DIR, 'policies.yaml')}:28: NetworkPolicy "prod/Bad_Name" is invalid: spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: ` +
        `"192.168.0.0/16": must be a strict subset of \`cidr\``,
    )
  })
})
