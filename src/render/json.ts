/**
 * @module JSON output: two-space indented, one trailing newline, key order as built. Exact values;
 * code points a terminal would act on are written as `\uXXXX` escapes (see printable.ts).
 */
import { terminalSafeJson } from '../model/printable.js'

export function renderJson(data: unknown): string {
  return `${terminalSafeJson(JSON.stringify(data, null, 2))}\n`
}
