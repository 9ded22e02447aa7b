/**
 * @module The reachability truth table, as the upstream Kubernetes e2e tests print it: one grid per
 * port, rows are sources, columns destinations, `.` allowed and `X` denied.
 *
 * Small matrices get `ns/pod` column headers. Larger ones number the pods (the row labels carry the
 * number) and write the numbers vertically above the columns, one character per column, so 100
 * pods stay about 140 characters wide; when a width is given, wider grids are split into blocks of
 * destination columns, each with a note saying which columns it holds. Namespaces are separated by
 * a blank column and a blank line.
 */
import { qualifiedName, type Pod } from '../model/types.js'
import { printable } from '../model/printable.js'
import { matrixOutcome, type MatrixResult } from '../analyze/matrix.js'
import type { Outcome } from '../engine/verdict.js'
import { formatPort } from '../model/describe.js'

export interface MatrixTableOptions {
  /** ANSI colours for the cells (callers decide with useColour). */
  readonly colour?: boolean
  /** Maximum line width; wider grids are split into blocks of columns. Absent or 0: no limit. */
  readonly width?: number
  /** Column headers: full names, pod numbers, or names when they fit (default). */
  readonly headers?: 'auto' | 'names' | 'index'
}

export const ALLOWED_MARK = '.'
export const DENIED_MARK = 'X'
/** Only with ClusterNetworkPolicies: a same-priority conflict, and a result that depends on DNS or node addresses. */
export const UNDEFINED_MARK = 'U'
export const UNKNOWN_MARK = '?'
const MARKS: Readonly<Record<Outcome, string>> = { allowed: ALLOWED_MARK, denied: DENIED_MARK, undefined: UNDEFINED_MARK, unknown: UNKNOWN_MARK }

/** The legend's marks sentence. */
function legend(m: MatrixResult): string {
  const base = `${ALLOWED_MARK} allowed, ${DENIED_MARK} denied`
  if (!m.tiered) return `${base}.`
  return (
    `${base}, ${UNDEFINED_MARK} undefined (ClusterNetworkPolicies of one tier and priority match with different actions), ` +
    `${UNKNOWN_MARK} unknown (depends on DNS names or node addresses netpol cannot see); neither ${UNDEFINED_MARK} nor ${UNKNOWN_MARK} is ` +
    `counted as allowed.`
  )
}
/** Width used to decide between name and number headers when no width is given. */
const AUTO_NAMES_WIDTH = 120
/** Below this many columns of room, splitting would not help; print one wide grid instead. */
const MIN_BLOCK_COLUMNS = 8

const GREEN = '\u001b[32m'
const RED = '\u001b[31m'
const YELLOW = '\u001b[33m'
const RESET = '\u001b[0m'

interface Group {
  /** As printed (escaped). */
  readonly namespace: string
  /** Pod indices, consecutive. */
  readonly members: readonly number[]
}

function groupsOf(pods: readonly Pod[], columns: readonly number[]): Group[] {
  const groups: { namespace: string; members: number[] }[] = []
  for (const i of columns) {
    const last = groups[groups.length - 1]
    if (last && pods[last.members[0]].namespace === pods[i].namespace) last.members.push(i)
    else groups.push({ namespace: printable(pods[i].namespace), members: [i] })
  }
  return groups
}

function mark(outcome: Outcome): string {
  return MARKS[outcome]
}

/** Colours runs of marks (one escape pair per run, not per cell, keeps large grids small). */
function paint(cells: string, colour: boolean): string {
  if (!colour) return cells
  return cells
    .replace(/\.+/g, (run) => `${GREEN}${run}${RESET}`)
    .replace(/X+/g, (run) => `${RED}${run}${RESET}`)
    .replace(/[U?]+/g, (run) => `${YELLOW}${run}${RESET}`)
}

