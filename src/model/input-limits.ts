/**
 * @module The bounds on manifest input (docs/manifests.md, "Limits"). Input is untrusted: without
 * them one file can exhaust the stack (deep nesting), memory (huge files, huge replica counts) or
 * time.
 */

/** Maps and lists nested in one document, the root counting as 1. Real objects stay far below (a CRD schema: ~60). */
export const MAX_NESTING_DEPTH = 256

/** Default of `--max-pods`: pods read or made from workloads, over all inputs. */
export const DEFAULT_MAX_PODS = 100_000

/** Default of `--max-file-size`: bytes of one file or of stdin. */
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024

/**
 * Texts the full YAML reader takes. It needs 10 to 40 times a text's size in memory (a long
 * double-quoted string is the worst), so larger files must stay within the fast paths (strict
 * JSON, and the YAML kubectl and generators write), which need about twice.
 */
export const MAX_FULL_YAML_CHARS = 16 * 1024 * 1024

/** A byte count the way users write it: `64Mi`, `1Gi`, `500k`, `1000000`. */
export function formatBytes(n: number): string {
  for (const [unit, size] of [
    ['Gi', 1024 ** 3],
    ['Mi', 1024 ** 2],
    ['Ki', 1024],
  ] as const) {
    if (n >= size && n % size === 0) return `${n / size}${unit}`
  }
  return `${n} bytes`
}

const UNITS: Readonly<Record<string, number>> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }

/** Parses a size such as `64Mi`, `100M`, `1Gi` or plain bytes; undefined when it is not one. */
export function parseBytes(text: string): number | undefined {
  const m = /^([0-9]+)(|k|K|M|G|Ki|Mi|Gi)$/.exec(text.trim())
  if (!m) return undefined
  const n = Number(m[1]) * UNITS[m[2]]
  return Number.isSafeInteger(n) ? n : undefined
}
