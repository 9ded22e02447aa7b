/**
 * The grouped matrix's machine output as a consumer reads it (docs/cli.md, `netpol matrix
 * --group-by`): the listed cells, and the whole matrix rebuilt from `groups`, `groupSizes` and
 * `ports` the way the page says, written here independently of src/.
 */

export interface SparseCell {
  from: string
  to: string
  port: number
  protocol: string
  allowed: boolean
  partial: boolean
  allowedPairs: number
  pairs: number
}

export interface SparseDocument {
  groupBy: string
  groups: string[]
  groupSizes: number[]
  ports: { port: number; protocol: string }[]
  connections: SparseCell[]
}

/**
 * Every cell (from, to, port in the order of groups and ports): a listed one as listed, any other
 * denied for every pod pair, its pairs from the sizes (pairs of two different pods; a group of one
 * pod to itself: that pod to itself).
 */
export function rebuildDense(doc: SparseDocument): SparseCell[] {
  const listed = new Map(doc.connections.map((c) => [`${c.from}\u0000${c.to}\u0000${c.port}/${c.protocol}`, c]))
  const out: SparseCell[] = []
  doc.groups.forEach((from, a) =>
    doc.groups.forEach((to, b) =>
      doc.ports.forEach(({ port, protocol }) => {
        const cell = listed.get(`${from}\u0000${to}\u0000${port}/${protocol}`)
        const sizeA = doc.groupSizes[a]!
        const pairs = a === b ? (sizeA === 1 ? 1 : sizeA * (sizeA - 1)) : sizeA * doc.groupSizes[b]!
        out.push(cell ?? { from, to, port, protocol, allowed: false, partial: false, allowedPairs: 0, pairs })
      }),
    ),
  )
  return out
}

/** CSV (RFC 4180) rows after the header, typed as the JSON cells. */
export function csvRows(csv: string): SparseCell[] {
  const records: string[][] = []
  let field = ''
  let record: string[] = []
  let quoted = false
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i]!
    if (quoted) {
      if (c === '"' && csv[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      record.push(field)
      field = ''
    } else if (c === '\n') {
      record.push(field)
      records.push(record)
      record = []
      field = ''
    } else field += c
  }
  const [header, ...rows] = records
  if (header?.join(',') !== 'from,to,port,protocol,allowed,partial,allowedPairs,pairs') throw new Error(`unexpected CSV header: ${header?.join(',')}`)
  return rows.map(([from, to, port, protocol, allowed, partial, allowedPairs, pairs]) => ({
    from: from!,
    to: to!,
    port: Number(port),
    protocol: protocol!,
    allowed: allowed === 'true',
    partial: partial === 'true',
    allowedPairs: Number(allowedPairs),
    pairs: Number(pairs),
  }))
}