export function renderMatrixTable(m: MatrixResult, options: MatrixTableOptions = {}): string {
  if (m.pods.length === 0) return 'No pods: nothing to show.\n'
  if (m.ports.length === 0) return 'No ports to probe.\n'
  // Names are validated, but a lab's state or a live cluster could still hand over anything: printed escaped.
  const names = m.pods.map((p) => printable(qualifiedName(p)))
  const all = m.pods.map((_, i) => i)
  const width = options.width && options.width > 0 ? options.width : undefined
  const useNames = options.headers === 'names' || ((options.headers ?? 'auto') === 'auto' && namesWidth(m.pods, names) <= (width ?? AUTO_NAMES_WIDTH))
  const out: string[] = []
  out.push(
    useNames
      ? `Rows are sources (from), columns destinations (to); ${legend(m)}`
      : `Rows are sources (from), columns destinations (to), numbered like the rows; ${legend(m)}`,
  )
  m.ports.forEach((port, p) => {
    const counts: Record<Outcome, number> = { allowed: 0, denied: 0, undefined: 0, unknown: 0 }
    for (let i = 0; i < m.pods.length; i++) for (let j = 0; j < m.pods.length; j++) counts[matrixOutcome(m, i, j, p)]++
    const extra = (counts.undefined > 0 ? `, ${counts.undefined} undefined` : '') + (counts.unknown > 0 ? `, ${counts.unknown} unknown` : '')
    out.push('', `${formatPort(port)}: ${counts.allowed} of ${m.pods.length * m.pods.length} connections allowed${extra}`)
    if (useNames) {
      out.push(...namesGrid(m, names, p, options.colour ?? false))
      return
    }
    const labelW = labelWidth(names)
    const cw = columnWidth(m.pods, labelW, width)
    const blocks = columnBlocks(m.pods, all, labelW, cw, width)
    blocks.forEach((cols, b) => {
      if (blocks.length > 1) {
        out.push(
          `(destinations ${cols[0] + 1}-${cols[cols.length - 1] + 1} of ${m.pods.length}, block ${b + 1} of ${blocks.length}, split to fit ${width} columns)`,
        )
      }
      out.push(...indexGrid(m, names, cols, p, cw, width ?? AUTO_NAMES_WIDTH, options.colour ?? false))
      if (b < blocks.length - 1) out.push('')
    })
  })
  return out.join('\n') + '\n'
}

function namesWidth(pods: readonly Pod[], names: readonly string[]): number {
  const w = Math.max(...names.map((n) => n.length))
  return (
    w +
    1 +
    pods.length * (w + 1) +
    groupsOf(
      pods,
      pods.map((_, i) => i),
    ).length -
    1
  )
}

function namesGrid(m: MatrixResult, names: readonly string[], p: number, colour: boolean): string[] {
  const w = Math.max(...names.map((n) => n.length))
  const groups = groupsOf(
    m.pods,
    m.pods.map((_, i) => i),
  )
  const lines: string[] = []
  const header = groups.map((g) => g.members.map((j) => names[j].padEnd(w)).join(' ')).join('  ')
  lines.push(`${''.padEnd(w)} ${header}`.trimEnd())
  const before = Math.floor((w - 1) / 2)
  groups.forEach((rowGroup, gi) => {
    if (gi > 0) lines.push('')
    for (const i of rowGroup.members) {
      const cells = groups
        .map((g) => g.members.map((j) => ' '.repeat(before) + mark(matrixOutcome(m, i, j, p)) + ' '.repeat(w - 1 - before)).join(' '))
        .join('  ')
      lines.push(`${names[i].padEnd(w)} ${paint(cells.trimEnd(), colour)}`)
    }
  })
  return lines
}

function digits(n: number): number {
  return String(n).length
}

function rowLabel(names: readonly string[], i: number): string {
  return `${String(i + 1).padStart(digits(names.length))} ${names[i]}`
}

function labelWidth(names: readonly string[]): number {
  return Math.max(...names.map((_, i) => rowLabel(names, i).length))
}

/**
 * Characters per column: room for the pod number written across (and a space) when the whole grid
 * then fits the width (120 when there is none), else one character with numbers written downwards.
 */
