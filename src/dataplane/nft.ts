/**
 * @module Running nft: apply a compiled ruleset atomically, check it, delete the table, read counters.
 *
 * Usage:
 * ```ts
 * const { script, index } = compileRuleset(state, { nodeName })
 * await applyRuleset(script, { netns: 'netpol-lab1-node-1' })          // one transaction
 * await applyRuleset(script, { netns, check: true })                   // `nft --check`: validate only
 * const counts = await readPolicyCounters(index, { netns })
 * await deleteTable({ netns })
 * ```
 * `applyRuleset` replaces the table in one `nft -f -` transaction, with the new ruleset standing
 * in a second table (`<table>_standin`) around it, so that no packet meets only the table being
 * replaced (see `applyRuleset`). On failure it throws `NftError` carrying nft's own message (with
 * the offending line) and the previous ruleset stays in force. By default it carries the deny-log
 * records of the table being replaced over into the new one (same transaction), so a policy
 * change does not wipe the log of denied connections.
 * With `netns`, nft runs inside that network namespace via `ip netns exec`.
 * `applyRulesetDelta` applies the difference between two compiled rulesets (ruleset-delta.ts) as
 * one transaction instead, leaving every unchanged object (and its counter values) in place.
 */
import { spawn } from 'node:child_process'
import { statSync } from 'node:fs'
import type { Socket } from 'node:net'
import { DEFAULT_TABLE_NAME, denySetName, type RulesetIndex } from './compile-ruleset.js'
import type { Side } from '../model/describe.js'
import type { ClusterConflictCounter, ClusterRuleCounter } from './compile-cluster-tiers.js'
import { isNftName, isNftTableName } from './nft-names.js'

export interface NftTarget {
  /** Network namespace name (as in `ip netns list`); absent: the current namespace. */
  readonly netns?: string
  /** @default 'netpol' */
  readonly tableName?: string
}

export interface ApplyOptions extends NftTarget {
  /** Only check the script (`nft --check`): nothing is changed. */
  readonly check?: boolean
  /** Keep the denied-connection records of the table being replaced. @default true */
  readonly keepDenyLog?: boolean
}

/** nft refused or failed; `stderr` is nft's own message (it names the script line). */
export class NftError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(message)
    this.name = 'NftError'
  }
}

interface RunResult {
  readonly stdout: string
  readonly stderr: string
  readonly code: number | null
}

/**
 * A network namespace name as `ip netns` takes it (a file name under /run/netns): no `/`, not `.`
 * or `..`, no leading `-` (it would read as an option), printable ASCII without spaces.
 */
function isNetnsName(name: string): boolean {
  return /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,254}$/.test(name) && name !== '.' && name !== '..'
}

/**
 * Argument vectors go to `spawn` directly, never through a shell. nft itself joins its arguments
 * into one command line and parses it, so every word from outside (the table, set and namespace
 * names) is checked to be a plain word first: `x; flush ruleset` must never become a command.
 */
function commandFor(args: readonly string[], netns: string | undefined): { cmd: string; argv: string[] } {
  if (netns !== undefined && !isNetnsName(netns)) throw new NftError(`invalid network namespace name ${JSON.stringify(netns)}`, '', null)
  return netns === undefined ? { cmd: 'nft', argv: [...args] } : { cmd: 'ip', argv: ['netns', 'exec', netns, 'nft', ...args] }
}

function tableOf(target: { tableName?: string }): string {
  const table = target.tableName ?? DEFAULT_TABLE_NAME
  if (!isNftTableName(table)) throw new NftError(`invalid nft table name ${JSON.stringify(table)}`, '', null)
  return table
}

function where(netns: string | undefined): string {
  return netns === undefined ? '' : ` in network namespace ${netns}`
}

/** How long one nft run may take: a 0.5 MB ruleset loads in well under a second; a hung nft must not stall its caller forever. */
export const NFT_TIMEOUT_MS = 120_000

