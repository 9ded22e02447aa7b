/** @module An error as the agent's logs and /readyz show it. */

const MAX_ERROR_TEXT = 2000

/** An error's message (and HTTP status), cut to a few lines' worth (nft may echo a long script line). */
export function errorText(err: unknown): string {
  let text: string
  if (err instanceof Error) {
    const code = (err as { statusCode?: number }).statusCode
    text = code ? `${err.message} (HTTP ${code})` : err.message
  } else {
    text = String(err)
  }
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}... (${text.length - MAX_ERROR_TEXT} more characters)` : text
}
