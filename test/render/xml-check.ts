/**
 * A strict XML 1.0 well-formedness check for the documents netpol writes (elements, attributes,
 * text, comments, the five entities and character references; no DTD or CDATA): throws on the
 * first violation, else returns the elements with their decoded attributes, in document order.
 */

export interface XmlElement {
  readonly name: string
  readonly attributes: Record<string, string>
}

/** XML 1.0 `Char`: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. */
function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
}

const NAME = /^[A-Za-z_:][\w.:-]*/
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

function decode(raw: string, attribute: boolean, at: number): string {
  // Attribute-value normalisation: literal white space becomes a space; references survive.
  const text = attribute ? raw.replace(/[\t\n\r]/g, ' ') : raw
  return text.replace(/&([^;]*);|&|</g, (m, ref: string | undefined) => {
    if (ref === undefined) throw new Error(`XML: raw ${JSON.stringify(m)} near offset ${at}`)
    if (ref in ENTITIES) return ENTITIES[ref]
    const num = /^#x([0-9a-fA-F]+)$/.exec(ref) ?? /^#([0-9]+)$/.exec(ref)
    if (!num) throw new Error(`XML: unknown entity &${ref}; near offset ${at}`)
    const cp = parseInt(num[1], ref.startsWith('#x') ? 16 : 10)
    if (!isXmlChar(cp)) throw new Error(`XML: reference to a character XML cannot carry (&${ref};) near offset ${at}`)
    return String.fromCodePoint(cp)
  })
}

export function checkXml(xml: string): { elements: XmlElement[] } {
  for (let i = 0; i < xml.length;) {
    const cp = xml.codePointAt(i)!
    const lone = cp >= 0xd800 && cp <= 0xdfff
    if (lone || !isXmlChar(cp)) throw new Error(`XML: U+${cp.toString(16).padStart(4, '0')} at offset ${i} is not an XML 1.0 character`)
    i += cp > 0xffff ? 2 : 1
  }
  let i = 0
  const prolog = /^<\?xml [^?]*\?>/.exec(xml)
  if (prolog) i = prolog[0].length
  const stack: string[] = []
  const elements: XmlElement[] = []
  let roots = 0
  while (i < xml.length) {
    const lt = xml.indexOf('<', i)
    const text = xml.slice(i, lt < 0 ? xml.length : lt)
    if (stack.length === 0 && text.trim() !== '') throw new Error(`XML: text outside the root element at offset ${i}`)
    decode(text, false, i)
    if (lt < 0) break
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt + 4)
      if (end < 0 || xml.slice(lt + 4, end).includes('--')) throw new Error(`XML: bad comment at offset ${lt}`)
      i = end + 3
      continue
    }
    i = lt + 1
    if (xml[i] === '/') {
      const name = NAME.exec(xml.slice(i + 1))?.[0]
      if (!name || name !== stack.pop()) throw new Error(`XML: unbalanced end tag at offset ${lt}`)
      i += 1 + name.length
      if (xml[i] !== '>') throw new Error(`XML: bad end tag at offset ${lt}`)
      i++
      continue
    }
    const name = NAME.exec(xml.slice(i))?.[0]
    if (!name) throw new Error(`XML: bad tag at offset ${lt}`)
    if (stack.length === 0 && ++roots > 1) throw new Error('XML: more than one root element')
    i += name.length
    const attributes: Record<string, string> = {}
    for (;;) {
      const ws = /^[ \t\r\n]*/.exec(xml.slice(i))![0]
      i += ws.length
      if (xml.startsWith('/>', i)) {
        i += 2
        break
      }
      if (xml[i] === '>') {
        i++
        stack.push(name)
        break
      }
      if (ws.length === 0) throw new Error(`XML: no space before an attribute at offset ${i}`)
      const attr = /^([A-Za-z_:][\w.:-]*)="([^"]*)"/.exec(xml.slice(i))
      if (!attr) throw new Error(`XML: bad attribute at offset ${i}`)
      if (attr[1] in attributes) throw new Error(`XML: attribute ${attr[1]} twice at offset ${i}`)
      attributes[attr[1]] = decode(attr[2], true, i)
      i += attr[0].length
    }
    elements.push({ name, attributes })
  }
  if (stack.length > 0 || roots !== 1) throw new Error('XML: unclosed element or no root')
  return { elements }
}
