/** Optimal string alignment distance: insertions, deletions, substitutions, transpositions. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0))
  )
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1)
      d[i]![j] = best
    }
  }
  return d[a.length]![b.length]!
}

/**
 * The known key a misspelled key most likely meant, or undefined when none is close: within
 * an edit distance of a third of its length (at least 1), or the same word with a prefix or
 * suffix added or dropped (`image` for `image_tag`), ignoring case and `-`/`_`.
 */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/-/g, '_')
  const wanted = norm(key)
  let best: { key: string; distance: number } | undefined
  for (const candidate of known) {
    const distance = editDistance(wanted, norm(candidate))
    if (!best || distance < best.distance) best = { key: candidate, distance }
  }
  if (best && best.distance <= Math.max(1, Math.floor(key.length / 3))) return best.key
  if (wanted.length >= 3) {
    const related = known.find((k) => norm(k).startsWith(wanted) || wanted.startsWith(norm(k)))
    if (related) return related
  }
  return undefined
}
