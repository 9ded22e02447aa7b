/**
 * @module Markdown (GitHub-flavoured) tables, for pasting into pull requests and issues. Text from
 * input goes in through `mdText` or `mdCode`, so a name cannot add links, images, HTML or line
 * breaks to the comment; the table itself escapes pipes.
 */
import { printable } from '../model/printable.js'

/**
 * What could make a name more than text in a comment: HTML and autolinks (`<`, `>`), entity
 * references (`&`), code spans (backtick), escapes (backslash), and the `](` / `][` that close a
 * link or an image. Emphasis characters are left alone: at worst they change the look of a name.
 * (Pipes are the table's: see `tableCell`.)
 */
const MD_SPECIAL = /[\\`<>&]|\](?=[([])/g

/** Plain text as inline Markdown: control characters escaped as for a terminal, specials backslash-escaped. */
export function mdText(text: string): string {
  return printable(text).replace(MD_SPECIAL, (c) => `\\${c}`)
}

/** Text as a code span, fenced with more backticks than it holds (HTML and emphasis stay literal there). */
export function mdCode(text: string): string {
  const safe = printable(text)
  const longest = Math.max(0, ...(safe.match(/`+/g) ?? []).map((run) => run.length))
  const fence = '`'.repeat(longest + 1)
  const pad = safe.startsWith('`') || safe.endsWith('`') ? ' ' : ''
  return `${fence}${pad}${safe}${pad}${fence}`
}

/** Inline Markdown as a table cell: `\|` (GFM reads it as a pipe, in code spans too), and never a line break. */
function tableCell(markdown: string): string {
  return markdown.replaceAll('|', '\\|').replace(/\r?\n|\r/g, ' ')
}

/** Cells are inline Markdown: build them with `mdText`/`mdCode` (header cells are netpol's own text or built the same way). */
export function renderMdTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(tableCell).join(' | ')} |`
  return [line(header), `|${header.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n') + '\n'
}
