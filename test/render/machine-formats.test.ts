/** Machine output is valid for its format whatever a value holds (docs/security.md, "Machine output"). */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { parse as parseYaml } from 'yaml'
import { escapeXml } from '../../src/render/xml.js'
import { renderCsv } from '../../src/render/csv.js'
import { renderYaml } from '../../src/render/yaml.js'
import { mdCode, mdText, renderMdTable } from '../../src/render/md.js'
import { checkXml } from './xml-check.js'

/** Any sequence of UTF-16 code units, lone surrogates included. */
const anyText = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 30 }).map((units) => String.fromCharCode(...units))
/** Mostly the characters formats care about, so the interesting cases come up often. */
const trickyText = fc
  .array(
    fc.constantFrom(
      'a',
      ' ',
      '"',
      "'",
      '&',
      '<',
      '>',
      '|',
      '`',
      '\\',
      ',',
      '=',
      '+',
      '-',
      '@',
      '*',
      '_',
      '[',
      ']',
      '\t',
      '\n',
      '\r',
      '\u001b',
      '\u0085',
      '\u202e',
      '\ufffe',
      '\ud800',
      '\udc00',
      '😀',
    ),
    { maxLength: 20 },
  )
  .map((cs) => cs.join(''))
const text = fc.oneof(anyText, trickyText)

/** What XML 1.0 can carry of `s`: characters outside `Char` become U+FFFD. */
function xmlCarried(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
}

/** RFC 4180 reader, enough for one record. */
function readCsvRecord(line: string): string[] {
  const fields: string[] = []
  let i = 0
  for (;;) {
    if (line[i] === '"') {
      let v = ''
      i++
      for (;;) {
        const q = line.indexOf('"', i)
        v += line.slice(i, q)
        if (line[q + 1] === '"') {
          v += '"'
          i = q + 2
        } else {
          i = q + 1
          break
        }
      }
      fields.push(v)
    } else {
      const end = line.indexOf(',', i)
      fields.push(line.slice(i, end < 0 ? line.length : end))
      i = end < 0 ? line.length : end
    }
    if (i >= line.length) return fields
    i++ // the comma
  }
}

describe('JUnit XML text', () => {
  it('is well-formed XML 1.0 in attributes and content, and keeps every character XML can carry', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        const doc = checkXml(`<?xml version="1.0" encoding="UTF-8"?>\n<t name="${escapeXml(a)}"><c v="${escapeXml(b)}"/>${escapeXml(b)}</t>`)
        expect(doc.elements[0].attributes.name).toBe(xmlCarried(a))
        expect(doc.elements[1].attributes.v).toBe(xmlCarried(b))
      }),
    )
  })
})

describe('CSV', () => {
  it('reads back exact; text a spreadsheet would run as a formula gets a leading quote', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        const out = renderCsv(['a', 'b'], [[a, b]])
        const record = out.slice('a,b\n'.length, -1)
        const expected = [a, b].map((v) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v))
        expect(readCsvRecord(record)).toEqual(expected)
      }),
    )
  })

  it('numbers and booleans are written as they are', () => {
    expect(renderCsv(['n', 'b'], [[-1, false]])).toBe('n,b\n-1,false\n')
    expect(renderCsv(['f'], [['=HYPERLINK("http://x")']])).toBe('f\n"\'=HYPERLINK(""http://x"")"\n')
  })
})

describe('YAML', () => {
  it('reads back exact, keys too', () => {
    fc.assert(
      fc.property(text, (s) => {
        fc.pre(!/[\ud800-\udfff]/.test(s)) // the yaml library's reader turns lone surrogates into U+FFFD
        const back = parseYaml(renderYaml({ s, list: [s], map: { [s]: 1 } }))
        expect(back).toEqual({ s, list: [s], map: { [s]: 1 } })
      }),
    )
  })
})

describe('Markdown table cells', () => {
  it('keep the number of columns and show no line break, whatever the text', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        const table = renderMdTable(['x', 'y'], [[mdText(a), mdCode(b)]])
        const lines = table.trimEnd().split('\n')
        expect(lines).toHaveLength(3)
        // Cell separators are the pipes not escaped by a backslash (an escaped backslash before a pipe cannot occur: mdText escapes backslashes).
        expect(lines[2].split(/(?<!\\)\|/).length - 2).toBe(2)
      }),
    )
  })

  it('plain text cannot open a link, an image, a code span or HTML; code spans are fenced past their backticks', () => {
    expect(mdText('![x](http://e/) [y][r] <b>z</b> a&amp; `c` ns/web[Pod]')).toBe('![x\\](http://e/) [y\\][r] \\<b\\>z\\</b\\> a\\&amp; \\`c\\` ns/web[Pod]')
    expect(mdCode('a`b``c')).toBe('```a`b``c```')
    expect(mdCode('`x')).toBe('`` `x ``')
    expect(mdCode('x\ny')).toBe('`x\\ny`')
  })
})
