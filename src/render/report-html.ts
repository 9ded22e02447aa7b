/**
 * @module `netpol report` as one self-contained HTML page: inline CSS, the graph as inline SVG,
 * no scripts, no fonts or images to fetch, so it opens offline and can be attached to a CI run.
 */
import type { ReportModel, PolicySection } from '../analyze/report.js'
import type { LintFinding } from '../analyze/lint-rule.js'
import { printable } from '../model/printable.js'

/** Text for HTML text and attribute values: control characters escaped visibly (printable.ts), then the markup characters. */
export function escapeHtml(text: string): string {
  return printable(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;')
}

/** The SVG element alone (Graphviz prepends an XML prolog and a DOCTYPE that HTML must not contain). */
export function inlineSvg(svg: string): string {
  const start = svg.indexOf('<svg')
  return start < 0 ? '' : svg.slice(start).trim()
}

const CSS = `
:root { --fg: #1d2733; --muted: #5b6b7d; --line: #d5dde6; --ok: #e3f4e1; --okfg: #22632a; --no: #fbe9e9; --nofg: #8f1d1d; --warn: #fff4d6; --warnfg: #7a5300; --accent: #2f6fb0; }
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
`

function findingRows(findings: readonly LintFinding[]): string {
  return findings
    .map(
      (f) =>
        `<tr><td class="sev-${f.severity}">${f.severity}</td><td><code>${escapeHtml(f.ruleId)}</code></td><td class="mono">${escapeHtml(`${f.file}:${f.line}`)}</td><td>${escapeHtml(f.object)}${f.field ? ` <code>${escapeHtml(f.field)}</code>` : ''}</td><td>${escapeHtml(f.message)}<div class="fix">fix: ${escapeHtml(f.hint)}</div></td></tr>`,
    )
    .join('\n')
}

function findingsSection(m: ReportModel): string {
  const errors = m.findings.filter((f) => f.severity === 'error').length
  const body =
    m.findings.length === 0
      ? '<p class="empty">No lint findings.</p>'
      : `<table id="findings-table" class="findings"><thead><tr><th>severity</th><th>rule</th><th>where</th><th>object</th><th>message</th></tr></thead><tbody>\n${findingRows(m.findings)}\n</tbody></table>`
  return `<section id="findings"><h2>Lint findings (${errors} error${errors === 1 ? '' : 's'}, ${m.findings.length - errors} warning${m.findings.length - errors === 1 ? '' : 's'})</h2>${body}</section>`
}

function matrixSection(m: ReportModel): string {
  const { matrix } = m
  if (matrix.groups.length === 0 || matrix.ports.length === 0) {
    return '<section id="matrix"><h2>Matrix</h2><p class="muted">No pods with container ports in the input: nothing to probe.</p></section>'
  }
  const cell = new Map<string, { allowed: string[]; partial: string[]; total: number }>()
  for (const c of matrix.connections) {
    const key = `${c.from}\u0000${c.to}`
    const entry = cell.get(key) ?? { allowed: [], partial: [], total: 0 }
    entry.total++
    if (c.allowed) entry.allowed.push(`${c.port}/${c.protocol}`)
    else if (c.partial) entry.partial.push(`${c.port}/${c.protocol}`)
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
      const title = `${from} -> ${to}: ${e.allowed.length ? `allowed ${e.allowed.join(', ')}` : 'nothing allowed'}${e.partial.length ? `; some pods only: ${e.partial.join(', ')}` : ''}`
      return `<td class="${cls}" title="${escapeHtml(title)}">${text ? escapeHtml(text) : '✗'}</td>`
    })
    return `<tr><th class="row" title="${escapeHtml(from)}">${escapeHtml(short(from))}</th>${tds.join('')}</tr>`
  })
  return `<section id="matrix"><h2>Matrix (by ${matrix.groupBy}, ports ${matrix.ports.map((p) => `${p.port}/${p.protocol}`).join(', ')})</h2>
<div style="overflow:auto"><table class="matrix"><thead>${head}</thead><tbody>${rows.join('\n')}</tbody></table></div>
<p class="legend">Rows may open connections to columns: ✓ on every probed port (every declared containerPort), else the ports listed; ✗ none; ~ only some of the pod pairs (e.g. replicas with different labels). Hover for details.</p></section>`
}

