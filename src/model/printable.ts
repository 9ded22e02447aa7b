/**
 * @module Text from input made safe to print for people: every code point that could drive a
 * terminal (C0 and C1 controls, DEL), break a line (CR, LF, U+2028/9), reorder what is displayed
 * (bidirectional overrides, "Trojan Source") or is not text at all (lone surrogates, U+FFFE/F)
 * is replaced by a visible escape (`\n`, `\x1b`, `\u202e`). The one place where human output is
 * escaped; docs/security.md lists the code points and why.
 */

/**
 * C0 controls and DEL, C1 controls, the Bidi_Control characters (U+061C, U+200E/F,
 * U+202A-U+202E, U+2066-U+2069), line and paragraph separators, the zero-width byte-order mark,
 * the noncharacters U+FFFE/U+FFFF, and surrogates that are not part of a pair.
 */
const UNSAFE_UNITS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]/
const LONE_HIGH_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])/
const LONE_LOW_SURROGATE = /(?<![\ud800-\udbff])[\udc00-\udfff]/
const UNSAFE = new RegExp([UNSAFE_UNITS, LONE_HIGH_SURROGATE, LONE_LOW_SURROGATE].map((r) => r.source).join('|'), 'g')

const NAMED: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' }

function escapeOne(c: string): string {
  const named = NAMED[c]
  if (named) return named
  const code = c.charCodeAt(0)
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/** `text` with every unsafe code point replaced by its escape; safe text is returned as is. */
export function printable(text: string): string {
  UNSAFE.lastIndex = 0
  if (!UNSAFE.test(text)) return text
  UNSAFE.lastIndex = 0
  return text.replace(UNSAFE, escapeOne)
}

/** Whether `text` holds a code point `printable` would escape. */
export function hasUnsafeText(text: string): boolean {
  UNSAFE.lastIndex = 0
  return UNSAFE.test(text)
}

/** What JSON.stringify leaves raw of UNSAFE: it escapes C0 controls and lone surrogates itself. */
const JSON_RAW_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]/g

/**
 * JSON text (from JSON.stringify) with the code points `printable` escapes written as `\uXXXX`:
 * the same values, and safe to print on a terminal. Outside strings JSON.stringify writes only
 * ASCII, so every such code point is inside a string, where the escape means the same.
 */
export function terminalSafeJson(json: string): string {
  JSON_RAW_UNSAFE.lastIndex = 0
  if (!JSON_RAW_UNSAFE.test(json)) return json
  JSON_RAW_UNSAFE.lastIndex = 0
  return json.replace(JSON_RAW_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
