/**
 * @module `netpol report` as one self-contained HTML page: inline CSS, the graph as inline SVG,
 * one small inline script (the filter box; the page works without it), no fonts or images to
 * fetch, so it opens offline and can be attached to a CI run.
 *
 * Big inputs stay usable and bounded: above a size the connections are grouped by namespace in
 * collapsed sections with at most a fixed number of rows in all (ranges outside the cluster that a
 * group reaches on the same ports on one row), policies are grouped by namespace and collapsed,
 * and long lists of names are cut with a count of what is left out.
 */
import type { PeerSection, PolicySection, ReportModel } from '../analyze/report.js'
import type { LintFinding } from '../analyze/lint-rule.js'
import type { ClusterPolicySection, TierSection } from '../analyze/report-tiers.js'
import { printable } from '../model/printable.js'
import { formatPort } from '../model/describe.js'
import { qualifiedName } from '../model/types.js'

/** Text for HTML text and attribute values: control characters escaped visibly (printable.ts), then the markup characters. */
function escapeHtml(text: string): string {
  return printable(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;')
}

/** The SVG element alone (Graphviz prepends an XML prolog and a DOCTYPE that HTML must not contain). */
export function inlineSvg(svg: string): string {
  const start = svg.indexOf('<svg')
  return start < 0 ? '' : svg.slice(start).trim()
}

/** The sections the navigation bar links to, in page order. */
const SECTIONS: readonly (readonly [string, string])[] = [
  ['graph', 'Graph'],
  ['findings', 'Findings'],
  ['matrix', 'Matrix'],
  ['connections', 'Connections'],
  ['policies', 'Policies'],
]

const CSS = `
:root {
  --fg: #1d2733; --muted: #5b6b7d; --line: #d5dde6; --ok: #e3f4e1; --okfg: #22632a; --no: #fbe9e9; --nofg: #8f1d1d;
  --warn: #fff4d6; --warnfg: #7a5300; --accent: #2f6fb0;
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg); background: #f6f8fa; }
header { background: #1f3a5f; color: white; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header p { margin: 0; color: #c9d7e8; }
nav { background: white; border-bottom: 1px solid var(--line); padding: 8px 28px; position: sticky; top: 0; z-index: 1; }
nav a { margin-right: 18px; color: var(--accent); text-decoration: none; font-weight: 600; }
main { padding: 8px 28px 40px; max-width: 1400px; }
section { background: white; border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; margin: 16px 0; }
h2 { font-size: 17px; margin: 0 0 10px; }
h3 { font-size: 15px; margin: 0 0 6px; }
.counts { display: flex; gap: 12px; flex-wrap: wrap; margin: 0; padding: 0; list-style: none; }
.counts li { background: #eef3f8; border-radius: 6px; padding: 6px 12px; }
.counts b { font-size: 18px; margin-right: 4px; }
.graph { overflow: auto; border: 1px solid var(--line); border-radius: 6px; background: white; padding: 8px; }
.graph svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef3f8; }
.matrix td { text-align: center; white-space: nowrap; }
.matrix th.row { text-align: right; white-space: nowrap; }
.matrix th.col { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; font-weight: 600; }
td.ok { background: var(--ok); color: var(--okfg); }
td.no { background: var(--no); color: var(--nofg); }
td.some { background: var(--warn); color: var(--warnfg); }
.sev-error { color: var(--nofg); font-weight: 700; }
.sev-warning { color: var(--warnfg); font-weight: 700; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.policy { border-left: 4px solid var(--accent); }
.muted { color: var(--muted); }
.fix { color: var(--muted); font-size: 12px; }
ul.rules { margin: 4px 0 0; padding-left: 18px; }
.legend { font-size: 12px; color: var(--muted); margin: 6px 0 0; }
.empty { color: var(--okfg); }
table.findings td:nth-child(2) code { white-space: nowrap; }
table.findings td:nth-child(3) { max-width: 18em; word-break: break-all; }
table.findings td:nth-child(4) { max-width: 16em; }
details.group { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; padding: 4px 10px; }
details.group > summary { cursor: pointer; font-weight: 600; }
details.group > summary .muted { font-weight: 400; }
#filter { width: 100%; max-width: 40em; padding: 6px 10px; font: inherit; border: 1px solid var(--line); border-radius: 6px; }
[hidden] { display: none !important; }
`

/** Above these sizes sections are grouped by namespace and collapsed. */
const BIG_CONNECTIONS = 1000
const BIG_POLICIES = 50
/** At most this many connection rows in the page (the rest: `netpol list`). */
const MAX_CONNECTION_ROWS = 20_000
const MAX_FINDING_ROWS = 2000
/** Names listed for one selector or peer before "and N more". */
const MAX_NAMES = 30

function names(list: readonly string[]): string {
  const shown = list.slice(0, MAX_NAMES).join(', ')
  return list.length > MAX_NAMES ? `${shown} and ${list.length - MAX_NAMES} more` : shown
}

/**
 * The filter box: hides rows and policies whose text does not contain what is typed (any case),
 * opens the sections that keep a match and hides those that keep none. Static text: nothing from
 * the input is in the script.
 */
const FILTER_SCRIPT = `(function () {
  var box = document.getElementById('filter');
  if (!box) return;
  var items = Array.prototype.slice.call(document.querySelectorAll('[data-filter]'));
  var groups = Array.prototype.slice.call(document.querySelectorAll('details.group'));
  box.addEventListener('input', function () {
    var q = box.value.trim().toLowerCase();
    items.forEach(function (el) { el.hidden = q !== '' && el.textContent.toLowerCase().indexOf(q) < 0; });
    groups.forEach(function (d) {
      if (q === '') { d.hidden = false; d.open = false; return; }
      var keep = d.querySelector('summary').textContent.toLowerCase().indexOf(q) >= 0 || d.querySelector('[data-filter]:not([hidden])') !== null;
      if (keep && d.querySelector('summary').textContent.toLowerCase().indexOf(q) >= 0) {
        d.querySelectorAll('[data-filter]').forEach(function (el) { el.hidden = false; });
      }
      d.hidden = !keep;
      d.open = keep;
    });
  });
})();`

function findingRows(findings: readonly LintFinding[]): string {
  return findings
    .map((f) => {
      const cells = [
        `<td class="sev-${f.severity}">${f.severity}</td>`,
        `<td><code>${escapeHtml(f.ruleId)}</code></td>`,
        `<td class="mono">${escapeHtml(`${f.file}:${f.line}`)}</td>`,
        `<td>${escapeHtml(f.object)}${f.field ? ` <code>${escapeHtml(f.field)}</code>` : ''}</td>`,
        `<td>${escapeHtml(f.message)}<div class="fix">fix: ${escapeHtml(f.hint)}</div></td>`,
      ]
      return `<tr data-filter>${cells.join('')}</tr>`
    })
    .join('\n')
}

function findingsSection(m: ReportModel): string {
  const errors = m.findings.filter((f) => f.severity === 'error').length
  const warnings = m.findings.length - errors
  const head = `<thead><tr>${['severity', 'rule', 'where', 'object', 'message'].map((h) => `<th>${h}</th>`).join('')}</tr></thead>`
  const cut =
    m.findings.length > MAX_FINDING_ROWS
      ? `<p class="muted">The first ${MAX_FINDING_ROWS} of ${m.findings.length} findings; <code>netpol lint</code> lists them all.</p>`
      : ''
  const body =
    m.findings.length === 0
      ? '<p class="empty">No lint findings.</p>'
      : `<table id="findings-table" class="findings">${head}<tbody>\n${findingRows(m.findings.slice(0, MAX_FINDING_ROWS))}\n</tbody></table>${cut}`
  const counts = `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`
  return `<section id="findings"><h2>Lint findings (${counts})</h2>${body}</section>`
}

function matrixSection(m: ReportModel): string {
  const { matrix } = m
  if (matrix.groups.length === 0 && m.counts.pods > 0 && matrix.ports.length > 0) {
    return (
      '<section id="matrix"><h2>Matrix</h2><p class="muted">Left out: too many rows and columns for one grid (see the note above the ' +
      'graph); the connections below list every allowed connection.</p></section>'
    )
  }
  if (matrix.groups.length === 0 || matrix.ports.length === 0) {
    return '<section id="matrix"><h2>Matrix</h2><p class="muted">No pods with container ports in the input: nothing to probe.</p></section>'
  }
  const cell = new Map<string, { allowed: string[]; partial: string[]; total: number }>()
  for (const c of matrix.connections) {
    const key = `${c.from}\u0000${c.to}`
    const entry = cell.get(key) ?? { allowed: [], partial: [], total: 0 }
    entry.total++
    if (c.allowed) entry.allowed.push(formatPort(c))
    else if (c.partial) entry.partial.push(formatPort(c))
    cell.set(key, entry)
  }
  const short = (g: string) => g.replace(/\[[A-Za-z]+\]$/, '')
  const head = `<tr><th>from \\ to</th>${matrix.groups.map((g) => `<th class="col" title="${escapeHtml(g)}">${escapeHtml(short(g))}</th>`).join('')}</tr>`
  const rows = matrix.groups.map((from) => {
    const tds = matrix.groups.map((to) => {
      const e = cell.get(`${from}\u0000${to}`)
      if (!e) return '<td class="muted">·</td>'
      // Compact: a check mark when every probed port is open, else the open ports.
      const text = e.allowed.length === e.total ? '✓' : [...e.allowed, ...e.partial.map((p) => `~${p}`)].join(' ')
      const cls = e.allowed.length === e.total ? 'ok' : e.allowed.length + e.partial.length === 0 ? 'no' : 'some'
      const allowed = e.allowed.length ? `allowed ${e.allowed.join(', ')}` : 'nothing allowed'
      const title = `${from} -> ${to}: ${allowed}${e.partial.length ? `; some pods only: ${e.partial.join(', ')}` : ''}`
      return `<td class="${cls}" title="${escapeHtml(title)}">${text ? escapeHtml(text) : '✗'}</td>`
    })
    return `<tr><th class="row" title="${escapeHtml(from)}">${escapeHtml(short(from))}</th>${tds.join('')}</tr>`
  })
  return `<section id="matrix"><h2>Matrix (by ${matrix.groupBy}, ports ${matrix.ports.map(formatPort).join(', ')})</h2>
<div style="overflow:auto"><table class="matrix"><thead>${head}</thead><tbody>${rows.join('\n')}</tbody></table></div>
<p class="legend">Rows may open connections to columns: ✓ on every probed port (every declared containerPort), else the ports listed; ✗ none;
~ only some of the pod pairs (e.g. replicas with different labels). Hover for details.</p></section>`
}

function connectionRow(from: string, to: string, ports: string): string {
  return `<tr data-filter><td class="mono">${escapeHtml(from)}</td><td class="mono">${escapeHtml(to)}</td><td>${escapeHtml(ports)}</td></tr>`
}

function connectionsSection(m: ReportModel): string {
  const { edges } = m.connectivity
  const head = '<table><thead><tr><th>from</th><th>to</th><th>ports</th></tr></thead><tbody>'
  if (edges.length <= BIG_CONNECTIONS) {
    return `<section id="connections"><h2>Allowed connections (${edges.length})</h2>
<p class="legend">Every port of every protocol is covered; addresses outside the cluster are shown as ranges cut at every ipBlock boundary.</p>
${head}${edges.map((e) => connectionRow(e.from, e.to, e.ports)).join('\n')}</tbody></table></section>`
  }
  // Grouped by the namespace of the group end; a group's ranges outside the cluster with the same
  // ports on one row.
  const nsOf = new Map(m.connectivity.groups.map((g) => [g.label, g.namespace]))
  const byNs = new Map<string, { rows: [string, string, string][]; count: number }>()
  const merged = new Map<string, { from: string; to: string; ports: string; ranges: string[] }>()
  for (const e of edges) {
    const group = e.external === 'from' ? e.to : e.from
    const ns = nsOf.get(group) ?? ''
    let entry = byNs.get(ns)
    if (!entry) byNs.set(ns, (entry = { rows: [], count: 0 }))
    entry.count++
    if (e.external) {
      const k = `${ns}\u0000${e.external}\u0000${group}\u0000${e.ports}`
      const x = merged.get(k)
      if (x) x.ranges.push(e.external === 'from' ? e.from : e.to)
      else {
        const item = { from: e.from, to: e.to, ports: e.ports, ranges: [e.external === 'from' ? e.from : e.to] }
        merged.set(k, item)
        entry.rows.push([`\u0000${k}`, '', ''])
      }
    } else entry.rows.push([e.from, e.to, e.ports])
  }
  const perNamespace = Math.max(20, Math.floor(MAX_CONNECTION_ROWS / Math.max(1, byNs.size)))
  const sections = [...byNs.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([ns, { rows, count }]) => {
      const shown = rows.slice(0, perNamespace).map(([from, to, ports]) => {
        if (!from.startsWith('\u0000')) return connectionRow(from, to, ports)
        const x = merged.get(from.slice(1))!
        const list = x.ranges.length === 1 ? x.ranges[0] : `${x.ranges.length} ranges: ${names(x.ranges)}`
        return x.from === x.ranges[0] ? connectionRow(list, x.to, x.ports) : connectionRow(x.from, list, x.ports)
      })
      const more =
        rows.length > shown.length
          ? `<p class="muted">${rows.length - shown.length} more rows; <code>netpol list --from ${escapeHtml(ns)}/</code> and <code>--to ` +
            `${escapeHtml(ns)}/</code> list them all.</p>`
          : ''
      return (
        `<details class="group"><summary>${escapeHtml(ns)} <span ` +
        `class="muted">(${count} connection${count === 1 ? '' : 's'})</span></summary>${head}${shown.join('\n')}</tbody></table>${more}</details>`
      )
    })
  return `<section id="connections"><h2>Allowed connections (${edges.length})</h2>
<p class="legend">By the namespace of the workload end (click to open; the filter above opens what matches). Every port of every protocol is covered;
addresses outside the cluster are ranges cut at every ipBlock boundary, and the ranges one workload reaches on the same ports share a row.
At most ${MAX_CONNECTION_ROWS} rows in all: <code>netpol list</code> prints every connection.</p>
${sections.join('\n')}</section>`
}

function policySection(p: PolicySection): string {
  const rules = p.rules.map((r) => {
    const peerText = (peer: PeerSection): string => {
      const assumed = peer.throughAssumedIps ? ' by pod IPs netpol assumed: the manifests have none, --pod-cidr' : ''
      const matches = peer.matches.length ? `matches ${escapeHtml(names(peer.matches))}${assumed}` : 'matches no pod in the input'
      return `${escapeHtml(peer.text)} <span class="muted">(line ${peer.line}; ${matches})</span>`
    }
    const peers = r.peers.length === 0 ? `every ${r.direction === 'ingress' ? 'source' : 'destination'}` : r.peers.map(peerText).join('<br>')
    const ports = r.ports.length === 0 ? 'every port' : escapeHtml(r.ports.join(', '))
    return (
      `<li><b>${r.direction}[${r.index}]</b> <span class="muted">line ${r.line}</span>: ` +
      `${r.direction === 'ingress' ? 'from' : 'to'} ${peers}<br>on ${ports}</li>`
    )
  })
  const denies = p.deniesAll.map((d) => `<li><b>${d}</b>: no rules, so it denies all ${d.toLowerCase()} of the selected pods</li>`)
  const findings = p.findings.length ? `<table class="findings"><tbody>${findingRows(p.findings)}</tbody></table>` : ''
  const selects = p.selects.length ? escapeHtml(names(p.selects)) : '<span class="sev-warning">no pod in the input</span>'
  const podCount = p.selectedPods ? ` <span class="muted">(${p.selectedPods} pod${p.selectedPods === 1 ? '' : 's'})</span>` : ''
  return `<section class="policy" data-filter id="${escapeHtml(p.anchor)}"><h3>${escapeHtml(qualifiedName(p))}</h3>
<p class="mono muted">${escapeHtml(`${p.file}:${p.line}`)} · policyTypes ${escapeHtml(p.policyTypes.join(', '))}</p>
<p><b>Selects</b> <code>${escapeHtml(p.podSelector)}</code> in namespace ${escapeHtml(p.namespace)}: ${selects}${podCount}</p>
<p><b>Allows</b></p><ul class="rules">${[...denies, ...rules].join('\n') || '<li>nothing</li>'}</ul>
${findings}</section>`
}

function clusterPolicySection(p: ClusterPolicySection): string {
  const rules = p.rules.map((r) => {
    const peers = r.peers
      .map((peer) => {
        const matches = peer.matches.length ? `matches ${escapeHtml(names(peer.matches))}` : 'matches no pod in the input'
        return `${escapeHtml(peer.text)} <span class="muted">(line ${peer.line}; ${matches})</span>`
      })
      .join('<br>')
    const protocols = r.protocols.length === 0 ? 'every protocol and port' : escapeHtml(r.protocols.join(', '))
    const decides = r.decidesOmitted
      ? '<span class="muted">what it decides is not computed (input too large): <code>netpol explain</code> traces a connection</span>'
      : r.decides.length === 0
        ? '<span class="sev-warning">decides no connection of the input</span> (an earlier rule or policy, or NetworkPolicy, always decides first)'
        : `decides ${escapeHtml(names(r.decides))}`
    return (
      `<li><b>${r.direction}[${r.index}]${r.name === undefined ? '' : ` ${escapeHtml(JSON.stringify(r.name))}`} ${r.action}</b> ` +
      `<span class="muted">line ${r.line}</span>: ${r.direction === 'ingress' ? 'from' : 'to'} ${peers}<br>on ${protocols}<br>${decides}</li>`
    )
  })
  const findings = p.findings.length ? `<table class="findings"><tbody>${findingRows(p.findings)}</tbody></table>` : ''
  const selects = p.selects.length ? escapeHtml(names(p.selects)) : '<span class="sev-warning">no pod in the input</span>'
  const podCount = p.selectedPods ? ` <span class="muted">(${p.selectedPods} pod${p.selectedPods === 1 ? '' : 's'})</span>` : ''
  return `<section class="policy" data-filter id="${escapeHtml(p.anchor)}"><h3>${escapeHtml(p.name)} <span class="muted">priority ${p.priority}</span></h3>
<p class="mono muted">${escapeHtml(`${p.file}:${p.line}`)} · ${p.tier} tier</p>
<p><b>Subject</b> ${escapeHtml(p.subject)}: ${selects}${podCount}</p>
<p><b>Rules</b> (in order; the first that matches decides)</p><ul class="rules">${rules.join('\n') || '<li>none</li>'}</ul>
${findings}</section>`
}

const TIER_LEGEND: Record<TierSection['tier'], string> = {
  Admin:
    'Evaluated before every NetworkPolicy, lowest priority first: Accept and Deny are final, Pass hands the traffic to NetworkPolicy and the Baseline tier.',
  Baseline:
    'Evaluated after NetworkPolicy, only for pods no NetworkPolicy isolates in that direction: Accept and Deny are final, Pass falls through to the default allow.',
}

function tiersSection(m: ReportModel): string {
  if (m.tiers === undefined) return ''
  const parts = m.tiers.map(
    (t) => `<h3>${t.tier} tier (${t.policies.length} polic${t.policies.length === 1 ? 'y' : 'ies'})</h3>
<p class="legend">${TIER_LEGEND[t.tier]}</p>
${t.policies.map(clusterPolicySection).join('\n') || '<p class="muted">none</p>'}`,
  )
  return `<section id="tiers"><h2>ClusterNetworkPolicy tiers</h2>
<p class="legend">What each ClusterNetworkPolicy decides in this input: "decides" lists the pairs (by ${m.groupBy}; address ranges outside the cluster for egress
to networks) for which the rule is the one that decides that side, on some port. Connections whose outcome is undefined or unknown are not
counted as allowed anywhere in this report: <code>netpol matrix</code> and <code>netpol explain</code> show them.</p>
${parts.join('\n')}</section>`
}

function policiesSection(m: ReportModel): string {
  if (m.policies.length === 0)
    return '<section id="policies"><h2>Policies (0)</h2><p class="muted">No NetworkPolicy in the input: every connection is allowed.</p></section>'
  if (m.policies.length <= BIG_POLICIES) {
    const links = m.policies.map((p) => `<a href="#${escapeHtml(p.anchor)}">${escapeHtml(qualifiedName(p))}</a>`)
    return `<section id="policies"><h2>Policies (${m.policies.length})</h2><p>${links.join(' · ')}</p></section>
${m.policies.map(policySection).join('\n')}`
  }
  const byNs = new Map<string, PolicySection[]>()
  for (const p of m.policies) {
    let list = byNs.get(p.namespace)
    if (!list) byNs.set(p.namespace, (list = []))
    list.push(p)
  }
  const groups = [...byNs.entries()].map(
    ([ns, list]) =>
      `<details class="group"><summary>${escapeHtml(ns)} <span class="muted">(${list.length} polic${list.length === 1 ? 'y' : 'ies'}: ` +
      `${escapeHtml(names(list.map((p) => p.name)))})</span></summary>
${list.map(policySection).join('\n')}</details>`,
  )
  return `<section id="policies"><h2>Policies (${m.policies.length})</h2>
<p class="legend">By namespace (click to open; the filter above opens what matches).</p>
${groups.join('\n')}</section>`
}

export function renderReportHtml(m: ReportModel, svg: string): string {
  const errors = m.findings.filter((f) => f.severity === 'error').length
  const warnings = m.findings.length - errors
  const counts = [
    [m.counts.namespaces, 'namespaces'],
    [m.counts.pods, 'pods'],
    [m.counts.groups, `${m.groupBy === 'pod' ? 'pods' : m.groupBy === 'namespace' ? 'namespaces' : 'workloads'}`],
    [m.counts.policies, 'policies'],
    ...(m.tiers === undefined ? [] : [[m.tiers.reduce((n, t) => n + t.policies.length, 0), 'cluster policies'] as const]),
    [errors, 'lint errors'],
    [warnings, 'lint warnings'],
  ]
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(m.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(m.title)}</h1><p>Generated by netpol from ${escapeHtml(m.inputs.join(', '))}.</p></header>
<nav>${[...SECTIONS, ...(m.tiers === undefined ? [] : [['tiers', 'Tiers'] as const])].map(([id, title]) => `<a href="#${id}">${title}</a>`).join('')}
<input id="filter" type="search" placeholder="Filter connections, findings and policies (namespace, workload, address, port, rule)" aria-label="filter"></nav>
<main>
<section id="summary"><ul class="counts">${counts.map(([n, what]) => `<li><b>${n}</b>${escapeHtml(String(what))}</li>`).join('')}</ul></section>
<section id="graph"><h2>Who may connect to whom (by ${m.graph.groupBy})</h2>
${m.notes.map((n) => `<p class="muted">${escapeHtml(n)}</p>`).join('\n')}
<div class="graph">${inlineSvg(svg)}</div>
<p class="legend">Boxes are ${m.graph.groupBy === 'namespace' ? 'namespaces' : `${m.graph.groupBy}s grouped by namespace`};
grey ellipses are address ranges outside the cluster; an arrow is an allowed new connection, labelled with its ports;
dashed arrows allow every port (typically: neither side is isolated).</p></section>
${findingsSection(m)}
${matrixSection(m)}
${connectionsSection(m)}
${tiersSection(m)}
${policiesSection(m)}
</main>
<script>${FILTER_SCRIPT}</script>
</body>
</html>
`
}