function connectionsSection(m: ReportModel): string {
  const rows = m.connectivity.edges.map(
    (e) => `<tr><td class="mono">${escapeHtml(e.from)}</td><td class="mono">${escapeHtml(e.to)}</td><td>${escapeHtml(e.ports)}</td></tr>`,
  )
  return `<section id="connections"><h2>Allowed connections (${m.connectivity.edges.length})</h2>
<p class="legend">Every port of every protocol is covered; addresses outside the cluster are shown as ranges cut at every ipBlock boundary.</p>
<table><thead><tr><th>from</th><th>to</th><th>ports</th></tr></thead><tbody>${rows.join('\n')}</tbody></table></section>`
}

function policySection(p: PolicySection): string {
  const rules = p.rules.map((r) => {
    const peers = r.peers.length === 0 ? `every ${r.direction === 'ingress' ? 'source' : 'destination'}` : r.peers
      .map((peer) => `${escapeHtml(peer.text)} <span class="muted">(line ${peer.line}; ${peer.matches.length ? `matches ${escapeHtml(peer.matches.join(', '))}${peer.throughAssumedIps ? ' by pod IPs netpol assumed: the manifests have none, --pod-cidr' : ''}` : 'matches no pod in the input'})</span>`)
      .join('<br>')
    const ports = r.ports.length === 0 ? 'every port' : escapeHtml(r.ports.join(', '))
    return `<li><b>${r.direction}[${r.index}]</b> <span class="muted">line ${r.line}</span>: ${r.direction === 'ingress' ? 'from' : 'to'} ${peers}<br>on ${ports}</li>`
  })
  const denies = p.deniesAll.map((d) => `<li><b>${d}</b>: no rules, so it denies all ${d.toLowerCase()} of the selected pods</li>`)
  const findings = p.findings.length
    ? `<table class="findings"><tbody>${findingRows(p.findings)}</tbody></table>`
    : ''
  return `<section class="policy" id="${escapeHtml(p.anchor)}"><h3>${escapeHtml(`${p.namespace}/${p.name}`)}</h3>
<p class="mono muted">${escapeHtml(`${p.file}:${p.line}`)} · policyTypes ${escapeHtml(p.policyTypes.join(', '))}</p>
<p><b>Selects</b> <code>${escapeHtml(p.podSelector)}</code> in namespace ${escapeHtml(p.namespace)}: ${p.selects.length ? escapeHtml(p.selects.join(', ')) : '<span class="sev-warning">no pod in the input</span>'}${p.selectedPods ? ` <span class="muted">(${p.selectedPods} pod${p.selectedPods === 1 ? '' : 's'})</span>` : ''}</p>
<p><b>Allows</b></p><ul class="rules">${[...denies, ...rules].join('\n') || '<li>nothing</li>'}</ul>
${findings}</section>`
}

export function renderReportHtml(m: ReportModel, svg: string): string {
  const errors = m.findings.filter((f) => f.severity === 'error').length
  const warnings = m.findings.length - errors
  const counts = [
    [m.counts.namespaces, 'namespaces'],
    [m.counts.pods, 'pods'],
    [m.counts.groups, `${m.groupBy === 'pod' ? 'pods' : m.groupBy === 'namespace' ? 'namespaces' : 'workloads'}`],
    [m.counts.policies, 'policies'],
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
<nav><a href="#graph">Graph</a><a href="#findings">Findings</a><a href="#matrix">Matrix</a><a href="#connections">Connections</a><a href="#policies">Policies</a></nav>
<main>
<section id="summary"><ul class="counts">${counts.map(([n, what]) => `<li><b>${n}</b>${escapeHtml(String(what))}</li>`).join('')}</ul></section>
<section id="graph"><h2>Who may connect to whom (by ${m.graph.groupBy})</h2>
${m.notes.map((n) => `<p class="muted">${escapeHtml(n)}</p>`).join('\n')}
<div class="graph">${inlineSvg(svg)}</div>
<p class="legend">Boxes are ${m.graph.groupBy === 'namespace' ? 'namespaces' : `${m.graph.groupBy}s grouped by namespace`}; grey ellipses are address ranges outside the cluster; an arrow is an allowed new connection, labelled with its ports; dashed arrows allow every port (typically: neither side is isolated).</p></section>
${findingsSection(m)}
${matrixSection(m)}
${connectionsSection(m)}
<section id="policies"><h2>Policies (${m.policies.length})</h2>${m.policies.length === 0 ? '<p class="muted">No NetworkPolicy in the input: every connection is allowed.</p>' : `<p>${m.policies.map((p) => `<a href="#${escapeHtml(p.anchor)}">${escapeHtml(`${p.namespace}/${p.name}`)}</a>`).join(' · ')}</p>`}</section>
${m.policies.map(policySection).join('\n')}
</main>
</body>
</html>
`
}