/** One nft process, started; it waits on its stdin until `run` hands it its input. */
interface StartedNft {
  /** Writes the input, closes stdin and resolves when nft has exited (never rejects for a non-zero exit). */
  run(input: string, timeoutMs?: number): Promise<RunResult>
  /** Still waiting for its input: not exited, not run. */
  readonly waiting: boolean
  /** Ends a process that was never run: an empty input, on which nft does nothing. */
  dispose(): void
}

/**
 * Starts nft (in a namespace when asked) with its stdin open. Until `run`, the process and its pipes
 * do not keep Node's event loop alive, so a process waiting there never holds up an exit.
 */
function startNft(args: readonly string[], netns: string | undefined): StartedNft {
  const { cmd, argv } = commandFor(args, netns)
  const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] })
  const out: Buffer[] = []
  const err: Buffer[] = []
  let spawnError: NodeJS.ErrnoException | undefined
  let exit: { code: number | null } | undefined
  const ended: ((code: number | null) => void)[] = []
  let used = false
  child.stdout.on('data', (b: Buffer) => out.push(b))
  child.stderr.on('data', (b: Buffer) => err.push(b))
  child.on('error', (e: NodeJS.ErrnoException) => {
    spawnError = e
    for (const f of ended.splice(0)) f(null)
  })
  child.on('close', (code) => {
    exit = { code }
    for (const f of ended.splice(0)) f(code)
  })
  // nft may exit before reading everything (e.g. bad netns): ignore EPIPE, the exit code tells.
  child.stdin.on('error', () => {})
  const handles = [child, child.stdin as Socket, child.stdout as Socket, child.stderr as Socket]
  for (const h of handles) h.unref()
  return {
    get waiting() {
      return !used && exit === undefined && spawnError === undefined
    },
    dispose() {
      if (used) return
      used = true
      child.stdin.end('')
    },
    run(input, timeoutMs = NFT_TIMEOUT_MS) {
      used = true
      for (const h of handles) h.ref()
      return new Promise((resolve, reject) => {
        let timedOut = false
        const timer = setTimeout(() => {
          timedOut = true
          child.kill('SIGKILL')
        }, timeoutMs)
        const done = (code: number | null): void => {
          clearTimeout(timer)
          if (spawnError !== undefined) {
            const e = spawnError
            reject(e.code === 'ENOENT' ? new NftError(`cannot run ${cmd}: not installed (install the nftables and iproute2 packages)`, '', null) : e)
            return
          }
          const stderr = Buffer.concat(err).toString('utf8')
          resolve({
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: timedOut ? `${stderr}nft did not finish within ${timeoutMs / 1000} s and was stopped\n` : stderr,
            code: timedOut ? null : code,
          })
        }
        if (spawnError !== undefined || exit !== undefined) done(exit?.code ?? null)
        else {
          ended.push(done)
          child.stdin.end(input)
        }
      })
    },
  }
}

/**
 * Runs nft (in a namespace when asked) with optional stdin; never throws for a non-zero exit. An nft
 * still running after `timeoutMs` is killed and reported as failed (code null): the caller's error
 * path runs (the agent keeps the ruleset in force and retries with a full replace).
 */