function columnWidth(pods: readonly Pod[], labelW: number, width: number | undefined): number {
  const cw = digits(pods.length) + 1
  const gaps =
    groupsOf(
      pods,
      pods.map((_, i) => i),
    ).length - 1
  return labelW + 1 + pods.length * cw + gaps <= (width ?? AUTO_NAMES_WIDTH) ? cw : 1
}

/** Splits the destination columns into blocks whose lines fit `width`. */
function columnBlocks(pods: readonly Pod[], columns: readonly number[], labelW: number, cw: number, width: number | undefined): number[][] {
  const room = width === undefined ? Infinity : width - labelW - 1
  if (room < MIN_BLOCK_COLUMNS * cw) return [[...columns]]
  const blocks: number[][] = []
  let current: number[] = []
  let used = 0
  for (const j of columns) {
    const newGroup = current.length > 0 && pods[current[current.length - 1]].namespace !== pods[j].namespace
    let cost = newGroup ? cw + 1 : cw
    if (current.length > 0 && used + cost > room) {
      blocks.push(current)
      current = []
      used = 0
      cost = cw
    }
    used += cost
    current.push(j)
  }
  if (current.length > 0) blocks.push(current)
  return blocks
}

function indexGrid(m: MatrixResult, names: readonly string[], cols: readonly number[], p: number, cw: number, limit: number, colour: boolean): string[] {
  const labelW = labelWidth(names)
  const d = digits(names.length)
  const groups = groupsOf(m.pods, cols)
  const pad = ''.padEnd(labelW)
  const lines: string[] = []
  // With numbers written across, narrow namespace groups are widened to show their whole name when the grid still fits.
  const wide = groups.map((g) => Math.max(g.members.length * cw, g.namespace.length))
  const widen = cw > 1 && labelW + 1 + wide.reduce((a, b) => a + b, 0) + groups.length - 1 <= limit
  const gw = groups.map((g, gi) => (widen ? wide[gi] : g.members.length * cw))
  const extra = (gi: number) => ' '.repeat(gw[gi] - groups[gi].members.length * cw)
  // Namespace names above their columns, cut to the group's width when longer (then named in full below).
  const cut = groups.filter((g, gi) => g.namespace.length > gw[gi])
  lines.push(`${pad} ${groups.map((g, gi) => fit(g.namespace, gw[gi])).join(' ')}`.trimEnd())
  if (cw > 1) {
    lines.push(`${pad} ${groups.map((g, gi) => g.members.map((j) => String(j + 1).padStart(cw)).join('') + extra(gi)).join(' ')}`.trimEnd())
  } else {
    for (let k = 0; k < d; k++) {
      // Leading digit rows that are blank in this block (all numbers short) are left out.
      if (cols.every((j) => String(j + 1).padStart(d)[k] === ' ')) continue
      lines.push(`${pad} ${groups.map((g) => g.members.map((j) => String(j + 1).padStart(d)[k]).join('')).join(' ')}`.trimEnd())
    }
  }
  const rowGroups = groupsOf(
    m.pods,
    m.pods.map((_, i) => i),
  )
  rowGroups.forEach((rg, gi) => {
    if (gi > 0) lines.push('')
    for (const i of rg.members) {
      const cells = groups.map((g, gi) => g.members.map((j) => ' '.repeat(cw - 1) + mark(matrixOutcome(m, i, j, p))).join('') + extra(gi)).join(' ')
      lines.push(`${rowLabel(names, i).padEnd(labelW)} ${paint(cells.trimEnd(), colour)}`)
    }
  })
  if (cut.length > 0) {
    const columns = (g: (typeof cut)[number]): string => `${g.members[0] + 1}${g.members.length > 1 ? `-${g.members[g.members.length - 1] + 1}` : ''}`
    lines.push(`(${cut.map((g) => `${fit(g.namespace, gw[groups.indexOf(g)]).trim()} = ${g.namespace} (${columns(g)})`).join(', ')})`)
  }
  return lines
}

function fit(text: string, width: number): string {
  if (text.length <= width) return text.padEnd(width)
  if (width <= 1) return text.slice(0, width)
  return `${text.slice(0, width - 1)}~`
}
