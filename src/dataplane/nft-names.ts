/**
 * @module The names of the chains, sets, maps and counters of one compiled ruleset: unique by construction.
 *
 * nft merges two declarations of the same name in one script (a second `chain x { ... }` appends
 * its rules to the first), so two objects sharing a name would silently mix one policy's rules into
 * another's: a name must never be handed out twice. Names come from one `NftNameAllocator` per
 * compiled ruleset, which keeps the set of names already given and never returns one of them
 * again. Its first choice is readable and stable — `<prefix>_<readable>_<10 hex of a SHA-256 of
 * the exact object>`, so the same object keeps its name from one apply to the next — and when
 * that is taken (a hash collision, which anyone can provoke: 40 bits fall in seconds) it appends
 * `_2`, `_3`, ... until the name is free. Uniqueness therefore never depends on the hash.
 * `NftDeclarations` checks every name again where the script declares it and throws
 * `DuplicateNftNameError` rather than emit a script in which nft would merge two objects.
 *
 * Names use only `[a-z0-9_]` and start with a letter (Kubernetes names may contain `.`, which nft
 * reads as concatenation, and be 253 characters long); the first choice is at most 64 characters,
 * far below nft's limit of 255 bytes (the kernel's NFT_NAME_MAXLEN, 256 with the NUL).
 */
import { createHash } from 'node:crypto'

/** The longest name nft and the kernel accept (NFT_NAME_MAXLEN 256, including the terminating NUL). */
export const NFT_NAME_MAX = 255
const FIRST_CHOICE_MAX = 64
const HASH_CHARS = 10
const NAME_RE = /^[a-z][a-z0-9_]*$/

function shortHash(text: string, chars = HASH_CHARS): string {
  return createHash('sha256').update(text).digest('hex').slice(0, chars)
}

/**
 * `<prefix>_<readable>_<hash>`: the readable, stable first choice for an object's name (only
 * [a-z0-9_], at most 64 characters). NOT unique on its own: use `NftNameAllocator`.
 */
export function preferredNftName(prefix: string, readable: string, exact: string): string {
  const hash = shortHash(exact)
  const room = FIRST_CHOICE_MAX - prefix.length - hash.length - 2
  const clean = readable
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, Math.max(0, room))
    .replace(/_+$/g, '')
  return clean ? `${prefix}_${clean}_${hash}` : `${prefix}_${hash}`
}

/** The compiler was about to declare one nft name twice (a bug): nothing is emitted, nothing applied. */
export class DuplicateNftNameError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DuplicateNftNameError'
  }
}

/** True for a name the compiler may put in a script unquoted: [a-z0-9_], starting with a letter, at most 255 bytes. */
export function isNftName(name: string): boolean {
  return name.length <= NFT_NAME_MAX && NAME_RE.test(name)
}

/** A table name nft reads as one word: a letter or `_`, then letters, digits, `-` and `_`; at most 64 here. */
export function isNftTableName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(name)
}

/**
 * Hands out the names of one ruleset. Every call returns a name that no earlier call (and no
 * reserved name) returned: the first choice when it is free, else the first free `<first>_<n>`.
 * Deterministic: the same calls in the same order give the same names.
 */
export class NftNameAllocator {
  private readonly taken = new Set<string>()

  /** `hashes`: kept across rulesets by the incremental compiler, so an unchanged object's hash is not computed again. */
  constructor(
    reserved: Iterable<string> = [],
    private readonly hashes?: HashMemo,
  ) {
    for (const name of reserved) this.taken.add(name)
  }

  allocate(prefix: string, readable: string, exact: string): string {
    return this.take(this.hashes ? this.hashes.preferred(prefix, readable, exact) : preferredNftName(prefix, readable, exact))
  }

  /**
   * The same for a name made only from an object that never changes (a model Pod or
   * NetworkPolicy): `texts` gives its readable and exact text, asked only when the name is not known.
   */
  allocateFor(owner: object, prefix: string, texts: () => readonly [readable: string, exact: string]): string {
    if (this.hashes) return this.take(this.hashes.preferredFor(owner, prefix, texts))
    const [readable, exact] = texts()
    return this.take(preferredNftName(prefix, readable, exact))
  }