export function runNft(args: readonly string[], options: { netns?: string; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  try {
    return startNft(args, options.netns).run(options.input ?? '', options.timeoutMs)
  } catch (e) {
    return Promise.reject(e)
  }
}

/**
 * `nft -f -` started ahead of its script. Starting a process from the agent costs time on the
 * critical path: forking copies the page tables of a large process (and blocks its event loop), and
 * `ip netns exec` and nft's own start-up take a few milliseconds more. `WarmNft` keeps one `nft -f -`
 * started and waiting on its stdin (nft reads its whole input before it touches the kernel), so an
 * update only writes its script; the next one is started once the event loop is free again.
 * Each run is still its own process and its own transaction, exactly as `runNft(['-f', '-'])`.
 */
export class WarmNft {
  private next: { readonly nft: StartedNft; readonly namespace: string | undefined } | undefined
  private preparing = false
  private stopped = false
  constructor(private readonly netns?: string) {
    // Checked here, as runNft checks it: a bad name is refused before anything is started.
    commandFor([], netns)
  }

  /**
   * Which namespace the name stands for now (device and inode of /run/netns/<name>): a process
   * that entered a namespace since deleted and made again under the same name must not be used.
   */
  private namespaceId(): string | undefined {
    if (this.netns === undefined) return undefined
    try {
      const st = statSync(`/run/netns/${this.netns}`)
      return `${st.dev}:${st.ino}`
    } catch {
      return 'none'
    }
  }

  /** `nft -f -` with this input: the waiting process when there is one (else a new one); then the next is started. */
  async run(input: string, timeoutMs?: number): Promise<RunResult> {
    this.stopped = false
    const ready = this.next
    this.next = undefined
    let nft: StartedNft
    if (ready !== undefined && ready.nft.waiting && ready.namespace === this.namespaceId()) nft = ready.nft
    else {
      ready?.nft.dispose()
      nft = startNft(['-f', '-'], this.netns)
    }
    try {
      return await nft.run(input, timeoutMs)
    } finally {
      this.prepare()
    }
  }

  /** Starts the next process once the event loop is free (not while the caller's continuation is on the critical path). */
  private prepare(): void {
    if (this.preparing) return
    this.preparing = true
    setImmediate(() => {
      this.preparing = false
      if (this.stopped || this.next?.nft.waiting === true) return
      try {
        const namespace = this.namespaceId()
        this.next = { nft: startNft(['-f', '-'], this.netns), namespace }
      } catch {
        this.next = undefined
      }
    })
  }

  /** Ends the waiting process (a later `run` starts again). */
  stop(): void {
    this.stopped = true
    this.next?.nft.dispose()
    this.next = undefined
  }
}

async function nftOrThrow(args: readonly string[], what: string, options: { netns?: string; input?: string }): Promise<string> {
  const r = await runNft(args, options)
  if (r.code !== 0) {
    const detail = r.stderr.trim() || `exit code ${r.code}`
    throw new NftError(`${what}${where(options.netns)} failed:\n${detail}`, r.stderr, r.code)
  }
  return r.stdout
}

/** True when `table inet <tableName>` exists. */
export async function tableExists(target: NftTarget = {}): Promise<boolean> {
  const name = tableOf(target)
  const r = await runNft(['list', 'tables', 'inet'], target)
  if (r.code !== 0) throw new NftError(`nft list tables${where(target.netns)} failed:\n${r.stderr.trim()}`, r.stderr, r.code)
  return r.stdout.split('\n').some((l) => l.trim() === `table inet ${name}`)
}

/** The names of the deny-log sets compileRuleset defines (`denied_<in|eg>_v<4|6>`). */
const DENY_SETS: readonly string[] = (['ingress', 'egress'] as const).flatMap((side) => ([4, 6] as const).map((family) => denySetName(side, family)))

/**
 * The listing (`nft list set` text) of each deny-log set; a set (or the table) that is not there
 * is left out. One nft run per set, in parallel (nft 1.0.6 cannot run several `list set` in one
 * batch, and `list table` would also print every policy set).
 */
export async function listDenySets(target: NftTarget = {}): Promise<{ listings: Map<string, string>; listedAtMs: number }> {
  const table = tableOf(target)
  const started = Date.now()
  const results = await Promise.all(DENY_SETS.map((set) => runNft(['list', 'set', 'inet', table, set], target)))
  // The kernel dumped the sets somewhere between spawn and exit: take the middle (error: half the run time).
  const listedAtMs = Math.round((started + Date.now()) / 2)
  const listings = new Map<string, string>()
  for (const [i, r] of results.entries()) {
    if (r.code === 0) listings.set(DENY_SETS[i], r.stdout)
    else if (!/No such file or directory/.test(r.stderr)) {
      throw new NftError(`nft list set ${DENY_SETS[i]}${where(target.netns)} failed:\n${r.stderr.trim()}`, r.stderr, r.code)
    }
  }
  return { listings, listedAtMs }
}

/**
 * `add element` commands that put the current deny-log records back with their remaining
 * lifetime (`expires`), so the record's time survives the table replacement. Per-record packet
 * counts restart at zero (nft cannot restore element counters).
 */
async function denyLogCarryOver(target: NftTarget): Promise<string> {
  const table = tableOf(target)
  const { listings } = await listDenySets({ ...(target.netns === undefined ? {} : { netns: target.netns }), tableName: table })
  const lines: string[] = []
  for (const [set, listing] of [...listings].sort()) {
    if (!isNftName(set)) continue
    const elements = carriedElements(listing)
    if (elements.length > 0) lines.push(`add element inet ${table} ${set} { ${elements.join(', ')} }`)
  }
  return lines.join('\n')
}

const NFT_DURATION = '(?:\\d+(?:d|h|m|s|ms))+'
/** `addr . addr . proto . port . port [counter packets N bytes N] [timeout T] expires E`, as nft lists a deny-log element. */
const CARRIED_ELEMENT = new RegExp(
  `^[0-9a-f.:]+ \\. [0-9a-f.:]+ \\. [a-z0-9]+ \\. \\d+ \\. \\d+(?: counter packets \\d+ bytes \\d+)?(?: timeout ${NFT_DURATION})? expires ${NFT_DURATION}$`,
)

/**
 * The elements of a deny-log set listing to put back into the new table, each with its remaining
 * lifetime. The listing is read back from the kernel and goes into a script again, so only
 * elements of exactly the expected shape are carried (anything else is left out: a lost log
 * record, never a foreign statement in the script).
 */
export function carriedElements(listing: string): string[] {
  // The old set's timeout goes with each element, so `expires` never exceeds it even if the
  // new set's timeout is shorter.
  const timeout = /^\s*timeout\s+(\S+)\s*$/m.exec(listing)?.[1]
  // Counters go along (`counter packets N bytes M` before `timeout`, as nft lists and accepts
  // them), so a record keeps its packet count across an apply.
  return extractElements(listing)
    .filter((e) => /\bexpires\s/.test(e))
    .map((e) => (timeout !== undefined && !/\btimeout\s/.test(e) ? e.replace(/\bexpires\s/, `timeout ${timeout} expires `) : e))
    .filter((e) => CARRIED_ELEMENT.test(e))
}

/** The comma-separated entries of the `elements = { ... }` block of an nft listing. */
export function extractElements(listing: string): string[] {
  const start = listing.indexOf('elements = {')
  if (start < 0) return []
  const end = listing.indexOf('}', start)
  return listing
    .slice(start + 'elements = {'.length, end)
    .split(',')
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s !== '')
}

