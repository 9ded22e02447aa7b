/**
 * @module Text in XML 1.0 (JUnit reports): markup characters as entities, and the characters XML
 * 1.0 cannot carry at all (most C0 controls, U+FFFE/U+FFFF, lone surrogates) replaced with U+FFFD,
 * so the document always parses, whatever a name holds.
 */

/** Not XML 1.0 `Char`s: C0 controls but tab, LF, CR; U+FFFE/U+FFFF; surrogates not part of a pair. */
const NOT_XML_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

const ENTITY: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // As references, tab and line breaks survive attribute-value normalisation (and CR line-end handling).
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
}

/** `text` for an XML attribute value or element content. */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML_CHAR, '\ufffd').replace(/[&<>"'\t\n\r]/g, (c) => ENTITY[c])
}
