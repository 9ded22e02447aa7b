/** @module JSON output: two-space indented, one trailing newline, key order as built. */
export function renderJson(data: unknown): string {
  return `${JSON.stringify(data, null, 2)}\n`
}
