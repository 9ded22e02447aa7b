/**
 * @module Options a command requires, checked in its action: commander checks mandatory options
 * before unknown ones, so `explain --form X` would say that `--from` is missing instead of naming
 * the typo. In the action, unknown options (with commander's "did you mean") have been reported.
 */
import { UsageError } from '../model/errors.js'

/** Throws commander's own message for the first required option not given: `flags` key -> its flags text. */
export function requireOptions(flags: object, required: Readonly<Record<string, string>>): void {
  const given = flags as Record<string, unknown>
  for (const [key, text] of Object.entries(required)) {
    if (given[key] === undefined) throw new UsageError(`required option '${text}' not specified`)
  }
}
