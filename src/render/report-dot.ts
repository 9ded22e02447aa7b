/**
 * @module The report's graph in Graphviz DOT: namespaces as boxes, workloads (or pods) inside,
 * address ranges outside the cluster as grey ellipses, one arrow per allowed connection labelled
 * with its ports. Rendered to SVG with Graphviz (WebAssembly) by the report command.
 */
import type { Connectivity } from '../analyze/connectivity.js'
import { printable } from '../model/printable.js'

/**
 * A DOT quoted string of one or more lines. Each line is escaped like terminal text first (no
 * control character reaches Graphviz or the SVG), then backslashes and quotes are escaped, so a
 * name can neither end the string nor use Graphviz's `\N`, `\G`, `\l` escapes.
 */
function dotString(...lines: string[]): string {
  return `"${lines.map((l) => printable(l).replaceAll('\\', '\\\\').replaceAll('"', '\\"')).join('\\n')}"`
}

/** Short label for an edge: long port lists are cut so the graph stays readable. */
function edgeLabel(ports: string, allPorts: boolean): string {
  if (allPorts) return 'all ports'
  return ports.length > 36 ? `${ports.slice(0, 33)}...` : ports
}

export function renderConnectivityDot(c: Connectivity): string {
  const lines: string[] = [
    'digraph netpol {',
    '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, bgcolor="white", pad=0.3, nodesep=0.35, ranksep=1.1];',
    '  node [shape=box, style="rounded,filled", fillcolor="#e8f1fb", color="#2f6fb0", fontname="Helvetica", fontsize=11];',
    '  edge [color="#3b8a3b", fontname="Helvetica", fontsize=9, fontcolor="#2d5d2d", arrowsize=0.7];',
  ]
  const ids = new Map<string, string>()
  const id = (label: string) => {
    let v = ids.get(label)
    if (!v) {
      v = `n${ids.size}`
      ids.set(label, v)
    }
    return v
  }
  const byNamespace = new Map<string, typeof c.groups>()
  for (const g of c.groups) byNamespace.set(g.namespace, [...(byNamespace.get(g.namespace) ?? []), g])
  let cluster = 0
  for (const [ns, groups] of [...byNamespace.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (c.groupBy === 'namespace') {
      for (const g of groups) lines.push(`  ${id(g.label)} [label=${dotString(g.name)}, shape=folder];`)
      continue
    }
    lines.push(`  subgraph cluster_${cluster++} {`)
    lines.push(`    label=${dotString(`namespace ${ns}`)}; style="rounded,dashed"; color="#8a9bb0"; fontcolor="#44546a";`)
    for (const g of groups) {
      const short = g.name.startsWith(`${ns}/`) ? g.name.slice(ns.length + 1) : g.name
      lines.push(`    ${id(g.label)} [label=${dotString(short, `${g.kind}${g.pods.length > 1 ? ` x${g.pods.length}` : ''}`)}, tooltip=${dotString(g.label)}];`)
    }
    lines.push('  }')
  }
  const externals = [...new Set(c.edges.flatMap((e) => (e.external === 'from' ? [e.from] : e.external === 'to' ? [e.to] : [])))].sort()
  for (const x of externals) lines.push(`  ${id(`ext:${x}`)} [label=${dotString(x)}, shape=ellipse, style=filled, fillcolor="#eeeeee", color="#888888"];`)
  for (const e of c.edges) {
    const from = id(e.external === 'from' ? `ext:${e.from}` : e.from)
    const to = id(e.external === 'to' ? `ext:${e.to}` : e.to)
    const style = e.allPorts ? ', style=dashed, color="#9aa59a"' : ''
    lines.push(`  ${from} -> ${to} [label=${dotString(edgeLabel(e.ports, e.allPorts))}, tooltip=${dotString(`${e.from} -> ${e.to}: ${e.ports}`)}${style}];`)
  }
  lines.push('}')
  return `${lines.join('\n')}\n`
}