  private take(first: string): string {
    let name = first
    for (let n = 2; this.taken.has(name); n++) name = `${first}_${n}`
    this.taken.add(name)
    return name
  }
}

/**
 * The preferred names of the objects of the last two rulesets (older ones are dropped at
 * `nextRound`, so memory follows what is in use): an unchanged object's name is not hashed again.
 */
export class HashMemo {
  /** exact text -> prefix -> readable -> preferred name. */
  private previous = new Map<string, Map<string, Map<string, string>>>()
  private current = new Map<string, Map<string, Map<string, string>>>()

  /** preferredNftName, remembered. */
  preferred(prefix: string, readable: string, exact: string): string {
    let byExact = this.current.get(exact)
    if (byExact === undefined) this.current.set(exact, (byExact = this.previous.get(exact) ?? new Map<string, Map<string, string>>()))
    let byPrefix = byExact.get(prefix)
    if (byPrefix === undefined) byExact.set(prefix, (byPrefix = new Map<string, string>()))
    let name = byPrefix.get(readable)
    if (name === undefined) byPrefix.set(readable, (name = preferredNftName(prefix, readable, exact)))
    return name
  }

  /** Per object (kept while the object lives): the preferred names made from it, by prefix. */
  private readonly byObject = new WeakMap<object, Map<string, string>>()

  /** preferredNftName of an unchanging object's texts, remembered per object (no text built or hashed again). */
  preferredFor(owner: object, prefix: string, texts: () => readonly [readable: string, exact: string]): string {
    let byPrefix = this.byObject.get(owner)
    if (byPrefix === undefined) this.byObject.set(owner, (byPrefix = new Map()))
    let name = byPrefix.get(prefix)
    if (name === undefined) {
      const [readable, exact] = texts()
      byPrefix.set(prefix, (name = preferredNftName(prefix, readable, exact)))
    }
    return name
  }

  nextRound(): void {
    this.previous = this.current
    this.current = new Map()
  }
}

/** nft's name spaces inside a table: sets and maps share one, chains and named counters have their own. */
export type NftObjectKind = 'chain' | 'set' | 'map' | 'counter'

/**
 * The last check before a name reaches the script: each name is declared once per table (across
 * all kinds, which is stricter than nft), is a plain nft word, and fits nft's length limit.
 */
export class NftDeclarations {
  private readonly owners = new Map<string, { kind: NftObjectKind; who: () => string }>()

  /**
   * Returns `name`; throws DuplicateNftNameError when it was declared before or is not a plain
   * name. `owner` says what the name stands for, in the error (a function: only built when needed).
   */
  declare(kind: NftObjectKind, name: string, owner: string | (() => string)): string {
    const who = (): string => (typeof owner === 'string' ? owner : owner())
    if (!isNftName(name)) {
      throw new DuplicateNftNameError(
        `refusing to emit the ruleset: nft ${kind} name ${JSON.stringify(name)} (${who()}) is not [a-z0-9_] of at most ${NFT_NAME_MAX} bytes`,
      )
    }
    const earlier = this.owners.get(name)
    if (earlier !== undefined) {
      throw new DuplicateNftNameError(
        `refusing to emit the ruleset: the nft name ${name} would be declared twice, as the ${earlier.kind} for ${earlier.who()} and as the ` +
          `${kind} for ${who()}; ` +
          "nft would merge the two and apply one object's rules to the other's traffic",
      )
    }
    this.owners.set(name, { kind, who })
    return name
  }
}

/** A quoted nft string (comments, log prefixes): printable ASCII without `"` or `\`, bounded. */
export function nftString(text: string, maxBytes: number): string {
  return `"${printableAscii(text).slice(0, maxBytes)}"`
}

/** Text safe inside an nft `#` comment or a quoted string: every byte outside printable ASCII, `"` and `\` become `?`. */
export function printableAscii(text: string): string {
  return text.replace(/[^\x20-\x7e]|["\\]/g, '?')
}