/**
 * The table that holds the new ruleset while netpol's table is replaced. Owned by netpol like the
 * table itself; it exists only during an apply (or after an apply was killed, until the next one).
 */
export function standInTableName(table: string): string {
  return `${table}_standin`
}

/**
 * The script for the stand-in table: the same ruleset with every `inet <table>` renamed (the
 * compiler names its table only in the `add`/`delete`/`table` lines; inside, objects are named
 * without it). It first wipes a stand-in left by an apply that was killed.
 */
export function standInScript(script: string, table: string, standIn: string): string {
  const renamed = script.replace(new RegExp(`(^|\\s)inet ${table}(?=[\\s{]|$)`, 'gm'), `$1inet ${standIn}`)
  return `add table inet ${standIn}\ndelete table inet ${standIn}\n${renamed}${renamed.endsWith('\n') ? '' : '\n'}`
}

/**
 * Applies a script produced by compileRuleset (or only checks it). Throws NftError with nft's
 * message when nft refuses; the previous ruleset then stays in force.
 *
 * Why three transactions. Replacing a table with base chains in one transaction is atomic for the
 * rules, but not for a packet crossing the commit: the new base chains are hooked in when the
 * transaction is prepared (ahead of the old ones of the same priority, their rules still empty)
 * and the old ones are unhooked after the generation flip (their rules already gone). A packet
 * that meets the new chain just before the flip and the old one just after it is accepted by
 * both — a new connection denied by both rulesets gets through (and, once answered, conntrack
 * keeps it open). So:
 * 1. the new ruleset goes into the stand-in table (the old table, untouched, still denies);
 * 2. netpol's table is replaced as before, in one transaction (the stand-in, untouched, denies);
 * 3. the stand-in is deleted (netpol's new table, untouched, denies).
 * A packet has to pass every table's chains, and at every instant one complete, untouched ruleset
 * is among them: nothing either ruleset denies gets through; between the steps a connection passes
 * only if both allow it (closed, never open).
 */
export async function applyRuleset(script: string, options: ApplyOptions = {}): Promise<void> {
  const target = options.netns === undefined ? {} : { netns: options.netns }
  if (options.check) {
    await nftOrThrow(['--check', '-f', '-'], 'nft --check', { ...target, input: script })
    return
  }
  const table = tableOf(options)
  // The stand-in is this script under another name: it must be a script for this table.
  if (!new RegExp(`^table inet ${table} \\{`, 'm').test(script)) {
    throw new NftError(`the script does not define table inet ${table}: applyRuleset replaces that table (compile with the same tableName)`, '', null)
  }
  const standIn = standInTableName(table)
  const staged = await runNft(['-f', '-'], { ...target, input: standInScript(script, table, standIn) })
  if (staged.code !== 0) {
    // Nothing changed. Report what nft says about the script itself, with its own line numbers.
    await nftOrThrow(['--check', '-f', '-'], 'nft -f (apply ruleset)', { ...target, input: script })
    throw new NftError(
      `nft -f (stand-in table ${standIn})${where(options.netns)} failed:\n${staged.stderr.trim() || `exit code ${staged.code}`}`,
      staged.stderr,
      staged.code,
    )
  }
  let failure: unknown
  try {
    await replaceTable(script, options, target)
  } catch (e) {
    failure = e
  }
  // Also after a failed replacement: the old table, untouched, is in force.
  const removed = await runNft(['delete', 'table', 'inet', standIn], target)
  if (failure !== undefined) throw failure
  if (removed.code !== 0)
    throw new NftError(`nft delete table ${standIn}${where(options.netns)} failed:\n${removed.stderr.trim()}`, removed.stderr, removed.code)
}

/**
 * Applies an incremental update (the script of `rulesetDelta`, ruleset-delta.ts) to netpol's table
 * as ONE `nft -f -` transaction: packets see the old ruleset or the new one, never a mix, and no
 * base chain is re-hooked (so no stand-in table is needed). Unchanged chains, counters and the
 * deny-log sets are not touched. Throws NftError with nft's message when nft refuses; the
 * transaction then changed nothing. An empty script changes nothing and runs nothing.
 */
export async function applyRulesetDelta(script: string, options: NftTarget & { readonly nft?: WarmNft } = {}): Promise<void> {
  if (script === '') return
  const table = tableOf(options)
  // Every command must be about this table: the delta is never applied to another one.
  const foreign = script
    .split('\n')
    .find((l) => /^[a-z]/.test(l) && !new RegExp(`^(table inet ${table} \\{|(add|delete|flush|insert) [a-z]+ inet ${table}( |$))`).test(l))
  if (foreign !== undefined) {
    throw new NftError(`the incremental update is not for table inet ${table}: ${JSON.stringify(foreign.slice(0, 80))}`, '', null)
  }
  const netns = options.netns === undefined ? {} : { netns: options.netns }
  if (options.nft === undefined) {
    await nftOrThrow(['-f', '-'], 'nft -f (incremental update)', { ...netns, input: script })
    return
  }
  const r = await options.nft.run(script)
  if (r.code !== 0)
    throw new NftError(`nft -f (incremental update)${where(options.netns)} failed:\n${r.stderr.trim() || `exit code ${r.code}`}`, r.stderr, r.code)
}

/** Step 2 of applyRuleset: the table replaced in one transaction, deny-log records carried over. */
async function replaceTable(script: string, options: ApplyOptions, target: { netns?: string }): Promise<void> {
  if (options.keepDenyLog !== false) {
    const carry = await denyLogCarryOver(options)
    if (carry !== '') {
      const r = await runNft(['-f', '-'], { ...target, input: `${script.endsWith('\n') ? script : `${script}\n`}${carry}\n` })
      if (r.code === 0) return
      // A failed transaction changed nothing: apply the ruleset alone, and report its own error
      // (the records may simply not fit a smaller new set).
    }
  }
  await nftOrThrow(['-f', '-'], 'nft -f (apply ruleset)', { ...target, input: script })
}

/**
 * Removes netpol's table (and with it every chain, set and counter it made), and a stand-in table
 * left by a killed apply. False when netpol's table was not there.
 */
export async function deleteTable(target: NftTarget = {}): Promise<boolean> {
  const table = tableOf(target)
  const standIn = standInTableName(table)
  const r = await runNft(['list', 'tables', 'inet'], target)
  if (r.code !== 0) throw new NftError(`nft list tables${where(target.netns)} failed:\n${r.stderr.trim()}`, r.stderr, r.code)
  const present = new Set(r.stdout.split('\n').map((l) => l.trim()))
  const names = [table, standIn].filter((n) => present.has(`table inet ${n}`))
  if (names.length > 0) await nftOrThrow(['-f', '-'], 'nft delete table', { ...target, input: names.map((n) => `delete table inet ${n}\n`).join('') })
  return names.includes(table)
}

export interface CounterValue {
  readonly packets: number
  readonly bytes: number
}

/** Every named counter of the table (`nft -j list counters table inet <name>`). */
export async function readCounters(target: NftTarget = {}): Promise<Map<string, CounterValue>> {
  const table = tableOf(target)
  const stdout = await nftOrThrow(['-j', 'list', 'counters', 'table', 'inet', table], 'nft list counters', target)
  const out = new Map<string, CounterValue>()
  const doc = JSON.parse(stdout) as { nftables?: { counter?: { name: string; table: string; packets: number; bytes: number } }[] }
  for (const item of doc.nftables ?? []) {
    if (item.counter && item.counter.table === table) out.set(item.counter.name, { packets: item.counter.packets, bytes: item.counter.bytes })
  }
  return out
}

export interface PolicyCounters {
  /** New connections (first packets, incl. retransmissions) each policy allowed, per side. The first policy (namespace/name order) that allows a connection
   * counts it. */
  readonly allowed: readonly { namespace: string; policy: string; side: Side; packets: number }[]
  /** Packets dropped for each enforced pod, per side. */
  readonly denied: readonly { namespace: string; pod: string; side: Side; packets: number }[]
  /** New-connection packets each ClusterNetworkPolicy rule decided (accepted, passed, dropped; a possible match counts its drop), per side. */
  readonly clusterRules: readonly (Omit<ClusterRuleCounter, 'name'> & { packets: number })[]
  /** New-connection packets dropped because policies of one tier and priority matched with different actions. */
  readonly clusterConflicts: readonly (Omit<ClusterConflictCounter, 'name'> & { packets: number })[]
}

/** Counters of a compiled ruleset mapped back to policies and pods (counters restart when the table is replaced). */
export async function readPolicyCounters(index: RulesetIndex, target: Omit<NftTarget, 'tableName'> = {}): Promise<PolicyCounters> {
  const counters = await readCounters({ ...target, tableName: index.tableName })
  return {
    allowed: index.allowCounters.map((c) => ({ namespace: c.namespace, policy: c.policy, side: c.side, packets: counters.get(c.name)?.packets ?? 0 })),
    denied: index.denyCounters.map((c) => ({ namespace: c.namespace, pod: c.pod, side: c.side, packets: counters.get(c.name)?.packets ?? 0 })),
    clusterRules: index.clusterRuleCounters.map(({ name, ...c }) => ({ ...c, packets: counters.get(name)?.packets ?? 0 })),
    clusterConflicts: index.clusterConflictCounters.map(({ name, ...c }) => ({ ...c, packets: counters.get(name)?.packets ?? 0 })),
  }
}
